"""therapy-outcomes: measurement-based psychotherapy in pandas and notebooks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("therapy-outcomes")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
