"""Plotly figures built from the package's summary tables (no computation of their own)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def severity_bars(severity: pd.DataFrame) -> go.Figure:
    """Clients per severity band at intake and latest, one panel per instrument.

    Parameters
    ----------
    severity : pandas.DataFrame
        The output of :func:`therapy_outcomes.overview.summary.severity_at_intake_and_latest`
        (columns ``instrument``, ``band``, ``intake``, ``latest``; bands in scale order).

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> table = pd.DataFrame({"instrument": ["PHQ-9", "PHQ-9"], "band": ["mild", "severe"],
    ...                       "intake": [3, 5], "latest": [6, 2]})
    >>> fig = severity_bars(table)
    >>> [trace.name for trace in fig.data]
    ['intake', 'latest']
    """
    instruments = list(dict.fromkeys(severity["instrument"]))
    fig = make_subplots(
        rows=max(len(instruments), 1), cols=1, subplot_titles=instruments, vertical_spacing=0.08
    )
    for row, code in enumerate(instruments, start=1):
        part = severity[severity["instrument"] == code]
        for column, colour in (("intake", "#9aa5b1"), ("latest", "#2f6f9f")):
            fig.add_trace(
                go.Bar(
                    x=part["band"],
                    y=part[column],
                    name=column,
                    marker_color=colour,
                    showlegend=row == 1,
                    legendgroup=column,
                    hovertemplate="%{x}: %{y} clients<extra>" + column + "</extra>",
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text="clients", row=row, col=1)
    fig.update_layout(
        barmode="group",
        height=260 * max(len(instruments), 1),
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
    )
    return fig
