"""Dates of the research export: shifted per client, intervals coarsened to whole weeks.

Every date of a client is rewritten relative to the client's referral:
``new = referral - offset + round(days since referral / 7) * 7`` (``intervals="weeks"``), or
with the days kept (``intervals="days"``, outside the stated privacy model: exact intervals
make the episode length a quasi-identifier finer than its band). The offset is, with
``dates="shift"``, the span of the dataset's dates plus one week plus a keyed 1 to
``max_shift_days`` days, so every exported date is earlier than every date of the input (no
input date can be found in the export, and the calendar position of each client is hidden by
the keyed part); with ``dates="month"`` the referral is moved to the first of its month (no key
involved; months are kept).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

import pandas as pd

from therapy_outcomes.loading.tables import spec


def date_offset(key: bytes, client_id: str, max_days: int) -> int:
    """Keyed number of days for a client: 1 .. ``max_days``, the same for every date of it.

    Examples
    --------
    >>> 1 <= date_offset(b"k" * 16, "C0042", 365) <= 365
    True
    """
    digest = hmac.new(key, f"date-shift:{client_id}".encode(), hashlib.sha256).digest()
    return 1 + int.from_bytes(digest[:8], "big") % max_days


def date_columns(name: str, frame: pd.DataFrame) -> list[str]:
    """The date columns of a table as loaded."""
    if name == "administrations":
        return ["administered_on"] if "administered_on" in frame else []
    return [c.name for c in spec(name).columns if c.kind == "date" and c.name in frame]


def span_days(tables: dict[str, pd.DataFrame]) -> int:
    """Days from the earliest to the latest date in any table (0 without dates)."""
    dates = [
        pd.to_datetime(frame[c]).dropna()
        for name, frame in tables.items()
        for c in date_columns(name, frame)
    ]
    every = pd.concat(dates) if dates else pd.Series(dtype="datetime64[ns]")
    return 0 if every.empty else int((every.max() - every.min()).days)


def client_offsets(
    clients: pd.DataFrame,
    key: bytes,
    *,
    dates: Literal["shift", "month"],
    max_shift_days: int,
    span: int,
) -> pd.Series:
    """Days each client's referral moves back, indexed by client ID."""
    ids = clients["client_id"]
    if dates == "month":
        days = pd.to_datetime(clients["referred_on"]).dt.day.to_numpy() - 1
        return pd.Series(days, index=ids)
    return pd.Series([span + 7 + date_offset(key, str(c), max_shift_days) for c in ids], index=ids)


def shift_dates(
    frame: pd.DataFrame,
    name: str,
    referrals: pd.Series,
    offsets: pd.Series,
    intervals: Literal["weeks", "days"] = "weeks",
) -> pd.DataFrame:
    """Every date of the table relative to its client's moved referral (see module notes).

    Examples
    --------
    >>> frame = pd.DataFrame({"client_id": ["A", "A"], "session_id": ["S1", "S2"],
    ...     "session_on": pd.to_datetime(["2026-01-06", "2026-01-16"])})
    >>> refs = pd.Series(pd.to_datetime(["2026-01-05"]), index=["A"])
    >>> out = shift_dates(frame, "sessions", refs, pd.Series([100], index=["A"]))
    >>> [str(d.date()) for d in out["session_on"]]
    ['2025-09-27', '2025-10-11']
    """
    out = frame.copy()
    # a table without client_id (none, once loaded) loses its dates rather than keep them
    unknown = pd.Series(float("nan"), index=out.index)
    ids = out["client_id"] if "client_id" in out else unknown
    anchor = pd.to_datetime(ids.map(referrals))
    moved = anchor - pd.to_timedelta(ids.map(offsets), unit="D")
    for col in date_columns(name, out):
        days = (pd.to_datetime(out[col]) - anchor).dt.days.astype("float64")
        if intervals == "weeks":
            days = (days / 7).round() * 7  # round half to even, as numpy's rint
        out[col] = moved + pd.to_timedelta(days, unit="D")
    return out


def episode_weeks(clients: pd.DataFrame) -> pd.Series:
    """Whole weeks from ``episode_start`` to ``episode_end`` (NA when either is missing).

    Examples
    --------
    >>> clients = pd.DataFrame({"episode_start": pd.to_datetime(["2026-01-05", None]),
    ...                         "episode_end": pd.to_datetime(["2026-03-02", None])})
    >>> episode_weeks(clients).tolist()
    [8.0, nan]
    """
    if "episode_start" not in clients or "episode_end" not in clients:
        return pd.Series(float("nan"), index=clients.index)
    start = pd.to_datetime(clients["episode_start"])
    end = pd.to_datetime(clients["episode_end"])
    return ((end - start).dt.days // 7).astype("float64")
