"""Charts of the cohort-outcomes report (plotly figures; publish them with ``show``).

No chart shows a client ID. The Jacobson plot draws one point per client, coloured by category,
only when the researcher asks for it (``min_cell=1``); otherwise it shades squares of the score
range by their number of clients, with squares below ``min_cell`` (and one that would give a
blank square away) left blank and no hover text, so the chart cannot be counted into a hidden
cell of the category table. Every aggregate chart is drawn from a table that went through
:func:`therapy_outcomes.cohort_report.publish.publish` (suppressed cells are left out).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from therapy_outcomes.cohort_report.effects import benchmarks
from therapy_outcomes.cohort_report.selection import CohortContext
from therapy_outcomes.instruments import Registry
from therapy_outcomes.rendering.plotly_text import plot_text

__all__ = [
    "dose_response_figure",
    "effect_size_figure",
    "jacobson_bins",
    "jacobson_plot",
    "rates_figure",
    "trajectory_figure",
]

COLOURS = {
    "recovered": "#1a9850",
    "improved": "#91cf60",
    "unchanged": "#999999",
    "deteriorated": "#fc8d59",
    "harmed": "#d73027",
}


def jacobson_plot(ctx: CohortContext, code: str) -> Any:
    """Pre against post: line of no change, reliable-change band, cut-off lines, and the pairs.

    With ``ctx.min_cell == 1`` every pair is a point coloured by its category; otherwise the
    pairs are shaded squares (:func:`jacobson_bins`) and no point or hover text shows a client.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> fig = jacobson_plot(example_cohort(), "PHQ-9")
    >>> fig.data[0].name
    'no change'
    """
    import plotly.graph_objects as go

    inst = ctx.ds.registry.get(code)
    sig = ctx.significance[code]
    lo, hi = inst.total_min, inst.total_max
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[lo, hi],
            y=[lo, hi],
            mode="lines",
            name="no change",
            line={"color": "#333", "width": 1},
        )
    )
    rc = sig.attrs.get("threshold_points") or inst.rc_threshold()
    if rc:
        rc = float(rc)
        fig.add_trace(
            go.Scatter(
                x=[lo, hi, hi, lo],
                y=[lo + rc, hi + rc, hi - rc, lo - rc],
                fill="toself",
                mode="lines",
                line={"width": 0},
                fillcolor="rgba(150,150,150,0.18)",
                name=f"reliable-change band (\u00b1{rc:.1f})",
                hoverinfo="skip",
            )
        )
    cutoff = sig.attrs.get("cutoff")
    if cutoff is not None:
        for axis in ("x", "y"):
            fig.add_shape(
                type="line",
                line={"dash": "dash", "color": "#555"},
                **(
                    {"x0": cutoff, "x1": cutoff, "y0": lo, "y1": hi}
                    if axis == "x"
                    else {"x0": lo, "x1": hi, "y0": cutoff, "y1": cutoff}
                ),
            )
    if ctx.min_cell == 1:
        _client_points(fig, sig)
    else:
        _binned_pairs(fig, sig, lo, hi, ctx.min_cell)
    fig.update_layout(
        title=f"{code}: first against last score",
        height=480,
        xaxis={"title": "first score", "range": [lo - 0.5, hi + 0.5]},
        yaxis={"title": "last score", "range": [lo - 0.5, hi + 0.5]},
    )
    return fig


def _client_points(fig: Any, sig: pd.DataFrame) -> None:
    """One point per client, coloured by category (only with ``min_cell=1``)."""
    import plotly.graph_objects as go

    for cat in [*COLOURS]:
        sub = sig[sig["category"].astype(str) == cat]
        if sub.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=sub["pre"],
                y=sub["post"],
                mode="markers",
                name=cat,
                marker={"color": COLOURS[cat], "size": 7, "opacity": 0.75},
                hovertemplate="pre %{x}<br>post %{y}<extra></extra>",
            )
        )


def jacobson_bins(pre: pd.Series, post: pd.Series, lo: float, hi: float, min_cell: int) -> Any:
    """Clients per square of the Jacobson plot (7 by 7 squares over the score range), with
    squares below ``min_cell`` and any square that would give one away blank (NaN).

    The squares sum to the number of pairs the report shows, so when one square is blank the
    next smallest is blanked too (:func:`therapy_outcomes.outcomes.disclosure.linked_suppression`).

    Returns
    -------
    (edges, counts) : ndarray, ndarray
        The 8 bin edges (both axes) and a 7 x 7 array ``counts[post_bin, pre_bin]``.

    Examples
    --------
    Five clients in one square, two in another and one in a third: the two small squares are
    blank (their sum, 3, is known from the eight pairs, but neither alone).

    >>> scores = pd.Series([1, 2, 20, 20, 20, 20, 20, 26])
    >>> edges, counts = jacobson_bins(scores, scores, 0, 27, 5)
    >>> int(np.nansum(counts)), int(np.isnan(counts).sum())
    (5, 2)
    """
    from therapy_outcomes.outcomes.disclosure import linked_suppression

    edges = np.linspace(lo, hi + 1e-9, 8)
    counts, _, _ = np.histogram2d(post.astype(float), pre.astype(float), bins=[edges, edges])
    # a cell is a (row, column) square; the pairs total is the cell (-1, -1)
    pairs = (-1, -1)
    cells = {(i, j): float(counts[i, j]) for i in range(7) for j in range(7)}
    small = [c for c, v in cells.items() if 0 < v < min_cell]
    total: dict[tuple[int, int], float] = {**{c: 1.0 for c in cells}, pairs: -1.0}
    hidden = linked_suppression(
        {**cells, pairs: float(counts.sum())}, [total], hidden=small, fixed=[pairs]
    )
    shown = counts.astype(float)
    for c in hidden - {pairs}:
        shown[c] = np.nan
    return edges, shown


def _binned_pairs(fig: Any, sig: pd.DataFrame, lo: float, hi: float, min_cell: int) -> None:
    """The pairs as shaded squares (no point per client, no hover counts)."""
    import plotly.graph_objects as go

    edges, shown = jacobson_bins(sig["pre"], sig["post"], lo, hi, min_cell)
    mids = (edges[:-1] + edges[1:]) / 2
    fig.add_trace(
        go.Heatmap(
            x=mids,
            y=mids,
            z=np.where(np.isnan(shown), None, shown),
            colorscale="Blues",
            showscale=True,
            colorbar={"title": {"text": "clients"}},
            hoverinfo="skip",
            name=f"clients per square (blank: fewer than {min_cell})",
            opacity=0.8,
        )
    )


def rates_figure(table: pd.DataFrame, group: str, title: str) -> Any:
    """Percent per category and group with Wilson CIs, from a published rate table.

    Suppressed cells (``*``) are left out of the bars.

    Examples
    --------
    >>> from therapy_outcomes.cohort_report.rates import category_rates
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> _, pub = category_rates(example_cohort(), "PHQ-9")
    >>> rates_figure(pub, "site", "PHQ-9").layout.barmode
    'group'
    """
    import plotly.graph_objects as go

    t = table.copy()
    t["percent"] = pd.to_numeric(t["percent"], errors="coerce")
    t["ci_low"] = pd.to_numeric(t["ci_low"], errors="coerce")
    t["ci_high"] = pd.to_numeric(t["ci_high"], errors="coerce")
    fig = go.Figure()
    for cat in t["category"].unique():
        sub = t[(t["category"] == cat) & t["percent"].notna()]
        fig.add_trace(
            go.Bar(
                x=sub[group].astype(str),
                y=sub["percent"],
                name=str(cat),
                marker_color=COLOURS.get(str(cat)),
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": sub["ci_high"] - sub["percent"],
                    "arrayminus": sub["percent"] - sub["ci_low"],
                },
            )
        )
    fig.update_layout(barmode="group", title=title, yaxis={"title": "% of paired clients"})
    return fig


def trajectory_figure(traj: pd.DataFrame, code: str) -> Any:
    """Mean score by occasion and group with 95 % CI ribbons.

    Examples
    --------
    >>> from therapy_outcomes.cohort_report.trajectories import trajectory
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> fig = trajectory_figure(trajectory(example_cohort(), "PHQ-9"), "PHQ-9")
    >>> fig.data[0].name
    'Eastfield'
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for g, sub in traj.groupby("group", sort=True):
        style = {"color": "#111", "width": 3} if g == "all" else {}
        fig.add_trace(
            go.Scatter(
                x=sub["occasion"],
                y=sub["mean"],
                mode="lines+markers",
                name=str(g),
                line=style,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": sub["ci_high"] - sub["mean"],
                    "arrayminus": sub["mean"] - sub["ci_low"],
                },
            )
        )
    fig.update_layout(
        title=f"{code}: mean score by occasion",
        xaxis={"title": "score number (1 = first)"},
        yaxis={"title": "mean score"},
    )
    return fig


