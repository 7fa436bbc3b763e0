"""Pre-post effect sizes of the cohort beside published benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from therapy_outcomes.cohort_report.selection import CohortContext
from therapy_outcomes.instruments import Registry, default_registry
from therapy_outcomes.outcomes.effect_sizes import effect_sizes

__all__ = ["benchmark_table", "benchmarks", "effect_size_table"]


def benchmarks(code: str, registry: Registry | None = None) -> list[tuple[str, float]]:
    """Published pre-post effect-size benchmarks of one instrument, from its definition.

    Which d variant each paper used is UNVERIFIED (the report says so).

    Examples
    --------
    >>> benchmarks("PHQ-9")[1]
    ('Delgadillo 2014 average IAPT', 0.73)
    >>> benchmarks("ORS")
    []
    """
    reg = registry if registry is not None else default_registry()
    if code not in reg:
        return []
    return [(b.label, b.effect_size) for b in reg.get(code).benchmarks]


def effect_size_table(ctx: CohortContext, hedges: bool = False) -> pd.DataFrame:
    """Pre-post effect sizes (d_z, d_rm, d_av, d_pre) per instrument, completers' pairs.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> effect_size_table(example_cohort())["name"].tolist()[:4]
    ['d_z', 'd_rm', 'd_av', 'd_pre']
    """
    frames = []
    for code in ctx.instruments:
        p = ctx.pairs[code]
        es = effect_sizes(
            p["pre"], p["post"], better=ctx.ds.registry.get(code).better, hedges=hedges
        )
        es.insert(0, "instrument", code)
        frames.append(es)
    return pd.concat(frames, ignore_index=True)


def benchmark_table(ctx: CohortContext, effects: pd.DataFrame) -> pd.DataFrame:
    """The cohort's d_pre beside each published benchmark of its instrument.

    Parameters
    ----------
    ctx : CohortContext
    effects : pandas.DataFrame
        :func:`effect_size_table` of the cohort.

    Returns
    -------
    pandas.DataFrame
        ``instrument, benchmark, benchmark_d, cohort_d_pre, difference``, one row per
        benchmark in its definition (:func:`benchmarks`; none for an instrument without).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> ctx = example_cohort()
    >>> benchmark_table(ctx, effect_size_table(ctx))["benchmark"].iloc[0]
    'Delgadillo 2014 high-performing IAPT'
    """
    rows = []
    for code in ctx.instruments:
        est = effects[(effects["instrument"] == code) & (effects["name"] == "d_pre")]
        value = float(est["estimate"].iloc[0]) if len(est) else np.nan
        for label, bench in benchmarks(code, ctx.ds.registry):
            rows.append(
                {
                    "instrument": code,
                    "benchmark": label,
                    "benchmark_d": bench,
                    "cohort_d_pre": value,
                    "difference": value - bench,
                }
            )
    return pd.DataFrame(rows)
