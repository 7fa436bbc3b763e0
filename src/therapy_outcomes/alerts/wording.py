"""How the alert explanations write numbers, dates, counts and measure names."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["count", "fmt_date", "fmt_num", "measure_name", "ordinal"]


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
    """ISO date ``YYYY-MM-DD``.

    Examples
    --------
    >>> fmt_date("2026-03-02 14:30")
    '2026-03-02'
    """
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
    """``'PHQ-9'``, or ``'PHQ-9 (parent-rated)'`` when the rater is not the client.

    Examples
    --------
    >>> measure_name("PHQ-9", "self"), measure_name("SDQ", "parent")
    ('PHQ-9', 'SDQ (parent-rated)')
    """
    if rater is None or pd.isna(rater) or str(rater) == "self":
        return code
    return f"{code} ({rater}-rated)"
