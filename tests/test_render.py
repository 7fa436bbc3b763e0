"""render_notebook: papermill run, scrubbed notebook, self-contained HTML, glue, failures."""

from __future__ import annotations

import getpass
import re
import socket
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import plotly.graph_objects as go
import pytest

from therapy_outcomes.errors import ParameterError
from therapy_outcomes.rendering.display import FIGURE_MIMETYPE, figure_html, figure_output
from therapy_outcomes.rendering.execute import ReportExecutionError, render_notebook
from therapy_outcomes.rendering.glue import read_glue
from therapy_outcomes.rendering.html import (
    ExternalResourceError,
    find_remote_references,
    notebook_to_html,
    plotly_js_path,
)

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = Path(__file__).parent / "data" / "notebooks"
FIGURE_REPORT = NOTEBOOKS / "figure_report.ipynb"
FAILING_REPORT = NOTEBOOKS / "failing_report.ipynb"
HOST = socket.gethostname()
USER = getpass.getuser()
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")


class _Links(HTMLParser):
    """Every src/href/srcset attribute and every <script src>/<link href> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in {"src", "href", "srcset", "xlink:href", "poster", "data"}:
                self.urls.append((tag, name, value or ""))


def links(html: str) -> list[tuple[str, str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def without_plotly_js(html: str) -> str:
    """The page without the inlined plotly.js (minified library code, not report content)."""
    library = plotly_js_path().read_text(encoding="utf-8")
    return html.replace(library, "")


def leaks(text: str) -> list[str]:
    found = [n for n in (str(REPO), "/root", "/home/", "/tmp", "/Users/") if n in text]
    if HOST and re.search(rf"(?<![\w.-]){re.escape(HOST)}(?![\w-])", text):
        found.append(f"host {HOST}")
    if USER and re.search(rf"(/{re.escape(USER)}\b|\b{re.escape(USER)}@)", text):
        found.append(f"user {USER}")
    return found


PARAMS = {"client_id": "C-0042", "sessions": 6}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The figure report rendered twice with the same parameters, into two folders."""
    base = tmp_path_factory.mktemp("render")
    data_dir = base / "data"
    data_dir.mkdir()
    params = {**PARAMS, "data_dir": str(data_dir)}  # an absolute path, to be scrubbed
    results = [
        render_notebook(FIGURE_REPORT, params, out_html=base / run / "C-0042.html")
        for run in ("a", "b")
    ]
    return results


