"""Text from the data is text in every chart, and the offline check reads what a page loads.

Before (issue 12): plotly's own markup in the data passed through (an event description
``<a href>`` was a live link on a client's timeline, a goal measure in ``<b>`` was bold on the
y-axis), and the network check matched escaped text (a goal statement ``<iframe src=http://x>``
made the report fail to render).
"""

from __future__ import annotations

import json
import types
from pathlib import Path

import nbformat
import pandas as pd
import plotly.graph_objects as go
import pytest
import yaml

from conftest import AS_OF, TINY, open_page, write_dataset
from therapy_outcomes import load
from therapy_outcomes.client_report import figures as client_figures
from therapy_outcomes.client_report.context import client_context
from therapy_outcomes.cohort_report import figures as cohort_figures
from therapy_outcomes.demo.examples import example_cohort
from therapy_outcomes.explorer.widgets import figure_widget, replace_figure
from therapy_outcomes.monthly_report import figures as monthly_figures
from therapy_outcomes.overview.figures import severity_bars
from therapy_outcomes.rendering.display import FIGURE_MIMETYPE, figure_output, figure_spec
from therapy_outcomes.rendering.html import (
    ExternalResourceError,
    find_remote_references,
    notebook_to_html,
)
from therapy_outcomes.rendering.plotly_text import (
    TEMPLATE_TAGS,
    escape_figure,
    plain_text,
    plot_text,
)

#: plotly markup an attacker would type: a link, bold, a line break, italics, an entity.
EVIL = '<a href="//127.1:8765/EVIL">EVIL</a> <b>EVIL</b> <br>EVIL &amp; <i>EVIL</i> &'
#: An instrument code (and goal measure) with markup in it.
CODE = "GAD<b>7</b> & <a href='//127.1:8765/EVIL'>EVIL</a>"
GAD7 = Path(__file__).parents[1] / "src/therapy_outcomes/instruments/definitions/gad7.yaml"


def _csv(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def hostile_dataset(folder: Path) -> Path:
    """TINY with markup in a site, goal statement, measure and unit, an event, and a custom
    instrument whose code, name, item label, band and benchmark hold markup."""
    t = dict(TINY)
    t["clients"] = t["clients"].replace("North", _csv("North " + EVIL))
    t["goals"] = (
        t["goals"]
        .replace("Go back to swimming weekly", _csv("<iframe src=http://127.1:8765/x> " + EVIL))
        .replace(",long_term,,GBO,", f",long_term,,{_csv(CODE)},")
        .replace("swims per week", _csv("swims " + EVIL))
    )
    t["events"] = t["events"].replace("E1,C2,", "E1,C1,").replace("Moved house", _csv(EVIL))
    t["administrations"] = t["administrations"].replace(",GAD-7,", ",gadevil,")
    folder = write_dataset(folder, t)
    gad = yaml.safe_load(GAD7.read_text())
    gad.update(code=CODE, name="Name " + EVIL, aliases=["gadevil"])
    gad.pop("loinc", None)
    gad["items"]["labels"][0] = "item " + EVIL
    gad["bands"][0]["label"] = "band " + EVIL
    gad["benchmarks"][0]["label"] = "bench " + EVIL
    (folder / "instruments.yaml").write_text(yaml.safe_dump(gad, allow_unicode=True))
    return folder


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = hostile_dataset(tmp_path_factory.mktemp("hostile") / "data")
    ds = load(folder, as_of=AS_OF)
    assert ds.n_rejected == 0
    assert CODE in set(ds.scores["instrument"]) and CODE in set(ds.goals["measure"])
    return folder, ds


def _strings(value, key=None):
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v, key)


def assert_inert(spec: dict) -> None:
    """No string of the figure holds markup from the data (templates keep only the
    package's ``<br>`` and ``<extra>``), and the hostile text did reach the figure."""
    assert "EVIL" in json.dumps(spec)
    for key, text in _strings(spec):
        if key and key != "template" and key.endswith("template"):
            assert "<br>EVIL" not in text, (key, text)
            for tag in TEMPLATE_TAGS:
                text = text.replace(tag, "")
        assert "<" not in text and ">" not in text, (key, text)
        for tag in ("<a", "<b", "<i>", "<br"):  # the same, said as the issue says it
            assert tag not in text


def shown(fig) -> dict:
    """The figure JSON a report stores and draws (what ``show`` publishes)."""
    return figure_output(fig, "x")[0][FIGURE_MIMETYPE]


