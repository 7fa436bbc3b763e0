"""Charts of the monthly summary (plotly figures; publish them with ``show``).

Each is drawn from a published table: a suppressed cell (``*``) is a gap in its line.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["attendance_figure", "caseload_figure", "trend_figure"]


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


def caseload_figure(trend: pd.DataFrame) -> Any:
    """Clients active, new and discharged per month.

    Examples
    --------
    >>> t = pd.DataFrame({"month": ["2026-10"], "active": [12], "new": [5], "discharged": [6]})
    >>> [d.name for d in caseload_figure(t).data]
    ['active', 'new', 'discharged']
    """
    return trend_figure(trend, ["active", "new", "discharged"], "Caseload")


def attendance_figure(trend: pd.DataFrame) -> Any:
    """DNA rate and questionnaire completion rate (%) per month.

    Examples
    --------
    >>> t = pd.DataFrame({"month": ["2026-10"], "dna_rate": [12.5], "completion_rate": [100.0]})
    >>> attendance_figure(t).layout.title.text
    'DNA and completion (%)'
    """
    return trend_figure(trend, ["dna_rate", "completion_rate"], "DNA and completion (%)")
