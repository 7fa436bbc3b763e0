"""Growth curves for a cohort from a linear mixed model (mean trajectory and spread by group).

Model, fitted with statsmodels ``MixedLM`` (REML) on every valid score of the cohort::

    score_ij = b0_g + b1_g * log(occasion_ij) + u0_i + u1_i * log(occasion_ij) + e_ij

with a fixed intercept and log-occasion slope per group ``g`` and a correlated random
intercept and slope per client (Raudenbush & Bryk 2002; the log of the occasion number
follows Finch, Lambert & Schaalje 2001). The curve reports, per group and occasion, the
model's mean and the 10th-90th percentile band of a client's expected score,
``mean +/- 1.2816 * sqrt(G00 + 2 L G01 + L^2 G11 + sigma^2)`` with ``L = log(occasion)``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy.stats import norm

from therapy_outcomes.cohort_report.selection import CohortContext

CURVE_COLUMNS = ["group", "occasion", "mean", "low", "high", "clients", "converged"]


def occasions(ctx: CohortContext, code: str) -> pd.DataFrame:
    """Every valid score of ``code`` with its occasion number (1 = the client's first score)."""
    sc = ctx.scores[(ctx.scores["instrument"] == code) & ctx.scores["valid"].astype(bool)]
    sc = sc[sc["total"].notna()].sort_values(["client_id", "administered_on"], kind="mergesort")
    sc = sc.assign(occasion=sc.groupby("client_id").cumcount() + 1)
    sc["group"] = ctx.group.reindex(sc["client_id"].astype(str)).to_numpy()
    return sc[["client_id", "group", "occasion", "total"]].reset_index(drop=True)


def growth_curve(
    ctx: CohortContext, code: str, *, max_occasion: int = 12, band: float = 0.8
) -> pd.DataFrame:
    """Model-based mean trajectory and spread per group (see the module docstring).

    Parameters
    ----------
    ctx : CohortContext
    code : str
        Instrument.
    max_occasion : int
        Occasions beyond this are left out of the fit and the curve.
    band : float
        Central share of clients the band covers (0.8: 10th to 90th percentile).

    Returns
    -------
    pandas.DataFrame
        :data:`CURVE_COLUMNS`; one row per group and occasion from 1 to the last occasion
        seen by at least ``ctx.min_cell`` clients of the group. Empty when fewer than
        ``ctx.min_cell`` clients have two or more scores. ``.attrs`` holds the fixed effects,
        variance components and the numbers of clients and scores.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> curve = growth_curve(example_cohort(), "PHQ-9")
    >>> bool((curve["low"] <= curve["mean"]).all() and (curve["mean"] <= curve["high"]).all())
    True
    """
    import statsmodels.formula.api as smf

    data = occasions(ctx, code)
    data = data[data["occasion"] <= max_occasion].copy()
    repeated = data.groupby("client_id")["occasion"].transform("max") >= 2
    data = data[repeated]
    if data["client_id"].nunique() < max(ctx.min_cell, 3):
        return pd.DataFrame(columns=CURVE_COLUMNS)
    data["log_occasion"] = np.log(data["occasion"])
    data["group"] = data["group"].astype(str)
    grouped = data["group"].nunique() > 1
    formula = "total ~ log_occasion * C(group)" if grouped else "total ~ log_occasion"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter; the flag is reported instead
        fit = smf.mixedlm(formula, data, groups=data["client_id"], re_formula="~log_occasion").fit(
            reml=True
        )
    cov = np.asarray(fit.cov_re)
    resid = float(fit.scale)
    z = float(norm.ppf(0.5 + band / 2))
    rows = []
    seen = data.groupby(["group", "occasion"])["client_id"].nunique()
    for group in sorted(data["group"].unique()):
        counts = seen.loc[group]
        last = (
            int(counts[counts >= ctx.min_cell].index.max()) if (counts >= ctx.min_cell).any() else 0
        )
        if last == 0:
            continue
        grid = pd.DataFrame({"log_occasion": np.log(np.arange(1, last + 1)), "group": group})
        mean = np.asarray(fit.predict(grid))
        for k in range(1, last + 1):
            lo = math.log(k)
            var = cov[0, 0] + 2 * lo * cov[0, 1] + lo**2 * cov[1, 1] + resid
            half = z * math.sqrt(max(var, 0.0))
            rows.append(
                {
                    "group": group,
                    "occasion": k,
                    "mean": float(mean[k - 1]),
                    "low": float(mean[k - 1] - half),
                    "high": float(mean[k - 1] + half),
                    "clients": int(counts.get(k, 0)),
                    "converged": bool(fit.converged),
                }
            )
    out = pd.DataFrame(rows, columns=CURVE_COLUMNS)
    out.attrs = {
        "fixed_effects": {k: float(v) for k, v in fit.fe_params.items()},
        "var_intercept": float(cov[0, 0]),
        "var_slope": float(cov[1, 1]),
        "cov_intercept_slope": float(cov[0, 1]),
        "var_residual": resid,
        "n_clients": int(data["client_id"].nunique()),
        "n_scores": len(data),
    }
    return out


def growth_figure(curve: pd.DataFrame, code: str) -> object:
    """Model mean per group with its 10th-90th percentile band.

    Examples
    --------
    >>> curve = pd.DataFrame({"group": ["all"] * 2, "occasion": [1, 2], "mean": [15.0, 12.0],
    ...                       "low": [9.0, 6.0], "high": [21.0, 18.0], "clients": [9, 9],
    ...                       "converged": True})
    >>> [t.name for t in growth_figure(curve, "PHQ-9").data]
    ['all', 'all: 10th-90th percentile']
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for group, sub in curve.groupby("group", sort=True):
        fig.add_trace(
            go.Scatter(
                x=sub["occasion"],
                y=sub["mean"],
                mode="lines",
                name=str(group),
                legendgroup=str(group),
            )
        )
        colour = fig.data[-1].line.color
        fig.add_trace(
            go.Scatter(
                x=list(sub["occasion"]) + list(sub["occasion"])[::-1],
                y=list(sub["high"]) + list(sub["low"])[::-1],
                fill="toself",
                mode="lines",
                line={"width": 0, "color": colour},
                opacity=0.15,
                hoverinfo="skip",
                name=f"{group}: 10th-90th percentile",
                legendgroup=str(group),
                showlegend=False,
            )
        )
    fig.update_layout(
        title=f"{code}: growth curves (mixed model, log occasion)",
        xaxis={"title": "score number (1 = first)"},
        yaxis={"title": "score"},
    )
    return fig