# -- the escaping ------------------------------------------------------------------------------
def test_plot_text_escapes_plotly_markup_once():
    assert plot_text("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert plot_text(plot_text(EVIL)) == plot_text(EVIL)
    assert plain_text(plot_text("<b>x</b> & y")) == "<b>x</b> & y"
    assert plot_text("&mu; &#60;") == "&amp;mu; &amp;#60;"  # shown as typed, not as μ or <


def test_escape_figure_keeps_numbers_base64_and_package_templates():
    spec = figure_spec(go.Figure(go.Scatter(x=[1.0, 2.0], y=[3.0, 4.0], name=EVIL)))
    assert isinstance(spec["data"][0]["y"], dict | list)
    again = escape_figure(spec)
    assert again == spec  # idempotent: a stored figure rendered again is not escaped twice
    t = {"hovertemplate": "%{x}<br>%{y}<extra>" + EVIL + "</extra>"}
    out = escape_figure(t)["hovertemplate"]
    assert out.startswith("%{x}<br>%{y}<extra>") and out.endswith("</extra>")
    assert "<a" not in out and "<b>" not in out and "<i>" not in out


# -- every figure builder, with markup in every text field of the data -------------------------
@pytest.mark.parametrize("audience", ["clinician", "client"])
def test_client_report_figures_hold_no_markup_from_the_data(hostile, audience):
    _, ds = hostile
    ctx = client_context(ds, "C1", as_of=AS_OF, audience=audience)
    figs = [
        client_figures.instrument_timeline(ctx, CODE),
        client_figures.instrument_timeline(ctx, "PHQ-9"),
        client_figures.goal_progress(ctx, "G1"),  # measure: the instrument code
        client_figures.goal_progress(ctx, "G2"),  # count: the unit
    ]
    items = pd.DataFrame(
        {"item": [1, 2], "label": ["item " + EVIL, "x"], "baseline": [3, 1], "latest": [1, 2]}
    )
    items["worse"] = [False, True]
    figs.append(client_figures.item_comparison_figure(items, CODE, audience))
    for fig in figs:
        assert_inert(shown(fig))


def test_cohort_monthly_overview_and_explorer_figures_hold_no_markup(hostile):
    _, ds = hostile
    ctx = example_cohort()
    sig = ctx.significance["PHQ-9"]
    registry = types.SimpleNamespace(get=lambda code: ctx.ds.registry.get("PHQ-9"))
    fake = types.SimpleNamespace(
        ds=types.SimpleNamespace(registry=registry), significance={CODE: sig}, min_cell=1
    )
    rates = pd.DataFrame(
        {
            "site": ["North " + EVIL, "South"],
            "category": ["improved " + EVIL, "improved " + EVIL],
            "percent": [50.0, 40.0],
            "ci_low": [30.0, 20.0],
            "ci_high": [70.0, 60.0],
        }
    )
    traj = pd.DataFrame(
        {"group": ["North " + EVIL] * 2, "occasion": [1, 2], "mean": [12.0, 9.0]}
        | {"ci_low": [10.0, 7.0], "ci_high": [14.0, 11.0]}
    )
    dose = pd.DataFrame(
        {"sessions_attended": ["1-4", "5+"], "mean_improvement": [2.0, 4.0]}
        | {"sd": [1.0, 1.0], "clients": [6, 6]}
    )
    effects = pd.DataFrame(
        {"name": ["d " + EVIL], "instrument": [CODE], "estimate": [0.9]}
        | {"ci_low": [0.7], "ci_high": [1.1]}
    )
    trend = pd.DataFrame({"month": ["2026-09", "2026-10"], "active " + EVIL: [3, "*"]})
    severity = pd.DataFrame(
        {"instrument": [CODE], "band": ["band " + EVIL], "intake": [3], "latest": [2]}
    )
    figs = [
        cohort_figures.jacobson_plot(fake, CODE),
        cohort_figures.rates_figure(rates, "site", "Rates " + EVIL),
        cohort_figures.trajectory_figure(traj, CODE),
        cohort_figures.dose_response_figure(dose, CODE, 1),
        cohort_figures.effect_size_figure(effects, ds.registry),  # benchmark label: EVIL
        monthly_figures.trend_figure(trend, ["active " + EVIL], "Trend " + EVIL),
        severity_bars(severity),
    ]
    for fig in figs:
        assert_inert(shown(fig))
    widget = figure_widget(figs[1])
    assert_inert(widget.to_dict())
    assert_inert(replace_figure(widget, figs[2]).to_dict())


def test_an_html_page_carries_the_escaped_figure():
    fig = go.Figure(go.Bar(x=["North " + EVIL], y=[1]), layout={"title": {"text": EVIL}})
    data, _ = figure_output(fig, "sites")
    payload = data["text/html"].split('id="fig-sites-data">', 1)[1].split("</script>", 1)[0]
    spec = json.loads(payload)
    assert_inert(spec)
    assert 'aria-label="&lt;a href=' in data["text/html"]  # the label reads as the title shows


# -- the offline check reads elements, not text ------------------------------------------------
REMOTE = [
    '<img src="https://x.example/p.gif">',
    "<script src=//cdn.example/a.js></script>",
    '<iframe src="http://127.1:8765/x"></iframe>',
    '<link rel="stylesheet" href="//cdn.example/y.css">',
    '<img srcset="a.png 1x, https://x.example/b.png 2x">',
    '<picture><source srcset="//x.example/c.webp"></picture>',
    '<object data="http://x.example/o.swf"></object>',
    '<embed src="HTTP://x.example/e">',
    '<video poster="//x.example/v.jpg"></video>',
    '<svg><image href="https://x.example/i.png"/></svg>',
    '<svg><use xlink:href="//x.example/s.svg#a"/></svg>',
    '<img src="/\\x.example/p.gif">',
    '<img src="  ht\ttp://x.example/p.gif">',
    '<img src="&#104;ttp://x.example/p.gif">',
    '<div style="background:url(http://x.example/b.png)"></div>',
    "<style>@import 'https://f.example/a.css';</style>",
    '<style>p { background: u\\72l("//x.example/e.png") }</style>',
    '<style>p { background-image: image-set("http://x.example/s.png" 1x) }</style>',
    '<meta http-equiv="refresh" content="0; url=http://x.example/">',
    '<base href="http://x.example/">',
    '<iframe srcdoc="&lt;img src=http://x.example/d.gif&gt;"></iframe>',
]
INERT = [
    "<p>&lt;iframe src=http://127.1:8765/x&gt;</p>",
    "<p>&lt;img src=&quot;//x.example/p.gif&quot;&gt; url(http://x.example/a)</p>",
    '<a href="https://x.example/">a link</a>',
    '<svg><a xlink:href="https://x.example/">a link</a></svg>',
    '<script src="plotly.min.js"></script>',
    '<img src="data:image/png;base64,//8AAA==">',
    '<img srcset="data:image/png;base64,//8A,AA 1x, local.png 2x">',
    '<p title="src=http://x.example/">x</p>',
    '<script type="application/json">{"src": "http://x.example/"}</script>',
    "<style>p::before { content: 'Note: see http://x.example' }</style>",
]


@pytest.mark.parametrize("html", REMOTE)
def test_a_real_load_is_found(html):
    assert find_remote_references(html), html


@pytest.mark.parametrize("html", INERT)
def test_text_and_links_are_not_loads(html):
    assert find_remote_references(html) == []


def _notebook_with(html: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "x"})
    ]
    nb.cells = [cell]
    return nb


