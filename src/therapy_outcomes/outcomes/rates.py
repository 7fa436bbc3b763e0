"""Proportions of a cohort with Wilson score intervals, overall and by group.

References
----------
- Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
  *JASA* 22, 209-212.
- Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion: comparison
  of seven methods. *Stat Med* 17, 857-872 (method 3).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["confidence_z", "rate_table", "wilson_interval"]


def confidence_z(ci: float) -> float:
    """The standard-normal quantile of a two-sided confidence level: ``z(1 - (1 - ci) / 2)``.

    Examples
    --------
    >>> round(confidence_z(0.95), 4)
    1.96
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1 (exclusive), got {ci!r}")
    return float(stats.norm.ppf(1 - (1 - ci) / 2))


def wilson_interval(
    successes: float | Sequence[float] | np.ndarray | pd.Series,
    n: float | Sequence[float] | np.ndarray | pd.Series,
    ci: float = 0.95,
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Wilson score interval for a proportion (no continuity correction).

    Newcombe (1998) method 3, from Wilson (1927). With ``p = x / n``, ``q = 1 - p`` and ``z`` the
    standard normal quantile for ``ci``::

        low, high = ( 2np + z^2 -/+ z * sqrt(z^2 + 4npq) ) / ( 2(n + z^2) )

    Parameters
    ----------
    successes, n : scalar or array-like
        Counts (broadcast together). ``0 <= successes <= n``.
    ci : float
        Confidence level.

    Returns
    -------
    (low, high)
        Proportions in [0, 1]; floats for scalar input, arrays otherwise. NaN where ``n == 0``.

    Raises
    ------
    ValueError
        If a count is negative or ``successes > n``.

    Examples
    --------
    Newcombe (1998) Table I, 81/263:

    >>> low, high = wilson_interval(81, 263)
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    >>> lo, hi = wilson_interval([0, 1], [20, 29])
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.0061], [0.1611, 0.1718])
    """
    z = confidence_z(ci)
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    x, m = np.broadcast_arrays(x, m)
    bad = (x < 0) | (m < 0) | (x > m)
    if np.any(bad & ~np.isnan(x) & ~np.isnan(m)):
        raise ValueError("counts must satisfy 0 <= successes <= n")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(m > 0, x / m, np.nan)
        q = 1 - p
        centre = 2 * m * p + z**2
        half = z * np.sqrt(z**2 + 4 * m * p * q)
        denom = 2 * (m + z**2)
        low = np.where(m > 0, (centre - half) / denom, np.nan)
        high = np.where(m > 0, (centre + half) / denom, np.nan)
    # exact 0 and 1 at the boundaries (floating point can leave -1e-17)
    low = np.where(x == 0, 0.0, np.clip(low, 0, 1))
    high = np.where(x == m, 1.0, np.clip(high, 0, 1))
    low = np.where(m > 0, low, np.nan)
    high = np.where(m > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def rate_table(
    categories: pd.Series,
    by: pd.Series | None = None,
    ci: float = 0.95,
    *,
    levels: Sequence[object] | None = None,
) -> pd.DataFrame:
    """Counts, percentages and Wilson intervals of each category, overall or per group.

    For each group (or the whole series when ``by`` is None) and each category: ``count`` = rows
    in that category, ``n`` = rows in the group with a non-missing category, ``percent`` =
    ``100 * count / n`` and ``ci_low``/``ci_high`` the :func:`wilson_interval` limits, also in
    percent. Missing categories are left out of ``n``; categories absent from a group appear with
    count 0 so every group lists every level.

    Parameters
    ----------
    categories : Series
        One value per unit (e.g. each client's outcome category; booleans are fine).
    by : Series, optional
        Group of each unit, aligned on the index with ``categories``. Rows with a missing group
        are left out.
    ci : float
        Confidence level.
    levels : sequence, optional
        Categories to list, in order (default: categorical order, else sorted observed values).

    Returns
    -------
    DataFrame
        Columns ``[by.name or "group",] category, count, n, percent, ci_low, ci_high``.
        Pass it to :func:`therapy_outcomes.outcomes.disclosure.suppress_small_cells` before
        publishing.

    Examples
    --------
    >>> s = pd.Series(["recovered"] * 3 + ["not recovered"])
    >>> rate_table(s)[["category", "count", "n", "percent"]]
            category  count  n  percent
    0  not recovered      1  4     25.0
    1      recovered      3  4     75.0
    """
    cats = pd.Series(categories)
    if levels is None:
        if isinstance(cats.dtype, pd.CategoricalDtype):
            levels = list(cats.cat.categories)
        else:
            levels = sorted(cats.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    levels = list(levels)
    if by is None:
        groups = pd.Series("all", index=cats.index)
        group_name = None
    else:
        groups = pd.Series(by).reindex(cats.index)
        group_name = groups.name if groups.name is not None else "group"
    frame = pd.DataFrame({"g": groups, "c": cats}).dropna(subset=["g"])
    frame = frame[frame["c"].notna()]
    if by is None:
        group_keys = ["all"]
    elif isinstance(groups.dtype, pd.CategoricalDtype):
        group_keys = list(groups.cat.categories)
    else:
        group_keys = sorted(frame["g"].unique().tolist(), key=lambda v: (str(type(v)), v))
    rows = []
    for g in group_keys:
        sub = frame.loc[frame["g"] == g, "c"]
        n = int(sub.size)
        counts = sub.value_counts()
        for level in levels:
            rows.append({"group": g, "category": level, "count": int(counts.get(level, 0)), "n": n})
    out = pd.DataFrame(rows, columns=["group", "category", "count", "n"])
    low, high = wilson_interval(out["count"].to_numpy(), out["n"].to_numpy(), ci)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["percent"] = np.where(out["n"] > 0, 100 * out["count"] / out["n"], np.nan)
    out["ci_low"] = 100 * np.asarray(low)
    out["ci_high"] = 100 * np.asarray(high)
    if by is None:
        return out.drop(columns="group")
    return out.rename(columns={"group": group_name})
