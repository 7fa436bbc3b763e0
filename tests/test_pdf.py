"""The A4 PDF: whole vector charts, the client ID and page numbers on every page, offline.

Needs Chromium and Playwright like tests/test_browser.py: fails without them when ``CI`` is
set, skips otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import plotly.graph_objects as go
import pytest

from conftest import pdf_pages
from therapy_outcomes.rendering.display import figure_output
from therapy_outcomes.rendering.execute import render_notebook
from therapy_outcomes.rendering.html import figure_refs, notebook_to_html

NOTEBOOK = Path(__file__).parent / "data" / "notebooks" / "figure_report.ipynb"


@pytest.fixture(scope="module")
def pdf_report(chromium, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    return render_notebook(
        NOTEBOOK,
        {"client_id": "C-0042", "sessions": 8},
        out_html=out / "C-0042.html",
        pdf=out / "C-0042.pdf",
        pdf_header="Client C-0042",
    )


def test_rendered_report_pdf(pdf_report):
    assert pdf_report.pdf is not None and pdf_report.pdf.name == "C-0042.pdf"
    assert "pdf" in pdf_report.timings
    data = pdf_report.pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = pdf_pages(data)
    assert 1 <= len(pages) <= 2
    text = "\n".join(pages)
    for page_number, page in enumerate(pages, start=1):
        assert "Client C-0042" in page
        assert f"Page {page_number} of {len(pages)}" in page
    # the chart's SVG text made it into the PDF as text: a vector chart, whole
    for label in ("PHQ-9 by session", "Session number", "PHQ-9 total score"):
        assert label in text, label
    assert "Scores over time" in text and "PHQ-9 for C-0042 over 8 sessions." in text


def _long_notebook(figures: int = 3, paragraphs: int = 40) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# A long report"))
    for i in range(figures):
        fig = go.Figure(go.Bar(x=["Jan", "Feb", "Mar"], y=[3 + i, 5, 4]))
        fig.update_layout(title=f"Chart {i + 1}", yaxis_title=f"Axis label {i + 1}", width=1200)
        data, meta = figure_output(fig, f"chart-{i + 1}", caption=f"Caption {i + 1}.")
        cell = nbformat.v4.new_code_cell("show(fig)")
        cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=meta)]
        nb.cells.append(cell)
        text = " ".join(["Calm, plain words about progress."] * 12)
        nb.cells += [nbformat.v4.new_markdown_cell(text) for _ in range(paragraphs // figures)]
    return nb


def test_every_page_has_the_header_and_its_number(chromium):
    from therapy_outcomes.rendering.pdf import notebook_to_pdf

    nb = _long_notebook()
    pages = pdf_pages(notebook_to_pdf(nb, header="Client C-7 <&>", title="Progress"))
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert "Client C-7 <&>" in page  # escaped in the template, shown as written
        assert "Progress" in page
        assert re.search(rf"Page {number} of {len(pages)}\b", page)
    text = "\n".join(pages)
    for i in (1, 2, 3):
        assert f"Axis label {i}" in text and f"Caption {i}." in text


def test_print_version_has_svg_and_no_script(chromium):
    from therapy_outcomes.rendering.pdf import figures_to_svg

    nb = _long_notebook(figures=2, paragraphs=2)
    svgs = figures_to_svg(nb)
    assert set(svgs) == {"chart-1", "chart-2"}
    assert all(s.startswith("<svg") and "Axis label" in s for s in svgs.values())
    assert figures_to_svg(nb) == svgs  # stable ids: the same SVG every time
    page = notebook_to_html(nb, svgs=svgs)
    assert "<script" not in page
    assert page.count("<svg") >= 2 and 'id="fig-chart-1"' in page
    assert "Content-Security-Policy" in page and "script-src" not in page
    assert [r.name for r in figure_refs(nb)] == ["chart-1", "chart-2"]
