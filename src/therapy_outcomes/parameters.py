"""Checking the parameters users type: one rule for dates, with a one-line error."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, overload

import pandas as pd
from pandas.api.typing import NaTType

from therapy_outcomes.errors import ParameterError


@overload
def parse_date_parameter(
    value: Any, name: str, *, default_today: Literal[True]
) -> pd.Timestamp: ...


@overload
def parse_date_parameter(
    value: Any, name: str, *, default_today: bool = False
) -> pd.Timestamp | None: ...


def parse_date_parameter(
    value: Any, name: str, *, default_today: bool = False
) -> pd.Timestamp | None:
    """A date parameter at midnight; missing or blank gives ``None`` (or today).

    Parameters
    ----------
    value : str, date, Timestamp or None
        What the user gave (``"today"`` means today when ``default_today``).
    name : str
        The parameter's name, for the error message.
    default_today : bool
        Return today instead of ``None`` for a missing value.

    Raises
    ------
    ParameterError
        ``<name> '<value>' is not a date (expected YYYY-MM-DD)``.

    Examples
    --------
    >>> parse_date_parameter("2026-03-01", "start")
    Timestamp('2026-03-01 00:00:00')
    >>> parse_date_parameter("", "end") is None
    True
    """
    text = value.strip().lower() if isinstance(value, str) else None
    if value is None or text == "" or (default_today and text == "today"):
        return pd.Timestamp(date.today()) if default_today else None
    stamp: pd.Timestamp | NaTType
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ParameterError(f"{name} '{value}' is not a date (expected YYYY-MM-DD)")
    return stamp.normalize()
