"""therapy-outcomes: measurement-based psychotherapy in pandas and notebooks."""

from importlib.metadata import PackageNotFoundError, version

from therapy_outcomes.dataset import Dataset, load
from therapy_outcomes.instruments import Registry, default_registry, score

try:
    __version__ = version("therapy-outcomes")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
