"""Run a parameterized notebook and write its report: executed notebook, HTML and PDF.

:func:`render_notebook` executes the notebook with papermill (by default one new kernel per
call, on private Unix sockets, :mod:`.kernels`; or in an engine chosen by name, such as the
batch's warm kernels), scrubs the executed notebook of this machine's paths, user and host names
(:mod:`.scrub`), reads its glued values (:mod:`.glue`), renders the HTML page (:mod:`.html`)
and, when asked, the PDF (:mod:`.pdf`). Every file is written atomically and only after all
of them were made, so a failed run leaves nothing under the final names.

A cell that raises gives :class:`ReportExecutionError` with one line: the notebook, the
failing cell and the error's name and message (never the traceback).
"""

from __future__ import annotations

import contextlib
import json
import keyword
import math
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from therapy_outcomes.errors import ParameterError, TherapyOutcomesError
from therapy_outcomes.rendering.glue import read_glue
from therapy_outcomes.rendering.html import copy_plotly_js, notebook_to_html
from therapy_outcomes.rendering.kernels import IPC_SUPPORTED, ipc_kernel_manager
from therapy_outcomes.rendering.paths import atomic_write
from therapy_outcomes.rendering.scrub import Scrubber

__all__ = ["RenderResult", "ReportExecutionError", "check_parameters", "render_notebook"]

_MAX_MESSAGE = 300

#: The package's errors whose messages name only files, lines, columns, IDs and parameters,
#: never text from the data: their messages may be printed and recorded.
PLAIN_MESSAGES = frozenset(
    {
        "BatchLockedError",
        "ChromiumNotFoundError",
        "DatasetReadError",
        "InstrumentDefinitionError",
        "MissingExtraError",
        "ParameterError",
        "UnknownInstrumentError",
    }
)
#: Said instead of a message that may quote the data.
MESSAGE_WITHHELD = "its message is not shown, as it may quote the data"