def test_render_writes_html_and_scrubbed_notebook_beside_it(rendered):
    result = rendered[0]
    assert result.html.name == "C-0042.html"
    assert result.notebook == result.html.with_suffix(".ipynb")
    assert result.pdf is None
    assert result.seconds > 0
    assert set(result.timings) == {"execute", "scrub", "html"}
    assert sorted(p.name for p in result.html.parent.iterdir()) == [
        "C-0042.html",
        "C-0042.ipynb",
    ]
    nb = nbformat.read(result.notebook, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.papermill.input_path == "figure_report.ipynb"
    assert nb.metadata.papermill.parameters["client_id"] == "C-0042"
    assert any(c.get("id") == "injected-parameters" for c in nb.cells)


def test_html_holds_the_figure_with_its_deterministic_id(rendered):
    html = rendered[0].html.read_text(encoding="utf-8")
    assert html.count('<figure class="to-figure" id="fig-phq9">') == 1
    assert html.count('id="fig-phq9-plot"') == 1
    assert "Plotly.newPlot" in html
    assert "PHQ-9 for C-0042 over 6 sessions." in html  # the caption
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-", html)  # no uuids
    assert html.count("plotly.js v") == 1  # plotly.js inlined once


def test_html_hides_code_parameters_and_glue(rendered):
    html = without_plotly_js(rendered[0].html.read_text(encoding="utf-8"))
    for hidden in (
        "setup_notebook",
        "client_id =",
        "injected-parameters",
        "In&nbsp;[",
        "Out[",
        "therapy-outcomes.glue",
        'output" data-mime-type="application/vnd.jupyter.stderr"',
    ):
        assert hidden not in html, hidden
    assert "Scores over time" in html  # markdown stays
    assert "<table" in html  # the DataFrame stays


def test_html_loads_nothing_from_the_network(rendered):
    html = rendered[0].html.read_text(encoding="utf-8")
    for tag, attr, value in links(html):
        assert not value.lower().startswith(("http:", "https:", "//", "ftp:")), (tag, attr, value)
    assert find_remote_references(without_plotly_js(html)) == []
    report_text = without_plotly_js(html)
    assert "http://" not in report_text and "https://" not in report_text
    for fetcher in ("require.js", "requirejs", "MathJax", "mathjax", "cdn.", "@import", "<link"):
        assert fetcher not in report_text, fetcher
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_html_and_notebook_hold_no_machine_details(rendered):
    for result in rendered:
        assert leaks(without_plotly_js(result.html.read_text(encoding="utf-8"))) == []
        assert leaks(result.notebook.read_text(encoding="utf-8")) == []
    assert "Data folder: " in rendered[0].html.read_text(encoding="utf-8")


def test_glue_read_back_equals_what_was_glued(rendered):
    expected = {
        "client_id": "C-0042",
        "latest_phq9": 7,
        "summary": {"sessions": 6, "change": -11, "improved": True},
    }
    assert rendered[0].glue == expected
    assert read_glue(rendered[0].notebook) == expected


def test_two_renders_of_the_same_parameters_give_the_same_html(rendered):
    first, second = (TIMESTAMP.sub("<time>", r.html.read_text(encoding="utf-8")) for r in rendered)
    assert first == second


@pytest.mark.kernel
def test_a_cell_error_raises_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "C-0001.html").write_text("the previous report")
    with pytest.raises(ReportExecutionError) as info:
        render_notebook(
            FAILING_REPORT, {"client_id": "C-0001"}, out_html=out / "C-0001.html", pdf=out / "x.pdf"
        )
    message = str(info.value)
    assert "\n" not in message
    assert message == (
        'failing_report.ipynb: cell 4 ("boom") raised ValueError '
        "(its message is not shown, as it may quote the data)"
    )
    assert info.value.evalue == "no scores for client C-0001 see the data folder"
    assert "Traceback" not in message and "File " not in message
    assert info.value.ename == "ValueError" and info.value.exit_code == 1
    assert info.value.cell == 4
    assert sorted(p.name for p in out.iterdir()) == ["C-0001.html"]  # no notebook, no temp
    assert (out / "C-0001.html").read_text() == "the previous report"


@pytest.mark.parametrize(
    "params",
    [
        {"data": Path("data/demo")},
        {"when": __import__("datetime").date(2026, 1, 1)},
        {"ids": {"C1", "C2"}},
        {"score": float("nan")},
        {"nested": {"ok": [1, 2, {"bad": object()}]}},
        {"nested": {1: "int key"}},
        {"not an identifier": 1},
        {"class": 1},
        ["client_id", "C1"],
    ],
)
def test_parameters_that_are_not_json_like_are_rejected_before_running(params, tmp_path):
    with pytest.raises(ParameterError) as info:
        render_notebook(FIGURE_REPORT, params, out_html=tmp_path / "r.html")
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_notebook_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match=r"notebook not found: nope\.ipynb"):
        render_notebook(tmp_path / "nope.ipynb", {}, out_html=tmp_path / "r.html")


def test_an_unknown_engine_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match=r"^no papermill engine is called 'nope'$"):
        render_notebook(FIGURE_REPORT, PARAMS, out_html=tmp_path / "r.html", engine_name="nope")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.kernel
def test_an_engine_chosen_by_name_renders_the_same_report(tmp_path):
    from papermill.engines import NBClientEngine, papermill_engines

    from therapy_outcomes.batch.engine import ENGINE_NAME, register, shutdown_all

    params = {**PARAMS, "data_dir": str(tmp_path)}
    fresh = render_notebook(FIGURE_REPORT, params, out_html=tmp_path / "fresh" / "r.html")
    register()
    try:
        warm = render_notebook(
            FIGURE_REPORT,
            params,
            out_html=tmp_path / "warm" / "r.html",
            engine_name=ENGINE_NAME,
            engine_options={"max_runs": 1, "share_data": False},
        )
    finally:
        shutdown_all()
    assert warm.html.read_text(encoding="utf-8") == fresh.html.read_text(encoding="utf-8")
    assert warm.glue == fresh.glue
    assert papermill_engines.get_engine(None) is NBClientEngine


# -- display.show and the HTML conversion, without a kernel ----------------------------------
def _figure() -> go.Figure:
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    fig.update_layout(width=900, height=300, title="Sessions")
    return fig


