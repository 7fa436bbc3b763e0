"""therapy-outcomes: measurement-based psychotherapy in pandas and notebooks.

The public API, pandas in and pandas out:

- data: :func:`load` (a dataset folder, workbook or other source -> :class:`Dataset`);
- instruments: :func:`score`, :func:`default_registry`, :class:`Registry`;
- change: :func:`reliable_change`, :func:`clinical_significance`, :func:`reliable_change_hlm`,
  and episode helpers :func:`first_last_pairs`, :func:`baseline_latest`,
  :func:`pairs_by_label`;
- service metrics: :func:`talking_therapies_outcomes`, :func:`talking_therapies_rates`,
  :func:`cms159`, :func:`cms159_rates`;
- cohorts: :func:`effect_sizes`, :func:`wilson_interval`, :func:`rate_table`,
  :func:`outcome_flow`, and :func:`suppress_small_cells` for every aggregate table;
- goals: :func:`gas_tscore`, :func:`gas_tscores`, :func:`gbo_change`, :func:`count_progress`,
  :func:`on_track`, :func:`smart_audit`, :func:`review_status`, :func:`revision_chains`;
- alerts: :func:`alerts`, :func:`alerts_for_client`, :func:`fit_expected_recovery`.
"""

from importlib.metadata import PackageNotFoundError, version

from therapy_outcomes.alerts import alerts, alerts_for_client
from therapy_outcomes.change import reliable_change
from therapy_outcomes.cohort import effect_sizes, outcome_flow, rate_table, wilson_interval
from therapy_outcomes.dataset import Dataset, load
from therapy_outcomes.disclosure import suppress_small_cells
from therapy_outcomes.episodes import baseline_latest, first_last_pairs, pairs_by_label
from therapy_outcomes.goals import (
    count_progress,
    gas_tscore,
    gas_tscores,
    gbo_change,
    on_track,
    review_status,
    revision_chains,
    smart_audit,
)
from therapy_outcomes.growth import reliable_change_hlm
from therapy_outcomes.instruments import Registry, default_registry, score
from therapy_outcomes.recovery import fit_expected_recovery
from therapy_outcomes.service_metrics import (
    cms159,
    cms159_rates,
    talking_therapies_outcomes,
    talking_therapies_rates,
)
from therapy_outcomes.significance import clinical_significance

try:
    __version__ = version("therapy-outcomes")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "Dataset",
    "Registry",
    "__version__",
    "alerts",
    "alerts_for_client",
    "baseline_latest",
    "clinical_significance",
    "cms159",
    "cms159_rates",
    "count_progress",
    "default_registry",
    "effect_sizes",
    "first_last_pairs",
    "fit_expected_recovery",
    "gas_tscore",
    "gas_tscores",
    "gbo_change",
    "load",
    "on_track",
    "outcome_flow",
    "pairs_by_label",
    "rate_table",
    "reliable_change",
    "reliable_change_hlm",
    "review_status",
    "revision_chains",
    "score",
    "smart_audit",
    "suppress_small_cells",
    "talking_therapies_outcomes",
    "talking_therapies_rates",
    "wilson_interval",
]
