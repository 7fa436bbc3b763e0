"""Charts of the cohort and monthly reports (plotly figures; publish them with ``show``).

No chart shows a client ID. Points of the Jacobson plot are individual pairs, but a category
with fewer than ``min_cell`` clients is drawn as "other (small categories)" so the chart cannot
be counted into a hidden cell; every aggregate chart is drawn from a table that went through
:func:`therapy_outcomes.cohort_report.context.publish` or leaves out points below ``min_cell``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from therapy_outcomes.cohort_report.context import BENCHMARKS, CohortContext

__all__ = [
    "cohort_header",
    "dose_response_figure",
    "effect_size_figure",
    "effect_size_note",
    "jacobson_plot",
    "provenance_block",
    "rates_figure",
    "table_html",
    "trajectory_figure",
    "trend_figure",
]

COLOURS = {
    "recovered": "#1a9850",
    "improved": "#91cf60",
    "unchanged": "#999999",
    "deteriorated": "#fc8d59",
    "harmed": "#d73027",
    "other (small categories)": "#6a51a3",
}


def jacobson_plot(ctx: CohortContext, code: str) -> Any:
    """Pre against post: line of no change, reliable-change band, cut-off lines, categories.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> from therapy_outcomes.cohort_report.context import cohort_context
    >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=60, seed=3)
    >>> fig = jacobson_plot(cohort_context(folder), "PHQ-9")
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
    counts = sig["category"].value_counts()
    label = (
        sig["category"]
        .astype(str)
        .where(
            sig["category"].map(lambda c: counts.get(c, 0) >= ctx.min_cell).astype(bool),
            "other (small categories)",
        )
    )
    for cat in [*COLOURS]:
        sub = sig[label == cat]
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
    fig.update_layout(
        title=f"{code}: first against last score",
        height=480,
        xaxis={"title": "first score", "range": [lo - 0.5, hi + 0.5]},
        yaxis={"title": "last score", "range": [lo - 0.5, hi + 0.5]},
    )
    return fig


def rates_figure(table: pd.DataFrame, group: str, title: str) -> Any:
    """Percent per category and group with Wilson CIs, from a published rate table.

    Suppressed cells (``*``) are left out of the bars.

    Examples
    --------
    >>> from therapy_outcomes.cohort_report import context as cc
    >>> _, pub = cc.category_rates(cc.example_context(), "PHQ-9")
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
    >>> from therapy_outcomes.cohort_report import context as cc
    >>> fig = trajectory_figure(cc.trajectory(cc.example_context(), "PHQ-9"), "PHQ-9")
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
    """Mean improvement by sessions attended (bands with fewer than ``min_cell`` left out).

    Examples
    --------
    >>> from therapy_outcomes.cohort_report import context as cc
    >>> ctx = cc.example_context()
    >>> dose_response_figure(cc.dose_response(ctx, "PHQ-9"), "PHQ-9", 5).layout.xaxis.type
    'category'
    """
    import plotly.graph_objects as go

    d = dose[dose["clients"] >= min_cell]
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


def effect_size_figure(effects: pd.DataFrame) -> Any:
    """Each instrument's effect sizes (with CIs) beside the published benchmarks.

    Examples
    --------
    >>> from therapy_outcomes.cohort_report import context as cc
    >>> fig = effect_size_figure(cc.effect_size_table(cc.example_context()))
    >>> fig.layout.title.text
    'Pre-post effect sizes and benchmarks'
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, sub in effects.groupby("name", sort=False):
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
        for label, value in BENCHMARKS.get(code, []):
            fig.add_trace(
                go.Scatter(
                    x=[value],
                    y=[f"{code} benchmark"],
                    mode="markers",
                    marker={"symbol": "diamond", "color": "#000"},
                    name=label,
                    showlegend=False,
                    hovertemplate=f"{label}: {value}<extra></extra>",
                )
            )
    fig.update_layout(
        title="Pre-post effect sizes and benchmarks",
        xaxis={"title": "standardised mean change (positive = better)"},
        height=420,
    )
    return fig


