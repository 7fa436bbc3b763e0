"""Text in a plotly figure is text: data cannot become plotly markup.

plotly.js draws every string of a figure (titles, axis titles, tick labels, legend names,
annotations, hover labels, trace ``text``) through its own small markup language: ``<a
href>`` (a live link), ``<b>``, ``<i>``, ``<br>``, ``<sup>``, ``<sub>``, ``<span style>``.
It first splits the string on tags (``<...>``) and then turns the entities ``&lt;``,
``&gt;``, ``&amp;`` (and a few more) of the text parts into characters. So a string is shown
literally when its ``<``, ``>`` and ``&`` are written as entities: :func:`plot_text`.

One walker, :func:`escape_figure`, escapes every string of a figure, whatever attribute it
sits in, except the *templates* (``hovertemplate``, ``texttemplate``...), which the package
writes and whose ``<br>`` and ``<extra>`` are meant as markup. Data reaches a template only
through its ``%{...}`` placeholders (``customdata``, ``text``, ``x``...), which are escaped
like any other string. In a template every tag other than ``<br>``, ``<extra>`` and
``</extra>`` is escaped too, so even a builder that pastes data into a template cannot make
a link or a bold word (paste it through :func:`plot_text`).

:func:`therapy_outcomes.rendering.display.figure_spec` applies the walker, so every figure that
is shown (``show``), rendered to HTML or PDF, or stored in a notebook passes through it, and a
new figure builder cannot forget it. The walker is idempotent: ``&lt;``, ``&gt;`` and
``&amp;`` are left as they are (so a value typed as ``&lt;`` shows as ``<``: the only cost),
and every other ``&`` becomes ``&amp;``; running it twice changes nothing, so a stored figure
rendered again is not escaped twice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["TEMPLATE_TAGS", "escape_figure", "escape_template", "plain_text", "plot_text"]

#: The only markup a template may hold (the package's line break and hover-box name).
TEMPLATE_TAGS = ("<br>", "<extra>", "</extra>")

_AMP = re.compile(r"&(?!(?:lt|gt|amp);)")
_TEMPLATE_SPLIT = re.compile("(" + "|".join(re.escape(t) for t in TEMPLATE_TAGS) + ")")
# Keys whose strings are not text plotly draws but URLs (layout images): left alone.
_NOT_TEXT = frozenset({"source"})


def plot_text(value: object) -> str:
    """``value`` as plotly text that shows literally: ``<``, ``>``, ``&`` as entities.

    ``&lt;``, ``&gt;`` and ``&amp;`` already in ``value`` are kept, so escaping twice
    changes nothing.

    Examples
    --------
    >>> plot_text('<a href="//x">me</a> & <b>you</b>')
    '&lt;a href="//x"&gt;me&lt;/a&gt; &amp; &lt;b&gt;you&lt;/b&gt;'
    >>> plot_text(plot_text("a < b & c")) == plot_text("a < b & c")
    True
    """
    text = str(value)
    if not any(c in text for c in "<>&"):
        return text
    return _AMP.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def plain_text(value: str) -> str:
    """The characters plotly shows for escaped text (the inverse of :func:`plot_text`).

    Examples
    --------
    >>> plain_text("&lt;b&gt; &amp; c")
    '<b> & c'
    """
    return value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape_template(template: str) -> str:
    """A hover or text template with every tag but :data:`TEMPLATE_TAGS` escaped.

    Examples
    --------
    >>> escape_template('%{x}<br>%{y}<extra></extra>')
    '%{x}<br>%{y}<extra></extra>'
    >>> escape_template('<a href="//x">%{y}</a><b>!</b>')
    '&lt;a href="//x"&gt;%{y}&lt;/a&gt;&lt;b&gt;!&lt;/b&gt;'
    """
    if "<" not in template and ">" not in template:
        return template
    parts = _TEMPLATE_SPLIT.split(template)
    return "".join(
        part if i % 2 else part.replace("<", "&lt;").replace(">", "&gt;")
        for i, part in enumerate(parts)
    )


def _is_template(key: str | None) -> bool:
    return key is not None and key != "template" and key.endswith("template")


def escape_figure(value: Any, key: str | None = None) -> Any:
    """A copy of a figure (``fig.to_plotly_json()``, a figure dict or any part of one) whose
    strings are plotly text (:func:`plot_text`) and whose templates are
    :func:`escape_template`-d; numbers, dates, base64 arrays and keys are unchanged.

    ``key`` is the attribute the value belongs to (strings in a list take their list's key).
    Lists, tuples and numpy arrays of strings come back as lists.

    Examples
    --------
    >>> spec = {"data": [{"type": "bar", "x": ["<b>A</b>", "B"], "y": [1, 2],
    ...          "hovertemplate": "%{x}<br>%{y}<extra></extra>"}],
    ...         "layout": {"title": {"text": "Site <a href='//x'>x</a>"}}}
    >>> out = escape_figure(spec)
    >>> out["data"][0]["x"], out["data"][0]["hovertemplate"]
    (['&lt;b&gt;A&lt;/b&gt;', 'B'], '%{x}<br>%{y}<extra></extra>')
    >>> out["layout"]["title"]["text"]
    "Site &lt;a href='//x'&gt;x&lt;/a&gt;"
    >>> escape_figure(out) == out
    True
    """
    if isinstance(value, str):
        if key in _NOT_TEXT:
            return value
        return escape_template(value) if _is_template(key) else plot_text(value)
    if isinstance(value, Mapping):
        if "bdata" in value and "dtype" in value:  # plotly's base64 typed array
            return dict(value)
        return {k: escape_figure(v, k if isinstance(k, str) else key) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [escape_figure(v, key) for v in value]
    if type(value).__module__ == "numpy" and getattr(value, "dtype", None) is not None:
        if value.dtype.kind in "OUS" and getattr(value, "ndim", 0) > 0:
            return [escape_figure(v, key) for v in value.tolist()]
    return value
