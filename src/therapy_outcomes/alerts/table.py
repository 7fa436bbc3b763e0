"""The alerts table: its columns, one alert row, and the typed DataFrame of many."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["COLUMNS", "frame", "row"]

#: Columns of the alerts table, in order.
COLUMNS: tuple[str, ...] = (
    "client_id",
    "date",
    "kind",
    "rule",
    "severity",
    "instrument",
    "audience",
    "explanation",
    "value",
    "reference",
    "reference_date",
    "threshold",
    "session_number",
    "expected",
    "rater",
    "administration_id",
    "goal_id",
    "item",
    "episode_open",
)

#: Columns filled in from the rule table (:data:`therapy_outcomes.alerts.rules.RULES`) and the
#: episode, never by a rule's finder.
FROM_TABLE: tuple[str, ...] = ("kind", "severity", "audience", "episode_open")

_TEXT = (
    "client_id",
    "kind",
    "rule",
    "severity",
    "instrument",
    "audience",
    "explanation",
    "rater",
    "administration_id",
    "goal_id",
    "item",
)
_NUMBERS = ("value", "reference", "threshold", "session_number", "expected")
_DATES = ("date", "reference_date")


def row(rule: str, client_id: Any, date: Any, explanation: str, **values: Any) -> dict[str, Any]:
    """One alert as a finder reports it: which branch fired, for whom, when, why, and numbers.

    The kind, severity and audience come from the rule table and ``episode_open`` from the
    clients table, so a finder gives neither.

    Parameters
    ----------
    rule : str
        The branch of the kind that fired (the ``rule`` column), e.g. ``"drop_from_previous"``.
    client_id, date, explanation
        The ``client_id``, ``date`` and ``explanation`` columns.
    **values
        Any other column of :data:`COLUMNS` (``value``, ``reference``, ``instrument`` ...).

    Raises
    ------
    ValueError
        A name that is not a column, or one the rule table fills in.

    Examples
    --------
    >>> r = row("past_target_date", "C1", "2026-05-01", "Goal G1 ...", goal_id="G1", value=60.0)
    >>> r["date"], r["goal_id"]
    (Timestamp('2026-05-01 00:00:00'), 'G1')
    >>> row("x", "C1", "2026-05-01", "...", severity="high")
    Traceback (most recent call last):
    ...
    ValueError: alert columns ['severity'] come from the rule table, not from a finder
    """
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown alert columns {sorted(unknown)}")
    reserved = set(values) & set(FROM_TABLE)
    if reserved:
        raise ValueError(
            f"alert columns {sorted(reserved)} come from the rule table, not from a finder"
        )
    return {
        "client_id": client_id,
        "date": pd.Timestamp(date),
        "rule": rule,
        "explanation": explanation,
        **values,
    }


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The alerts table with fixed columns and dtypes (also when there are no alerts).

    Examples
    --------
    >>> empty = frame([])
    >>> tuple(empty.columns) == COLUMNS, str(empty["date"].dtype), str(empty["value"].dtype)
    (True, 'datetime64[ns]', 'float64')
    """
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in _TEXT:
        out[col] = out[col].astype("string")
    for col in _NUMBERS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in _DATES:
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    out["episode_open"] = out["episode_open"].astype("boolean")
    return out
