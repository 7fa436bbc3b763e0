"""The flow of the cohort's clients from referral to paired scores, and how complete each
questionnaire's data are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from therapy_outcomes.cohort_report.selection import CohortContext
from therapy_outcomes.outcomes.flow import outcome_flow

__all__ = ["completeness_table", "flow_table"]


def flow_table(ctx: CohortContext) -> pd.DataFrame:
    """:func:`outcome_flow` of every instrument side by side (raw counts; publish it).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> flow_table(example_cohort())["step"].iloc[0]
    'referred'
    """
    frames = []
    for code in ctx.instruments:
        f = outcome_flow(ctx.clients, ctx.sessions, ctx.scores, code)
        frames.append(f.set_index("step")["count"].rename(code))
    steps = outcome_flow(ctx.clients, ctx.sessions, ctx.scores, ctx.instruments[0])
    out = pd.concat(frames, axis=1).reset_index()
    words = steps["description"].str.replace(ctx.instruments[0], "questionnaire")
    out.insert(1, "description", words)
    return out


def completeness_table(ctx: CohortContext) -> pd.DataFrame:
    """Per instrument: clients, with any valid score, a baseline, 2+ scores, and percentages.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> completeness_table(example_cohort())["instrument"].tolist()
    ['PHQ-9', 'GAD-7']
    """
    n = len(ctx.clients)
    rows = []
    for code in ctx.instruments:
        sc = ctx.scores[ctx.scores["instrument"] == code]
        valid = sc[sc["valid"].astype(bool) & sc["total"].notna()]
        per = valid.groupby("client_id").size()
        rows.append(
            {
                "instrument": code,
                "clients": n,
                "administrations": len(sc),
                "invalid_administrations": int(len(sc) - len(valid)),
                "with_a_score": int((per >= 1).sum()),
                "with_two_or_more": int((per >= 2).sum()),
                "paired": len(ctx.pairs[code]),
            }
        )
    out = pd.DataFrame(rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["percent_paired"] = np.where(out["clients"] > 0, 100 * out["paired"] / n, np.nan)
    return out
