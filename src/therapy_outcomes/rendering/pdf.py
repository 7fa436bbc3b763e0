"""A report as a printable A4 PDF with whole, vector charts; offline.

Printing the interactive page clips charts (they are sized for the screen), so the PDF is made
from a print version (:func:`.html.notebook_to_html` with ``svgs``):

1. every plotly figure output (``application/vnd.plotly.v1+json``) becomes a static SVG at
   the printed width, drawn by plotly.js itself (``Plotly.toImage``) in headless Chromium;
2. the print page (SVG charts, no script, print CSS) is printed by the same Chromium to A4,
   with the caller's header (the client ID) and "Page N of M" on every page.

Chromium is driven through Playwright (the ``pdf`` extra: ``pip install
"therapy-outcomes[pdf]"``) with Debian's browser (no browser download): found from
``$THERAPY_OUTCOMES_CHROMIUM``, then ``chromium``/``chromium-browser``/``google-chrome`` on
PATH. It runs with background networking, sync, component updates and QUIC off, its context
is offline, and every request that is not ``file:``/``data:``/``about:`` is aborted.

One browser per process (:func:`shared_chromium`), started on first use (about 1 s) and
closed at exit; a figure then takes some 30-60 ms and a page some 100-300 ms. All browser
calls run on one worker thread, so this works inside a running event loop (Jupyter) too.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import hashlib
import html as html_lib
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from therapy_outcomes.errors import TherapyOutcomesError
from therapy_outcomes.extras import require
from therapy_outcomes.rendering.display import DEFAULT_HEIGHT
from therapy_outcomes.rendering.html import FigureRef, figure_refs, notebook_to_html, plotly_js_path
from therapy_outcomes.rendering.paths import atomic_write

__all__ = [
    "CHROMIUM_ARGS",
    "PRINT_WIDTH",
    "Chromium",
    "ChromiumNotFoundError",
    "chromium_path",
    "close_shared_chromium",
    "figures_to_svg",
    "notebook_to_pdf",
    "shared_chromium",
    "write_pdf",
]

T = TypeVar("T")

#: Width in CSS pixels the charts are drawn at: A4 (210 mm) less 2 x 16 mm margins at 96 dpi.
PRINT_WIDTH = 672
#: Command-line switches of the headless Chromium (no network of its own, no GPU).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--no-default-browser-check",
    "--metrics-recording-only",
)
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
MARGIN = {"top": "20mm", "bottom": "18mm", "left": "16mm", "right": "16mm"}
_SVG_UID = re.compile(r'id="defs-([0-9a-f]{6})"')

_TO_SVG_JS = """async (figs) => {
  const out = {};
  for (const f of figs) {
    const url = await Plotly.toImage(
      {data: f.data, layout: f.layout, config: {staticPlot: true}},
      {format: "svg", width: f.width, height: f.height});
    out[f.name] = decodeURIComponent(url.slice(url.indexOf(",") + 1));
  }
  return out;
}"""


class ChromiumNotFoundError(TherapyOutcomesError):
    """No Chromium to convert charts and print the PDF with.

    Without Playwright itself the error is a :class:`~therapy_outcomes.errors.MissingExtraError`.
    """


def chromium_path() -> str:
    """Path of the Chromium executable, or :class:`ChromiumNotFoundError`."""
    configured = os.environ.get("THERAPY_OUTCOMES_CHROMIUM")
    if configured:
        if Path(configured).is_file():
            return configured
        raise ChromiumNotFoundError(
            f"THERAPY_OUTCOMES_CHROMIUM names no file: {os.path.basename(configured)}"
        )
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumNotFoundError(
        "Chromium not found: install it (Debian: apt-get install chromium) "
        "or set THERAPY_OUTCOMES_CHROMIUM to its path"
    )


def _route(route: Any) -> None:
    if route.request.url.startswith(_LOCAL_SCHEMES):
        route.continue_()
    else:
        route.abort("blockedbyclient")


class Chromium:
    """A headless Chromium for SVG conversion and printing, owned by one worker thread.

    Use as a context manager, or :func:`shared_chromium` for the per-process one.
    """

    def __init__(self, executable: str | None = None) -> None:
        require("playwright.sync_api", "pdf", "printing a PDF")
        self._executable = executable or chromium_path()
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="to-chromium")
        self._closed = False
        self._tmp = tempfile.mkdtemp(prefix="to-chromium-")
        self._call(self._start)

    # Everything below named _x runs on the worker thread.
    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=self._executable, args=list(CHROMIUM_ARGS), headless=True
            )
            self._context = self._browser.new_context(offline=True, java_script_enabled=True)
            self._context.route("**/*", _route)
            self._svg_page: Any = None
        except BaseException:
            self._pw.stop()
            raise

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise RuntimeError("this Chromium is closed")
        return self._pool.submit(fn, *args).result()

    def _svg_page_ready(self) -> Any:
        if self._svg_page is None:
            loader = Path(self._tmp) / "svg.html"
            loader.write_text(
                '<!DOCTYPE html><html><head><meta charset="utf-8">'
                f'<script src="{plotly_js_path().as_uri()}" charset="utf-8"></script>'
                "</head><body></body></html>",
                encoding="utf-8",
            )
            page = self._context.new_page()
            page.goto(loader.as_uri(), wait_until="load")
            page.wait_for_function("() => typeof window.Plotly !== 'undefined'")
            self._svg_page = page
        return self._svg_page

    def _svgs(self, figs: list[dict[str, Any]]) -> dict[str, str]:
        return self._svg_page_ready().evaluate(_TO_SVG_JS, figs)

    def _pdf(self, html: str, options: dict[str, Any]) -> bytes:
        page = self._context.new_page()
        try:
            page.set_content(html, wait_until="load")
            return page.pdf(**options)
        finally:
            page.close()

    def _stop(self) -> None:
        try:
            self._browser.close()
        finally:
            self._pw.stop()

    # Public API.
    def svgs(self, refs: Iterable[FigureRef], *, width: int = PRINT_WIDTH) -> dict[str, str]:
        """Figure name -> SVG text, each figure drawn ``width`` CSS pixels wide."""
        figs = []
        for ref in refs:
            layout = dict(ref.spec.get("layout", {}))
            height = layout.get("height")
            height = int(height) if isinstance(height, int | float) and height > 0 else None
            layout.pop("width", None)
            figs.append(
                {
                    "name": ref.name,
                    "data": ref.spec.get("data", []),
                    "layout": layout,
                    "width": width,
                    "height": height or DEFAULT_HEIGHT,
                }
            )
        if not figs:
            return {}
        raw = self._call(self._svgs, figs)
        return {name: _stable_ids(svg, name) for name, svg in raw.items()}

    def pdf(self, html: str, *, header: str = "", title: str = "") -> bytes:
        """Print the page ``html`` (self-contained) to A4 with header and page numbers."""
        options = {
            "format": "A4",
            "print_background": True,
            "display_header_footer": True,
            "header_template": _header_template(header, title),
            "footer_template": _FOOTER,
            "margin": MARGIN,
            "prefer_css_page_size": False,
        }
        return self._call(self._pdf, html, options)

    def close(self) -> None:
        """Close the browser and its thread (idempotent)."""
        if self._closed:
            return
        try:
            self._pool.submit(self._stop).result(timeout=30)
        except Exception:  # pragma: no cover - the browser is gone already
            pass
        finally:
            self._closed = True
            self._pool.shutdown(wait=False)
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_FONT = "font-family: system-ui, 'Liberation Sans', 'DejaVu Sans', Arial, sans-serif;"
_FOOTER = (
    f'<div style="{_FONT} font-size: 8pt; color: #52606d; width: 100%; text-align: center;">'
    'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)


def _header_template(header: str, title: str) -> str:
    # Chromium fills class="pageNumber" etc.; everything else is plain escaped text.
    left = html_lib.escape(" ".join(header.split()))
    right = html_lib.escape(" ".join(title.split()))
    return (
        f'<div style="{_FONT} font-size: 8pt; color: #52606d; width: 100%; margin: 0 16mm; '
        'display: flex; justify-content: space-between;">'
        f"<span>{left}</span><span>{right}</span></div>"
    )


def _stable_ids(svg: str, name: str) -> str:
    """The same SVG text for the same figure: plotly's random 6-hex uid (ids, clip paths)
    replaced by one derived from ``name``, and the root's empty style (which plotly puts
    before or after viewBox) dropped."""
    svg = re.sub(r'^(<svg\b[^>]*?) style=""', r"\1", svg, count=1)
    match = _SVG_UID.search(svg)
    if not match:
        return svg
    stable = hashlib.sha1(name.encode("utf-8"), usedforsecurity=False).hexdigest()[:6]
    return svg.replace(match.group(1), stable)


_shared: Chromium | None = None
_shared_lock = threading.Lock()


def shared_chromium() -> Chromium:
    """The process's Chromium, started on first use and closed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared._closed:
            _shared = Chromium()
            atexit.register(close_shared_chromium)
        return _shared


