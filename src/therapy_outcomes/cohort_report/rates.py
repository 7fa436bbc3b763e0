"""Clinical-significance categories of the cohort: counts and rates with Wilson intervals."""

from __future__ import annotations

import pandas as pd

from therapy_outcomes.change.significance import SIGNIFICANCE_CATEGORIES
from therapy_outcomes.cohort_report.publish import publish
from therapy_outcomes.cohort_report.selection import CohortContext
from therapy_outcomes.outcomes.rates import rate_table, wilson_interval

__all__ = ["category_counts", "category_rates", "wilson_percent"]


def _rates(ctx: CohortContext, frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """rate_table of ``frame['category']`` overall or by group (raw)."""
    cats = frame["category"]
    if by is None:
        table = rate_table(cats, levels=list(SIGNIFICANCE_CATEGORIES))
        table.insert(0, ctx.group_label, "all")
    else:
        groups = pd.Series(frame["group"].to_numpy(), index=frame.index, name=ctx.group_label)
        table = rate_table(cats, by=groups, levels=list(SIGNIFICANCE_CATEGORIES))
    return table


def category_rates(ctx: CohortContext, code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clinical-significance categories with Wilson CIs, overall then by group.

    Returns
    -------
    (raw, published) : DataFrame, DataFrame
        ``group, category, count, n, percent, ci_low, ci_high``: overall rows (group ``all``)
        first, then one block per group when grouped. ``published`` went through
        :func:`publish` (per-group totals ``n`` declared, so a hidden count cannot be found by
        subtraction within its group).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> raw, pub = category_rates(example_cohort(), "PHQ-9")
    >>> list(pub.columns)
    ['site', 'category', 'count', 'n', 'percent', 'ci_low', 'ci_high']
    """
    frame = ctx.significance[code]
    parts = [_rates(ctx, frame, None)]
    if ctx.group_by is not None:
        parts.append(_rates(ctx, frame, ctx.group_by))
    raw = pd.concat(parts, ignore_index=True)
    pub = publish(
        raw,
        ctx,
        counts=["count", "n"],
        derived={c: ["count", "n"] for c in ("percent", "ci_low", "ci_high")},
        group_by=ctx.group_label,
        group_total="n",
    )
    return raw, pub


def category_counts(ctx: CohortContext, code: str) -> dict[str, int]:
    """Category -> count of the whole cohort (what the report glues for the tests).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> sum(category_counts(example_cohort(), "PHQ-9").values()) == len(
    ...     example_cohort().pairs["PHQ-9"])
    True
    """
    counts = ctx.significance[code]["category"].value_counts()
    return {c: int(counts.get(c, 0)) for c in SIGNIFICANCE_CATEGORIES}


def wilson_percent(count: int, n: int) -> tuple[float, float]:
    """Wilson 95 % interval in percent (NaN for n = 0).

    Examples
    --------
    >>> [round(x, 1) for x in wilson_percent(5, 10)]
    [23.7, 76.3]
    """
    lo, hi = wilson_interval(count, n)
    return 100 * float(lo), 100 * float(hi)
