"""Drop-out sensitivity: completers' change against everyone who started (LOCF and BOCF)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from therapy_outcomes.cohort_report.selection import CohortContext
from therapy_outcomes.outcomes.effect_sizes import effect_sizes

__all__ = ["dropout_sensitivity"]


def dropout_sensitivity(ctx: CohortContext, code: str) -> pd.DataFrame:
    """Mean improvement and reliable improvement under three analyses of missing finals.

    - ``completers``: clients whose episode ended ``completed`` and who have a pair;
    - ``LOCF``: every client with a baseline score, post = the last observed score (a client
      with one score counts as unchanged);
    - ``BOCF``: the same clients, post = the last score for completers and the baseline for
      everyone else (drop-outs, open episodes, no final score): a conservative bound.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> dropout_sensitivity(example_cohort(), "PHQ-9")["analysis"].tolist()
    ['completers', 'LOCF', 'BOCF']
    """
    inst = ctx.ds.registry.get(code)
    sign = -1 if inst.better == "lower" else 1
    sc = ctx.scores[(ctx.scores["instrument"] == code) & ctx.scores["valid"].astype(bool)]
    sc = sc[sc["total"].notna()].sort_values(["client_id", "administered_on"], kind="mergesort")
    g = sc.groupby("client_id")["total"]
    first, last = g.first(), g.last()
    reason = ctx.clients.set_index("client_id")["end_reason"].reindex(first.index)
    completed = (reason == "completed").fillna(False).astype(bool) & (g.size() >= 2)
    threshold = inst.rc_threshold()
    rows = []
    analyses = {
        "completers": (first[completed], last[completed]),
        "LOCF": (first, last),
        "BOCF": (first, last.where(completed, first)),
    }
    for name, (pre, post) in analyses.items():
        imp = sign * (post - pre)
        row = {
            "analysis": name,
            "clients": len(pre),
            "mean_improvement": float(imp.mean()) if len(imp) else np.nan,
            "reliably_improved": int((imp >= threshold).sum()) if threshold else 0,
        }
        d = effect_sizes(pre, post, better=inst.better, variants=["d_pre"])
        row["d_pre"] = float(d["estimate"].iloc[0])
        rows.append(row)
    out = pd.DataFrame(rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["percent_reliably_improved"] = np.where(
            out["clients"] > 0, 100 * out["reliably_improved"] / out["clients"], np.nan
        )
    return out
