"""Cohort-level change: pre-post effect sizes, Wilson intervals, rate tables and flow of counts.

Everything here works on a whole cohort (a service, a site, a therapist's caseload) rather than
on one client. All functions take pandas/numpy in and give pandas out.

Sign convention
---------------
Every effect size in this module is **positive when the cohort improved** in the direction
``better`` names: for a symptom measure where lower is better (PHQ-9, GAD-7) the mean change is
``pre - post``; for a measure where higher is better (WHO-5, ORS) it is ``post - pre``.

References
----------
Formulas and standard errors follow ``shared/reference/clinical_measures.md`` Part F, which
transcribes easystats/effectsize ``R/repeated_measures_d.R`` (``.paired_d``):

- Cohen, J. (1988). *Statistical power analysis for the behavioral sciences* (2nd ed.), p. 48
  (d_z and the sqrt(2(1 - r)) conversion to d_rm).
- Cumming, G. (2013). *Understanding the new statistics*, p. 291 (d_av).
- Becker, B. J. (1988). Synthesizing standardized mean-change measures. *Br J Math Stat Psychol*
  41, 257-278 (pre-SD standardiser, its SE: eq. 6).
- Hedges, L. V. & Olkin, I. (1985). *Statistical methods for meta-analysis*, p. 86 eq. 14 (SE of
  d_z); Cooper, Hedges & Valentine (2009) eq. 12.21 (SE of d_rm); Algina & Keselman (2003) eq. 4
  (SE of d_av).
- Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative science.
  *Front. Psychol.* 4:863 (worked example used in the tests).
- Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
  *JASA* 22, 209-212; Newcombe, R. G. (1998). Two-sided confidence intervals for the single
  proportion: comparison of seven methods. *Stat Med* 17, 857-872 (method 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats

__all__ = [
    "EFFECT_SIZE_VARIANTS",
    "effect_sizes",
    "hedges_j",
    "outcome_flow",
    "rate_table",
    "wilson_interval",
]

#: Variants :func:`effect_sizes` knows, in the order it reports them.
EFFECT_SIZE_VARIANTS: tuple[str, ...] = ("d_z", "d_rm", "d_av", "d_pre")


def _z(ci: float) -> float:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1 (exclusive), got {ci!r}")
    return float(stats.norm.ppf(1 - (1 - ci) / 2))


def hedges_j(df: float | np.ndarray) -> float | np.ndarray:
    """Hedges' small-sample bias correction factor J.

    Formula (exact form, Hedges 1981; Hedges & Olkin 1985)::

        J(df) = Gamma(df / 2) / ( sqrt(df / 2) * Gamma((df - 1) / 2) )

    which is close to the familiar approximation ``1 - 3 / (4 df - 1)``. For paired designs
    ``df = n - 1`` (as in easystats/effectsize ``repeated_measures_d(adjust = TRUE)``).

    Parameters
    ----------
    df : float or array
        Degrees of freedom (> 1).

    Returns
    -------
    float or ndarray
        The correction factor (< 1); NaN where ``df <= 1``.

    Examples
    --------
    >>> round(float(hedges_j(9)), 4)
    0.9139
    >>> round(1 - 3 / (4 * 9 - 1), 4)
    0.9143
    """
    d = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(
            d > 1,
            np.exp(special.gammaln(d / 2) - 0.5 * np.log(d / 2) - special.gammaln((d - 1) / 2)),
            np.nan,
        )
    return float(out) if out.ndim == 0 else out


def _numeric(values: object) -> np.ndarray:
    """Positional float array (NaN for missing / non-numeric); pandas index ignored."""
    return pd.to_numeric(pd.Series(list(values)), errors="coerce").to_numpy(dtype=float)


def effect_sizes(
    pre: Sequence[float] | np.ndarray | pd.Series,
    post: Sequence[float] | np.ndarray | pd.Series,
    *,
    better: Literal["lower", "higher"] = "lower",
    variants: Iterable[str] = EFFECT_SIZE_VARIANTS,
    ci: float = 0.95,
    hedges: bool = False,
) -> pd.DataFrame:
    """Pre-post (repeated-measures) standardised mean change, several standardisers.

    Pairs where either score is missing are dropped. With ``m`` the mean change in the better
    direction (``pre - post`` when lower is better, ``post - pre`` otherwise), ``r`` the Pearson
    correlation of pre and post, ``n`` the number of complete pairs:

    ======  =============================================  ======================================
    name    estimate                                       standard error
    ======  =============================================  ======================================
    d_z     m / sd(post - pre)                             sqrt(1/n + d^2 / (2n))
    d_rm    m / ( sd(post - pre) / sqrt(2(1 - r)) )        sqrt((1/n + d^2 / (2n)) * 2(1 - r))
    d_av    m / sqrt((var(pre) + var(post)) / 2)           sqrt(var(post - pre) / n) / s_av
    d_pre   m / sd(pre)          (Becker's d)              sqrt(2(1 - r)/n + d^2 / (2n))
    ======  =============================================  ======================================

    SDs and variances use ``n - 1``. The confidence interval is the normal one,
    ``d -/+ z * se`` (as easystats/effectsize). With ``hedges=True`` the estimate, SE and both
    limits are multiplied by :func:`hedges_j` with ``df = n - 1`` (effectsize multiplies the
    estimate and the limits; scaling the SE the same way keeps ``ci = d -/+ z * se``).

    **Sign**: positive = the cohort improved in the ``better`` direction.

    Parameters
    ----------
    pre, post : array-like
        Paired scores (same length, same order).
    better : {"lower", "higher"}
        Which direction of the scale is better.
    variants : iterable of str
        Any of ``"d_z"``, ``"d_rm"``, ``"d_av"``, ``"d_pre"``.
    ci : float
        Confidence level.
    hedges : bool
        Apply Hedges' small-sample correction.

    Returns
    -------
    DataFrame
        One row per variant: ``name, estimate, se, ci_low, ci_high, n, r, mean_change,
        standardiser, hedges``. With fewer than 2 complete pairs, or a zero standardiser, the
        numbers are NaN.

    Notes
    -----
    Source: clinical_measures.md Part F (easystats/effectsize ``.paired_d``). Which variant a
    published benchmark used (e.g. Delgadillo et al. 2014 IAPT benchmarks, PHQ-9 0.91/0.73/0.46)
    differs by paper and is UNVERIFIED there; check before comparing.

    Examples
    --------
    Lakens (2013) movie-rating example (higher rating = "better" here, so movie 1 is "post"):

    >>> m1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
    >>> m2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
    >>> es = effect_sizes(m2, m1, better="higher")
    >>> es.set_index("name")["estimate"].round(2).to_dict()
    {'d_z': 1.5, 'd_rm': 1.11, 'd_av': 1.13, 'd_pre': 1.05}
    """
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', got {better!r}")
    variants = tuple(variants)
    unknown = [v for v in variants if v not in EFFECT_SIZE_VARIANTS]
    if unknown:
        raise ValueError(f"unknown variants {unknown}; choose from {EFFECT_SIZE_VARIANTS}")
    z = _z(ci)
    x = _numeric(pre)
    y = _numeric(post)
    if x.shape != y.shape:
        raise ValueError(f"pre and post must have the same length ({x.size} != {y.size})")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = int(x.size)
    change = (x - y) if better == "lower" else (y - x)

    rows = []
    with np.errstate(invalid="ignore", divide="ignore"):
        if n >= 2:
            m = float(change.mean())
            sd_diff = float(change.std(ddof=1))
            var_x, var_y = float(x.var(ddof=1)), float(y.var(ddof=1))
            r = float(np.corrcoef(x, y)[0, 1]) if var_x > 0 and var_y > 0 else np.nan
        else:
            m = float(change.mean()) if n else np.nan
            sd_diff = var_x = var_y = r = np.nan
        f = 2 * (1 - r)
        for name in variants:
            if name == "d_z":
                s = sd_diff
                d = m / s
                se = np.sqrt(1 / n + d**2 / (2 * n))
            elif name == "d_rm":
                s = sd_diff / np.sqrt(f)
                d = m / s
                se = np.sqrt((1 / n + d**2 / (2 * n)) * f)
            elif name == "d_av":
                s = np.sqrt((var_x + var_y) / 2)
                d = m / s
                se = np.sqrt(sd_diff**2 / n) / s
            else:  # d_pre
                s = np.sqrt(var_x)
                d = m / s
                se = np.sqrt(f / n + d**2 / (2 * n))
            if n < 2 or not np.isfinite(d) or not np.isfinite(s) or s == 0:
                d = se = np.nan
            lo, hi = d - z * se, d + z * se
            if hedges:
                j = hedges_j(n - 1) if n >= 3 else np.nan
                d, se, lo, hi = d * j, se * j, lo * j, hi * j
            rows.append(
                {
                    "name": name,
                    "estimate": float(d),
                    "se": float(se),
                    "ci_low": float(lo),
                    "ci_high": float(hi),
                    "n": n,
                    "r": float(r),
                    "mean_change": float(m),
                    "standardiser": float(s) if np.isfinite(s) else np.nan,
                    "hedges": bool(hedges),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "name",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "n",
            "r",
            "mean_change",
            "standardiser",
            "hedges",
        ],
    )


def wilson_interval(
    successes: float | Sequence[float] | np.ndarray | pd.Series,
    n: float | Sequence[float] | np.ndarray | pd.Series,
    ci: float = 0.95,
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Wilson score interval for a proportion (no continuity correction).

    Newcombe (1998) method 3, from Wilson (1927). With ``p = x / n``, ``q = 1 - p`` and ``z`` the
    standard normal quantile for ``ci``::

        low, high = ( 2np + z^2 -/+ z * sqrt(z^2 + 4npq) ) / ( 2(n + z^2) )

    Parameters
    ----------
    successes, n : scalar or array-like
        Counts (broadcast together). ``0 <= successes <= n``.
    ci : float
        Confidence level.

    Returns
    -------
    (low, high)
        Proportions in [0, 1]; floats for scalar input, arrays otherwise. NaN where ``n == 0``.

    Raises
    ------
    ValueError
        If a count is negative or ``successes > n``.

    Examples
    --------
    Newcombe (1998) Table I, 81/263:

    >>> low, high = wilson_interval(81, 263)
    >>> round(low, 4), round(high, 4)
    (0.2553, 0.3662)
    >>> lo, hi = wilson_interval([0, 1], [20, 29])
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.0061], [0.1611, 0.1718])
    """
    z = _z(ci)
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    x, m = np.broadcast_arrays(x, m)
    bad = (x < 0) | (m < 0) | (x > m)
    if np.any(bad & ~np.isnan(x) & ~np.isnan(m)):
        raise ValueError("counts must satisfy 0 <= successes <= n")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(m > 0, x / m, np.nan)
        q = 1 - p
        centre = 2 * m * p + z**2
        half = z * np.sqrt(z**2 + 4 * m * p * q)
        denom = 2 * (m + z**2)
        low = np.where(m > 0, (centre - half) / denom, np.nan)
        high = np.where(m > 0, (centre + half) / denom, np.nan)
    # exact 0 and 1 at the boundaries (floating point can leave -1e-17)
    low = np.where(x == 0, 0.0, np.clip(low, 0, 1))
    high = np.where(x == m, 1.0, np.clip(high, 0, 1))
    low = np.where(m > 0, low, np.nan)
    high = np.where(m > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def rate_table(
    categories: pd.Series,
    by: pd.Series | None = None,
    ci: float = 0.95,
    *,
    levels: Sequence[object] | None = None,
) -> pd.DataFrame:
    """Counts, percentages and Wilson intervals of each category, overall or per group.

    For each group (or the whole series when ``by`` is None) and each category: ``count`` = rows
    in that category, ``n`` = rows in the group with a non-missing category, ``percent`` =
    ``100 * count / n`` and ``ci_low``/``ci_high`` the :func:`wilson_interval` limits, also in
    percent. Missing categories are left out of ``n``; categories absent from a group appear with
    count 0 so every group lists every level.

    Parameters
    ----------
    categories : Series
        One value per unit (e.g. each client's outcome category; booleans are fine).
    by : Series, optional
        Group of each unit, aligned on the index with ``categories``. Rows with a missing group
        are left out.
    ci : float
        Confidence level.
    levels : sequence, optional
        Categories to list, in order (default: categorical order, else sorted observed values).

    Returns
    -------
    DataFrame
        Columns ``[by.name or "group",] category, count, n, percent, ci_low, ci_high``.
        Pass it to :func:`therapy_outcomes.outcomes.disclosure.suppress_small_cells` before
        publishing.

    Examples
    --------
    >>> s = pd.Series(["recovered"] * 3 + ["not recovered"])
    >>> rate_table(s)[["category", "count", "n", "percent"]]
            category  count  n  percent
    0  not recovered      1  4     25.0
    1      recovered      3  4     75.0
    """
    cats = pd.Series(categories)
    if levels is None:
        if isinstance(cats.dtype, pd.CategoricalDtype):
            levels = list(cats.cat.categories)
        else:
            levels = sorted(cats.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    levels = list(levels)
    if by is None:
        groups = pd.Series("all", index=cats.index)
        group_name = None
    else:
        groups = pd.Series(by).reindex(cats.index)
        group_name = groups.name if groups.name is not None else "group"
    frame = pd.DataFrame({"g": groups, "c": cats}).dropna(subset=["g"])
    frame = frame[frame["c"].notna()]
    if by is None:
        group_keys = ["all"]
    elif isinstance(groups.dtype, pd.CategoricalDtype):
        group_keys = list(groups.cat.categories)
    else:
        group_keys = sorted(frame["g"].unique().tolist(), key=lambda v: (str(type(v)), v))
    rows = []
    for g in group_keys:
        sub = frame.loc[frame["g"] == g, "c"]
        n = int(sub.size)
        counts = sub.value_counts()
        for level in levels:
            rows.append({"group": g, "category": level, "count": int(counts.get(level, 0)), "n": n})
    out = pd.DataFrame(rows, columns=["group", "category", "count", "n"])
    low, high = wilson_interval(out["count"].to_numpy(), out["n"].to_numpy(), ci)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["percent"] = np.where(out["n"] > 0, 100 * out["count"] / out["n"], np.nan)
    out["ci_low"] = 100 * np.asarray(low)
    out["ci_high"] = 100 * np.asarray(high)
    if by is None:
        return out.drop(columns="group")
    return out.rename(columns={"group": group_name})


def _as_day(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.normalize()


def outcome_flow(
    clients: pd.DataFrame,
    sessions: pd.DataFrame,
    scores: pd.DataFrame,
    instrument: str,
    *,
    treatment_kinds: Sequence[str] = ("treatment",),
    min_treatment_sessions: int = 2,
) -> pd.DataFrame:
    """Flow of clients from referral to a usable pre-post pair on one instrument.

    Steps are **cumulative**: each step counts the clients who meet its rule *and* every earlier
    step, so the counts never rise and ``lost`` is the drop from the step before.

    1. ``referred`` - every client in ``clients``.
    2. ``assessed_at_baseline`` - a valid score on ``instrument`` dated on or before the client's
       first attended treatment session (any valid score if the client has no attended treatment
       session).
    3. ``two_or_more_scores`` - at least two valid scores on the instrument.
    4. ``finished_course`` - at least ``min_treatment_sessions`` attended sessions whose ``kind``
       is in ``treatment_kinds`` (NHS Talking Therapies: "finished a course of treatment" = at
       least two attended treatment appointments; NHS Digital glossary).
    5. ``paired_scores`` - the baseline score (the first valid score, from step 2) and a last
       valid score dated **after** it, so pre and post are different administrations.

    Parameters
    ----------
    clients, sessions, scores : DataFrame
        As loaded (``scores`` one row per administration with ``valid`` and ``total``).
    instrument : str
        Canonical instrument code, e.g. ``"PHQ-9"``.
    treatment_kinds : sequence of str
        Session kinds counted as treatment.
    min_treatment_sessions : int
        Attended treatment sessions needed for step 4.

    Returns
    -------
    DataFrame
        ``step, description, count, lost, percent_of_referred`` in order.

    Examples
    --------
    >>> clients = pd.DataFrame({"client_id": ["A", "B"]})
    >>> sessions = pd.DataFrame({
    ...     "session_id": ["s1", "s2"], "client_id": ["A", "A"],
    ...     "session_on": pd.to_datetime(["2026-01-05", "2026-01-12"]),
    ...     "kind": ["treatment", "treatment"], "attendance": ["attended", "attended"]})
    >>> scores = pd.DataFrame({
    ...     "client_id": ["A", "A"], "instrument": ["PHQ-9", "PHQ-9"],
    ...     "administered_on": pd.to_datetime(["2026-01-05", "2026-01-12"]),
    ...     "total": [15.0, 8.0], "valid": [True, True]})
    >>> outcome_flow(clients, sessions, scores, "PHQ-9")[["step", "count"]]
                       step  count
    0              referred      2
    1  assessed_at_baseline      1
    2    two_or_more_scores      1
    3       finished_course      1
    4         paired_scores      1
    """
    ids = pd.Index(clients["client_id"].dropna().unique())
    ses = sessions[sessions["client_id"].isin(ids)].copy()
    kind = ses["kind"] if "kind" in ses else pd.Series("treatment", index=ses.index)
    kind = kind.fillna("treatment")
    treat = ses[(ses["attendance"] == "attended") & kind.isin(list(treatment_kinds))]
    first_treat = _as_day(treat["session_on"]).groupby(treat["client_id"]).min()
    n_treat = treat.groupby("client_id").size()

    sc = scores[
        (scores["client_id"].isin(ids))
        & (scores["instrument"] == instrument)
        & (scores["valid"].fillna(False).astype(bool))
        & scores["total"].notna()
    ].copy()
    sc["day"] = _as_day(sc["administered_on"])
    first_score = sc.groupby("client_id")["day"].min()
    last_score = sc.groupby("client_id")["day"].max()
    n_scores = sc.groupby("client_id").size()

    ft = first_treat.reindex(ids)
    fs = first_score.reindex(ids)
    baseline = fs.notna() & (ft.isna() | (fs <= ft))
    two = n_scores.reindex(ids).fillna(0) >= 2
    finished = n_treat.reindex(ids).fillna(0) >= min_treatment_sessions
    paired = baseline & (last_score.reindex(ids) > fs)

    steps = [
        ("referred", "Referred (clients in the dataset)", pd.Series(True, index=ids)),
        (
            "assessed_at_baseline",
            f"Valid {instrument} score at or before the first attended treatment session",
            baseline,
        ),
        ("two_or_more_scores", f"Two or more valid {instrument} scores", two),
        (
            "finished_course",
            f"Finished a course: {min_treatment_sessions}+ attended treatment sessions",
            finished,
        ),
        ("paired_scores", f"First and last {instrument} scores on different dates", paired),
    ]
    rows = []
    cumulative = pd.Series(True, index=ids)
    previous = None
    n_ref = len(ids)
    for step, desc, rule in steps:
        cumulative = cumulative & rule.fillna(False).astype(bool)
        count = int(cumulative.sum())
        rows.append(
            {
                "step": step,
                "description": desc,
                "count": count,
                "lost": 0 if previous is None else previous - count,
                "percent_of_referred": 100 * count / n_ref if n_ref else np.nan,
            }
        )
        previous = count
    return pd.DataFrame(rows)
