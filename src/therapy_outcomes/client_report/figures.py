"""Plotly figures of one client's report, built from a :class:`ClientContext`.

Figures only draw what the context already holds; they compute nothing clinical. Every figure
is sized for a phone-width screen first (legend below, small margins) and prints on A4.
"""

from __future__ import annotations

from typing import cast

import pandas as pd
import plotly.graph_objects as go

from therapy_outcomes.client_report.context import ClientContext

#: Band shades from best to worst (light, so that points and lines stay readable).
BAND_SHADES = ("#e8f3ec", "#f3f6e4", "#fbf3dc", "#fbe7d7", "#f8dcdc", "#f3d3dc")
CLIENT_SHADE = "#eef2f7"
LINE = "#2f6f9f"
ACCENT = "#c0504d"
MUTED = "#7b8794"

_LAYOUT = {
    "template": "plotly_white",
    "height": 340,
    "margin": {"l": 48, "r": 16, "t": 48, "b": 40},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
    "hovermode": "closest",
}


def _layout(fig: go.Figure, title: str, **extra: object) -> go.Figure:
    layout = {**_LAYOUT, **extra, "title": {"text": title, "x": 0, "font": {"size": 15}}}
    fig.update_layout(**layout)
    return fig


def instrument_timeline(ctx: ClientContext, instrument: str) -> go.Figure:
    """Scores of one instrument over time with bands, cut-off and the reliable-change band.

    Shows severity bands shaded (clinician version: labelled), the clinical cut-off, a band of
    +/- the reliable-change threshold around the baseline score (changes inside it may be
    measurement noise), attended sessions as ticks, life events as dotted lines, and alerts on
    this instrument as red markers. Prorated scores are drawn as open circles.

    Parameters
    ----------
    ctx : ClientContext
    instrument : str
        Canonical instrument code.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    inst = ctx.registry.get(instrument)
    s = ctx.scores[(ctx.scores["instrument"] == instrument) & ctx.scores["valid"].astype(bool)]
    s = s.sort_values("administered_on")
    fig = go.Figure()
    clinician = ctx.audience == "clinician"
    lo, hi = inst.total_min, inst.total_max
    bands = list(inst.bands) if inst.better == "lower" else list(reversed(inst.bands))
    for i, band in enumerate(bands):
        shade = BAND_SHADES[min(i, len(BAND_SHADES) - 1)] if clinician else CLIENT_SHADE
        if not clinician and i % 2:
            shade = "#f7f9fb"
        fig.add_hrect(
            y0=band.min,
            y1=band.max,
            fillcolor=shade,
            line_width=0,
            layer="below",
            annotation_text=band.label if clinician else None,
            annotation_position="top left",
            annotation_font={"size": 10, "color": MUTED},
        )
    progress = ctx.progress[ctx.progress["instrument"] == instrument]
    if len(progress) and progress["rc_threshold"].notna().iat[0] and len(s):
        first = progress.iloc[0]
        base, rc = float(first["baseline"]), float(first["rc_threshold"])
        fig.add_trace(
            go.Scatter(
                x=[
                    s["administered_on"].iat[0],
                    s["administered_on"].iat[-1],
                    s["administered_on"].iat[-1],
                    s["administered_on"].iat[0],
                ],
                y=[max(lo, base - rc), max(lo, base - rc), min(hi, base + rc), min(hi, base + rc)],
                fill="toself",
                mode="lines",
                fillcolor="rgba(47,111,159,0.10)",
                line={"width": 0},
                name=f"within {rc:g} points of the first score"
                if clinician
                else "normal ups and downs",
                hoverinfo="skip",
            )
        )
    if inst.cutoff is not None:
        fig.add_hline(
            y=inst.cutoff.value,
            line_dash="dash",
            line_color=ACCENT,
            line_width=1.5,
            annotation_text=(
                f"clinical cut-off {inst.cutoff.clinical} {inst.cutoff.value:g}"
                if clinician
                else "typical range starts here"
            ),
            annotation_position="bottom right",
            annotation_font={"size": 10, "color": ACCENT},
        )
    prorated = s["prorated"].astype(bool) if "prorated" in s else pd.Series(False, index=s.index)
    fig.add_trace(
        go.Scatter(
            x=s["administered_on"],
            y=s["total"],
            mode="lines+markers",
            name=inst.code,
            line={"color": LINE, "width": 2.5},
            marker={
                "size": 9,
                "color": ["white" if p else LINE for p in prorated],
                "line": {"color": LINE, "width": 2},
            },
            customdata=s[["band"]].astype(str).to_numpy() if clinician else None,
            hovertemplate=(
                "%{x|%d %b %Y}: %{y:.1f}"
                + ("<br>%{customdata[0]}" if clinician else "")
                + "<extra></extra>"
            ),
        )
    )
    _session_ticks(fig, ctx, lo, hi)
    _event_lines(fig, ctx)
    if clinician and len(ctx.alerts):
        mine = ctx.alerts[ctx.alerts["instrument"] == instrument]
        if len(mine):
            at = s.set_index("administered_on")["total"]
            ys = [at.get(pd.Timestamp(d), hi) for d in mine["date"]]
            fig.add_trace(
                go.Scatter(
                    x=mine["date"],
                    y=ys,
                    mode="markers",
                    name="alert",
                    marker={"symbol": "x-thin", "size": 16, "line": {"width": 3, "color": ACCENT}},
                    text=mine["explanation"],
                    hovertemplate="%{text}<extra></extra>",
                )
            )
    rng = [lo - 0.04 * (hi - lo), hi + 0.02 * (hi - lo)]
    if inst.better == "higher":
        title = f"{inst.code}: higher is better"
    else:
        title = f"{inst.code}: lower is better"
    fig.update_yaxes(range=rng, title_text="score", zeroline=False)
    fig.update_xaxes(type="date")
    return _layout(fig, title)


def _session_ticks(fig: go.Figure, ctx: ClientContext, lo: float, hi: float) -> None:
    sessions = ctx.sessions
    if sessions.empty:
        return
    y = lo - 0.02 * (hi - lo)
    for status, symbol, colour in (("attended", "line-ns", MUTED), ("did_not_attend", "x", ACCENT)):
        rows = sessions[sessions["attendance"] == status]
        if rows.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=rows["session_on"],
                y=[y] * len(rows),
                mode="markers",
                name="session" if status == "attended" else "missed session",
                marker={
                    "symbol": symbol,
                    "size": 8,
                    "color": colour,
                    "line": {"width": 1.5, "color": colour},
                },
                hovertemplate="%{x|%d %b %Y}<extra>" + status.replace("_", " ") + "</extra>",
            )
        )


def _event_lines(fig: go.Figure, ctx: ClientContext) -> None:
    events = ctx.events
    for occurred_on, description in zip(events["occurred_on"], events["description"], strict=True):
        fig.add_vline(
            x=pd.Timestamp(occurred_on).strftime("%Y-%m-%d"),
            line_dash="dot",
            line_color=MUTED,
            line_width=1,
        )
        fig.add_annotation(
            x=occurred_on,
            y=1,
            yref="paper",
            text=str(description)[:28],
            showarrow=False,
            textangle=0,
            font={"size": 10, "color": MUTED},
            yanchor="bottom",
        )


def goal_progress(ctx: ClientContext, goal_id: str) -> go.Figure:
    """One goal's ratings over time with baseline, target, target date and on-track line.

    The on-track line runs straight from the baseline on the day the goal was set to the target
    on its target date.
    """
    goal = cast(pd.Series, ctx.goals.set_index("goal_id").loc[goal_id])  # goal IDs are unique
    r = ctx.goal_ratings[ctx.goal_ratings["goal_id"] == goal_id].sort_values("rated_on")
    fig = go.Figure()
    if pd.notna(goal["baseline"]) and pd.notna(goal["target"]) and pd.notna(goal["target_date"]):
        fig.add_trace(
            go.Scatter(
                x=[goal["set_on"], goal["target_date"]],
                y=[goal["baseline"], goal["target"]],
                mode="lines",
                name="on track",
                line={"color": MUTED, "dash": "dot"},
                hoverinfo="skip",
            )
        )
    if pd.notna(goal["target"]):
        fig.add_hline(
            y=goal["target"],
            line_dash="dash",
            line_color="#3c8d5a",
            annotation_text=f"target {goal['target']:g}",
            annotation_position="top left",
            annotation_font={"size": 10},
        )
    if pd.notna(goal["baseline"]):
        fig.add_hline(
            y=goal["baseline"],
            line_color=MUTED,
            line_width=1,
            annotation_text=f"start {goal['baseline']:g}",
            annotation_position="bottom left",
            annotation_font={"size": 10},
        )
    if pd.notna(goal["target_date"]):
        fig.add_vline(
            x=pd.Timestamp(goal["target_date"]).strftime("%Y-%m-%d"),
            line_dash="dash",
            line_color="#3c8d5a",
            line_width=1,
        )
    fig.add_trace(
        go.Scatter(
            x=r["rated_on"],
            y=r["value"],
            mode="lines+markers",
            name="rating",
            line={"color": LINE, "width": 2.5},
            marker={"size": 9},
            hovertemplate="%{x|%d %b %Y}: %{y:g}<extra></extra>",
        )
    )
    measure = str(goal["measure"])
    unit = goal.get("unit")
    axis = {"GAS": "GAS level (-2 to +2)", "GBO": "GBO rating (0 to 10)"}.get(
        measure, str(unit) if measure == "count" and pd.notna(unit) else measure
    )
    if measure == "GAS":
        fig.update_yaxes(range=[-2.3, 2.3], dtick=1)
    elif measure == "GBO":
        fig.update_yaxes(range=[-0.3, 10.3])
    fig.update_yaxes(title_text=axis)
    fig.update_xaxes(type="date")
    return _layout(fig, "", height=280, margin={"l": 48, "r": 16, "t": 16, "b": 40})


def gas_over_time(ctx: ClientContext) -> go.Figure:
    """GAS T-score at each review (50 = every goal met as expected)."""
    g = ctx.gas.sort_values("rated_on")
    fig = go.Figure()
    fig.add_hline(
        y=50,
        line_dash="dash",
        line_color="#3c8d5a",
        annotation_text="goals met as expected (50)",
        annotation_font={"size": 10},
    )
    fig.add_trace(
        go.Scatter(
            x=g["rated_on"],
            y=g["tscore"],
            mode="lines+markers",
            name="GAS T-score",
            line={"color": LINE, "width": 2.5},
            marker={"size": 9},
            customdata=g[["n_goals"]].to_numpy(),
            hovertemplate="%{x|%d %b %Y}: %{y:.1f} (%{customdata[0]} goals)<extra></extra>",
        )
    )
    fig.update_yaxes(range=[15, 85], title_text="T-score")
    fig.update_xaxes(type="date")
    return _layout(fig, "Goal attainment (GAS T-score)", height=300)


def item_view(ctx: ClientContext, instrument: str) -> go.Figure | None:
    """The item view of one instrument, or ``None`` without two scores with item answers."""
    from therapy_outcomes.client_report.progress import item_comparison

    row = ctx.progress[ctx.progress["instrument"] == instrument]
    if row.empty or int(row["n_scores"].iloc[0]) < 2:
        return None
    items = item_comparison(ctx.responses, ctx.scores, ctx.registry, instrument, ctx.as_of)
    if items[["baseline", "latest"]].isna().all().any():
        return None  # totals only at one end: nothing to compare item by item
    return item_comparison_figure(items, instrument, ctx.audience)


def item_comparison_figure(items: pd.DataFrame, instrument: str, audience: str) -> go.Figure:
    """Each item's answer at the first and the latest score (horizontal bars).

    In the clinician version an item whose answer moved in the worse direction is marked
    with a triangle after its label (reverse-scored items taken into account).
    """
    mark = audience == "clinician"
    labels = [
        f"{i}. {label[:36]}{' ▲' if worse and mark else ''}"
        for i, label, worse in zip(items["item"], items["label"], items["worse"], strict=True)
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(y=labels, x=items["baseline"], orientation="h", name="first", marker_color="#b8c2cc")
    )
    fig.add_trace(
        go.Bar(y=labels, x=items["latest"], orientation="h", name="latest", marker_color=LINE)
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text="answer")
    height = 120 + 34 * len(items)
    return _layout(
        fig,
        f"{instrument}: answers, first and latest" + (" (\u25b2 worse)" if mark else ""),
        barmode="group",
        height=height,
        margin={"l": 8, "r": 16, "t": 48, "b": 40},
    )


def alliance_figure(ctx: ClientContext) -> go.Figure | None:
    """Session Rating Scale totals per session, with the low-alliance cut-off."""
    if "SRS" not in set(ctx.scores["instrument"]):
        return None
    return instrument_timeline(ctx, "SRS")


def engagement_figure(ctx: ClientContext) -> go.Figure:
    """Sessions by attendance and homework by status, side by side."""
    att = ctx.attendance
    hw = ctx.homework["status"].value_counts()
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=["attended", "did not attend", "cancelled"],
            y=[att["attended"], att["did_not_attend"], att["cancelled"]],
            name="sessions",
            marker_color=[LINE, ACCENT, MUTED],
            hovertemplate="%{x}: %{y}<extra>sessions</extra>",
        )
    )
    order = ["completed", "partial", "not_done", "assigned"]
    fig.add_trace(
        go.Bar(
            x=[f"homework {s.replace('_', ' ')}" for s in order],
            y=[int(hw.get(s, 0)) for s in order],
            name="homework",
            marker_color=["#3c8d5a", "#9cc3a6", "#e0b4b4", "#cbd2d9"],
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    fig.update_layout(showlegend=False)
    fig.update_yaxes(title_text="count", rangemode="tozero")
    return _layout(fig, "Sessions and practice between sessions", height=300)
