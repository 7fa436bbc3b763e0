"""Goal outcomes of the cohort: GAS T-scores, Goal-Based Outcomes change and the SMART audit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from therapy_outcomes.cohort_report.selection import CohortContext

__all__ = ["goal_tables"]


def goal_tables(ctx: CohortContext) -> dict[str, pd.DataFrame]:
    """GAS T-scores (latest per client), GBO change and SMART pass rates by goal category.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> sorted(goal_tables(example_cohort()))
    ['gas', 'gbo', 'smart']
    """
    from therapy_outcomes.goals import gas_tscores, gbo_change, smart_audit

    as_of = ctx.ds.as_of
    out: dict[str, pd.DataFrame] = {}
    gas = gas_tscores(ctx.goal_ratings, ctx.goals)
    if len(gas):
        latest = (
            gas.sort_values("rated_on" if "rated_on" in gas else gas.columns[1])
            .groupby("client_id")
            .tail(1)
        )
        latest = latest.assign(group=ctx.group.reindex(latest["client_id"].astype(str)).to_numpy())
        groups: list[tuple[object, pd.DataFrame]] = [("all", latest)]
        if ctx.group_by is not None:
            groups += sorted(latest.groupby("group"), key=lambda x: str(x[0]))
        out["gas"] = pd.DataFrame(
            [
                {
                    ctx.group_label: g,
                    "clients": len(s),
                    "mean_tscore": float(s["tscore"].mean()),
                    "at_or_above_50": int((s["tscore"] >= 50).sum()),
                }
                for g, s in groups
            ]
        )
    gbo = gbo_change(ctx.goal_ratings, ctx.goals, as_of=as_of)
    gbo = gbo[gbo["change"].notna()]
    out["gbo"] = pd.DataFrame(
        [
            {
                "goals": len(gbo),
                "clients": int(gbo["client_id"].nunique()),
                "mean_change": float(gbo["change"].mean()) if len(gbo) else np.nan,
                "improved_by_3_or_more": int((gbo["change"] >= 3).sum()),
            }
        ]
    )
    smart = smart_audit(ctx.goals, ctx.goal_ratings, ctx.scores, as_of=as_of)
    smart = smart.merge(ctx.goals[["goal_id", "category"]], on="goal_id", how="left")
    rows = []
    for cat, sub in sorted(smart.groupby("category"), key=lambda x: str(x[0])):
        row: dict[str, Any] = {"category": cat, "goals": len(sub)}
        for letter in ("specific", "measurable", "achievable", "relevant", "time_bound"):
            row[letter] = int(sub[letter].astype("boolean").fillna(False).sum())
        rows.append(row)
    out["smart"] = pd.DataFrame(rows)
    return out
