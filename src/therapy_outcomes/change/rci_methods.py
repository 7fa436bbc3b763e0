"""Reliable change index (RCI) formulas, one function per method.

Each function takes the complete pre/post pairs (no missing values; see
:func:`therapy_outcomes.change.reliable.reliable_change` for the user-facing wrapper that drops
incomplete pairs, validates arguments and classifies) and returns the RCI as a
:class:`pandas.Series` aligned with ``pre``. The quantities used on the way (standard errors,
denominators, reliabilities) are put in the returned Series' ``.attrs`` so that a report can show
its working.

All sample statistics are computed from the pairs passed in: means and standard deviations with
``n - 1`` in the denominator, the pre-post correlation as Pearson's r. The formulas follow the
``clinicalsignificance`` R package (Claus, Wager & Bonnet, 2024, *J Stat Softw* 111(1),
doi:10.18637/jss.v111.i01), version 3.x, re-implemented here from the published formulas.

References
----------
- Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical approach to defining
  meaningful change in psychotherapy research. *J Consult Clin Psychol*, 59(1), 12-19, p. 14.
- Hsu, L. M. (1989). Reliable changes in psychotherapy: Taking into account regression toward the
  mean. *Behav Assess*, 11(4), 459-467.
- Hsu, L. M. (1995). Regression toward the mean associated with measurement error and the
  identification of improvement and deterioration in psychotherapy. *J Consult Clin Psychol*,
  63(1), 141-144.
- Speer, D. C. (1992). Clinically significant change: Jacobson and Truax (1991) revisited.
  *J Consult Clin Psychol*, 60(3), 402-408.
- Nunnally, J. C., & Kotsch, W. E. (1983). Studies of individual subjects: Logic and methods of
  analysis. *Br J Clin Psychol*, 22(2), 83-93.
- Hageman, W. J., & Arrindell, W. A. (1999). Establishing clinically significant change:
  increment of precision and the distinction between individual and group level analysis.
  *Behav Res Ther*, 37(12), 1169-1193.
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = [
    "critical_value",
    "rc_threshold_points",
    "rci_en",
    "rci_gln",
    "rci_ha",
    "rci_hll",
    "rci_jt",
    "rci_nk",
    "se_measurement",
]


def se_measurement(sd: float, reliability: float) -> float:
    """Standard error of measurement, ``SE = SD * sqrt(1 - r_xx)``.

    Jacobson & Truax (1991), p. 14.

    Examples
    --------
    >>> round(se_measurement(5.0, 0.80), 4)
    2.2361
    """
    return float(sd) * math.sqrt(1.0 - float(reliability))


def critical_value(alpha: float = 0.05, *, one_sided: bool = False) -> float:
    """The standard-normal critical value an RCI is compared with.

    ``z(1 - alpha / 2)`` (two-sided, every method but HA) or ``z(1 - alpha)`` (one-sided, the
    Hageman & Arrindell 1999 individual test).

    Examples
    --------
    >>> round(critical_value(0.05), 4), round(critical_value(0.05, one_sided=True), 4)
    (1.96, 1.6449)
    """
    from scipy.stats import norm  # imported on first use: scipy.stats costs about a second

    return float(norm.ppf(1 - alpha)) if one_sided else float(norm.ppf(1 - alpha / 2))


def rc_threshold_points(se: float, alpha: float = 0.05) -> float:
    """Jacobson & Truax reliable-change threshold in points: ``z(1 - alpha/2) * S_diff``.

    ``S_diff = sqrt(2) * SE`` (Jacobson & Truax 1991, p. 14: ``S_diff = sqrt(2 * SE**2)``). A
    change of more than this many points is reliable. The one formula behind both
    :func:`therapy_outcomes.change.reliable.reliable_change` (``threshold_points``) and an
    instrument definition's reliable change given as SD and reliability
    (:meth:`therapy_outcomes.instruments.ReliableChange.threshold`).

    Parameters
    ----------
    se : float
        Standard error of measurement (:func:`se_measurement`).
    alpha : float
        Two-sided significance level (default 0.05: z = 1.96).

    Examples
    --------
    >>> round(rc_threshold_points(se_measurement(5.0, 0.80)), 3)
    6.198
    """
    return critical_value(alpha) * (math.sqrt(2.0) * float(se))


def _stats(pre: pd.Series, post: pd.Series) -> tuple[float, float, float, float]:
    return float(pre.mean()), float(pre.std(ddof=1)), float(post.mean()), float(post.std(ddof=1))


def rci_jt(pre: pd.Series, post: pd.Series, reliability: float) -> pd.Series:
    """Jacobson & Truax (1991) reliable change index.

    ``SE = SD_pre * sqrt(1 - r)``, ``S_diff = sqrt(2 * SE**2)``, ``RCI = (post - pre) / S_diff``.
    ``SD_pre`` is the sample SD of the pre scores. The reliable-change threshold in raw points is
    ``z * S_diff``.

    Reference: Jacobson & Truax (1991), *J Consult Clin Psychol* 59(1), p. 14 (formulas for RC,
    S_diff and SE).

    Examples
    --------
    >>> pre = pd.Series([20.0, 25.0, 30.0, 15.0])
    >>> post = pd.Series([10.0, 24.0, 31.0, 14.0])
    >>> r = rci_jt(pre, post, 0.8)
    >>> round(r.attrs["s_diff"], 4), round(float(r.iloc[0]), 4)
    (4.0825, -2.4495)
    """
    _, sd_pre, _, _ = _stats(pre, post)
    se = se_measurement(sd_pre, reliability)
    s_diff = math.sqrt(2.0 * se**2)
    out = (post - pre) / s_diff
    out.attrs = {"se_measurement": se, "s_diff": s_diff, "rci_denominator": s_diff}
    return out


def rci_gln(pre: pd.Series, post: pd.Series, reliability: float) -> pd.Series:
    """Gulliksen-Lord-Novick reliable change index (regression to the mean, Hsu 1989/1995).

    ``RCI = [(post - M_pre) - r * (pre - M_pre)] / (SD_pre * sqrt(1 - r**2))``: the post score is
    compared with the pre score regressed towards the pre-treatment mean; the denominator is the
    standard error of prediction.

    Reference: Hsu (1989), *Behav Assess* 11(4), 459-467; Hsu (1995), *J Consult Clin Psychol*
    63(1), 141-144.

    Examples
    --------
    >>> pre = pd.Series([20.0, 25.0, 30.0, 15.0])
    >>> post = pd.Series([10.0, 24.0, 31.0, 14.0])
    >>> round(float(rci_gln(pre, post, 0.8).iloc[0]), 4)
    -2.7111
    """
    m_pre, sd_pre, _, _ = _stats(pre, post)
    se_pred = sd_pre * math.sqrt(1.0 - reliability**2)
    out = ((post - m_pre) - reliability * (pre - m_pre)) / se_pred
    out.attrs = {
        "se_measurement": se_measurement(sd_pre, reliability),
        "se_prediction": se_pred,
        "rci_denominator": se_pred,
    }
    return out


def rci_hll(pre: pd.Series, post: pd.Series, reliability: float) -> pd.Series:
    """Hsu-Linn-Lord reliable change index (Hsu 1989).

    ``RCI = [(post - M_post) - r * (pre - M_pre)] / (SD_pre * sqrt(1 - r**2))``: like GLN but the
    post score is centred on the post-treatment mean, so the average change of the sample is
    removed (HLL asks whether a client changed more or less than the group did).

    Reference: Hsu (1989), *Behav Assess* 11(4), 459-467.

    Examples
    --------
    >>> pre = pd.Series([20.0, 25.0, 30.0, 15.0])
    >>> post = pd.Series([10.0, 24.0, 31.0, 14.0])
    >>> round(float(rci_hll(pre, post, 0.8).iloc[0]), 4)
    -2.001
    """
    m_pre, sd_pre, m_post, _ = _stats(pre, post)
    se_pred = sd_pre * math.sqrt(1.0 - reliability**2)
    out = ((post - m_post) - reliability * (pre - m_pre)) / se_pred
    out.attrs = {
        "se_measurement": se_measurement(sd_pre, reliability),
        "se_prediction": se_pred,
        "rci_denominator": se_pred,
    }
    return out


def rci_en(pre: pd.Series, post: pd.Series, reliability: float) -> pd.Series:
    """Edwards-Nunnally reliable change index, in Speer's (1992) form.

    The estimated true pre score is ``pre_true = r * (pre - M_pre) + M_pre``;
    ``RCI = (post - pre_true) / (SD_pre * sqrt(1 - r))``. With the two-sided critical value this
    is the "post score outside the confidence interval around the true pre score" rule.

    Reference: Speer (1992), *J Consult Clin Psychol* 60(3), 402-408.

    Examples
    --------
    >>> pre = pd.Series([20.0, 25.0, 30.0, 15.0])
    >>> post = pd.Series([10.0, 24.0, 31.0, 14.0])
    >>> round(float(rci_en(pre, post, 0.8).iloc[0]), 4)
    -3.6373
    """
    m_pre, sd_pre, _, _ = _stats(pre, post)
    se = se_measurement(sd_pre, reliability)
    pre_true = reliability * (pre - m_pre) + m_pre
    out = (post - pre_true) / se
    out.attrs = {"se_measurement": se, "rci_denominator": se}
    return out


def rci_nk(
    pre: pd.Series, post: pd.Series, reliability: float, reliability_post: float
) -> pd.Series:
    """Nunnally & Kotsch (1983) reliable change index.

    ``pre_true = r * (pre - M_pre) + M_pre``;
    ``RCI = (post - pre_true) / sqrt(r**2 * SD_pre**2 * (1 - r) + SD_pre**2 * (1 - r_post))``,
    with ``r`` the reliability at pre and ``r_post`` the reliability at post.

    Reference: Nunnally & Kotsch (1983), *Br J Clin Psychol* 22(2), 83-93.

    Examples
    --------
    >>> pre = pd.Series([20.0, 25.0, 30.0, 15.0])
    >>> post = pd.Series([10.0, 24.0, 31.0, 14.0])
    >>> round(float(rci_nk(pre, post, 0.8, 0.8).iloc[0]), 4)
    -2.8403
    """
    m_pre, sd_pre, _, _ = _stats(pre, post)
    denom = math.sqrt(
        reliability**2 * sd_pre**2 * (1.0 - reliability) + sd_pre**2 * (1.0 - reliability_post)
    )
    pre_true = reliability * (pre - m_pre) + m_pre
    out = (post - pre_true) / denom
    out.attrs = {
        "se_measurement": se_measurement(sd_pre, reliability),
        "rci_denominator": denom,
        "reliability_post": float(reliability_post),
    }
    return out


def rci_ha(pre: pd.Series, post: pd.Series, reliability: float) -> pd.Series:
    """Hageman & Arrindell (1999) reliable change index (RC_indiv).

    With ``SE = SD_pre * sqrt(1 - r)``, the reliabilities at each time are
    ``r_xx,t = (SD_t**2 - SE**2) / SD_t**2`` (so ``r_xx,pre = r``), ``rho`` is the observed
    pre-post correlation and the reliability of the difference is
    ``r_dd = (SD_1**2 r_1 + SD_2**2 r_2 - 2 SD_1 SD_2 rho) /
    (SD_1**2 + SD_2**2 - 2 SD_1 SD_2 rho)``.
    Then ``RCI = [(post - pre) * r_dd + (M_post - M_pre) * (1 - r_dd)] / (sqrt(r_dd) *
    sqrt(2 * SE**2))``. HA use a one-sided critical value, ``z(1 - alpha)``.

    ``r_xx,post`` is computed from the data, as in ``clinicalsignificance`` 3.x; there is no
    separate post reliability argument.

    Reference: Hageman & Arrindell (1999), *Behav Res Ther* 37(12), 1169-1193.

    Raises
    ------
    ValueError
        If the post scores have no spread or ``r_dd`` is not positive (the difference scores
        carry no reliable variance): the HA index is then undefined.

    Examples
    --------
    >>> pre = pd.Series([20.0, 25.0, 30.0, 15.0])
    >>> post = pd.Series([10.0, 24.0, 31.0, 14.0])
    >>> r = rci_ha(pre, post, 0.8)
    >>> round(r.attrs["r_dd"], 4)
    0.3127
    """
    m_pre, sd_pre, m_post, sd_post = _stats(pre, post)
    if not sd_post > 0:
        raise ValueError(
            "Hageman-Arrindell: the post scores have no spread (SD = 0), so the post "
            "reliability and r_dd are undefined for these data; use method='JT'."
        )
    se = se_measurement(sd_pre, reliability)
    r_pre = (sd_pre**2 - se**2) / sd_pre**2
    r_post = (sd_post**2 - se**2) / sd_post**2
    rho = float(pre.corr(post))
    num = sd_pre**2 * r_pre + sd_post**2 * r_post - 2.0 * sd_pre * sd_post * rho
    den = sd_pre**2 + sd_post**2 - 2.0 * sd_pre * sd_post * rho
    r_dd = num / den if den > 0 else math.nan
    if not r_dd > 0:
        raise ValueError(
            f"Hageman-Arrindell: the reliability of the difference scores r_dd = {r_dd:.4g} is "
            "not positive, so the HA index is undefined for these data; use method='JT'."
        )
    denom = math.sqrt(r_dd) * math.sqrt(2.0 * se**2)
    out = ((post - pre) * r_dd + (m_post - m_pre) * (1.0 - r_dd)) / denom
    out.attrs = {
        "se_measurement": se,
        "s_diff": math.sqrt(2.0 * se**2),
        "rci_denominator": denom,
        "r_dd": r_dd,
        "r_xx_pre": r_pre,
        "r_xx_post": r_post,
        "r_pre_post": rho,
    }
    return out