class ReportExecutionError(TherapyOutcomesError):
    """A report notebook failed to run: a cell raised, timed out, or the kernel died.

    Attributes
    ----------
    notebook : str
        File name of the notebook.
    ename, evalue : str
        The error's name and (one-line, scrubbed) message.
    cell : int or None
        The failing cell's position in the notebook (1 = the first cell), when known.
    cell_id : str or None
        The failing cell's id, when known.

    Notes
    -----
    The message (what is printed) holds the error's text only for the package's own errors
    (:data:`PLAIN_MESSAGES`), whose texts name files, lines, IDs and parameters, or when the
    caller says the text is plain (``plain=True``: a timeout, a kernel that died). Any other
    error's text may quote the data (a goal statement in a ``KeyError``), so it is kept in
    ``evalue`` for code and for the executed notebook, never printed.
    """

    exit_code = 1

    def __init__(
        self,
        notebook: str,
        ename: str,
        evalue: str,
        cell: int | None = None,
        cell_id: str | None = None,
        *,
        plain: bool | None = None,
    ) -> None:
        self.notebook, self.ename, self.evalue = notebook, ename, evalue
        self.cell, self.cell_id = cell, cell_id
        where = "a cell"
        if cell is not None:
            where = f"cell {cell}" + (f" ({cell_id!r})".replace("'", '"') if cell_id else "")
        if ename == "ParameterError" and evalue:
            # the notebook refused its parameters (unknown client, date before referral ...):
            # that is the user's input, said as plainly as when it is checked before running
            self.exit_code = 2
            message = evalue
        else:
            message = f"{notebook}: {where} raised {ename}"
            if evalue and (plain if plain is not None else ename in PLAIN_MESSAGES):
                message += f": {evalue}"
            elif evalue:
                message += f" ({MESSAGE_WITHHELD})"
        super().__init__(_one_line(message))


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render_notebook` wrote, and how long it took.

    ``timings`` has the seconds of each step: ``execute``, ``scrub``, ``html`` and ``pdf``.
    """

    html: Path
    notebook: Path
    pdf: Path | None
    seconds: float
    glue: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _check_value(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(f"parameter {where} is {value!r}: only finite numbers are allowed")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ParameterError(f"parameter {where} has a key {key!r} that is not text")
            _check_value(item, f"{where}[{key!r}]")
        return
    raise ParameterError(
        f"parameter {where} is a {type(value).__name__}: use str, int, float, bool, None, "
        "or lists and dicts of these"
    )


def check_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """``parameters`` as a plain dict, or :class:`ParameterError` for a name or value that is
    not JSON-like (a name must be a Python identifier; values str, int, finite float, bool,
    None, and lists/dicts of these)."""
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise ParameterError(f"parameters must be a mapping, not {type(parameters).__name__}")
    for name, value in parameters.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ParameterError(f"parameter name {name!r} is not a Python identifier")
        _check_value(value, repr(name))
    return dict(parameters)


def _source_cell(notebook: Path, source: str) -> tuple[int | None, str | None]:
    """Position (1-based) and id of the cell of ``notebook`` whose source is ``source``."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):  # pragma: no cover - it was readable a moment ago
        return None, None
    for i, cell in enumerate(cells, start=1):
        text = cell.get("source", "")
        if ("".join(text) if isinstance(text, list) else text) == source:
            return i, cell.get("id")
    return None, None


def _drop_default_parameters(nb: Any) -> None:
    """Blank the notebook's default parameters once papermill has injected the real ones.

    The defaults name a demo dataset and a demo client; kept in a report they would put
    another client's ID into this client's executed notebook.
    """
    tags = [set(cell.get("metadata", {}).get("tags", [])) for cell in nb.cells]
    if not any("injected-parameters" in t for t in tags):
        return
    for cell, cell_tags in zip(nb.cells, tags, strict=True):
        if "parameters" in cell_tags and "injected-parameters" not in cell_tags:
            cell.source = "# Default parameters removed: this run's values are in the next cell."
            cell.outputs = []


def _engine(engine_name: str | None) -> Any:
    """papermill's engine called ``engine_name`` (``None``: its default), or ParameterError."""
    from papermill.engines import papermill_engines
    from papermill.exceptions import PapermillException

    try:
        return papermill_engines.get_engine(engine_name)
    except PapermillException:
        raise ParameterError(f"no papermill engine is called '{engine_name}'") from None


def _execute(
    notebook: Path,
    parameters: dict[str, Any],
    *,
    kernel_name: str,
    cwd: Path,
    timeout: float,
    scrubber: Scrubber,
    engine_name: str | None,
    engine_options: Mapping[str, Any],
) -> Any:
    import papermill
    from papermill.engines import NBClientEngine
    from papermill.exceptions import PapermillExecutionError

    # papermill's own engine starts a kernel per call: give it private sockets. Other
    # engines (the batch's warm kernels) start and keep their kernels themselves.
    engine = _engine(engine_name)
    one_kernel_per_call = isinstance(engine, type) and issubclass(engine, NBClientEngine)
    try:
        with contextlib.ExitStack() as stack:
            extra = dict(engine_options)
            if one_kernel_per_call and IPC_SUPPORTED:
                sockets = stack.enter_context(tempfile.TemporaryDirectory(prefix="to-kernel-"))
                extra["kernel_manager_class"] = ipc_kernel_manager(sockets)
            return papermill.execute_notebook(
                str(notebook),
                None,  # nothing written by papermill: we write the scrubbed notebook ourselves
                parameters=parameters,
                engine_name=engine_name,
                kernel_name=kernel_name,
                cwd=str(cwd),
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                execution_timeout=timeout,
                **extra,
            )
    except PapermillExecutionError as exc:
        cell, cell_id = _source_cell(notebook, exc.source)
        raise ReportExecutionError(
            notebook.name, exc.ename, scrubber.text(_one_line(exc.evalue)), cell, cell_id
        ) from None
    except TherapyOutcomesError:
        raise
    except Exception as exc:  # timeout, dead kernel, kernel that does not start
        name = type(exc).__name__
        text = scrubber.text(_one_line(str(exc)))
        if name == "CellTimeoutError":
            text = f"a cell ran longer than {timeout:g} s"
        raise ReportExecutionError(notebook.name, name, text, plain=True) from None


def render_notebook(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None,
    *,
    out_html: str | os.PathLike[str],
    out_notebook: str | os.PathLike[str] | None = None,
    pdf: str | os.PathLike[str] | None = None,
    pdf_header: str = "",
    plotly_js: Literal["inline", "shared"] = "inline",
    kernel_name: str = "python3",
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 300,
    title: str | None = None,
    engine_name: str | None = None,
    engine_options: Mapping[str, Any] | None = None,
) -> RenderResult:
    """Execute ``notebook`` with ``parameters`` and write its report.

    Parameters
    ----------
    notebook : path
        The parameterized notebook (a cell tagged ``parameters``).
    parameters : mapping
        Injected by papermill; JSON-like values only (see :func:`check_parameters`).
    out_html : path
        The HTML report. Its folder is created when missing.
    out_notebook : path, optional
        The executed, scrubbed notebook; by default beside the HTML with ``.ipynb``.
    pdf : path, optional
        Also write an A4 PDF here (needs Chromium and Playwright, see :mod:`.pdf`).
    pdf_header : str
        Printed at the top of every PDF page (the client ID).
    plotly_js : {"inline", "shared"}
        Inline plotly.js in the HTML (one self-contained file), or load ``plotly.min.js``
        from the HTML's folder (copied there when missing or different).
    kernel_name : str
        The Jupyter kernel to run.
    cwd : path, optional
        The kernel's working folder; by default the notebook's folder (as in Jupyter), so
        relative paths in the notebook and its parameters mean the same in both.
    timeout : float
        Seconds one cell may run.
    title : str, optional
        Title of the HTML page and the PDF; by default the notebook's ``metadata.title``,
        else the notebook's file name without ``.ipynb``.
    engine_name : str, optional
        The papermill engine that runs the notebook, by its registered name (such as
        :data:`therapy_outcomes.batch.engine.ENGINE_NAME`, warm kernels); by default
        papermill's own, a new kernel for this call.
    engine_options : mapping, optional
        Keyword arguments papermill passes on to the engine (for the warm engine:
        ``max_runs``, ``recycle_on_error``, ``share_data``).

    Returns
    -------
    RenderResult

    Raises
    ------
    ParameterError
        A parameter that is not JSON-like, a notebook that does not exist, or an engine
        papermill does not know.
    ReportExecutionError
        A cell raised, timed out or the kernel died; no file is written.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    source = Path(notebook)
    if not source.is_file():
        raise ParameterError(f"notebook not found: {source.name}")
    params = check_parameters(parameters)
    html_path = Path(out_html)
    nb_path = Path(out_notebook) if out_notebook is not None else html_path.with_suffix(".ipynb")
    pdf_path = Path(pdf) if pdf is not None else None
    if plotly_js not in ("inline", "shared"):
        raise ValueError(f"plotly_js must be 'inline' or 'shared', not {plotly_js!r}")
    kernel_cwd = Path(cwd) if cwd is not None else source.resolve().parent
    outputs = [html_path, nb_path] + ([pdf_path] if pdf_path else [])
    scrubber = Scrubber([kernel_cwd, *(p.resolve().parent for p in outputs), source.parent])

    t = time.perf_counter()
    executed = _execute(
        source,
        params,
        kernel_name=kernel_name,
        cwd=kernel_cwd,
        timeout=timeout,
        scrubber=scrubber,
        engine_name=engine_name,
        engine_options=engine_options or {},
    )
    timings["execute"] = time.perf_counter() - t

    t = time.perf_counter()
    _drop_default_parameters(executed)
    clean = scrubber.notebook(executed)
    glued = read_glue(clean)
    import nbformat

    nb_text = nbformat.writes(clean)
    timings["scrub"] = time.perf_counter() - t

    page_title = title or clean.metadata.get("title") or source.stem
    t = time.perf_counter()
    page = notebook_to_html(clean, plotly_js=plotly_js, title=page_title)
    timings["html"] = time.perf_counter() - t

    pdf_bytes = None
    if pdf_path is not None:
        from therapy_outcomes.rendering.pdf import notebook_to_pdf

        t = time.perf_counter()
        pdf_bytes = notebook_to_pdf(clean, header=pdf_header, title=page_title)
        timings["pdf"] = time.perf_counter() - t

    for path in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(nb_path, nb_text)
    if plotly_js == "shared":
        copy_plotly_js(html_path.parent)
    atomic_write(html_path, page)
    if pdf_path is not None and pdf_bytes is not None:
        atomic_write(pdf_path, pdf_bytes)
    return RenderResult(
        html=html_path,
        notebook=nb_path,
        pdf=pdf_path,
        seconds=time.perf_counter() - started,
        glue=glued,
        timings=timings,
    )
