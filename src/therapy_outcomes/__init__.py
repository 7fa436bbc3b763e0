"""therapy-outcomes: measurement-based psychotherapy in pandas and notebooks.

The public API, pandas in and pandas out:

- data: :func:`load` (a dataset folder, workbook or other source -> :class:`Dataset`);
- instruments: :func:`score`, :func:`default_registry`, :class:`Registry`;
- change: :func:`reliable_change`, :func:`clinical_significance`, :func:`reliable_change_hlm`,
  and episode helpers :func:`first_last_pairs`, :func:`baseline_latest`,
  :func:`pairs_by_label`.
"""

from importlib.metadata import PackageNotFoundError, version

from therapy_outcomes.change import reliable_change
from therapy_outcomes.dataset import Dataset, load
from therapy_outcomes.episodes import baseline_latest, first_last_pairs, pairs_by_label
from therapy_outcomes.growth import reliable_change_hlm
from therapy_outcomes.instruments import Registry, default_registry, score
from therapy_outcomes.significance import clinical_significance

try:
    __version__ = version("therapy-outcomes")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "Dataset",
    "Registry",
    "__version__",
    "baseline_latest",
    "clinical_significance",
    "default_registry",
    "first_last_pairs",
    "load",
    "pairs_by_label",
    "reliable_change",
    "reliable_change_hlm",
    "score",
]
