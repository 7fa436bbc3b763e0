"""Which instruments the alert rules treat as outcome measures and which as alliance measures.

The one place in :mod:`therapy_outcomes.alerts` that knows the SRS is an alliance (process)
measure: ``low_alliance`` judges the alliance measures; ``not_on_track`` and
``no_recent_measure`` use the outcome measures only.
"""

from __future__ import annotations

from therapy_outcomes.instruments import Instrument

__all__ = ["ALLIANCE_MEASURES", "is_outcome_measure"]

#: Process (alliance) measures: not outcome measures, so not used for recovery curves or for
#: "no recent measure"; ``low_alliance`` judges them.
ALLIANCE_MEASURES: tuple[str, ...] = ("SRS",)


def is_outcome_measure(inst: Instrument) -> bool:
    """Whether the rules treat ``inst`` as an outcome measure: a questionnaire, not an alliance one.

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> reg = default_registry()
    >>> is_outcome_measure(reg.get("PHQ-9")), is_outcome_measure(reg.get("SRS"))
    (True, False)
    """
    return inst.code not in ALLIANCE_MEASURES and inst.kind == "questionnaire"
