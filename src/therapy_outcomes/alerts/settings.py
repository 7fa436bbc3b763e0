"""The tunables of the alert rules: one frozen :class:`AlertSettings`, checked once."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from therapy_outcomes.alerts.measures import FROM_DEFINITION, FromDefinition
from therapy_outcomes.alerts.rules import KINDS
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.outcomes.expected_recovery import check_percentile

__all__ = ["AlertSettings", "as_names"]


@dataclass(frozen=True)
class AlertSettings:
    """Every tunable of the alert rules, each default written here once, checked on creation.

    :func:`therapy_outcomes.alerts.alerts` takes the same names as keywords, with these defaults.
    The rule a setting belongs to is named in the table
    (:data:`therapy_outcomes.alerts.rules.RULES`, ``settings``).

    Parameters
    ----------
    percentile : float
        One-sided percentile of the ``not_on_track`` bound, strictly between 0 and 100 (the
        default is a project choice: docs/methods.md#alert-not-on-track).
    srs_cutoff : float or None
        Cut-off of ``low_alliance`` for every alliance measure. Default: each alliance
        measure's own cut-off from its instrument definition (the SRS: 36, OpenFIT's);
        ``None`` switches the cut-off rule off.
    srs_cutoff_side : {"<", "<="}
        ``"<"`` (OpenFIT: a score equal to the cut-off is not low) or ``"<="`` (it is).
        Default: the side written in the definition (the SRS: ``"<"``).
    srs_drop : float or None
        Drop from the previous SRS that alerts (inclusive, positive); ``None`` = off.
    no_measure_weeks : float or None
        Weeks without a valid outcome score before an open-episode client alerts (positive);
        ``None`` switches ``no_recent_measure`` off.
    instruments : str or iterable of str, optional
        Instrument codes or aliases to consider (default: all); applies to every score rule.
        Kept as given (as a tuple): they are resolved against the dataset's registry.
    kinds : str or iterable of str, optional
        Alert kinds to compute (default: all, see :data:`~therapy_outcomes.alerts.rules.KINDS`).
        Kept as a tuple in the order of the rule table.
    min_clients : int
        Fewest clients needed to fit a ``not_on_track`` model on the dataset.

    Raises
    ------
    ParameterError
        An unknown kind or a bad value, with a one-line message.

    Examples
    --------
    >>> s = AlertSettings()
    >>> s.percentile, s.srs_drop, s.no_measure_weeks
    (90, 1, 4)
    >>> s.srs_cutoff  # the alliance measure's own cut-off (the SRS: below 36)
    <from the instrument definition>
    >>> s.min_clients, s.instruments, s.kinds[:2]
    (30, None, ('risk_item', 'reliable_deterioration'))
    >>> AlertSettings(kinds=["goal_overdue", "risk_item"]).kinds
    ('risk_item', 'goal_overdue')
    >>> AlertSettings(srs_drop=0)
    Traceback (most recent call last):
    ...
    therapy_outcomes.errors.ParameterError: srs_drop must be a positive number or None, not 0
    """

    percentile: float = 90
    srs_cutoff: float | FromDefinition | None = FROM_DEFINITION
    srs_cutoff_side: str | FromDefinition = FROM_DEFINITION
    srs_drop: float | None = 1
    no_measure_weeks: float | None = 4
    instruments: tuple[str, ...] | None = None
    kinds: tuple[str, ...] = KINDS
    min_clients: int = 30

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", _kinds(self.kinds))
        if self.instruments is not None:
            object.__setattr__(self, "instruments", as_names(self.instruments))
        try:
            check_percentile(self.percentile)
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
        cutoff = self.srs_cutoff
        if (
            cutoff is not None
            and cutoff is not FROM_DEFINITION
            and (isinstance(cutoff, bool) or not isinstance(cutoff, numbers.Real))
        ):
            raise ParameterError(f"srs_cutoff must be a number or None, not {cutoff!r}")
        if self.srs_cutoff_side is not FROM_DEFINITION and self.srs_cutoff_side not in ("<", "<="):
            raise ParameterError(
                f"srs_cutoff_side must be '<' or '<=', not {self.srs_cutoff_side!r}"
            )
        for name in ("srs_drop", "no_measure_weeks"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not float(value) > 0
            ):
                raise ParameterError(f"{name} must be a positive number or None, not {value!r}")


def as_names(value: str | Iterable[str]) -> tuple[str, ...]:
    """One name or several, as a tuple (the form of ``instruments`` and ``kinds``).

    Examples
    --------
    >>> as_names("risk_item"), as_names(["PHQ-9", "GAD-7"])
    (('risk_item',), ('PHQ-9', 'GAD-7'))
    """
    return (value,) if isinstance(value, str) else tuple(value)


def _kinds(kinds: Any) -> tuple[str, ...]:
    """The kinds asked for, in the order of the rule table (all of them for ``None``)."""
    if kinds is None:
        return KINDS
    wanted = as_names(kinds)
    bad = [k for k in wanted if k not in KINDS]
    if bad:
        raise ParameterError(f"unknown alert kind(s) {bad}; known: {', '.join(KINDS)}")
    return tuple(k for k in KINDS if k in wanted)
