"""Pre-post effect sizes of a cohort: d_z, d_rm, d_av and d_pre with standard errors.

Sign convention
---------------
Every effect size here is **positive when the cohort improved** in the direction ``better``
names: for a symptom measure where lower is better (PHQ-9, GAD-7) the mean change is
``pre - post``; for a measure where higher is better (WHO-5, ORS) it is ``post - pre``.

References
----------
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

The formulas and standard errors are those of easystats/effectsize ``R/repeated_measures_d.R``
(``.paired_d``), re-implemented from the published formulas.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from therapy_outcomes.outcomes.rates import confidence_z

__all__ = ["EFFECT_SIZE_VARIANTS", "effect_sizes", "hedges_j"]


#: Variants :func:`effect_sizes` knows, in the order it reports them.
EFFECT_SIZE_VARIANTS: tuple[str, ...] = ("d_z", "d_rm", "d_av", "d_pre")


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


def _numeric(values: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
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
    Source: docs/methods.md#benchmarks (easystats/effectsize ``.paired_d``). Which variant a
    published benchmark used (e.g. Delgadillo et al. 2014 IAPT benchmarks, PHQ-9 0.91/0.73/0.46)
    differs by paper and is not verified (docs/methods.md#benchmarks); check before comparing.

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
    z = confidence_z(ci)
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
                j = float(hedges_j(n - 1)) if n >= 3 else np.nan
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
