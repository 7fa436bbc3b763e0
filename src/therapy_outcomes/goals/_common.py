"""Helpers shared by the goal modules (not public API)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: When one goal has several ratings on the same day, the first rater in this order wins.
RATER_PREFERENCE: tuple[str, ...] = ("joint", "client", "therapist")


def to_day(values: pd.Series | object) -> pd.Series:
    """Dates normalised to midnight (NaT kept)."""
    return pd.to_datetime(pd.Series(values)).dt.normalize()


def prepare_ratings(
    goal_ratings: pd.DataFrame,
    goals: pd.DataFrame,
    *,
    goal_ids: Sequence[object] | None = None,
    as_of: pd.Timestamp | str | None = None,
    rater: str | None = None,
) -> pd.DataFrame:
    """One rating per goal per day, with the goal's client, sorted by goal and date.

    ``client_id`` always comes from ``goals`` (the rating's own, optional, column is ignored).
    Ratings after ``as_of`` and ratings without a value are dropped. With ``rater`` given, only
    that rater's ratings are used; otherwise same-day duplicates are resolved by
    :data:`RATER_PREFERENCE` (then the later row in the input).
    """
    r = goal_ratings.drop(columns=["client_id"], errors="ignore").copy()
    r["_order"] = np.arange(len(r))
    r["rated_on"] = to_day(r["rated_on"]).to_numpy()
    r["value"] = pd.to_numeric(r["value"], errors="coerce").astype(float)
    r = r[r["value"].notna() & r["rated_on"].notna()]
    if goal_ids is not None:
        r = r[r["goal_id"].isin(list(goal_ids))]
    if as_of is not None:
        r = r[r["rated_on"] <= pd.Timestamp(as_of)]
    rater_col = r["rater"].fillna("joint") if "rater" in r else pd.Series("joint", index=r.index)
    r["_rater"] = rater_col.astype(str)
    if rater is not None:
        r = r[r["_rater"] == rater]
    rank = {name: i for i, name in enumerate(RATER_PREFERENCE)}
    r["_rank"] = r["_rater"].map(rank).fillna(len(rank)).astype(int)
    r = r.sort_values(
        ["goal_id", "rated_on", "_rank", "_order"], ascending=[True, True, True, False]
    )
    r = r.drop_duplicates(["goal_id", "rated_on"], keep="first")
    r = r.merge(
        goals[["goal_id", "client_id"]].drop_duplicates("goal_id"), on="goal_id", how="inner"
    )
    return r.sort_values(["goal_id", "rated_on"]).reset_index(drop=True)


def goal_frame(goals: pd.DataFrame) -> pd.DataFrame:
    """Goals with numeric baseline/target/weight and normalised dates (missing columns added)."""
    g = goals.copy()
    for col in ("baseline", "target", "weight"):
        g[col] = pd.to_numeric(g[col], errors="coerce").astype(float) if col in g else np.nan
    for col in ("set_on", "target_date", "agreed_on"):
        g[col] = to_day(g[col]).to_numpy() if col in g else pd.NaT
    for col in ("statement", "values", "unit", "status", "measure", "revises_goal_id"):
        if col not in g:
            g[col] = pd.NA
    return g
