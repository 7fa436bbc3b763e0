"""What a report page would load from outside itself, read from its elements, not its text.

:func:`find_remote_references` parses the page (the standard library's HTML parser, which
unescapes attribute values as a browser does) and looks only where a browser fetches:

- URL attributes of any element: ``src``, ``srcset`` (every candidate), ``poster``, ``data``,
  ``background``, ``lowsrc``, ``dynsrc``, ``codebase``, ``archive``, ``manifest``, ``icon``,
  ``action``, ``formaction``, ``ping``; ``href`` and ``xlink:href`` of every element but a link
  (``<a>``, ``<area>``: following one is the reader's choice), so ``<link>``, ``<base>`` and
  SVG ``<image>``, ``<use>``, ``<feImage>`` count;
- ``<meta http-equiv="refresh" content="0; url=...">`` and the HTML of ``<iframe srcdoc>``;
- CSS in ``<style>`` elements and ``style`` attributes, tokenised by ``tinycss2`` (so CSS
  escapes such as ``u\\72l(`` are read as the browser reads them): ``url(...)``, ``src(...)``,
  the strings of ``image-set(...)`` and ``@import``.

A URL is remote unless it is relative to the page (``plotly.min.js``, ``#id``) or a
``data:``, ``blob:`` or ``about:`` URL; a URL with its own host (``//host``, ``http://``,
``/\\host``, which browsers read as ``//host``), and any other scheme (``file:``,
``javascript:``...) is not part of a self-contained page. Text is never a load: a goal
statement ``<iframe src=http://x>`` is in the page as ``&lt;iframe src=http://x&gt;`` and
is text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from typing import Any

__all__ = ["find_remote_references", "is_remote_url"]

_URL_ATTRS = frozenset(
    {
        "src",
        "poster",
        "data",
        "background",
        "lowsrc",
        "dynsrc",
        "codebase",
        "archive",
        "manifest",
        "icon",
        "action",
        "formaction",
    }
)
_LINK_TAGS = frozenset({"a", "area"})
_LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
# Browsers drop ASCII tab and newline anywhere in a URL, and C0 controls and spaces around it.
_URL_NOISE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_REFRESH_URL = re.compile(r"(?i)^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(['\"]?)(.*?)\1\s*$")


def is_remote_url(url: str) -> bool:
    """True when a browser would fetch ``url`` from outside the page's own folder.

    Examples
    --------
    >>> [is_remote_url(u) for u in ("plotly.min.js", "#top", "data:image/png;base64,AA")]
    [False, False, False]
    >>> [is_remote_url(u) for u in ("//cdn.x/a.js", "HTTPS://x", " /\\\\x/y", "file:///etc")]
    [True, True, True, True]
    """
    u = _URL_NOISE.sub("", url).strip(_C0_AND_SPACE).replace("\\", "/")
    if u.startswith("//"):
        return True
    match = _SCHEME.match(u)
    return match is not None and match.group(1).lower() not in _LOCAL_SCHEMES


def _srcset_urls(value: str) -> Iterator[str]:
    """The URL of every candidate of a ``srcset`` (the HTML standard's parsing, simplified:
    a URL runs to the next whitespace; a comma ends a candidate's descriptors)."""
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        start = i
        while i < n and not value[i].isspace():
            i += 1
        url = value[start:i]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while i < n and (value[i] != "," or depth):
                depth += {"(": 1, ")": -1}.get(value[i], 0)
                i += 1
        if url:
            yield url


def _css_urls(css: str, *, declarations: bool = False) -> Iterator[str]:
    import tinycss2

    tokens = (
        tinycss2.parse_blocks_contents(css, skip_comments=True)
        if declarations
        else tinycss2.parse_component_value_list(css, skip_comments=True)
    )
    yield from _token_urls(tokens)


def _token_urls(tokens: Iterable[Any]) -> Iterator[str]:
    after_import = False
    for token in tokens:
        kind = token.type
        if kind in ("whitespace", "comment"):
            continue
        if after_import and kind == "string":
            yield token.value
        after_import = kind == "at-keyword" and token.lower_value == "import"
        if kind == "url":
            yield token.value
        elif kind == "function":
            name = token.lower_name
            if name in ("url", "src") or name.endswith("image-set") or name == "image":
                yield from (t.value for t in token.arguments if t.type == "string")
            yield from _token_urls(token.arguments)
        elif kind in ("() block", "[] block", "{} block"):
            yield from _token_urls(token.content)
        elif kind == "at-rule" and token.lower_at_keyword == "import":
            yield from (t.value for t in token.prelude if t.type == "string")
            yield from _token_urls(token.prelude)
        elif kind in ("declaration", "qualified-rule", "at-rule"):
            for part in ("prelude", "value", "content"):
                yield from _token_urls(getattr(token, part, None) or [])


class _Loads(HTMLParser):
    """Collects every URL the elements of a page would load."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name in _URL_ATTRS:
                self.urls.append(value)
            elif name == "srcset" or name == "imagesrcset":
                self.urls.extend(_srcset_urls(value))
            elif name == "ping":
                self.urls.extend(value.split())
            elif name in ("href", "xlink:href") and tag not in _LINK_TAGS:
                self.urls.append(value)
            elif name == "style":
                self.urls.extend(_css_urls(value, declarations=True))
            elif name == "srcdoc":
                self.urls.extend(_all_urls(value))
        if tag == "meta" and values.get("http-equiv", "").strip().lower() == "refresh":
            match = _REFRESH_URL.match(values.get("content", ""))
            if match and match.group(2):
                self.urls.append(match.group(2))
        if tag == "style":
            self._in_style += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "style":
            self._in_style -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "style" and self._in_style:
            self._in_style -= 1

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(_css_urls(data))


def _all_urls(html: str) -> list[str]:
    parser = _Loads()
    parser.feed(html)
    parser.close()
    return parser.urls


def find_remote_references(html: str) -> list[str]:
    """URLs the page's elements and styles would load from outside it, in page order.

    Examples
    --------
    >>> find_remote_references('<p>&lt;iframe src=http://x&gt;</p><a href="https://x">x</a>')
    []
    >>> find_remote_references('<img srcset="a.png 1x, //cdn.x/b.png 2x">')
    ['//cdn.x/b.png']
    >>> find_remote_references('<p style="background: url(&quot;http://x/p.gif&quot;)">')
    ['http://x/p.gif']
    """
    return [url.strip() for url in _all_urls(html) if is_remote_url(url)]
