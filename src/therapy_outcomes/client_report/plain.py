"""Plain-language names and formats shared by the report's wording.

The names are what a client would call what each questionnaire asks about; the instrument
definitions keep the formal names.
"""

from __future__ import annotations

import pandas as pd

#: What each questionnaire is about, in words a client would use.
PLAIN_NAMES = {
    "PHQ-9": "low mood",
    "PHQ-8": "low mood",
    "GAD-7": "worry and anxiety",
    "CORE-10": "general distress",
    "CORE-OM": "general distress",
    "ORS": "how life is going",
    "SRS": "how sessions feel",
    "WHO-5": "wellbeing",
    "K10": "distress",
    "WSAS": "effect on work and daily life",
    "PCL-5": "reactions to a stressful experience",
    "DASS-21": "stress, anxiety and low mood",
    "AUDIT-C": "drinking",
}


def plain_name(code: str) -> str:
    """What an instrument measures, in plain words (its code when unknown).

    Examples
    --------
    >>> plain_name("PHQ-9")
    'low mood'
    >>> plain_name("XYZ")
    'XYZ'
    """
    return PLAIN_NAMES.get(code, code)


def fmt_date(value: object) -> str:
    """``12 Jan 2026`` (an empty string for a missing date).

    Examples
    --------
    >>> fmt_date(pd.Timestamp("2026-01-12"))
    '12 Jan 2026'
    """
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).strftime("%-d %b %Y")
