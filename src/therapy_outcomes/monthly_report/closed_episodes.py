"""Outcomes of the episodes that closed in the month."""

from __future__ import annotations

from typing import Any

import pandas as pd

from therapy_outcomes.change.pairs import first_last_pairs
from therapy_outcomes.change.significance import SIGNIFICANCE_CATEGORIES, clinical_significance
from therapy_outcomes.monthly_report.selection import MonthlyContext

__all__ = ["closed_outcomes"]


def closed_outcomes(ctx: MonthlyContext) -> pd.DataFrame:
    """Categories of episodes that closed this month, per instrument (published thresholds).

    Uses :func:`therapy_outcomes.clinical_significance` with the instrument's reliable-change
    points and cut-off (with its inclusive side) on first/last pairs of the discharged clients.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> set(closed_outcomes(example_month()).get("instrument", [])) <= {"PHQ-9", "GAD-7", "CORE-10"}
    True
    """
    ended = ctx.clients["episode_end"]
    closed = set(
        ctx.clients.loc[(ended >= ctx.month_start) & (ended <= ctx.month_end), "client_id"]
    )
    rows = []
    for code in ("PHQ-9", "GAD-7", "CORE-10"):
        inst = ctx.ds.registry.get(code)
        sc = ctx.scores[ctx.scores["client_id"].isin(closed)]
        pairs = first_last_pairs(sc, code, as_of=ctx.month_end)
        if pairs.empty or inst.cutoff is None or inst.rc_threshold() is None:
            continue
        res = clinical_significance(
            pairs["pre"],
            pairs["post"],
            threshold=inst.rc_threshold(),
            better=inst.better,
            cutoff=inst.cutoff.value,
            clinical_side=inst.cutoff.clinical,
        )
        counts = res["category"].value_counts()
        row: dict[str, Any] = {"instrument": code, "paired": len(pairs)}
        row.update({c: int(counts.get(c, 0)) for c in SIGNIFICANCE_CATEGORIES})
        rows.append(row)
    return pd.DataFrame(rows)
