"""Clinical significance: reliable change combined with crossing the clinical cut-off.

:func:`clinical_significance` puts each client in one of five categories (Jacobson & Truax 1991;
rules as in the ``clinicalsignificance`` R package, version 3.x):

- **recovered**: started on the clinical side of the cut-off, ended on the functional side, and
  reliably improved;
- **improved**: reliably improved but not recovered;
- **unchanged**: no reliable change;
- **deteriorated**: reliably deteriorated but not harmed;
- **harmed**: did not start on the clinical side, did not end on the functional side, and
  reliably deteriorated.

Side of the cut-off, with strict inequalities (a score exactly on the cut-off is neither clinical
nor functional): ``clinical_pre = direction * pre < direction * cutoff`` and
``functional_post = direction * post > direction * cutoff`` (``direction`` +1 if higher is
better, -1 if lower is better).

For ``method="HA"`` the Hageman & Arrindell (1999) rules of ``clinicalsignificance`` 3.x apply
(not the older 1.2.0 rules): the "true" cut-off (:func:`therapy_outcomes.change.cutoffs.ha_cutoff`)
and the individual test ``cs_indiv = (M_post + (post - M_post) r_xx,post - cutoff) /
(sqrt(r_xx,post) SE)``; ``functional_post = clinical_pre & direction * cs_indiv > z(1 - alpha)``
and ``clinical_post = ~clinical_pre & direction * cs_indiv < -z(1 - alpha)``. The five categories
then follow the same rules as above.
"""

from __future__ import annotations

import math
import operator
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from therapy_outcomes.change.cutoffs import CriterionBSD, CutoffType, ha_cutoff, jt_cutoff
from therapy_outcomes.change.reliable import reliable_change

__all__ = ["SIGNIFICANCE_CATEGORIES", "clinical_significance"]

_SIDES = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}

SIGNIFICANCE_CATEGORIES: tuple[str, ...] = (
    "recovered",
    "improved",
    "unchanged",
    "deteriorated",
    "harmed",
)


