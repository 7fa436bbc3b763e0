"""Active goals overdue for review at the month's end."""

from __future__ import annotations

import pandas as pd

from therapy_outcomes.monthly_report.selection import MonthlyContext

__all__ = ["goals_overdue"]


def goals_overdue(ctx: MonthlyContext) -> pd.DataFrame:
    """Active goals overdue for review at the month's end, per client (``client_id, goals``).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> list(goals_overdue(example_month()).columns)
    ['client_id', 'goals']
    """
    from therapy_outcomes.goals import review_status

    ids = set(ctx.clients["client_id"])
    goals = ctx.ds.goals[ctx.ds.goals["client_id"].isin(ids)]
    goals = goals[goals["set_on"] <= ctx.month_end]
    status = review_status(goals, ctx.ds.goal_ratings, as_of=ctx.month_end)
    c = ctx.clients.set_index("client_id")
    open_ = c["episode_end"].isna() | (c["episode_end"] > ctx.month_end)
    status = status[
        status["overdue"].astype(bool) & status["client_id"].map(open_).fillna(False).astype(bool)
    ]
    out = status.groupby("client_id").size().rename("goals").reset_index()
    return out
