"""Therapy goals: attainment (GAS, GBO, counts), SMART audit, reviews and revision chains.

Modules
-------
- :mod:`~therapy_outcomes.goals.attainment` - :func:`gas_tscore`, :func:`gas_tscores`,
  :func:`gbo_change`, :func:`count_progress`, :func:`on_track`.
- :mod:`~therapy_outcomes.goals.smart` - :func:`smart_audit`.
- :mod:`~therapy_outcomes.goals.review` - :func:`review_status`, :func:`revision_chains`.

All functions take the ``goals`` and ``goal_ratings`` tables as loaded (data/README.md) and
return DataFrames.
"""

from therapy_outcomes.goals.attainment import (
    count_progress,
    gas_tscore,
    gas_tscores,
    gbo_change,
    on_track,
)
from therapy_outcomes.goals.review import review_status, revision_chains
from therapy_outcomes.goals.smart import smart_audit

__all__ = [
    "count_progress",
    "gas_tscore",
    "gas_tscores",
    "gbo_change",
    "on_track",
    "review_status",
    "revision_chains",
    "smart_audit",
]
