"""Pre-post effect sizes of the cohort beside published benchmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from therapy_outcomes.cohort_report.selection import CohortContext
from therapy_outcomes.outcomes.cohort import effect_sizes

__all__ = ["BENCHMARKS", "benchmark_table", "effect_size_table"]

#: Published pre-post effect-size benchmarks (clinical_measures.md Part F). Which d variant
#: each paper used is UNVERIFIED there; the report says so.
BENCHMARKS: dict[str, list[tuple[str, float]]] = {
    "PHQ-9": [
        ("Delgadillo 2014 high-performing IAPT", 0.91),
        ("Delgadillo 2014 average IAPT", 0.73),
        ("Delgadillo 2014 poorly performing IAPT", 0.46),
        ("Gaskell 2023 routine care, depression", 0.96),
    ],
    "GAD-7": [
        ("Delgadillo 2014 high-performing IAPT", 1.02),
        ("Delgadillo 2014 average IAPT", 0.78),
        ("Delgadillo 2014 poorly performing IAPT", 0.52),
        ("Gaskell 2023 routine care, anxiety", 0.80),
    ],
}


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
        benchmark of :data:`BENCHMARKS` (none for an instrument without benchmarks).

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
        value = float(est["estimate"].iat[0]) if len(est) else np.nan
        for label, bench in BENCHMARKS.get(code, []):
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
