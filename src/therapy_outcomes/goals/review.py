"""Goal reviews: when each goal was last reviewed, what is overdue, and revision histories."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from therapy_outcomes.goals._common import goal_frame, prepare_ratings

__all__ = ["review_status", "revision_chains"]


def review_status(
    goals: pd.DataFrame,
    goal_ratings: pd.DataFrame,
    *,
    as_of: pd.Timestamp | str,
    review_interval_days: int = 28,
    target_past_due_excludes: Sequence[str] = ("achieved",),
) -> pd.DataFrame:
    """Review status of every goal at ``as_of``.

    - ``last_review``: the latest rating date on or before ``as_of`` (NaT if never rated).
    - ``next_review_due``: ``(last_review, or set_on if never rated) + review_interval_days``.
    - ``overdue``: the goal is ``active`` and ``as_of`` is after ``next_review_due``;
      ``days_overdue`` counts the days past it (0 when not overdue). Goals that are achieved,
      revised or discontinued are never overdue for review.
    - ``target_past_due``: ``target_date < as_of`` and the status is not in
      ``target_past_due_excludes`` (default: not ``achieved``, as specified for this package;
      pass ``("achieved", "revised", "discontinued")`` to flag live goals only).

    Parameters
    ----------
    goals, goal_ratings : DataFrame
        As loaded.
    as_of : date-like
        The report date.
    review_interval_days : int
        Days allowed between reviews.
    target_past_due_excludes : sequence of str
        Statuses never flagged as past their target date.

    Returns
    -------
    DataFrame
        ``goal_id, client_id, status, set_on, last_review, n_reviews, next_review_due,
        overdue, days_overdue, target_date, target_past_due``.

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["G1"], "client_id": ["C1"], "status": ["active"],
    ...     "set_on": pd.to_datetime(["2026-01-05"]),
    ...     "target_date": pd.to_datetime(["2026-03-01"])})
    >>> ratings = pd.DataFrame({"goal_id": ["G1"], "rated_on": pd.to_datetime(["2026-02-02"]),
    ...                         "value": [3.0]})
    >>> review_status(goals, ratings, as_of="2026-03-10")[
    ...     ["last_review", "next_review_due", "overdue", "days_overdue", "target_past_due"]]
      last_review next_review_due  overdue  days_overdue  target_past_due
    0  2026-02-02      2026-03-02     True             8             True
    """
    as_of = pd.Timestamp(as_of).normalize()
    g = goal_frame(goals)
    r = prepare_ratings(goal_ratings, g, as_of=as_of)
    grp = r.groupby("goal_id")
    last = grp["rated_on"].max()
    count = grp.size()
    out = g[["goal_id", "client_id", "status", "set_on"]].copy()
    out["last_review"] = last.reindex(out["goal_id"]).to_numpy()
    out["n_reviews"] = count.reindex(out["goal_id"]).fillna(0).astype(int).to_numpy()
    ref = out["last_review"].fillna(out["set_on"])
    out["next_review_due"] = ref + pd.Timedelta(days=review_interval_days)
    active = (out["status"].astype("string") == "active").fillna(False).astype(bool)
    late_days = (as_of - out["next_review_due"]).dt.days
    out["overdue"] = active & (late_days > 0).fillna(False).astype(bool)
    out["days_overdue"] = np.where(out["overdue"], late_days.fillna(0), 0).astype(int)
    out["target_date"] = g["target_date"].to_numpy()
    excluded = out["status"].astype("string").isin(list(target_past_due_excludes)).fillna(False)
    out["target_past_due"] = (out["target_date"] < as_of).fillna(False).astype(
        bool
    ) & ~excluded.astype(bool)
    return out.reset_index(drop=True)


def revision_chains(goals: pd.DataFrame) -> pd.DataFrame:
    """Each goal's place in its revision history.

    A revision is a new goal whose ``revises_goal_id`` names the goal it replaces
    (data/README.md). Following ``revises_goal_id`` back from a goal reaches its **root** (the
    original goal); ``position`` is the number of revisions between the root and the goal
    (root = 0); ``chain`` lists the goal ids from the root to this goal. ``is_latest`` is True
    when no goal revises this one. A ``revises_goal_id`` that names a goal not in ``goals`` is
    treated as absent (the goal becomes a root) and reported in ``broken_link``; a cycle is cut
    where it closes.

    Parameters
    ----------
    goals : DataFrame
        As loaded (``goal_id``, ``revises_goal_id``; ``client_id``, ``set_on``, ``status``
        when present are carried over).

    Returns
    -------
    DataFrame
        ``goal_id, client_id, root_goal_id, position, chain, chain_text, is_latest,
        broken_link, set_on, status``, ordered by root and position.

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["G1", "G2", "G3"], "client_id": ["C1"] * 3,
    ...                       "revises_goal_id": [None, "G1", "G2"],
    ...                       "status": ["revised", "revised", "active"]})
    >>> revision_chains(goals)[["goal_id", "root_goal_id", "position", "chain_text", "is_latest"]]
      goal_id root_goal_id  position    chain_text  is_latest
    0      G1           G1         0            G1      False
    1      G2           G1         1       G1 > G2      False
    2      G3           G1         2  G1 > G2 > G3       True
    """
    g = goal_frame(goals)
    ids = g["goal_id"].tolist()
    known = set(ids)
    parent: dict[object, object] = {}
    broken: dict[object, object] = {}
    for gid, prev in zip(ids, g["revises_goal_id"].tolist(), strict=True):
        if pd.isna(prev) or (isinstance(prev, str) and not prev.strip()):
            continue
        if prev in known:
            parent[gid] = prev
        else:
            broken[gid] = prev
    revised = set(parent.values())
    rows = []
    for gid in ids:
        path = [gid]
        seen = {gid}
        node = gid
        while node in parent and parent[node] not in seen:
            node = parent[node]
            path.append(node)
            seen.add(node)
        path.reverse()
        rows.append(
            {
                "goal_id": gid,
                "root_goal_id": path[0],
                "position": len(path) - 1,
                "chain": path,
                "chain_text": " > ".join(str(p) for p in path),
                "is_latest": gid not in revised,
                "broken_link": broken.get(gid, pd.NA),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "goal_id", "root_goal_id", "position", "chain", "chain_text", "is_latest",
            "broken_link",
        ],
    )  # fmt: skip
    extra = g[["goal_id", "client_id", "set_on", "status"]]
    out = out.merge(extra, on="goal_id", how="left")
    cols = ["goal_id", "client_id", "root_goal_id", "position", "chain", "chain_text"]
    out = out[[*cols, "is_latest", "broken_link", "set_on", "status"]]
    return out.sort_values(["root_goal_id", "position", "goal_id"], kind="stable").reset_index(
        drop=True
    )