def dose_response_figure(dose: pd.DataFrame, code: str, min_cell: int) -> Any:
    """Mean improvement by sessions attended, from the raw or the published table (bands with
    fewer than ``min_cell`` clients, or suppressed, are left out).

    Examples
    --------
    >>> from therapy_outcomes.cohort_report.trajectories import dose_response
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> dose_response_figure(dose_response(example_cohort(), "PHQ-9"), "PHQ-9", 5).layout.xaxis.type
    'category'
    """
    import plotly.graph_objects as go

    d = dose.apply(pd.to_numeric, errors="coerce").assign(
        sessions_attended=dose["sessions_attended"]
    )
    d = d[(d["clients"] >= min_cell) & d["mean_improvement"].notna()]
    se = d["sd"] / np.sqrt(d["clients"])
    fig = go.Figure(
        go.Bar(
            x=d["sessions_attended"],
            y=d["mean_improvement"],
            error_y={"type": "data", "array": 1.96 * se},
            marker_color="#4575b4",
            name="mean improvement",
        )
    )
    fig.update_layout(
        title=f"{code}: improvement by sessions attended",
        xaxis={"title": "sessions attended", "type": "category"},
        yaxis={"title": "mean improvement (points)"},
    )
    return fig


def effect_size_figure(effects: pd.DataFrame, registry: Registry | None = None) -> Any:
    """Each instrument's effect sizes (with CIs) beside the published benchmarks.

    Examples
    --------
    >>> from therapy_outcomes.cohort_report.effects import effect_size_table
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> fig = effect_size_figure(effect_size_table(example_cohort()))
    >>> fig.layout.title.text
    'Pre-post effect sizes and benchmarks'
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for key, sub in effects.groupby("name", sort=False):
        name = str(key)
        fig.add_trace(
            go.Scatter(
                x=sub["estimate"],
                y=sub["instrument"] + " " + name,
                mode="markers",
                name=name,
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": sub["ci_high"] - sub["estimate"],
                    "arrayminus": sub["estimate"] - sub["ci_low"],
                },
            )
        )
    for code in effects["instrument"].unique():
        for label, value in benchmarks(code, registry):
            fig.add_trace(
                go.Scatter(
                    x=[value],
                    y=[f"{code} benchmark"],
                    mode="markers",
                    marker={"symbol": "diamond", "color": "#000"},
                    name=label,
                    showlegend=False,
                    hovertemplate=f"{plot_text(label)}: {value}<extra></extra>",
                )
            )
    fig.update_layout(
        title="Pre-post effect sizes and benchmarks",
        xaxis={"title": "standardised mean change (positive = better)"},
        height=420,
    )
    return fig
