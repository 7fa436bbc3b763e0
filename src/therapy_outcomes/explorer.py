"""Interactive explorer (``notebooks/explore.ipynb``): widgets driving plotly figures.

Controls: instrument, group, episode date range and a client picker. Figures: mean trajectory
by group, category rates by group (published, small cells hidden) and one client's timeline.
The figures are plotly ``FigureWidget`` objects when ``anywidget`` is installed (plotly >= 6
needs it), else plain figures redrawn into ``ipywidgets.Output`` areas; either way
:attr:`Explorer.figures` holds the current figures, which the tests inspect after setting a
widget's value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from therapy_outcomes.cohort_report import context as cc
from therapy_outcomes.cohort_report import figures as cf
from therapy_outcomes.dataset import Dataset, load

__all__ = ["GROUP_CHOICES", "Explorer"]

GROUP_CHOICES = ("none", "site", "therapist_id", "modality")


def _figure_widget(fig: Any) -> Any:
    try:
        import plotly.graph_objects as go

        return go.FigureWidget(fig)
    except ImportError:  # plotly >= 6 without anywidget
        return None


class Explorer:
    """Widgets and figures for one dataset.

    Parameters
    ----------
    data : str, pathlib.Path or Dataset
    min_cell : int
        Smallest count shown in the rates chart and trajectory points.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=60, seed=3)
    >>> ex = Explorer(folder)
    >>> before = ex.figures["trajectory"].data[0].y
    >>> ex.instrument.value = "GAD-7"
    >>> tuple(ex.figures["trajectory"].data[0].y) != tuple(before)
    True
    """

    def __init__(self, data: str | Path | Dataset, *, min_cell: int = 5) -> None:
        import ipywidgets as w

        self.ds = data if isinstance(data, Dataset) else load(data)
        self.min_cell = min_cell
        codes = [c for c in ("PHQ-9", "GAD-7", "CORE-10")
                 if (self.ds.scores["instrument"] == c).any()]
        began = self.ds.clients["episode_start"].fillna(self.ds.clients["referred_on"])
        self.instrument = w.Dropdown(options=codes, value=codes[0], description="Measure")
        self.group = w.Dropdown(options=list(GROUP_CHOICES), value="none", description="Group")
        self.start = w.DatePicker(value=began.min().date(), description="From")
        self.end = w.DatePicker(value=began.max().date(), description="To")
        clients = sorted(self.ds.clients["client_id"].astype(str))
        self.client = w.Dropdown(options=clients, value=clients[0], description="Client")
        self.outputs = {name: w.Output() for name in ("trajectory", "rates", "client")}
        self.figures: dict[str, Any] = {}
        self._widgets: dict[str, Any] = {}
        self._live = False  # draw into the Output areas only once the view is displayed
        for control in (self.instrument, self.group, self.start, self.end):
            control.observe(self._on_cohort, names="value")
        self.client.observe(self._on_client, names="value")
        self._on_cohort()
        self._on_client()

    # -- figures -------------------------------------------------------------------------
    def context(self) -> cc.CohortContext:
        """The cohort the controls select."""
        group = None if self.group.value == "none" else self.group.value
        return cc.cohort_context(self.ds, start=self.start.value, end=self.end.value,
                                 instruments=[self.instrument.value], group_by=group,
                                 min_cell=self.min_cell)

    def client_figure(self) -> Any:
        """The picked client's scores on the chosen instrument over time."""
        import plotly.graph_objects as go

        code = self.instrument.value
        sc = self.ds.scores[(self.ds.scores["client_id"] == self.client.value)
                            & (self.ds.scores["instrument"] == code)
                            & self.ds.scores["valid"].astype(bool)]
        fig = go.Figure(go.Scatter(x=sc["administered_on"], y=sc["total"],
                                   mode="lines+markers", name=code))
        inst = self.ds.registry.get(code)
        if inst.cutoff is not None:
            fig.add_hline(y=inst.cutoff.value, line_dash="dash")
        fig.update_layout(title=f"{self.client.value}: {code}",
                          yaxis={"range": [inst.total_min, inst.total_max]})
        return fig

    def _set(self, name: str, fig: Any) -> None:
        widget = self._widgets.get(name)
        if widget is not None:
            with widget.batch_update():
                widget.data = []
                widget.add_traces(list(fig.data))
                widget.layout = fig.layout
            self.figures[name] = widget
            return
        created = _figure_widget(fig)
        if created is not None:
            self._widgets[name] = created
            self.figures[name] = created
            return
        self.figures[name] = fig
        if self._live:
            self._draw(name)

    def _draw(self, name: str) -> None:
        fig = self.figures[name]
        out = self.outputs[name]
        out.clear_output(wait=True)
        with out:
            from therapy_outcomes.report.display import show

            show(fig, f"explore-{name}")

    def _on_cohort(self, _change: Any = None) -> None:
        ctx = self.context()
        code = self.instrument.value
        self._set("trajectory", cf.trajectory_figure(cc.trajectory(ctx, code), code))
        _raw, pub = cc.category_rates(ctx, code)
        self._set("rates", cf.rates_figure(pub, ctx.group_label, f"{code}: categories"))
        self.rates_table = pub

    def _on_client(self, _change: Any = None) -> None:
        self._set("client", self.client_figure())

    def view(self) -> Any:
        """The whole explorer as one widget box."""
        import ipywidgets as w

        def area(name: str) -> Any:
            return self._widgets.get(name) or self.outputs[name]

        self._live = True
        for name in self.figures:
            if name not in self._widgets:
                self._draw(name)
        controls = w.HBox([self.instrument, self.group, self.start, self.end])
        return w.VBox([controls, area("trajectory"), area("rates"), self.client, area("client")])


def explore(data: str | Path | Dataset, **kw: Any) -> Explorer:
    """Build an :class:`Explorer` and display it (in a notebook).

    Examples
    --------
    >>> callable(explore)  # in a notebook: explorer = explore("../data/demo")
    True
    """
    from IPython.display import display

    ex = Explorer(data, **kw)
    display(ex.view())
    return ex


__all__ += ["explore"]
