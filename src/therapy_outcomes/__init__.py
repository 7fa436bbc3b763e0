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
- alerts: :func:`alerts_for_dataset` (``therapy_outcomes.alerts.alerts``; the name
  ``alerts`` itself is the module), :func:`alerts_for_client`, :func:`fit_expected_recovery`;
- reports: :func:`render_client_report`, :func:`render_cohort_report`,
  :func:`render_monthly_summary`, :func:`render_batch`.

Names are imported on first use, so ``import therapy_outcomes`` stays cheap in every report
kernel (scipy, statsmodels and pandera load only when a function needs them).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("therapy-outcomes")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

#: Public name -> the module that defines it.
_EXPORTS = {
    "Dataset": "loading.dataset",
    "load": "loading.dataset",
    "Registry": "instruments",
    "default_registry": "instruments",
    "score": "instruments",
    "reliable_change": "change.reliable",
    "clinical_significance": "change.significance",
    "reliable_change_hlm": "change.hlm",
    "baseline_latest": "change.pairs",
    "first_last_pairs": "change.pairs",
    "pairs_by_label": "change.pairs",
    "talking_therapies_outcomes": "outcomes.talking_therapies",
    "talking_therapies_rates": "outcomes.talking_therapies",
    "cms159": "outcomes.cms159",
    "cms159_rates": "outcomes.cms159",
    "effect_sizes": "outcomes.effect_sizes",
    "wilson_interval": "outcomes.rates",
    "rate_table": "outcomes.rates",
    "outcome_flow": "outcomes.flow",
    "suppress_small_cells": "outcomes.disclosure",
    "gas_tscore": "goals",
    "gas_tscores": "goals",
    "gbo_change": "goals",
    "count_progress": "goals",
    "on_track": "goals",
    "smart_audit": "goals",
    "review_status": "goals",
    "revision_chains": "goals",
    "alerts_for_dataset": "alerts",
    "alerts_for_client": "alerts",
    "fit_expected_recovery": "outcomes.expected_recovery",
    "render_client_report": "client_report.render",
    "render_cohort_report": "cohort_report.render",
    "render_monthly_summary": "monthly_report.render",
    "render_batch": "batch",
}

#: Public names that differ from the defining function's own name.
_ALIASES = {"alerts_for_dataset": "alerts"}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'therapy_outcomes' has no attribute {name!r}")
    source = importlib.import_module(f"therapy_outcomes.{module}")
    value = getattr(source, _ALIASES.get(name, name))
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