def test_figure_output_is_one_bundle_with_metadata():
    data, metadata = figure_output(_figure(), "sessions", caption="Sessions <by> week")
    assert set(data) == {"text/html", FIGURE_MIMETYPE, "text/plain"}
    assert metadata == {"therapy_outcomes": {"figure": "sessions", "caption": "Sessions <by> week"}}
    html = data["text/html"]
    assert html.startswith('<figure class="to-figure" id="fig-sessions">')
    assert "<figcaption>Sessions &lt;by&gt; week</figcaption>" in html
    assert '"width":900' not in html and '"autosize":true' in html  # responsive
    assert '"responsive":true' in html and '"height":300' in html
    assert data[FIGURE_MIMETYPE]["layout"]["width"] == 900  # the figure itself is kept
    assert figure_output(_figure(), "sessions", caption="Sessions <by> week")[0] == data


def test_figure_json_cannot_close_the_script_element():
    fig = go.Figure(go.Scatter(x=[1], y=[1], name="</script><script>alert(1)</script>"))
    html = figure_html(fig.to_plotly_json(), "x")
    assert html.count("</script>") == 2  # the JSON block and the drawing script
    assert "\\u003c/script\\u003e" in html


@pytest.mark.parametrize("name", ["", "a b", "../x", "x" * 65, 'x"onload="'])
def test_figure_names_are_checked(name):
    with pytest.raises(ValueError, match="figure name"):
        figure_output(_figure(), name)


def _notebook_with(*outputs) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = list(outputs)
    nb.cells = [cell]
    return nb


def test_plotly_json_from_fig_show_is_drawn_like_show():
    bare = nbformat.v4.new_output(
        "display_data", data={FIGURE_MIMETYPE: _figure().to_plotly_json(), "text/plain": "Fig"}
    )
    html = notebook_to_html(_notebook_with(bare), plotly_js="shared")
    assert 'id="fig-cell0-0"' in html and 'id="fig-cell0-0-plot"' in html
    assert '<script src="plotly.min.js" charset="utf-8"></script>' in html
    assert len(html) < 40_000


def test_duplicate_figure_names_get_suffixes():
    data, meta = figure_output(_figure(), "same")
    out = [nbformat.v4.new_output("display_data", data=data, metadata=meta) for _ in range(2)]
    html = notebook_to_html(_notebook_with(*out), plotly_js="shared")
    assert 'id="fig-same"' in html and 'id="fig-same-2"' in html


def test_an_output_that_would_load_from_the_network_is_refused():
    remote = nbformat.v4.new_output(
        "display_data",
        data={"text/html": '<img src="https://example.org/pixel.gif">', "text/plain": "x"},
    )
    with pytest.raises(ExternalResourceError, match=r"example\.org"):
        notebook_to_html(_notebook_with(remote), plotly_js="shared")
    assert find_remote_references('<a href="https://example.org">link</a>') == []
    assert find_remote_references('<link rel="stylesheet" href="//cdn.x/y.css">') == [
        "//cdn.x/y.css"
    ]
    assert find_remote_references("<style>@import url('https://f.x/a.css')</style>")


def test_bad_plotly_js_mode():
    with pytest.raises(ValueError, match="plotly_js"):
        notebook_to_html(_notebook_with(), plotly_js="cdn")  # type: ignore[arg-type]


def test_setup_notebook_resets_module_state_without_loading_renderers():
    import subprocess
    import sys

    code = """
import sys, random
import numpy as np, pandas as pd
import plotly.io as pio
from therapy_outcomes.rendering.display import setup_notebook, PLOTLY_TEMPLATE, figure_output
import plotly.graph_objects as go
pd.set_option("display.max_rows", 3)
pio.templates.default = "ggplot2"
setup_notebook()
figure_output(go.Figure(go.Scatter(x=[1], y=[2])), "x")
a = (random.random(), np.random.rand())
assert pd.get_option("display.max_rows") == 60
assert pio.templates.default == PLOTLY_TEMPLATE
assert "plotly.io._renderers" not in sys.modules, "renderers imported"
assert "jsonschema" not in sys.modules and "nbformat" not in sys.modules
random.random(); np.random.rand()
setup_notebook()
assert (random.random(), np.random.rand()) == a
assert pio.renderers.default == "plotly_mimetype"  # fig.show(): figure JSON, drawn by html.py
assert sys.modules["rfc3987_syntax"] is None  # jsonschema came without its slow extra
pio.renderers.default = "browser"
setup_notebook()
assert pio.renderers.default == "plotly_mimetype"
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
