"""Baseline characteristics of the cohort by group."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from therapy_outcomes.cohort_report.selection import CohortContext

__all__ = ["baseline_table"]


def baseline_table(ctx: CohortContext) -> pd.DataFrame:
    """Baseline characteristics by group: clients, women, mean age, mean first score per
    instrument, completed episodes and drop-outs (raw; publish it).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> baseline_table(example_cohort())["site"].iloc[0]
    'all'
    """
    c = ctx.clients.copy()
    c["group"] = ctx.group.reindex(c["client_id"].astype(str)).to_numpy()
    began = c["episode_start"].fillna(c["referred_on"])
    c["age"] = began.dt.year - c["birth_year"]
    rows = []
    for g, sub in [("all", c), *sorted(c.groupby("group"), key=lambda x: str(x[0]))]:
        if ctx.group_by is None and g != "all":
            continue
        row: dict[str, Any] = {
            ctx.group_label: g,
            "clients": len(sub),
            "female": int((sub["sex"] == "female").sum()),
            "completed": int((sub["end_reason"] == "completed").sum()),
            "dropped_out": int((sub["end_reason"] == "dropped_out").sum()),
            "mean_age": float(sub["age"].mean()),
        }
        for code in ctx.instruments:
            first = (
                ctx.scores[
                    (ctx.scores["instrument"] == code)
                    & ctx.scores["valid"].astype(bool)
                    & ctx.scores["client_id"].isin(sub["client_id"])
                ]
                .sort_values("administered_on")
                .groupby("client_id")["total"]
                .first()
            )
            row[f"mean_baseline_{code}"] = float(first.mean()) if len(first) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)
