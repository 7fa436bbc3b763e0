"""Figures in report notebooks, and the module defaults every report notebook starts from.

:func:`show` publishes a plotly figure as ONE output that three readers understand:

- ``text/html``: a ``<figure class="to-figure" id="fig-NAME">`` with a plot ``<div>`` of a
  fixed id (``fig-NAME-plot``), the figure JSON in a ``<script type="application/json">`` and a
  few lines that call ``Plotly.newPlot`` (plotly.js comes once from the report page's head, see
  :mod:`therapy_outcomes.rendering.html`). The div holds a short note, replaced by the chart when
  plotly.js is there: a viewer without plotly.js, or one that runs no scripts (an untrusted
  notebook), shows words instead of a blank box. No random ids: two runs give the same HTML.
- ``application/vnd.plotly.v1+json``: the figure itself, which JupyterLab draws and from which
  the PDF is made (:mod:`therapy_outcomes.rendering.pdf`).
- ``text/plain``: one line naming the figure, for consoles.

The output's metadata is ``{"therapy_outcomes": {"figure": NAME}}`` (plus ``"caption"``).

:func:`setup_notebook` sets every module default a report depends on, at the top of every
notebook: a kernel that runs several notebooks keeps module state from the one before.

Neither function touches ``plotly.io.renderers`` unless it is already imported: importing it
imports nbformat, jsonschema and ``rfc3987_syntax`` (1-3 s in every fresh kernel).
"""

from __future__ import annotations

import copy
import html
import json
import os
import random
import re
import sys
from typing import Any

from therapy_outcomes.rendering.plotly_text import escape_figure, plain_text

__all__ = [
    "FIGURE_MIMETYPE",
    "METADATA_KEY",
    "PLOTLY_TEMPLATE",
    "figure_html",
    "figure_output",
    "figure_spec",
    "setup_notebook",
    "show",
    "skip_slow_optional_imports",
]

#: The mimetype plotly's own renderers and JupyterLab use for a figure.
FIGURE_MIMETYPE = "application/vnd.plotly.v1+json"
#: Key of this package's entries in an output's metadata.
METADATA_KEY = "therapy_outcomes"
#: Name of the plotly template :func:`setup_notebook` registers and makes the default.
PLOTLY_TEMPLATE = "therapy_outcomes"
#: The plotly renderer :func:`setup_notebook` sets for ``fig.show()`` (figure JSON only; the
#: HTML report draws it like a :func:`show` figure).
PLOTLY_RENDERER = "plotly_mimetype"
#: Height of a figure whose layout names none, in CSS pixels.
DEFAULT_HEIGHT = 380
#: Seed of ``random`` and numpy's global generator after :func:`setup_notebook`.
SEED = 20260101

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# plotly.js options: no plotly logo/link, a modebar only on hover, resize with the page.
_CONFIG = {
    "responsive": True,
    "displaylogo": False,
    "displayModeBar": "hover",
    "modeBarButtonsToRemove": ["sendDataToCloud", "lasso2d", "select2d"],
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
}
_NO_PLOTLY_NOTE = (
    "Chart not shown: it is drawn by plotly.js, which the rendered report loads and this "
    "viewer has not. Open the HTML report to see it."
)


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"figure name {name!r} is not allowed: use 1-64 letters, digits, '_' or '-'"
        )
    return name


def _plain(value: Any) -> Any:
    """Plain JSON types of a plotly JSON value (numpy arrays and dates already converted)."""
    return json.loads(_dumps(value))


def _dumps(value: Any) -> str:
    import plotly.io as pio  # the JSON encoder for numpy, pandas and dates

    return pio.to_json(value, validate=False, pretty=False, engine="json")


def figure_spec(fig: Any) -> dict[str, Any]:
    """The figure as plain JSON data: ``{"data": [...], "layout": {...}}``, its text escaped.

    Accepts a plotly ``Figure`` or a figure dict (as stored under :data:`FIGURE_MIMETYPE`).
    Every string from the data is plotly text, not plotly markup
    (:func:`.plotly_text.escape_figure`; idempotent, so a stored spec can pass again): every
    figure that is shown, stored, or rendered to HTML or PDF passes through here.

    Examples
    --------
    >>> import plotly.graph_objects as go
    >>> spec = figure_spec(go.Figure(go.Bar(x=["<b>North</b>"], y=[3])))
    >>> spec["data"][0]["x"]
    ['&lt;b&gt;North&lt;/b&gt;']
    """
    if hasattr(fig, "to_plotly_json"):
        spec = fig.to_plotly_json()
    elif isinstance(fig, dict):
        spec = fig
    else:
        raise TypeError(f"expected a plotly Figure or a figure dict, not {type(fig).__name__}")
    spec = _plain({"data": spec.get("data", []), "layout": spec.get("layout", {})})
    return escape_figure(spec)


def _responsive_layout(layout: dict[str, Any]) -> dict[str, Any]:
    layout = copy.deepcopy(layout)
    layout.pop("width", None)  # the page decides the width
    layout["autosize"] = True
    layout.setdefault("height", DEFAULT_HEIGHT)
    return layout


