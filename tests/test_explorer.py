"""The explorer's widgets drive its FigureWidgets (no browser: values are set in Python).

The browser side (JupyterLab draws the widgets) is in ``tests/test_explorer_lab.py``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.explorer.widgets import FIGURE_NAMES, Explorer, figure_widget, replace_figure


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clinic")
    write_demo_clinic(folder, n_clients=60, seed=7, as_of="2026-10-31")
    return Explorer(folder)


@pytest.fixture()
def fresh(explorer):
    """The module's explorer with its controls put back after the test."""
    saved = {
        c: c.value
        for c in (
            explorer.instrument,
            explorer.group,
            explorer.start,
            explorer.end,
            explorer.client,
        )
    }
    yield explorer
    for control, value in saved.items():
        control.value = value


def _ys(fig):
    return [tuple(t.y) for t in fig.data if getattr(t, "y", None) is not None]


def test_figures_are_figure_widgets(explorer):
    import plotly.graph_objects as go

    assert set(explorer.figures) == set(FIGURE_NAMES)
    assert all(isinstance(f, go.FigureWidget) for f in explorer.figures.values())


def test_instrument_changes_trajectory_in_place(fresh):
    widgets = dict(fresh.figures)
    before = _ys(fresh.figures["trajectory"])
    rates_before = _ys(fresh.figures["rates"])
    fresh.instrument.value = "GAD-7"
    assert fresh.figures == widgets and all(
        fresh.figures[n] is widgets[n] for n in FIGURE_NAMES
    )  # same widgets, new data
    assert _ys(fresh.figures["trajectory"]) != before
    assert _ys(fresh.figures["rates"]) != rates_before
    assert "GAD-7" in fresh.figures["client"].layout.title.text


def test_group_changes_trace_count(fresh):
    assert len(fresh.figures["trajectory"].data) == 1
    fresh.group.value = "site"
    names = {t.name for t in fresh.figures["trajectory"].data}
    assert len(fresh.figures["trajectory"].data) > 1 and len(names) > 1
    assert "site" in fresh.rates_table.columns
    fresh.group.value = "none"
    assert len(fresh.figures["trajectory"].data) == 1


def test_date_range_changes_trajectory(fresh):
    before = _ys(fresh.figures["trajectory"])
    fresh.start.value = dt.date(2026, 1, 1)
    assert _ys(fresh.figures["trajectory"]) != before


def test_client_picker_changes_timeline(fresh):
    first = fresh.figures["client"].layout.title.text
    ys = _ys(fresh.figures["client"])
    fresh.client.value = fresh.client.options[5]
    title = fresh.figures["client"].layout.title.text
    assert title != first and fresh.client.options[5] in title
    assert _ys(fresh.figures["client"]) != ys
    assert fresh.figures["client"].layout.shapes  # the cutoff line survives the swap


def test_replace_figure_drops_stale_layout():
    import plotly.graph_objects as go

    old = go.Figure(go.Bar(y=[1, 2]))
    old.add_annotation(text="no data", showarrow=False)
    old.add_hline(y=1)
    widget = figure_widget(old)
    sent = []
    widget.observe(lambda ch: sent.append(ch["new"]), names="_py2js_relayout")
    replace_figure(
        widget, go.Figure([go.Scatter(y=[3]), go.Scatter(y=[4])], layout={"title": "new"})
    )
    assert [t.type for t in widget.data] == ["scatter", "scatter"]
    assert not widget.layout.annotations and not widget.layout.shapes
    assert widget.layout.title.text == "new"
    cleared = [m["relayout_data"] for m in sent if m]
    assert any(d.get("annotations", 0) is None and d.get("shapes", 0) is None for d in cleared)


def test_view_holds_the_figure_widgets(explorer):
    box = explorer.view()
    shown = [c for c in box.children if type(c).__name__ == "FigureWidget"]
    assert [id(c) for c in shown] == [id(explorer.figures[n]) for n in FIGURE_NAMES]


def test_widget_front_end_ships_offline():
    """plotly's widget JS is a local file sent over the comm; anywidget's lab extension is
    installed with the package: JupyterLab fetches neither from a CDN."""
    import plotly

    esm = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
    assert esm.is_file() and esm.stat().st_size > 1_000_000
    assert "esm.sh" not in esm.read_text(encoding="utf-8", errors="replace")
    ext = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "anywidget"
    if not ext.is_dir():
        pytest.skip(f"anywidget's JupyterLab extension is not under {ext}")
    assert (ext / "package.json").is_file()
