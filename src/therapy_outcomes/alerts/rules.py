"""The alert rules as a table: each rule's kind, severity, audience, needs and finder.

:data:`RULES` lists every rule once, in the order the rules run and the order ties are broken
in the output. A rule's finder (in :mod:`~therapy_outcomes.alerts.finders`) reads a
:class:`~therapy_outcomes.alerts.view.View` and the settings the rule names; its rows get the
rule's kind, severity and audience from here. What each rule does, with its boundary conditions
and sources, is documented in :mod:`therapy_outcomes.alerts`, in the same order.

Severities are a project choice (high: safety or reliable worsening; medium: off the expected
course or alliance; low: housekeeping). Risk answers are for the clinician only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from therapy_outcomes.alerts import finders
from therapy_outcomes.alerts.view import NEEDS, View

__all__ = ["AUDIENCES", "KINDS", "RULES", "SEVERITIES", "SEVERITY", "Rule"]

#: Severities, most urgent first (the output is sorted in this order).
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")

#: Who may see an alert: ``clinician`` only, or ``all`` (also the client's own report).
AUDIENCES: tuple[str, ...] = ("clinician", "all")

Finder = Callable[..., list[dict[str, Any]]]


@dataclass(frozen=True)
class Rule:
    """One alert rule: what it is called, how urgent, who sees it, what it reads, who finds it.

    Parameters
    ----------
    kind : str
        The ``kind`` column of its alerts, e.g. ``"risk_item"``.
    severity : {"high", "medium", "low"}
    audience : {"clinician", "all"}
    finder : callable
        ``finder(view, **settings) -> list of rows`` (:func:`~therapy_outcomes.alerts.table.row`).
    needs : tuple of str
        What the finder reads from its view, of :data:`~therapy_outcomes.alerts.view.NEEDS`.
        Models are fitted only when a rule that runs needs ``"models"``.
    settings : tuple of str
        The :class:`~therapy_outcomes.alerts.settings.AlertSettings` fields passed to the finder
        as keywords.

    Examples
    --------
    >>> rule = RULES[KINDS.index("low_alliance")]
    >>> rule.severity, rule.audience, rule.settings
    ('medium', 'all', ('srs_cutoff', 'srs_cutoff_side', 'srs_drop'))
    >>> Rule("odd", "urgent", "all", finders.goal_overdue)
    Traceback (most recent call last):
    ...
    ValueError: rule 'odd': severity 'urgent' is not one of high, medium, low
    """

    kind: str
    severity: str
    audience: str
    finder: Finder
    needs: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"rule {self.kind!r}: severity {self.severity!r} is not one of "
                f"{', '.join(SEVERITIES)}"
            )
        if self.audience not in AUDIENCES:
            raise ValueError(
                f"rule {self.kind!r}: audience {self.audience!r} is not one of "
                f"{', '.join(AUDIENCES)}"
            )
        unknown = [n for n in self.needs if n not in NEEDS]
        if unknown:
            raise ValueError(f"rule {self.kind!r}: needs {unknown} are not parts of a View")

    def find(self, view: View, **settings: Any) -> list[dict[str, Any]]:
        """This rule's alert rows in ``view``, with its kind, severity and audience filled in.

        Examples
        --------
        >>> from therapy_outcomes.alerts.view import example_view
        >>> rows = RULES[KINDS.index("risk_item")].find(example_view())
        >>> {(r["kind"], r["severity"], r["audience"]) for r in rows}
        {('risk_item', 'high', 'clinician')}
        """
        stamp = {"kind": self.kind, "severity": self.severity, "audience": self.audience}
        return [{**found, **stamp} for found in self.finder(view, **settings)]


#: Every alert rule, in the order the rules run (and the module documentation describes them).
RULES: tuple[Rule, ...] = (
    Rule(
        kind="risk_item",
        severity="high",
        audience="clinician",
        finder=finders.risk_item,
        needs=("responses", "scores"),
    ),
    Rule(
        kind="reliable_deterioration",
        severity="high",
        audience="all",
        finder=finders.reliable_deterioration,
        needs=("scores",),
    ),
    Rule(
        kind="not_on_track",
        severity="medium",
        audience="all",
        finder=finders.not_on_track,
        needs=("scores", "sessions", "models"),
        settings=("percentile",),
    ),
    Rule(
        kind="low_alliance",
        severity="medium",
        audience="all",
        finder=finders.low_alliance,
        needs=("scores",),
        settings=("srs_cutoff", "srs_cutoff_side", "srs_drop"),
    ),
    Rule(
        kind="no_recent_measure",
        severity="low",
        audience="all",
        finder=finders.no_recent_measure,
        needs=("scores", "clients", "open_episodes"),
        settings=("no_measure_weeks",),
    ),
    Rule(
        kind="goal_overdue",
        severity="low",
        audience="all",
        finder=finders.goal_overdue,
        needs=("goals",),
    ),
)

#: Alert kinds, in the order of :data:`RULES`.
KINDS: tuple[str, ...] = tuple(rule.kind for rule in RULES)

#: Severity of each kind, read from :data:`RULES` (kept for callers of the old constant).
SEVERITY: Mapping[str, str] = MappingProxyType({rule.kind: rule.severity for rule in RULES})
