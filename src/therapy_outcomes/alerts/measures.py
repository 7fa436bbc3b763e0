"""Which instruments the alert rules treat as outcome measures and which as alliance measures.

Read from each instrument definition's ``purpose`` (``outcome`` or ``alliance``; the SRS is an
alliance measure): ``low_alliance`` judges the alliance measures; ``not_on_track`` and
``no_recent_measure`` use the outcome measures only.
"""

from __future__ import annotations

from typing import Any

from therapy_outcomes.instruments import Instrument

__all__ = [
    "FROM_DEFINITION",
    "FromDefinition",
    "alliance_cutoff",
    "is_alliance_measure",
    "is_outcome_measure",
]


class FromDefinition:
    """The default of a setting whose value is an instrument fact: read from the definition."""

    def __repr__(self) -> str:
        return "<from the instrument definition>"


#: The one instance of :class:`FromDefinition`.
FROM_DEFINITION = FromDefinition()


def alliance_cutoff(cutoff: Any, side: Any, inst: Instrument) -> tuple[float | None, str]:
    """The ``low_alliance`` cut-off and its side for one alliance measure.

    The values given where they are not :data:`FROM_DEFINITION`, else the instrument
    definition's cut-off and side (a measure without a cut-off: the cut-off rule is off).

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> srs = default_registry().get("SRS")
    >>> alliance_cutoff(FROM_DEFINITION, FROM_DEFINITION, srs), alliance_cutoff(30, "<=", srs)
    ((36.0, '<'), (30, '<='))
    """
    if cutoff is FROM_DEFINITION:
        cutoff = None if inst.cutoff is None else float(inst.cutoff.value)
    if side is FROM_DEFINITION:
        written = inst.cutoff.clinical if inst.cutoff is not None else "<"
        side = written if written in ("<", "<=") else "<"
    return cutoff, side


def is_alliance_measure(inst: Instrument) -> bool:
    """Whether ``inst`` rates the alliance (the sessions), as the SRS does.

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> is_alliance_measure(default_registry().get("SRS"))
    True
    """
    return inst.kind == "questionnaire" and inst.purpose == "alliance"


def is_outcome_measure(inst: Instrument) -> bool:
    """Whether the rules treat ``inst`` as an outcome measure: a questionnaire, not an alliance one.

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> reg = default_registry()
    >>> is_outcome_measure(reg.get("PHQ-9")), is_outcome_measure(reg.get("SRS"))
    (True, False)
    """
    return inst.kind == "questionnaire" and inst.purpose == "outcome"
