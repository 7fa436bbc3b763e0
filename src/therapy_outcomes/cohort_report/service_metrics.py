"""Service metrics of the cohort: NHS Talking Therapies recovery rates and CMS159."""

from __future__ import annotations

from typing import Any

import pandas as pd

from therapy_outcomes.cohort_report.selection import CohortContext

__all__ = ["cms159_table", "talking_therapies_table"]


def talking_therapies_table(ctx: CohortContext) -> tuple[pd.DataFrame, dict[str, Any]]:
    """NHS Talking Therapies rates of the cohort (PHQ-9 with GAD-7); raw table and counts.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> rates, counts = talking_therapies_table(example_cohort())
    >>> rates["metric"].iloc[0], "finished" in counts
    ('recovery', True)
    """
    from therapy_outcomes.outcomes.talking_therapies import (
        talking_therapies_outcomes,
        talking_therapies_rates,
    )

    if not {"PHQ-9", "GAD-7"} <= set(ctx.scores["instrument"]):
        return pd.DataFrame(), {}
    outcomes = talking_therapies_outcomes(
        ctx.scores, ctx.sessions, clients=ctx.clients, registry=ctx.ds.registry
    )
    rates = talking_therapies_rates(outcomes)
    finished = int(outcomes["finished_treatment"].fillna(False).astype(bool).sum())
    return rates, {"finished": finished}


def cms159_table(ctx: CohortContext) -> pd.DataFrame:
    """CMS159 remission and response at twelve months (raw; windows still open left out).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> cms159_table(example_cohort())["metric"].tolist()
    ['remission', 'response']
    """
    from therapy_outcomes.outcomes.cms159 import cms159, cms159_rates

    results = cms159(ctx.scores, as_of=ctx.ds.as_of)
    if results.empty:
        return pd.DataFrame(columns=["metric", "count", "denominator", "percent"])
    return cms159_rates(results)