def close_shared_chromium() -> None:
    """Close the process's Chromium, if one was started."""
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.close()
            _shared = None


def figures_to_svg(nb: Mapping[str, Any], *, chromium: Chromium | None = None) -> dict[str, str]:
    """Figure name -> static SVG for every plotly figure output of ``nb``."""
    refs = figure_refs(nb)
    if not refs:
        return {}
    return (chromium or shared_chromium()).svgs(refs)


def notebook_to_pdf(
    nb: Any,
    *,
    header: str = "",
    title: str | None = None,
    chromium: Chromium | None = None,
) -> bytes:
    """The A4 PDF of an executed notebook: print version, SVG charts, header and page numbers.

    Parameters
    ----------
    nb : NotebookNode
        The executed, scrubbed notebook.
    header : str
        Printed at the top left of every page (the client ID, for example).
    title : str, optional
        Printed at the top right of every page and used as the document title.
    chromium : Chromium, optional
        A browser to use; by default the process's shared one.
    """
    browser = chromium or shared_chromium()
    svgs = figures_to_svg(nb, chromium=browser)
    page = notebook_to_html(nb, svgs=svgs, title=title)
    return browser.pdf(page, header=header, title=title or "")


def write_pdf(
    nb: Any,
    path: str | os.PathLike[str],
    *,
    header: str = "",
    title: str | None = None,
    chromium: Chromium | None = None,
) -> Path:
    """Write :func:`notebook_to_pdf` to ``path`` atomically; return the path."""
    return atomic_write(path, notebook_to_pdf(nb, header=header, title=title, chromium=chromium))
