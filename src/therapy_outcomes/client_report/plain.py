"""Plain-language names and formats shared by the report's wording.

The plain names (what a client would call what each questionnaire asks about) are written in
the instrument definitions (``plain_name``), beside the formal names.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from therapy_outcomes.instruments import Registry, default_registry


def plain_name(code: str, registry: Registry | None = None) -> str:
    """What an instrument measures, in plain words (its definition's ``plain_name``).

    The code itself when no definition knows it.

    Examples
    --------
    >>> plain_name("PHQ-9")
    'low mood'
    >>> plain_name("XYZ")
    'XYZ'
    """
    reg = registry if registry is not None else default_registry()
    return reg.get(code).plain_name if code in reg else code


def fmt_date(value: Any) -> str:
    """``12 Jan 2026`` (an empty string for a missing date).

    Examples
    --------
    >>> fmt_date(pd.Timestamp("2026-01-12"))
    '12 Jan 2026'
    """
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).strftime("%-d %b %Y")
