"""Interactive explorer (``notebooks/explore.ipynb``): widgets driving plotly figures.

Controls: instrument, group, episode date range and a client picker. Figures: mean trajectory
by group, category rates by group (published, small cells hidden) and one client's timeline.

Each figure is a plotly ``FigureWidget`` (plotly >= 6 builds it on ``anywidget``, whose
JupyterLab extension and plotly's widget bundle ship in the wheels: nothing is fetched from a
CDN). A control's change rebuilds the figure and swaps its traces and layout into the same
widget, so the page updates in place; :attr:`Explorer.figures` holds the widgets, which the
tests inspect after setting a control's value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from therapy_outcomes.cohort_report import figures as cf
from therapy_outcomes.cohort_report.rates import category_rates
from therapy_outcomes.cohort_report.selection import CohortContext, cohort_context
from therapy_outcomes.cohort_report.trajectories import trajectory
from therapy_outcomes.loading.dataset import Dataset, load
from therapy_outcomes.rendering.plotly_text import escape_figure

__all__ = [
    "FIGURE_NAMES",
    "GROUP_CHOICES",
    "Explorer",
    "explore",
    "figure_widget",
    "replace_figure",
]

GROUP_CHOICES = ("none", "site", "therapist_id", "modality")
#: Keys of :attr:`Explorer.figures`, in the order :meth:`Explorer.view` shows them.
FIGURE_NAMES = ("trajectory", "rates", "client")

_MISSING = (
    "the explorer draws plotly FigureWidgets, which need anywidget with plotly >= 6: "
    "pip install 'anywidget>=0.9'"
)


def figure_widget(fig: Any) -> Any:
    """A plotly ``FigureWidget`` holding a copy of ``fig``, its text escaped (as in a report).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure or dict
        The figure to copy.

    Returns
    -------
    plotly.graph_objects.FigureWidget

    Raises
    ------
    ImportError
        When ``anywidget`` (which plotly >= 6 builds ``FigureWidget`` on) is not installed.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> w = figure_widget(go.Figure(go.Scatter(y=[1, 3, 2])))
    >>> type(w).__name__, tuple(w.data[0].y)
    ('FigureWidget', (1, 3, 2))
    """
    import plotly.graph_objects as go

    try:
        return go.FigureWidget(escape_figure(_as_dict(fig)))
    except ImportError as exc:  # plotly's stand-in class raises when anywidget is missing
        raise ImportError(_MISSING) from exc


def replace_figure(widget: Any, fig: Any) -> Any:
    """Swap ``fig``'s traces and layout (text escaped) into ``widget`` in place; return it.

    The browser gets delete/add-trace and relayout messages, so a displayed widget redraws
    without being displayed again. Top-level layout keys the old figure had and the new one
    lacks (``annotations``, ``shapes``, ``barmode`` ...) are removed first, in Python and in
    the browser, so nothing from the previous figure lingers.

    Parameters
    ----------
    widget : plotly.graph_objects.FigureWidget
        The widget to update.
    fig : plotly.graph_objects.Figure
        The figure to show in it.

    Returns
    -------
    plotly.graph_objects.FigureWidget
        ``widget`` itself.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> w = figure_widget(go.Figure(go.Bar(y=[1, 2]), layout={"title": "old"}))
    >>> new = go.Figure([go.Scatter(y=[5]), go.Scatter(y=[6])], layout={"barmode": "group"})
    >>> w = replace_figure(w, new)
    >>> len(w.data), w.layout.title.text, w.layout.barmode
    (2, None, 'group')
    """
    import plotly.graph_objects as go

    fig = go.Figure(escape_figure(_as_dict(fig)))  # text escaped, as in figure_widget
    new_layout = fig.layout.to_plotly_json()
    stale = [
        key for key in widget.layout.to_plotly_json() if key not in new_layout and key != "template"
    ]
    widget.data = ()  # deletes every trace
    if stale:
        widget.plotly_relayout({key: None for key in stale})
    widget.add_traces(list(fig.data))
    widget.layout = fig.layout
    return widget


def _as_dict(fig: Any) -> Any:
    """A figure as a dict whose arrays stay numpy arrays (``Figure.to_plotly_json`` would
    make them base64, which a widget keeps as a dict)."""
    if hasattr(fig, "layout") and hasattr(fig, "data"):
        return {
            "data": [trace.to_plotly_json() for trace in fig.data],
            "layout": fig.layout.to_plotly_json(),
        }
    return fig


class Explorer:
    """Widgets and figures for one dataset.

    Parameters
    ----------
    data : str, pathlib.Path or Dataset
        A dataset folder (see :func:`therapy_outcomes.loading.dataset.load`) or a loaded dataset.
    min_cell : int
        Smallest count shown in the rates chart and trajectory points.

    Attributes
    ----------
    instrument, group, client : ipywidgets.Dropdown
        The measure, the grouping (one of :data:`GROUP_CHOICES`) and the client shown.
    start, end : ipywidgets.DatePicker
        Episode start range of the cohort.
    figures : dict of str to plotly.graph_objects.FigureWidget
        ``"trajectory"``, ``"rates"`` and ``"client"``; the same objects for the explorer's
        lifetime, updated in place when a control changes.
    rates_table : pandas.DataFrame
        The published (small cells hidden) category rates behind the rates chart.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=60, seed=3)
    >>> ex = Explorer(folder)
    >>> widget = ex.figures["trajectory"]; before = widget.data[0].y
    >>> ex.instrument.value = "GAD-7"
    >>> ex.figures["trajectory"] is widget, tuple(widget.data[0].y) != tuple(before)
    (True, True)
    """

    def __init__(self, data: str | Path | Dataset, *, min_cell: int = 5) -> None:
        import ipywidgets as w

        self.ds = data if isinstance(data, Dataset) else load(data)
        self.min_cell = min_cell
        codes = [
            c for c in ("PHQ-9", "GAD-7", "CORE-10") if (self.ds.scores["instrument"] == c).any()
        ]
        began = self.ds.clients["episode_start"].fillna(self.ds.clients["referred_on"])
        self.instrument = w.Dropdown(options=codes, value=codes[0], description="Measure")
        self.group = w.Dropdown(options=list(GROUP_CHOICES), value="none", description="Group")
        self.start = w.DatePicker(value=began.min().date(), description="From")
        self.end = w.DatePicker(value=began.max().date(), description="To")
        clients = sorted(self.ds.clients["client_id"].astype(str))
        self.client = w.Dropdown(options=clients, value=clients[0], description="Client")
        self.figures: dict[str, Any] = {}
        for control in (self.instrument, self.group, self.start, self.end):
            control.observe(self._on_cohort, names="value")
        for control in (self.instrument, self.client):  # the timeline shows one measure
            control.observe(self._on_client, names="value")
        self._on_cohort()
        self._on_client()

    # -- figures -------------------------------------------------------------------------
    def context(self) -> CohortContext:
        """The cohort the controls select.

        Returns
        -------
        therapy_outcomes.cohort_report.selection.CohortContext

        Examples
        --------
        >>> import tempfile
        >>> from therapy_outcomes.demo import write_demo_clinic
        >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=60, seed=3)
        >>> ex = Explorer(folder); ex.group.value = "site"
        >>> ex.context().group_label is not None
        True
        """
        group = None if self.group.value == "none" else self.group.value
        return cohort_context(
            self.ds,
            start=self.start.value,
            end=self.end.value,
            instruments=[self.instrument.value],
            group_by=group,
            min_cell=self.min_cell,
        )

    def client_figure(self) -> Any:
        """The picked client's scores on the chosen instrument over time.

        Returns
        -------
        plotly.graph_objects.Figure
            One line of valid totals, the instrument's cutoff as a dashed line.

        Examples
        --------
        >>> import tempfile
        >>> from therapy_outcomes.demo import write_demo_clinic
        >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=60, seed=3)
        >>> ex = Explorer(folder)
        >>> ex.client_figure().layout.title.text.startswith(ex.client.value)
        True
        """
        import plotly.graph_objects as go

        code = self.instrument.value
        sc = self.ds.scores[
            (self.ds.scores["client_id"] == self.client.value)
            & (self.ds.scores["instrument"] == code)
            & self.ds.scores["valid"].astype(bool)
        ]
        fig = go.Figure(
            go.Scatter(x=sc["administered_on"], y=sc["total"], mode="lines+markers", name=code)
        )
        inst = self.ds.registry.get(code)
        if inst.cutoff is not None:
            fig.add_hline(y=inst.cutoff.value, line_dash="dash")
        fig.update_layout(
            title=f"{self.client.value}: {code}", yaxis={"range": [inst.total_min, inst.total_max]}
        )
        return fig

    def _set(self, name: str, fig: Any) -> None:
        widget = self.figures.get(name)
        if widget is None:
            self.figures[name] = figure_widget(fig)
        else:
            replace_figure(widget, fig)

    def _on_cohort(self, _change: Any = None) -> None:
        ctx = self.context()
        code = self.instrument.value
        self._set("trajectory", cf.trajectory_figure(trajectory(ctx, code), code))
        _raw, pub = category_rates(ctx, code)
        self._set("rates", cf.rates_figure(pub, ctx.group_label, f"{code}: categories"))
        self.rates_table = pub

    def _on_client(self, _change: Any = None) -> None:
        self._set("client", self.client_figure())

    def view(self) -> Any:
        """The whole explorer as one widget box.

        Returns
        -------
        ipywidgets.VBox
            The cohort controls, the trajectory and rates figures, the client picker and the
            client's figure.

        Examples
        --------
        >>> import tempfile
        >>> from therapy_outcomes.demo import write_demo_clinic
        >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=60, seed=3)
        >>> ex = Explorer(folder)
        >>> [type(c).__name__ for c in ex.view().children]
        ['HBox', 'FigureWidget', 'FigureWidget', 'Dropdown', 'FigureWidget']
        """
        import ipywidgets as w

        controls = w.HBox([self.instrument, self.group, self.start, self.end])
        return w.VBox(
            [
                controls,
                self.figures["trajectory"],
                self.figures["rates"],
                self.client,
                self.figures["client"],
            ]
        )


def explore(data: str | Path | Dataset, **kw: Any) -> Explorer:
    """Build an :class:`Explorer` and display it (in a notebook).

    Parameters
    ----------
    data : str, pathlib.Path or Dataset
        Passed to :class:`Explorer`.
    **kw
        Passed to :class:`Explorer` (``min_cell``).

    Returns
    -------
    Explorer
        Keep it: its controls and figures stay live while the kernel runs.

    Examples
    --------
    >>> callable(explore)  # in a notebook: explorer = explore("../data/demo")
    True
    """
    from IPython.display import display

    ex = Explorer(data, **kw)
    display(ex.view())
    return ex
