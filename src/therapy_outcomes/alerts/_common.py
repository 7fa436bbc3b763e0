"""Shared pieces of the alert rules: the output columns, the data view and number formatting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from therapy_outcomes.instruments import Instrument, Registry

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

#: Alert kinds, in the order the rules run.
KINDS: tuple[str, ...] = (
    "risk_item",
    "reliable_deterioration",
    "not_on_track",
    "low_alliance",
    "no_recent_measure",
    "goal_overdue",
)

#: Severity of each kind (a project choice, documented in :mod:`therapy_outcomes.alerts`).
SEVERITY: dict[str, str] = {
    "risk_item": "high",
    "reliable_deterioration": "high",
    "not_on_track": "medium",
    "low_alliance": "medium",
    "no_recent_measure": "low",
    "goal_overdue": "low",
}

#: Who may see each kind: risk answers are for the clinician only.
AUDIENCE: dict[str, str] = {kind: "all" for kind in KINDS} | {"risk_item": "clinician"}

SEVERITY_ORDER: dict[str, int] = {"high": 0, "medium": 1, "low": 2}

#: Process (alliance) measures: not outcome measures, so not used for recovery curves or for
#: "no recent measure".
ALLIANCE_MEASURES: tuple[str, ...] = ("SRS",)


@dataclass
class View:
    """The tables the rules read, already cut to ``as_of`` (and to some clients, if asked)."""

    scores: pd.DataFrame
    responses: pd.DataFrame
    sessions: pd.DataFrame
    clients: pd.DataFrame
    goals: pd.DataFrame
    registry: Registry
    as_of: pd.Timestamp
    instruments: tuple[str, ...]
    skipped: list[dict[str, str]] = field(default_factory=list)

    def instrument(self, code: str) -> Instrument:
        """The registry's definition of ``code``."""
        return self.registry.get(code)

    def skip(self, kind: str, instrument: str, reason: str) -> None:
        """Record that a rule was not applied to an instrument, and why."""
        self.skipped.append({"kind": kind, "instrument": instrument, "reason": reason})


def end_of_day(stamp: pd.Timestamp) -> pd.Timestamp:
    """The last instant of ``stamp``'s day: "on or before 31 October" includes that day."""
    return stamp.normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")


def fmt_num(value: Any) -> str:
    """A number as people write it: at most two decimals, no trailing zeros.

    Examples
    --------
    >>> fmt_num(17.0), fmt_num(14.96), fmt_num(35.5), fmt_num(-0.001)
    ('17', '14.96', '35.5', '0')
    """
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def count(value: Any, unit: str) -> str:
    """A number with its unit, singular for exactly 1.

    Examples
    --------
    >>> count(1, "point"), count(6, "point"), count(1.5, "point"), count(4, "week")
    ('1 point', '6 points', '1.5 points', '4 weeks')
    """
    text = fmt_num(value)
    return f"{text} {unit}" if text == "1" else f"{text} {unit}s"


def fmt_date(value: Any) -> str:
    """ISO date ``YYYY-MM-DD``."""
    return pd.Timestamp(value).date().isoformat()


def ordinal(value: float) -> str:
    """``90`` -> ``'90th'``, ``91`` -> ``'91st'``, ``97.5`` -> ``'97.5th'``.

    Examples
    --------
    >>> ordinal(90), ordinal(91), ordinal(92), ordinal(83), ordinal(11), ordinal(97.5)
    ('90th', '91st', '92nd', '83rd', '11th', '97.5th')
    """
    if float(value) != int(value):
        return f"{fmt_num(value)}th"
    n = int(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def measure_name(code: str, rater: Any) -> str:
    """``'PHQ-9'``, or ``'PHQ-9 (parent-rated)'`` when the rater is not the client."""
    if rater is None or pd.isna(rater) or str(rater) == "self":
        return code
    return f"{code} ({rater}-rated)"


def alert(
    kind: str, rule: str, client_id: Any, date: Any, explanation: str, **values: Any
) -> dict[str, Any]:
    """One alert row with the kind's severity and audience filled in."""
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown alert columns {sorted(unknown)}")
    return {
        "client_id": client_id,
        "date": pd.Timestamp(date),
        "kind": kind,
        "rule": rule,
        "severity": SEVERITY[kind],
        "audience": AUDIENCE[kind],
        "explanation": explanation,
        **values,
    }


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The alerts table with fixed columns and dtypes (also when there are no alerts)."""
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    text = [
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
    ]
    for col in text:
        out[col] = out[col].astype("string")
    for col in ("value", "reference", "threshold", "session_number", "expected"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in ("date", "reference_date"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    out["episode_open"] = out["episode_open"].astype("boolean")
    return out


def open_episodes(clients: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Whether each client's episode is open on ``as_of`` (indexed by client_id).

    Open = ``episode_start`` on or before ``as_of`` and no ``episode_end`` on or before
    ``as_of``. A client without an ``episode_start`` (referred, not started) is not open.
    """
    ids = clients["client_id"].astype("string")
    start = clients.get("episode_start", pd.Series(pd.NaT, index=clients.index))
    end = clients.get("episode_end", pd.Series(pd.NaT, index=clients.index))
    started = (start <= as_of).fillna(False).astype(bool)
    ended = (end <= as_of).fillna(False).astype(bool)
    return pd.Series(np.asarray(started & ~ended), index=pd.Index(ids, name="client_id"))
