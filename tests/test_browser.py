"""The HTML report in a real browser: charts draw, nothing leaves file://, no console errors.

Needs Chromium (Debian: ``apt-get install chromium``) and Playwright (``pip install
playwright``; its own browser download is not used). Without them these tests fail when
``CI`` is set and are skipped otherwise.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from conftest import open_page
from therapy_outcomes.rendering.display import figure_html, figure_spec
from therapy_outcomes.rendering.execute import render_notebook
from therapy_outcomes.rendering.html import copy_plotly_js, notebook_to_html

NOTEBOOK = Path(__file__).parent / "data" / "notebooks" / "figure_report.ipynb"


@pytest.fixture(scope="module")
def figure_reports(tmp_path_factory):
    """One run, two pages: plotly.js inlined, and shared beside the page (one kernel only)."""
    base = tmp_path_factory.mktemp("browser")
    result = render_notebook(
        NOTEBOOK, {"client_id": "C-0042", "sessions": 8}, out_html=base / "inline" / "C-0042.html"
    )
    shared = base / "shared" / "C-0042.html"
    shared.parent.mkdir()
    executed = nbformat.read(result.notebook, as_version=4)
    shared.write_text(notebook_to_html(executed, plotly_js="shared"), encoding="utf-8")
    copy_plotly_js(shared.parent)
    return {"inline": result.html, "shared": shared}


@pytest.mark.parametrize("mode", ["inline", "shared"])
@pytest.mark.parametrize("width", [1000, 390])
def test_charts_draw_offline_without_errors(browser, figure_reports, mode, width, tmp_path):
    html = figure_reports[mode]
    if mode == "shared":
        assert (html.parent / "plotly.min.js").is_file()
    shot = tmp_path / f"{mode}-{width}.png"
    page, requests, errors = open_page(browser, html.as_uri(), width=width, screenshot=shot)
    try:
        assert errors == []
        assert requests and all(url.startswith("file://") for url in requests), requests
        expected = {html.as_uri()} | (
            {html.with_name("plotly.min.js").as_uri()} if mode == "shared" else set()
        )
        assert set(requests) == expected
        figures = page.locator("figure.to-figure")
        assert figures.count() == 1
        plot = page.locator("#fig-phq9-plot")
        assert plot.locator(".main-svg").count() >= 1
        assert plot.locator(".to-plot-note").count() == 0
        assert plot.locator(".scatterlayer .trace").count() == 1
        assert "Session number" in plot.locator(".g-xtitle").text_content()
        assert "PHQ-9 total score" in plot.locator(".g-ytitle").text_content()
        # responsive: the chart fills the column and nothing scrolls sideways on a phone
        box = plot.bounding_box()
        column = page.locator("main.to-page").bounding_box()
        assert box is not None and column is not None
        assert box["width"] > 0.8 * (column["width"] - 48)
        assert box["x"] + box["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert shot.stat().st_size > 10_000
    finally:
        page.context.close()


@pytest.mark.parametrize("scripts", [True, False])
def test_a_viewer_without_plotly_js_shows_a_note(browser, scripts):
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    context = browser.new_context(java_script_enabled=scripts)
    try:
        page = context.new_page()
        page.set_content(f"<html><body>{figure_html(figure_spec(fig), 'x')}</body></html>")
        note = page.locator("#fig-x-plot .to-plot-note")
        assert note.is_visible()
        assert "Open the HTML report" in note.inner_text()
    finally:
        context.close()
