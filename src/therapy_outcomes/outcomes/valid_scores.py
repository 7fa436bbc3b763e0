"""Valid scores of chosen instruments, with their day and input order (service metrics)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["valid_scores"]


def _day(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.normalize()


def valid_scores(scores: pd.DataFrame, instruments: Sequence[str]) -> pd.DataFrame:
    """Valid rows of ``instruments`` with a total, plus ``_order`` (input order) and ``_day``.

    Examples
    --------
    >>> s = pd.DataFrame({"instrument": ["PHQ-9", "GAD-7"], "total": [5.0, None],
    ...                   "valid": [True, True], "administered_on": ["2026-01-05", "2026-01-05"]})
    >>> valid_scores(s, ["PHQ-9", "GAD-7"])["instrument"].tolist()
    ['PHQ-9']
    """
    valid = scores["valid"].fillna(False).astype(bool) if "valid" in scores else True
    out = scores[valid & scores["instrument"].isin(list(instruments)) & scores["total"].notna()]
    out = out.copy()
    out["_order"] = np.arange(len(out))
    out["_day"] = _day(out["administered_on"])
    return out