def test_a_page_with_escaped_markup_renders_and_a_real_iframe_is_refused():
    page = notebook_to_html(
        _notebook_with("<p>Goal: &lt;iframe src=http://127.1:8765/x&gt;</p>"), plotly_js="shared"
    )
    assert "&lt;iframe src=http://127.1:8765/x&gt;" in page
    with pytest.raises(ExternalResourceError, match=r"127\.1:8765"):
        notebook_to_html(_notebook_with('<iframe src="http://127.1:8765/x"></iframe>'))


# -- end to end: the client report in a browser ------------------------------------------------
@pytest.mark.kernel
@pytest.mark.browser
def test_a_client_report_with_markup_in_its_data_renders_as_text(hostile, browser, tmp_path):
    from therapy_outcomes.client_report.render import render_client_report

    folder, _ = hostile
    result = render_client_report("C1", data=folder, out=tmp_path / "r", as_of=AS_OF)
    html = result.html.read_text()
    assert "&lt;iframe src=http://127.1:8765/x&gt;" in html  # the goal statement, as text
    page, requests, errors = open_page(browser, result.html.as_uri(), width=1000)
    try:
        assert errors == []
        assert requests == [result.html.as_uri()]  # nothing left file://
        assert page.locator("figure.to-figure").count() >= 3
        assert page.locator("figure.to-figure .main-svg").count() >= 3
        assert page.locator(".main-svg a").count() == 0  # no link inside any chart
        assert page.locator('.main-svg [style*="bold"]').count() == 0  # no bold from data
        charts = " ".join(page.locator("figure.to-figure .main-svg").all_text_contents())
        assert '<a href="//127.1:8765' in charts  # the event, shown as typed
        assert "GAD<b>7</b>" in charts  # the instrument code on its timeline and goal axis
    finally:
        page.context.close()
