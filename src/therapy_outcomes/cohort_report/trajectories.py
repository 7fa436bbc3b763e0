"""The cohort's scores over treatment: mean trajectories by occasion, and change by the number
of sessions attended (dose-response).

The model-based curves are in :mod:`therapy_outcomes.cohort_report.growth_curves`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from therapy_outcomes.cohort_report.selection import CohortContext

__all__ = ["dose_response", "trajectory"]


def trajectory(ctx: CohortContext, code: str) -> pd.DataFrame:
    """Mean score by occasion (1st, 2nd, ... valid score) and group, with a 95 % CI.

    Occasions seen by fewer than ``min_cell`` clients of a group are left out (not hidden
    behind a marker: a chart cannot show one).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> traj = trajectory(example_cohort(), "PHQ-9")
    >>> bool((traj["clients"] >= 5).all())
    True
    """
    sc = ctx.scores[(ctx.scores["instrument"] == code) & ctx.scores["valid"].astype(bool)]
    sc = sc[sc["total"].notna()].sort_values(["client_id", "administered_on"], kind="mergesort")
    sc = sc.assign(occasion=sc.groupby("client_id").cumcount() + 1)
    sc["group"] = ctx.group.reindex(sc["client_id"].astype(str)).to_numpy()
    parts = [sc.assign(group="all")]
    if ctx.group_by is not None:
        parts.append(sc)
    both = pd.concat(parts, ignore_index=True)
    agg = both.groupby(["group", "occasion"])["total"].agg(["mean", "std", "count"]).reset_index()
    agg = agg[agg["count"] >= ctx.min_cell].copy()
    half = 1.96 * agg["std"] / np.sqrt(agg["count"])
    agg["ci_low"], agg["ci_high"] = agg["mean"] - half, agg["mean"] + half
    return agg.rename(columns={"count": "clients"}).reset_index(drop=True)


def dose_response(ctx: CohortContext, code: str) -> pd.DataFrame:
    """Mean change (better direction positive) by attended treatment sessions, banded.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> dose_response(example_cohort(), "PHQ-9")["sessions_attended"].tolist()
    ['1-3', '4-6', '7-9', '10-12', '13+']
    """
    p = ctx.pairs[code]
    att = ctx.sessions[ctx.sessions["attendance"] == "attended"]
    n = att.groupby("client_id").size()
    sign = -1 if ctx.ds.registry.get(code).better == "lower" else 1
    frame = pd.DataFrame(
        {
            "sessions": n.reindex(p["client_id"]).fillna(0).to_numpy(),
            "improvement": sign * (p["post"] - p["pre"]).to_numpy(),
        }
    )
    bins = [0, 3, 6, 9, 12, np.inf]
    labels = ["1-3", "4-6", "7-9", "10-12", "13+"]
    frame["sessions_attended"] = pd.cut(frame["sessions"], bins=bins, labels=labels)
    agg = (
        frame.groupby("sessions_attended", observed=False)["improvement"]
        .agg(["count", "mean", "std"])
        .reset_index()
    )
    agg = agg.rename(columns={"count": "clients", "mean": "mean_improvement", "std": "sd"})
    agg["clients"] = agg["clients"].astype("int64")
    agg["sessions_attended"] = agg["sessions_attended"].astype(str)
    return agg
