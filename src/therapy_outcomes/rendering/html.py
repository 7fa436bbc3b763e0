"""An executed report notebook as one HTML page that loads nothing from the network.

:func:`notebook_to_html` runs nbconvert with the ``therapy_outcomes`` template (it extends
nbconvert's ``lab`` template; see ``templates/therapy_outcomes``):

- no code: every input, prompt, and the ``parameters``/``injected-parameters`` cells are left
  out, and so are cells tagged ``remove-cell``, outputs of cells tagged ``remove-output``,
  glued values (:mod:`.glue`), stderr streams (warnings hold paths; the executed notebook keeps
  them), ipywidgets and raw JavaScript outputs; a code cell with nothing left is dropped;
- no require.js, MathJax, mermaid, web fonts or JupyterLab CSS: the report's own small CSS
  (calm, readable on a phone, with print rules) is inlined;
- every plotly figure output (from :func:`.display.show`, or plotly's own figure JSON from
  ``fig.show()``) is drawn by the same deterministic ``<figure>`` markup; plotly.js comes once,
  in ``<head>``: inlined (``plotly_js="inline"``, one self-contained file of about 5 MB) or as
  ``<script src="plotly.min.js">`` (``plotly_js="shared"``: copy the file beside the report
  with :func:`copy_plotly_js`; a report is then 20-300 KB);
- a Content-Security-Policy meta tag forbids every network load, and the page is checked: an
  element or style that would load from outside the page (a ``src``, ``srcset``, ``<link
  href>``, SVG ``href``, CSS ``url()`` or ``@import``; see :mod:`.offline`, which reads the
  parsed page, never its text) raises :class:`ExternalResourceError` instead of producing a
  report that would fetch it. Escaped text such as ``&lt;iframe src=http://x&gt;`` is text.

With ``svgs`` (figure name -> SVG text) it makes the print version instead: the same page with
static SVG charts, no script at all, and print CSS (see :mod:`.pdf`).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import html as html_lib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from therapy_outcomes.errors import TherapyOutcomesError
from therapy_outcomes.rendering.display import (
    FIGURE_MIMETYPE,
    METADATA_KEY,
    figure_html,
    figure_spec,
)
from therapy_outcomes.rendering.glue import GLUE_MIMETYPE
from therapy_outcomes.rendering.offline import find_remote_references
from therapy_outcomes.rendering.paths import atomic_write

__all__ = [
    "PLOTLY_JS_NAME",
    "TEMPLATES_DIR",
    "ExternalResourceError",
    "FigureRef",
    "copy_plotly_js",
    "figure_refs",
    "find_remote_references",
    "notebook_to_html",
    "plotly_js_path",
    "prepare_notebook",
]

PlotlyJs = Literal["inline", "shared"]

#: Folder of the nbconvert template ``therapy_outcomes``.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "therapy_outcomes"
#: File name of the shared plotly.js a ``plotly_js="shared"`` report loads from its folder.
PLOTLY_JS_NAME = "plotly.min.js"

HIDDEN_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell", "remove_cell"})
HIDDEN_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})
_DROPPED_MIMETYPES = (
    GLUE_MIMETYPE,
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
    "application/javascript",
    "text/javascript",
)

CSP_INTERACTIVE = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)
CSP_PRINT = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; font-src data:; "
    "base-uri 'none'; form-action 'none'"
)
_HEAD_SCRIPTS = "<!-- therapy-outcomes:head-scripts -->"
_BEFORE_PRINT = """<script>
window.addEventListener("beforeprint", function () {
  if (!window.Plotly) { return; }
  document.querySelectorAll(".to-figure .js-plotly-plot").forEach(function (el) {
    window.Plotly.Plots.resize(el);
  });
});
</script>"""


class ExternalResourceError(TherapyOutcomesError):
    """A report would load something from the network (a remote script, style or image)."""


@dataclass(frozen=True)
class FigureRef:
    """One plotly figure output of a notebook."""

    name: str
    spec: dict[str, Any]
    caption: str | None
    cell_index: int
    output_index: int


def _tags(cell: Mapping[str, Any]) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def figure_refs(nb: Mapping[str, Any]) -> list[FigureRef]:
    """Every plotly figure output, in order, with a unique name.

    The name is the one given to :func:`.display.show`; a figure from ``fig.show()`` is
    ``cell<C>-<O>`` (cell and output index). A repeated name gets ``-2``, ``-3``...
    """
    refs: list[FigureRef] = []
    used: set[str] = set()
    for ci, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" or _tags(cell) & HIDDEN_CELL_TAGS:
            continue
        if _tags(cell) & HIDDEN_OUTPUT_TAGS:
            continue
        for oi, output in enumerate(cell.get("outputs", [])):
            data = output.get("data", {})
            if FIGURE_MIMETYPE not in data:
                continue
            meta = output.get("metadata", {}).get(METADATA_KEY, {}) or {}
            base = meta.get("figure") if isinstance(meta.get("figure"), str) else None
            base = base or f"cell{ci}-{oi}"
            name, n = base, 1
            while name in used:
                n += 1
                name = f"{base}-{n}"
            used.add(name)
            caption = meta.get("caption") if isinstance(meta.get("caption"), str) else None
            refs.append(FigureRef(name, figure_spec(dict(data[FIGURE_MIMETYPE])), caption, ci, oi))
    return refs


def _svg_figure(ref: FigureRef, svg: str) -> str:
    label = html_lib.escape(ref.caption or ref.name)
    svg = re.sub(r"^\s*<\?xml[^>]*>\s*", "", svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    parts = [f'<figure class="to-figure" id="fig-{ref.name}">', svg]
    if ref.caption:
        parts.append(f"<figcaption>{html_lib.escape(ref.caption)}</figcaption>")
    parts.append("</figure>")
    return "\n".join(parts)


def prepare_notebook(nb: Any, *, svgs: Mapping[str, str] | None = None) -> Any:
    """The copy of ``nb`` that is rendered: hidden parts removed, figures as report markup.

    Parameters
    ----------
    nb : NotebookNode
        An executed (and scrubbed) notebook.
    svgs : mapping, optional
        Figure name -> SVG text; figures become static SVG (the print version).
    """
    import nbformat

    refs = {(r.cell_index, r.output_index): r for r in figure_refs(nb)}
    nb = nbformat.from_dict(copy.deepcopy(dict(nb)))
    cells = []
    for ci, cell in enumerate(nb.cells):
        tags = _tags(cell)
        if tags & HIDDEN_CELL_TAGS:
            continue
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        outputs = []
        for oi, output in enumerate([] if tags & HIDDEN_OUTPUT_TAGS else cell.get("outputs", [])):
            if output.output_type == "stream" and output.get("name") == "stderr":
                continue
            if "data" in output:
                ref = refs.get((ci, oi))
                if ref is not None:
                    markup = (
                        _svg_figure(ref, svgs[ref.name])
                        if svgs is not None
                        else figure_html(ref.spec, ref.name, caption=ref.caption)
                    )
                    output.data = nbformat.from_dict({"text/html": markup})
                else:
                    for mimetype in _DROPPED_MIMETYPES:
                        output.data.pop(mimetype, None)
                    if not any(v for v in output.data.values()):
                        continue
            outputs.append(output)
        if outputs:
            cell.outputs = outputs
            cells.append(cell)
    nb.cells = cells
    return nb


@functools.lru_cache(maxsize=1)
def _exporter() -> Any:
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_raw=False,
    )


def plotly_js_path() -> Path:
    """The ``plotly.min.js`` bundled with the installed plotly package."""
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / PLOTLY_JS_NAME
    if not path.is_file():  # pragma: no cover - a broken plotly install
        raise FileNotFoundError(f"plotly's {PLOTLY_JS_NAME} is missing from the plotly package")
    return path


@functools.lru_cache(maxsize=1)
def _plotly_js() -> str:
    text = plotly_js_path().read_text(encoding="utf-8")
    if "</script" in text.lower():  # pragma: no cover - would end the inline <script> early
        text = re.sub(r"(?i)</script", r"<\\/script", text)
    return text


def copy_plotly_js(folder: str | Path) -> Path:
    """Copy plotly's ``plotly.min.js`` into ``folder`` (atomically; skipped when identical).

    Returns the copy's path. Reports made with ``plotly_js="shared"`` load it by its name.
    """
    source = plotly_js_path()
    target = Path(folder) / PLOTLY_JS_NAME
    data = source.read_bytes()
    if target.is_file() and target.stat().st_size == len(data):
        if hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest():
            return target
    return atomic_write(target, data)


def _head_scripts(plotly_js: PlotlyJs) -> str:
    if plotly_js == "inline":
        loader = f'<script charset="utf-8">\n{_plotly_js()}\n</script>'
    elif plotly_js == "shared":
        loader = f'<script src="{PLOTLY_JS_NAME}" charset="utf-8"></script>'
    else:
        raise ValueError(f"plotly_js must be 'inline' or 'shared', not {plotly_js!r}")
    return f"{loader}\n{_BEFORE_PRINT}"


def notebook_to_html(
    nb: Any,
    *,
    plotly_js: PlotlyJs = "inline",
    title: str | None = None,
    svgs: Mapping[str, str] | None = None,
) -> str:
    """The report page of an executed notebook (see the module docstring).

    Parameters
    ----------
    nb : NotebookNode
        The executed, scrubbed notebook.
    plotly_js : {"inline", "shared"}
        Inline plotly.js in the page, or load ``plotly.min.js`` from the page's folder.
    title : str, optional
        The page title; defaults to the notebook's ``metadata.title``, else "Report".
    svgs : mapping, optional
        Figure name -> SVG: the print version (no script at all).

    Raises
    ------
    ExternalResourceError
        When an output would load something from the network.
    """
    if plotly_js not in ("inline", "shared"):
        raise ValueError(f"plotly_js must be 'inline' or 'shared', not {plotly_js!r}")
    prepared = prepare_notebook(nb, svgs=svgs)
    title = title or nb.get("metadata", {}).get("title") or "Report"
    printing = svgs is not None
    resources = {
        "metadata": {"name": title},
        "therapy_outcomes": {
            "title": title,
            "print": printing,
            "csp": CSP_PRINT if printing else CSP_INTERACTIVE,
            "head_scripts": "" if printing else _HEAD_SCRIPTS,
        },
    }
    body, _ = _exporter().from_notebook_node(prepared, resources=resources)
    remote = find_remote_references(body)
    if remote:
        shown = ", ".join(sorted(set(remote))[:3])
        raise ExternalResourceError(
            f"the report would load from the network ({shown}); reports must be self-contained"
        )
    if not printing:
        body = body.replace(_HEAD_SCRIPTS, _head_scripts(plotly_js), 1)
    return body