def trend_figure(trend: pd.DataFrame, columns: list[str], title: str) -> Any:
    """Lines of ``columns`` over ``month`` (suppressed cells are gaps).

    Examples
    --------
    >>> t = pd.DataFrame({"month": ["2026-09", "2026-10"], "active": [12, "*"]})
    >>> [float(v) for v in trend_figure(t, ["active"], "Caseload").data[0].y]
    [12.0, nan]
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for col in columns:
        fig.add_trace(
            go.Scatter(
                x=trend["month"],
                y=pd.to_numeric(trend[col], errors="coerce"),
                mode="lines+markers",
                name=col.replace("_", " "),
            )
        )
    fig.update_layout(title=title, xaxis={"title": "month"})
    return fig


def table_html(table: pd.DataFrame, caption: str | None = None, digits: int = 1) -> str:
    """A published table as an HTML ``<table>`` (floats rounded, text escaped).

    Examples
    --------
    >>> "<table" in table_html(pd.DataFrame({"a": [1.234]}))
    True
    """
    t = table.copy()
    for col in t.columns:
        if pd.api.types.is_float_dtype(t[col]):
            t[col] = t[col].round(digits)
        elif t[col].dtype == object:
            t[col] = t[col].map(lambda v: round(v, digits) if isinstance(v, float) else v)
    body = t.to_html(index=False, classes="to-table", border=0, escape=True, na_rep="")
    if caption:
        from html import escape

        body = body.replace(">", f"><caption>{escape(caption)}</caption>", 1)
    return body


def cohort_header(ctx: CohortContext) -> str:
    """Title and the cohort's definition in one paragraph.

    Examples
    --------
    >>> from therapy_outcomes.cohort_report.context import example_context
    >>> cohort_header(example_context())[:24]
    '<h1>Cohort outcomes</h1>'
    """
    from html import escape

    p = ctx.provenance["parameters"]
    period = f"{p['start'] or 'the first episode'} to {p['end'] or 'the latest episode'}"
    grouped = f", grouped by {escape(str(ctx.group_by))}" if ctx.group_by else ""
    return (
        "<h1>Cohort outcomes</h1>"
        f"<p>{len(ctx.clients)} clients whose episode started from {escape(period)}{grouped}. "
        f"Questionnaires: {escape(', '.join(ctx.instruments))}. Counts below {ctx.min_cell} "
        "are shown as * (with any cell or rate that would give them away).</p>"
    )


def effect_size_note() -> str:
    """What the effect-size variants are and how far the benchmarks compare.

    Examples
    --------
    >>> "Delgadillo" in effect_size_note()
    True
    """
    return (
        "<p>Standardised mean change of clients with a first and last score, positive = "
        "better: d<sub>z</sub> (SD of change), d<sub>rm</sub> (repeated measures), "
        "d<sub>av</sub> (average SD) and d<sub>pre</sub> (baseline SD, Becker). The benchmarks "
        "are Delgadillo et al. (2014) for IAPT services and Gaskell et al. (2023) for routine "
        "care; which variant each paper used is not verified, so the comparison is indicative "
        "(d<sub>pre</sub> is shown beside them).</p>"
    )


def provenance_block(ctx: CohortContext) -> str:
    """Package version, input hash, parameters, reliabilities and their sources.

    Examples
    --------
    >>> from therapy_outcomes.cohort_report.context import example_context
    >>> "reliability 0.84" in provenance_block(example_context())
    True
    """
    from html import escape

    p = ctx.provenance
    facts = [
        ("Software", p["package"]),
        ("Input data (SHA-256)", p["input_hash"][:16] + "\u2026"),
        ("Data validated on", p["validated_on"]),
        ("Rows rejected in the dataset", p["rows_rejected_in_dataset"]),
    ]
    for key, value in p["parameters"].items():
        facts.append((f"Parameter {key}", value))
    dl = "".join(f"<div><dt>{escape(str(k))}</dt><dd>{escape(str(v))}</dd></div>" for k, v in facts)
    rel = "".join(
        f"<li>{escape(code)}: reliability {ctx.reliability[code]:.2f} "
        f"({escape(ctx.reliability_source[code])})</li>"
        for code in ctx.instruments
    )
    cut = (
        "the instrument's published clinical cut-off, with its inclusive side"
        if ctx.cutoff_type == "fixed"
        else "criterion a (two SD from the cohort's baseline mean)"
    )
    method = (
        f"<p>Pairs are each client's first and last valid score. Reliable change: "
        f"{escape(ctx.method)} method (Jacobson &amp; Truax 1991 and successors), alpha 0.05; "
        f"clinical significance against {cut}. Categories: recovered, improved, unchanged, "
        "deteriorated, harmed. Intervals for rates are Wilson 95 % intervals. NHS Talking "
        "Therapies metrics use the published thresholds (PHQ-9 caseness 10 and reliable change "
        "6, GAD-7 8 and 4); CMS159 uses PHQ-9 &gt; 9 as index and &lt; 5 at 12 months "
        "(\u00b1 60 days). Trajectories and dose-response bands with fewer than "
        f"{ctx.min_cell} clients are left out.</p>"
    )
    return f"<dl class='to-facts'>{dl}</dl>{method}<ul>{rel}</ul>"