def _script_json(value: Any) -> str:
    """JSON safe inside an HTML <script> element (no '</script>', no '<!--')."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def figure_html(spec: dict[str, Any], name: str, *, caption: str | None = None) -> str:
    """The ``<figure>`` element :func:`show` publishes, for a figure spec (see :func:`figure_spec`).

    Deterministic: the same spec, name and caption give the same text.
    """
    _check_name(name)
    layout = _responsive_layout(spec.get("layout", {}))
    payload = {"data": spec.get("data", []), "layout": layout, "config": _CONFIG}
    fid = f"fig-{name}"
    label = caption or _title_text(layout) or name
    parts = [
        f'<figure class="to-figure" id="{fid}">',
        f'<div class="to-plot" id="{fid}-plot" role="img" aria-label="{html.escape(label)}">'
        f'<p class="to-plot-note">{html.escape(_NO_PLOTLY_NOTE)}</p></div>',
        f'<script type="application/json" id="{fid}-data">{_script_json(payload)}</script>',
        "<script>(function () {",
        f'  var el = document.getElementById("{fid}-plot");',
        '  if (typeof window.Plotly === "undefined") { return; }  // the note stays',
        f'  var spec = JSON.parse(document.getElementById("{fid}-data").textContent);',
        '  el.textContent = "";',
        "  window.Plotly.newPlot(el, spec.data, spec.layout, spec.config);",
        "})();</script>",
    ]
    if caption:
        parts.append(f"<figcaption>{html.escape(caption)}</figcaption>")
    parts.append("</figure>")
    return "\n".join(parts)


def _title_text(layout: dict[str, Any]) -> str | None:
    title = layout.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    return plain_text(title) if isinstance(title, str) and title else None


def figure_output(
    fig: Any, name: str, *, caption: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (data, metadata) pair :func:`show` publishes, without publishing it."""
    _check_name(name)
    spec = figure_spec(fig)
    data = {
        "text/html": figure_html(spec, name, caption=caption),
        FIGURE_MIMETYPE: spec,
        "text/plain": f"<Figure {name}{': ' + caption if caption else ''}>",
    }
    meta: dict[str, Any] = {"figure": name}
    if caption:
        meta["caption"] = caption
    return data, {METADATA_KEY: meta}


def show(fig: Any, name: str, *, caption: str | None = None) -> None:
    """Publish ``fig`` as one display output named ``name`` (see the module docstring).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure. A fixed ``layout.width`` is dropped: the figure takes the page's width.
    name : str
        1-64 letters, digits, ``_`` or ``-``, unique within the notebook; the HTML ids are
        ``fig-NAME`` (the ``<figure>``) and ``fig-NAME-plot`` (the plot).
    caption : str, optional
        Shown under the figure, and used as its accessible label.
    """
    from IPython.display import display

    data, metadata = figure_output(fig, name, caption=caption)
    display(data, raw=True, metadata=metadata)


def _register_template() -> None:
    import plotly.graph_objects as go
    import plotly.io as pio

    base = pio.templates["plotly_white"]
    template = go.layout.Template(base)
    template.layout.update(
        font={
            "family": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', "
            "Arial, 'Liberation Sans', sans-serif",
            "size": 13,
            "color": "#1f2933",
        },
        margin={"l": 56, "r": 16, "t": 56, "b": 48},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
        title={"x": 0, "xanchor": "left", "font": {"size": 16}},
        hoverlabel={"font": {"size": 13}},
    )
    pio.templates[PLOTLY_TEMPLATE] = template


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from importing its optional ``rfc3987_syntax`` in this process.

    ``fig.show()`` or a bare ``fig`` imports plotly's renderers, which import nbformat, which
    imports jsonschema, which imports ``rfc3987_syntax`` when installed (jupyterlab pulls it
    in) and builds a Lark grammar: 1.5-2.5 s in every fresh kernel. jsonschema only uses it
    to check the ``iri`` string format, which no report validates. Nothing changes when
    jsonschema is already imported.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def setup_notebook(*, seed: int = SEED) -> None:
    """Set every module default a report relies on; call it in the first cell of a notebook.

    - plotly: the template :data:`PLOTLY_TEMPLATE` (``plotly_white``, system fonts, small
      margins, legend below the plot, so a chart stays readable on a phone) as the default;
      ``fig.show()`` renders figure JSON only (``PLOTLY_RENDERER``), which the HTML report
      draws like a :func:`show` figure.
    - pandas: every display option back to its default, then the report's own (no truncation
      of up to 60 rows and 30 columns, 2 decimals shown).
    - ``random`` and numpy's global generator seeded with ``seed``.
    - :func:`skip_slow_optional_imports`, so a stray ``fig.show()`` costs no extra seconds.
    """
    skip_slow_optional_imports()
    os.environ["PLOTLY_RENDERER"] = PLOTLY_RENDERER  # read when plotly.io renderers load
    import plotly.io as pio

    _register_template()
    pio.templates.default = PLOTLY_TEMPLATE
    if "plotly.io._renderers" in sys.modules:  # loaded (by fig.show() or a bare fig) already
        pio.renderers.default = PLOTLY_RENDERER

    import pandas as pd

    pd.reset_option("display")
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 100)
    pd.set_option("display.precision", 2)

    random.seed(seed)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy comes with pandas
        return
    np.random.seed(seed)  # noqa: NPY002 - legacy global state is what leaks between runs
