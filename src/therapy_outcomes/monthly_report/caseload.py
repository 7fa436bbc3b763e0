"""Caseload, sessions, did-not-attend and questionnaire completion of a month, and their trend.

A client is *active* in a month when their episode (``episode_start``, else ``referred_on``, to
``episode_end``, open when empty) overlaps it, *new* when it started in the month and
*discharged* when it ended in the month.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from therapy_outcomes.monthly_report.selection import MonthlyContext

__all__ = ["month_figures", "trend_table"]


def _month_figures(ctx: MonthlyContext, period: pd.Period) -> dict[str, Any]:
    m0 = period.start_time.normalize()
    m1 = min(period.end_time.normalize(), ctx.ds.as_of.normalize())
    c = ctx.clients
    began = c["episode_start"].fillna(c["referred_on"])
    ended = c["episode_end"]
    active = (began <= m1) & (ended.isna() | (ended >= m0))
    ses = ctx.sessions[(ctx.sessions["session_on"] >= m0) & (ctx.sessions["session_on"] <= m1)]
    attended = ses[ses["attendance"] == "attended"]
    dna = int((ses["attendance"] == "did_not_attend").sum())
    sc = ctx.scores[ctx.scores["valid"].astype(bool)]
    measured = set(sc["session_id"].dropna()) | set(
        zip(sc["client_id"], sc["administered_on"].dt.normalize(), strict=True)
    )
    attended_days = attended["session_on"].dt.normalize()
    with_measure = sum(
        1
        for session_id, client_id, day in zip(
            attended["session_id"], attended["client_id"], attended_days, strict=True
        )
        if session_id in measured or (client_id, day) in measured
    )
    n_att = len(attended)
    return {
        "month": str(period),
        "active": int(active.sum()),
        "new": int(((began >= m0) & (began <= m1)).sum()),
        "discharged": int(((ended >= m0) & (ended <= m1)).sum()),
        "sessions_attended": n_att,
        "did_not_attend": dna,
        "dna_rate": 100 * dna / (n_att + dna) if n_att + dna else np.nan,
        "sessions_with_questionnaire": with_measure,
        "completion_rate": 100 * with_measure / n_att if n_att else np.nan,
    }


def month_figures(ctx: MonthlyContext) -> dict[str, Any]:
    """Caseload (active, new, discharged), sessions attended, DNA and completion rates.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> sorted(month_figures(example_month()))[:3]
    ['active', 'completion_rate', 'did_not_attend']
    """
    return _month_figures(ctx, ctx.month)


def trend_table(ctx: MonthlyContext, months: int = 12) -> pd.DataFrame:
    """:func:`month_figures` of the last ``months`` months up to and including this one.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> trend_table(example_month(), months=3)["month"].tolist()
    ['2026-08', '2026-09', '2026-10']
    """
    periods = pd.period_range(end=ctx.month, periods=months, freq="M")
    return pd.DataFrame([_month_figures(ctx, p) for p in periods])
