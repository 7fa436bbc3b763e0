"""Clinical-significance categories of a cohort's first/last pairs, as the report judges them.

The classical methods (JT, GLN, HLL, EN, NK, HA) judge each pair with
:func:`therapy_outcomes.change.significance.clinical_significance`; HLM judges clients with
three or more valid scores with :func:`therapy_outcomes.change.hlm.reliable_change_hlm` and
combines that with the cut-off (``clinical_significance(rc_categories=...)``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from therapy_outcomes.change.significance import SIGNIFICANCE_CATEGORIES, clinical_significance
from therapy_outcomes.errors import ParameterError

__all__ = ["hlm_pairs", "significance_of_pairs"]


def hlm_pairs(pairs: pd.DataFrame, scores: pd.DataFrame, inst: Any) -> pd.DataFrame:
    """Pairs of the clients the growth model can judge (3+ valid scores), with its category.

    Time is the score's number in the client's series (1 = first), as in the growth curves.

    Parameters
    ----------
    pairs : pandas.DataFrame
        :func:`therapy_outcomes.change.pairs.first_last_pairs` of the cohort.
    scores : pandas.DataFrame
        The cohort's scores.
    inst : Instrument
        The instrument (its ``code`` and ``better`` direction).

    Returns
    -------
    pandas.DataFrame
        The pairs of the judged clients, with an ``hlm_category`` column; no rows when fewer
        than three clients have scores.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> ctx = example_cohort()
    >>> judged = hlm_pairs(ctx.pairs["PHQ-9"], ctx.scores, ctx.ds.registry.get("PHQ-9"))
    >>> "hlm_category" in judged and len(judged) <= len(ctx.pairs["PHQ-9"])
    True
    """
    from therapy_outcomes.change.hlm import reliable_change_hlm

    sc = scores[(scores["instrument"] == inst.code) & scores["valid"].astype(bool)]
    sc = sc[sc["total"].notna()].sort_values(["client_id", "administered_on"], kind="mergesort")
    long = pd.DataFrame(
        {
            "client_id": sc["client_id"].astype(str).to_numpy(),
            "time": (sc.groupby("client_id").cumcount() + 1).to_numpy(dtype=float),
            "score": sc["total"].to_numpy(dtype=float),
        }
    )
    if long["client_id"].nunique() < 3:
        return pairs.iloc[0:0].assign(hlm_category=pd.Series(dtype=object))
    hlm = reliable_change_hlm(long, better=inst.better)
    judged = hlm.loc[~hlm["excluded"].astype(bool), "category"].astype(str)
    kept = pairs[pairs["client_id"].astype(str).isin(judged.index)].reset_index(drop=True)
    return kept.assign(hlm_category=kept["client_id"].astype(str).map(judged).to_numpy())


def significance_of_pairs(
    pairs: pd.DataFrame, inst: Any, method: str, reliability: float, cutoff_type: str
) -> pd.DataFrame:
    """:func:`clinical_significance` of a pairs table, as the report computes it.

    ``fixed`` uses the instrument's cut-off with its inclusive side (``clinical_side``); HLM
    pairs (:func:`hlm_pairs`) bring their own reliable-change category. Fewer than three pairs
    get no category (the cut-off criteria need a distribution).

    Returns
    -------
    pandas.DataFrame
        The result of :func:`clinical_significance` with ``client_id`` first and a ``group``
        column (``"all"`` when the pairs have none), in the pairs' order.

    Raises
    ------
    ParameterError
        ``fixed`` for an instrument without a published cut-off, or a method that cannot judge
        these pairs.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> ctx = example_cohort()
    >>> sig = significance_of_pairs(
    ...     ctx.pairs["PHQ-9"], ctx.ds.registry.get("PHQ-9"), "JT", 0.84, "fixed")
    >>> sig["category"].equals(ctx.significance["PHQ-9"]["category"])
    True
    """
    kw: dict[str, Any] = {"method": method, "reliability": reliability, "better": inst.better}
    if method == "HLM":
        kw = {"better": inst.better, "rc_categories": pairs["hlm_category"]}
    if cutoff_type == "fixed":
        if inst.cutoff is None:
            raise ParameterError(f"{inst.code} has no published cut-off; use cutoff_type 'a'")
        if method == "HA":
            kw["cutoff"] = inst.cutoff.value
        else:
            kw.update(cutoff=inst.cutoff.value, clinical_side=inst.cutoff.clinical)
    else:
        kw["cutoff_type"] = cutoff_type
    if len(pairs) < 3:
        out = pd.DataFrame(
            {"pre": pairs["pre"], "post": pairs["post"], "change": pairs["post"] - pairs["pre"]}
        )
        out["category"] = pd.Categorical([None] * len(out), categories=SIGNIFICANCE_CATEGORIES)
    else:
        try:
            out = clinical_significance(pairs["pre"], pairs["post"], **kw)
        except ValueError as exc:
            raise ParameterError(f"{inst.code}: {exc}") from None
    out = out.reset_index(drop=True)
    out.insert(0, "client_id", pairs["client_id"].to_numpy())
    out["group"] = pairs["group"].to_numpy() if "group" in pairs else "all"
    return out