def clinical_significance(
    pre: pd.Series,
    post: pd.Series,
    *,
    method: str = "JT",
    reliability: float | None = None,
    reliability_post: float | None = None,
    better: Literal["lower", "higher"] = "lower",
    cutoff_type: CutoffType = "a",
    m_functional: float | None = None,
    sd_functional: float | None = None,
    m_clinical: float | None = None,
    sd_clinical: float | None = None,
    cutoff: float | None = None,
    alpha: float = 0.05,
    criterion_b_sd: CriterionBSD = "clinical",
    threshold: float | None = None,
    clinical_side: str | None = None,
    rc_categories: pd.Series | None = None,
) -> pd.DataFrame:
    """Recovered / improved / unchanged / deteriorated / harmed for each client.

    Reliable change comes from :func:`therapy_outcomes.change.reliable.reliable_change` with the
    same ``method``, ``reliability``, ``reliability_post``, ``better`` and ``alpha``. The
    cut-off is:

    - ``cutoff=`` if given (e.g. an instrument's published clinical cut-off); the descriptives are
      still reported, with type ``"fixed"``;
    - otherwise J&T criterion ``cutoff_type`` a, b or c
      (:func:`therapy_outcomes.change.cutoffs.jt_cutoff`) for JT, GLN, HLL, EN and NK, and the
      Hageman-Arrindell "true" cut-off
      (:func:`therapy_outcomes.change.cutoffs.ha_cutoff`) for HA.

    The clinical mean and SD default to those of the pre scores of the complete pairs. Criterion
    b uses the clinical SD by default (``criterion_b_sd="clinical"``, as ``clinicalsignificance``
    does, so results reproduce the reference implementation); ``"functional"`` follows the usual
    reading of J&T 1991 ("within two standard deviations of the mean of the functional
    population"). Criterion c is ``(SD_clin M_func + SD_func M_clin) / (SD_clin + SD_func)``.

    Parameters
    ----------
    pre, post : pandas.Series
        Aligned scores before and after; incomplete pairs are dropped and counted.
    method : {"JT", "GLN", "HLL", "EN", "NK", "HA"}
        RCI method (and, for HA, cut-off and individual rules).
    reliability, reliability_post, better, alpha
        As in :func:`therapy_outcomes.change.reliable.reliable_change`.
    cutoff_type : {"a", "b", "c"}
        J&T criterion; b and c need ``m_functional``, c (and b with
        ``criterion_b_sd="functional"``) also ``sd_functional``.
    m_functional, sd_functional : float, optional
        Mean and SD of a functional (non-clinical) norm sample.
    m_clinical, sd_clinical : float, optional
        Override the clinical mean and SD (default: the pre scores of the complete pairs).
    cutoff : float, optional
        A fixed cut-off overriding the computed one.
    criterion_b_sd : {"clinical", "functional"}
        Which SD defines criterion b (see above).
    threshold : float, optional
        Classify reliable change by a fixed number of points instead of an RCI (as
        :func:`therapy_outcomes.change.reliable.reliable_change` with ``threshold=``; inclusive: a
        change of at least ``threshold`` counts). Not with ``method="HA"``.
    clinical_side : {">=", ">", "<=", "<"}, optional
        With a fixed ``cutoff``: the side that counts as clinical, stated by the instrument's
        definition (PHQ-9: ``">="`` 10). Then ``clinical_pre = pre <side> cutoff`` and
        ``functional_post = not (post <side> cutoff)``, so every score is on one side. Without
        it, the strict J&T rule above applies (a score on the cut-off is neither).
    rc_categories : pandas.Series, optional
        Reliable-change categories (improved / unchanged / deteriorated) decided elsewhere,
        indexed like ``pre`` and ``post``: for example by the growth-model method
        (:func:`therapy_outcomes.change.hlm.reliable_change_hlm`, which needs every score, not
        just a pair). They replace the RCI; the cut-off and the five categories follow as
        above. Needs a fixed ``cutoff`` or a J&T cut-off type (not HA).

    Returns
    -------
    pandas.DataFrame
        The :func:`reliable_change` columns (``pre``, ``post``, ``change``, ``rci``) plus
        ``clinical_pre``, ``functional_post`` (and ``cs_indiv``, ``clinical_post`` for HA) and
        ``category`` (categorical: recovered, improved, unchanged, deteriorated, harmed).
        ``.attrs`` holds the reliable-change attrs plus ``cutoff`` and ``cutoff_descriptives``
        (``m_clinical``, ``sd_clinical``, ``m_functional``, ``sd_functional``, ``type``,
        ``criterion_b_sd``, ``method``; for HA also ``reliability_clinical`` and
        ``reliability_functional``) and, for HA, ``ha_group_level`` with the group-level
        proportions ``changed`` = Phi(-mean_change / (SD_change sqrt(r_dd))) and ``functional`` =
        Phi((cutoff - M_post) / (SD_post sqrt(r_xx,post))) (``1 - Phi`` when higher is better).

    References
    ----------
    Jacobson, N. S., & Truax, P. (1991). *J Consult Clin Psychol*, 59(1), 12-19 (pp. 13-14).
    Hageman, W. J., & Arrindell, W. A. (1999). *Behav Res Ther*, 37(12), 1169-1193.
    Claus, B. B., Wager, J., & Bonnet, U. (2024). *J Stat Softw*, 111(1).

    Examples
    --------
    >>> pre = pd.Series([30.0, 28.0, 35.0, 15.0, 40.0, 33.0])
    >>> post = pd.Series([12.0, 26.0, 30.0, 30.0, 41.0, 22.0])
    >>> res = clinical_significance(pre, post, reliability=0.8)
    >>> round(res.attrs["cutoff"], 2)  # criterion a: M_pre - 2 SD_pre
    13.13
    >>> res["category"].tolist()
    ['recovered', 'unchanged', 'unchanged', 'deteriorated', 'unchanged', 'improved']
    >>> fixed = clinical_significance(pre, post, reliability=0.8, cutoff=20)
    >>> fixed["category"].tolist()
    ['recovered', 'unchanged', 'unchanged', 'harmed', 'unchanged', 'improved']
    """
    if threshold is not None and method.upper() == "HA":
        raise ValueError("threshold= classifies by fixed points; it cannot be combined with HA")
    if clinical_side is not None and (cutoff is None or clinical_side not in _SIDES):
        raise ValueError("clinical_side needs a fixed cutoff= and one of: " + ", ".join(_SIDES))
    if rc_categories is not None:
        if method.upper() == "HA":
            raise ValueError("rc_categories cannot be combined with HA's own cut-off rules")
        # an infinite threshold computes the descriptives only; the categories come as given
        rc = reliable_change(pre, post, better=better, threshold=math.inf)
        given = rc_categories.reindex(rc.index)
        if given.isna().any() or not given.isin(["improved", "unchanged", "deteriorated"]).all():
            raise ValueError(
                "rc_categories must give improved, unchanged or deteriorated "
                "for every complete pair"
            )
        rc["category"] = given.astype(str).to_numpy()
        rc.attrs["method"] = "given"
    else:
        rc = reliable_change(
            pre,
            post,
            method=method,
            reliability=reliability,
            reliability_post=reliability_post,
            better=better,
            alpha=alpha,
            threshold=threshold,
        )
    attrs = dict(rc.attrs)
    meth = str(attrs["method"])
    d = 1 if better == "higher" else -1
    m_clin = float(attrs["m_pre"]) if m_clinical is None else float(m_clinical)
    sd_clin = float(attrs["sd_pre"]) if sd_clinical is None else float(sd_clinical)
    descriptives: dict[str, object] = {
        "m_clinical": m_clin,
        "sd_clinical": sd_clin,
        "m_functional": None if m_functional is None else float(m_functional),
        "sd_functional": None if sd_functional is None else float(sd_functional),
        "type": cutoff_type,
        "criterion_b_sd": criterion_b_sd,
        "method": "HA" if meth == "HA" else "JT",
    }

    if meth == "HA":
        ha = ha_cutoff(
            m_clin,
            sd_clin,
            float(attrs["reliability"]),
            m_functional,
            sd_functional,
            cutoff_type=cutoff_type if cutoff is None else "a",
            better=better,
            criterion_b_sd=criterion_b_sd,
        )
        descriptives["reliability_clinical"] = ha["reliability_clinical"]
        descriptives["reliability_functional"] = ha["reliability_functional"]
        value = ha["cutoff"]
    elif cutoff is None:
        value = jt_cutoff(
            m_clin,
            sd_clin,
            m_functional,
            sd_functional,
            cutoff_type=cutoff_type,
            better=better,
            criterion_b_sd=criterion_b_sd,
        )
    if cutoff is not None:
        value = float(cutoff)
        descriptives["type"] = "fixed"

    out = rc[["pre", "post", "change", "rci"]].copy()
    clinical_pre = d * out["pre"] < d * value
    if meth == "HA":
        z1 = float(norm.ppf(1 - float(attrs["alpha"])))
        se = sd_clin * math.sqrt(1.0 - float(attrs["reliability"]))
        m_post, sd_post = float(attrs["m_post"]), float(attrs["sd_post"])
        r_post = (sd_post**2 - se**2) / sd_post**2
        if not r_post > 0:
            raise ValueError(
                "HA: the SD of the post scores is not larger than the standard error of "
                "measurement, so the post reliability is not positive; use method='JT'"
            )
        cs_indiv = (m_post + (out["post"] - m_post) * r_post - value) / (math.sqrt(r_post) * se)
        functional_post = clinical_pre & (d * cs_indiv > z1)
        out["clinical_pre"] = clinical_pre
        out["functional_post"] = functional_post
        out["cs_indiv"] = cs_indiv
        out["clinical_post"] = ~clinical_pre & (d * cs_indiv < -z1)
        changed_z = -rc["change"].mean() / (
            rc["change"].std(ddof=1) * math.sqrt(float(attrs["r_dd"]))
        )
        functional_z = (value - m_post) / (sd_post * math.sqrt(float(attrs["r_xx_post"])))
        phi = norm.cdf if d == -1 else norm.sf
        attrs["ha_group_level"] = {
            "changed": float(phi(changed_z)),
            "functional": float(phi(functional_z)),
        }
    elif clinical_side is not None:
        side = _SIDES[clinical_side]
        clinical_pre = side(out["pre"], value)
        functional_post = ~side(out["post"], value)
        out["clinical_pre"] = clinical_pre
        out["functional_post"] = functional_post
    else:
        functional_post = d * out["post"] > d * value
        out["clinical_pre"] = clinical_pre
        out["functional_post"] = functional_post

    improved = (rc["category"] == "improved").to_numpy()
    deteriorated = (rc["category"] == "deteriorated").to_numpy()
    cp = clinical_pre.to_numpy()
    fp = functional_post.to_numpy()
    recovered = cp & fp & improved
    harmed = ~cp & ~fp & deteriorated
    labels = np.select(
        [recovered, improved, harmed, deteriorated],
        ["recovered", "improved", "harmed", "deteriorated"],
        default="unchanged",
    )
    out["category"] = pd.Categorical(labels, categories=list(SIGNIFICANCE_CATEGORIES))
    attrs["cutoff"] = float(value)
    attrs["cutoff_descriptives"] = descriptives
    out.attrs = attrs
    return out
