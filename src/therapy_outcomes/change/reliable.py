"""Reliable change: did a client's score change by more than measurement error?

:func:`reliable_change` classifies each client's pre-post change as improved, unchanged or
deteriorated, either with a reliable change index (JT, GLN, HLL, EN, NK, HA; formulas in
:mod:`therapy_outcomes.change.rci_methods`) or with a fixed point threshold (``threshold=``, e.g.
the 6-point PHQ-9 criterion of NHS Talking Therapies). For more than two measurements per client see
:func:`therapy_outcomes.change.hlm.reliable_change_hlm`; for recovered/harmed see
:func:`therapy_outcomes.change.significance.clinical_significance`.

Conventions (as in the ``clinicalsignificance`` R package, version 3.x):

- ``change = post - pre``; ``better`` says which direction is good, and classification uses
  ``direction * rci`` with ``direction = +1`` if higher is better and ``-1`` if lower is better.
- Sample statistics (means, SDs with ``n - 1``, the pre-post correlation) come from the complete
  pairs passed in. When results are tabulated by group, pass all groups together so that the
  statistics are pooled over groups, then tabulate.
- Inequalities are strict: improved if ``direction * rci > z``, deteriorated if
  ``direction * rci < -z``; an RCI exactly at the critical value is unchanged.
- The critical value is ``z(1 - alpha/2)`` (1.959964 for alpha = .05) except for HA, which is
  one-sided, ``z(1 - alpha)`` (1.644854).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Hashable
from typing import Any, Literal

import numpy as np
import pandas as pd

from therapy_outcomes.change import rci_methods

__all__ = ["CHANGE_CATEGORIES", "RCI_METHODS", "classify_rci", "reliable_change"]

CHANGE_CATEGORIES: tuple[str, ...] = ("improved", "unchanged", "deteriorated")
RCI_METHODS: tuple[str, ...] = ("JT", "GLN", "HLL", "EN", "NK", "HA")

Better = Literal["lower", "higher"]


def _direction(better: str) -> int:
    if better == "higher":
        return 1
    if better == "lower":
        return -1
    raise ValueError(f"better must be 'lower' or 'higher', not {better!r}")


def _check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number strictly between 0 and 1, not {alpha!r}")
    return float(alpha)


def _check_reliability(value: object, name: str = "reliability") -> float:
    if value is None:
        raise ValueError(
            f"{name} is required for the RCI methods: give the instrument's reliability "
            "(e.g. test-retest or Cronbach's alpha, a number strictly between 0 and 1), or use "
            "threshold= to classify by a fixed number of points."
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number strictly between 0 and 1, not {value!r}")
    if not 0 < float(value) < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, but {value!r} was given")
    return float(value)


def _complete_pairs(pre: pd.Series, post: pd.Series) -> tuple[pd.Series, pd.Series, int]:
    if not isinstance(pre, pd.Series) or not isinstance(post, pd.Series):
        raise TypeError("pre and post must be pandas Series")
    if not pre.index.equals(post.index):
        raise ValueError(
            "pre and post must be aligned Series with the same index (one entry per client); "
            "build them with therapy_outcomes.change.pairs.pairs_by_label or first_last_pairs"
        )
    pre_f = pd.to_numeric(pre, errors="raise").astype(float)
    post_f = pd.to_numeric(post, errors="raise").astype(float)
    keep = pre_f.notna() & post_f.notna() & np.isfinite(pre_f) & np.isfinite(post_f)
    return pre_f[keep], post_f[keep], int((~keep).sum())


def _describe(pre: pd.Series, post: pd.Series) -> dict[Hashable, float]:
    return {
        "m_pre": float(pre.mean()) if len(pre) else math.nan,
        "sd_pre": float(pre.std(ddof=1)) if len(pre) > 1 else math.nan,
        "m_post": float(post.mean()) if len(post) else math.nan,
        "sd_post": float(post.std(ddof=1)) if len(post) > 1 else math.nan,
    }


def classify_rci(rci: pd.Series, critical_value: float, better: Better = "lower") -> pd.Series:
    """Classify reliable change indices as improved, unchanged or deteriorated.

    ``improved`` if ``direction * rci > critical_value``, ``deteriorated`` if
    ``direction * rci < -critical_value``, ``unchanged`` otherwise (strict inequalities: an RCI
    exactly at the critical value is unchanged; a missing RCI stays missing). ``direction`` is +1
    when higher scores are better and -1 when lower scores are better.

    Reference: Jacobson & Truax (1991), *J Consult Clin Psychol* 59(1), p. 14 ("RC larger than
    1.96"); strict comparison as in ``clinicalsignificance`` 3.x.

    Examples
    --------
    >>> classify_rci(pd.Series([-2.5, 1.96, 3.0]), 1.96, better="lower").tolist()
    ['improved', 'unchanged', 'deteriorated']
    """
    d = _direction(better)
    signed = d * rci.astype(float)
    values = np.where(
        signed > critical_value,
        "improved",
        np.where(signed < -critical_value, "deteriorated", "unchanged"),
    ).astype(object)
    values[rci.isna().to_numpy()] = None
    return pd.Series(
        pd.Categorical(values, categories=list(CHANGE_CATEGORIES)), index=rci.index, name="category"
    )


def _classify_threshold(change: pd.Series, threshold: float, direction: int) -> pd.Series:
    signed = direction * change
    values = np.where(
        signed >= threshold,
        "improved",
        np.where(signed <= -threshold, "deteriorated", "unchanged"),
    )
    return pd.Series(
        pd.Categorical(values, categories=list(CHANGE_CATEGORIES)),
        index=change.index,
        name="category",
    )


def reliable_change(
    pre: pd.Series,
    post: pd.Series,
    *,
    method: str = "JT",
    reliability: float | None = None,
    reliability_post: float | None = None,
    better: Better = "lower",
    alpha: float = 0.05,
    threshold: float | None = None,
) -> pd.DataFrame:
    """Reliable change of each client's pre-post score.

    The RCI methods (``method=``):

    - ``"JT"`` Jacobson & Truax (1991), p. 14: ``RCI = (post - pre) / S_diff``,
      ``S_diff = sqrt(2) * SD_pre * sqrt(1 - r)``; threshold in points ``z * S_diff``.
    - ``"GLN"`` Gulliksen-Lord-Novick (Hsu 1989, 1995):
      ``[(post - M_pre) - r (pre - M_pre)] / (SD_pre sqrt(1 - r**2))``.
    - ``"HLL"`` Hsu-Linn-Lord (Hsu 1989):
      ``[(post - M_post) - r (pre - M_pre)] / (SD_pre sqrt(1 - r**2))``.
    - ``"EN"`` Edwards-Nunnally (Speer 1992): ``[post - (r (pre - M_pre) + M_pre)] / SE``.
    - ``"NK"`` Nunnally & Kotsch (1983):
      ``[post - (r (pre - M_pre) + M_pre)] / sqrt(r**2 SD**2 (1 - r) + SD**2 (1 - r_post))``;
      ``reliability_post`` defaults to ``reliability`` (with a warning), as in the R package.
    - ``"HA"`` Hageman & Arrindell (1999), one-sided critical value ``z(1 - alpha)``; see
      :func:`therapy_outcomes.change.rci_methods.rci_ha`.
    - ``"HLM"`` is not a pre-post method: it raises and points to
      :func:`therapy_outcomes.change.hlm.reliable_change_hlm`, which takes long data.

    With ``threshold=`` (points) the RCI is not used: a client is improved if the change in the
    better direction is **at least** ``threshold`` points (inclusive, as in NHS Talking Therapies'
    "a reduction of 6 or more" on the PHQ-9), deteriorated if the change in the worse direction is
    at least ``threshold`` points, unchanged otherwise. ``rci`` is then missing and
    ``attrs["method"]`` is ``"threshold"``.

    Parameters
    ----------
    pre, post : pandas.Series
        Scores before and after, aligned on the same index (one entry per client). Pairs with a
        missing value are dropped; their number is in ``attrs["n_dropped"]``.
    method : {"JT", "GLN", "HLL", "EN", "NK", "HA"}
        RCI method (case-insensitive).
    reliability : float
        The instrument's reliability, strictly between 0 and 1. Required for the RCI methods.
    reliability_post : float, optional
        Reliability at post, used by NK only (ignored, with a warning, by the other methods).
    better : {"lower", "higher"}
        Which direction of the score is better. Default ``"lower"`` (symptom measures).
    alpha : float
        Significance level; the critical value is ``z(1 - alpha/2)`` (one-sided ``z(1 - alpha)``
        for HA).
    threshold : float, optional
        A fixed reliable-change threshold in points, used instead of an RCI.

    Returns
    -------
    pandas.DataFrame
        Indexed like the complete input pairs, with columns ``pre``, ``post``, ``change``
        (``post - pre``), ``rci`` and ``category`` (categorical: improved, unchanged,
        deteriorated). ``.attrs`` holds ``method``, ``critical_value``, ``s_diff``
        (``sqrt(2) * SE``), ``rci_denominator``, ``se_measurement``, ``threshold_points`` (the
        threshold in raw points where the method has one: JT and ``threshold=``; otherwise
        ``None``), ``reliability``, ``reliability_post``, ``n``, ``n_dropped``, ``m_pre``,
        ``sd_pre``, ``m_post``, ``sd_post``, ``better``, ``alpha`` and, for HA, ``r_dd``,
        ``r_xx_pre``, ``r_xx_post`` and ``r_pre_post``.

    Raises
    ------
    ValueError
        Missing or out-of-range ``reliability``, unknown ``method``/``better``, misaligned input,
        fewer than two complete pairs or zero pre-score SD (an RCI method needs the sample SD).

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). *J Consult Clin Psychol*, 59(1), 12-19 (p. 14).
    Claus, B. B., Wager, J., & Bonnet, U. (2024). clinicalsignificance: Clinical significance
    analyses of intervention studies in R. *J Stat Softw*, 111(1), doi:10.18637/jss.v111.i01.

    Examples
    --------
    >>> pre = pd.Series([20.0, 25.0, 30.0, 15.0], index=["a", "b", "c", "d"])
    >>> post = pd.Series([10.0, 24.0, 31.0, None], index=["a", "b", "c", "d"])
    >>> res = reliable_change(pre, post, reliability=0.8)
    >>> res["category"].tolist()
    ['improved', 'unchanged', 'unchanged']
    >>> res.attrs["n_dropped"], round(res.attrs["threshold_points"], 2)
    (1, 6.2)
    >>> reliable_change(pre, post, threshold=6)["category"].tolist()
    ['improved', 'unchanged', 'unchanged']
    """
    direction = _direction(better)
    alpha = _check_alpha(alpha)
    meth = str(method).upper()
    if meth == "HLM":
        raise ValueError(
            "method='HLM' needs all measurements of each client, not a pre/post pair: call "
            "therapy_outcomes.reliable_change_hlm(long_data, id=..., time=..., outcome=...)"
        )
    if threshold is None and meth not in RCI_METHODS:
        raise ValueError(f"method must be one of {', '.join(RCI_METHODS)}, not {method!r}")

    pre_c, post_c, n_dropped = _complete_pairs(pre, post)
    change = post_c - pre_c
    attrs: dict[Hashable, Any] = {  # the result's .attrs
        "method": meth,
        "critical_value": None,
        "s_diff": None,
        "rci_denominator": None,
        "se_measurement": None,
        "threshold_points": None,
        "reliability": None,
        "reliability_post": None,
        "n": len(pre_c),
        "n_dropped": n_dropped,
        **_describe(pre_c, post_c),
        "better": better,
        "alpha": alpha,
    }

    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            raise ValueError(f"threshold must be a positive number of points, not {threshold!r}")
        if not threshold > 0:
            raise ValueError(f"threshold must be a positive number of points, not {threshold!r}")
        attrs.update(method="threshold", threshold_points=float(threshold))
        if reliability is not None:
            attrs["reliability"] = _check_reliability(reliability)
        rci = pd.Series(np.nan, index=pre_c.index, name="rci")
        category = _classify_threshold(change, float(threshold), direction)
    else:
        r = _check_reliability(reliability)
        if len(pre_c) < 2:
            raise ValueError(
                f"{meth} needs at least 2 complete pre/post pairs to estimate the SD of the pre "
                f"scores ({len(pre_c)} given); for a single client use threshold= (points)"
            )
        if not attrs["sd_pre"] > 0:
            raise ValueError(f"the pre scores have no spread (SD = 0): the {meth} RCI is undefined")
        if meth == "NK":
            if reliability_post is None:
                warnings.warn(
                    "method='NK' uses a reliability at post; reliability_post was not given and "
                    "is set to reliability",
                    UserWarning,
                    stacklevel=2,
                )
                r_post = r
            else:
                r_post = _check_reliability(reliability_post, "reliability_post")
            rci = rci_methods.rci_nk(pre_c, post_c, r, r_post)
            attrs["reliability_post"] = r_post
        else:
            if reliability_post is not None:
                warnings.warn(
                    f"reliability_post is only used by method='NK'; ignored for {meth}",
                    UserWarning,
                    stacklevel=2,
                )
            func = {
                "JT": rci_methods.rci_jt,
                "GLN": rci_methods.rci_gln,
                "HLL": rci_methods.rci_hll,
                "EN": rci_methods.rci_en,
                "HA": rci_methods.rci_ha,
            }[meth]
            rci = func(pre_c, post_c, r)
        info = dict(rci.attrs)
        rci.attrs = {}
        crit = rci_methods.critical_value(alpha, one_sided=meth == "HA")
        se = float(info.pop("se_measurement"))
        s_diff = math.sqrt(2.0) * se
        info.pop("s_diff", None)
        info.pop("reliability_post", None)
        attrs.update(
            critical_value=crit,
            reliability=r,
            se_measurement=se,
            s_diff=s_diff,
            rci_denominator=float(info.pop("rci_denominator")),
            threshold_points=rci_methods.rc_threshold_points(se, alpha) if meth == "JT" else None,
            **{str(k): float(v) for k, v in info.items()},
        )
        category = classify_rci(rci, crit, better)

    out = pd.DataFrame(
        {"pre": pre_c, "post": post_c, "change": change, "rci": rci.astype(float)},
        index=pre_c.index,
    )
    out["category"] = category
    out.attrs = attrs
    return out
