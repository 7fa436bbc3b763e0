"""Render one client's progress report: ``therapy-outcomes report client`` and its Python API.

The report is ``notebooks/client_progress.ipynb`` executed by papermill for one client, one
as-of date and one audience, written as ``OUT/clients/<client_id>/<as_of>-<audience>.html``
with the executed notebook beside it (and a PDF on request). Parameters are checked before
any kernel starts (the client against the dataset's clients table only, read and checked as
:func:`therapy_outcomes.load` does); every file is written atomically, so a failed run leaves
no half-written file.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from therapy_outcomes.client_report.context import AUDIENCES, find_client, report_as_of
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.parameters import parse_date_parameter
from therapy_outcomes.rendering.execute import RenderResult, render_notebook
from therapy_outcomes.rendering.paths import notebooks_folder, safe_id

CLIENT_NOTEBOOK = "client_progress.ipynb"


def client_report_path(out: str | Path, client_id: str, as_of: pd.Timestamp, audience: str) -> Path:
    """``OUT/clients/<client_id>/<as_of>-<audience>.html`` (the ID checked first).

    Examples
    --------
    >>> client_report_path("reports", "C000001", pd.Timestamp("2026-10-31"), "client").as_posix()
    'reports/clients/C000001/2026-10-31-client.html'
    """
    safe_id(client_id, what="client ID")
    return Path(out) / "clients" / client_id / f"{as_of.date().isoformat()}-{audience}.html"


def accepted_clients(location: str | Path) -> pd.DataFrame:
    """The clients :func:`therapy_outcomes.load` accepts as of today, checking that table only.

    The same reader and row checks as a full load, without the other tables' checks and the
    scoring (a client row is never rejected because of another table), so a report's client
    can be checked in a fraction of the time the notebook's own load takes.

    Raises
    ------
    DatasetReadError
        The dataset (or its clients table) cannot be read at all.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=12, seed=3)
    >>> accepted_clients(folder)["client_id"].tolist()[:2]
    ['C000001', 'C000002']
    """
    from therapy_outcomes.loading.readers import LINE
    from therapy_outcomes.loading.tables import spec
    from therapy_outcomes.loading.validation import (
        RejectLog,
        accepted_mask,
        check_columns,
        check_rows,
        parse_table,
    )
    from therapy_outcomes.sources import read_source

    raw = read_source(location).tables["clients"]  # a required table: read_source checks it
    table, log = spec("clients"), RejectLog()
    log.add_records(raw.unreadable)
    check_columns(raw, table)
    frame = parse_table(raw, table, log)
    check_rows(raw, table, frame, parse_date_parameter(None, "as_of", default_today=True), log)
    return frame.loc[accepted_mask(raw, log)].drop(columns=[LINE]).reset_index(drop=True)


def check_output_folder(folder: str | Path, out: str | Path) -> None:
    """Refuse an output ``folder`` (under ``out``) that could not be created or written.

    Nothing is created: the nearest folder that exists must be a folder this user may write.

    Raises
    ------
    ParameterError
        ``cannot write reports to <out>: <path> is not a folder`` (or ``... is not
        writable``).

    Examples
    --------
    >>> import tempfile
    >>> check_output_folder(Path(tempfile.mkdtemp()) / "clients" / "C1", "reports")
    """
    existing = Path(folder)
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise ParameterError(f"cannot write reports to {out}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ParameterError(f"cannot write reports to {out}: {existing} is not writable")


def render_client_report(
    client_id: str,
    *,
    data: str | Path,
    out: str | Path,
    as_of: str | date | pd.Timestamp | None = None,
    audience: str = "clinician",
    pdf: bool = False,
    plotly_js: str = "inline",
    notebook: str | Path | None = None,
) -> RenderResult:
    """Render one client's progress report.

    Parameters
    ----------
    client_id : str
        The client (letters, digits, ``_`` and ``-``; anything that could steer the output
        path is refused).
    data : str or pathlib.Path
        The dataset folder (or any location :func:`therapy_outcomes.load` reads).
    out : str or pathlib.Path
        Output folder; the report goes to ``clients/<client_id>/<as_of>-<audience>.html``.
    as_of : date-like, optional
        Review date (default today).
    audience : {"clinician", "client"}
    pdf : bool
        Also write an A4 PDF beside the HTML.
    plotly_js : {"inline", "shared"}
        Self-contained HTML, or one shared ``plotly.min.js`` beside it (for batches).
    notebook : path, optional
        Another report notebook with the same parameters.

    Returns
    -------
    RenderResult
        Paths, seconds and the values the notebook glued.

    Raises
    ------
    ParameterError
        Before any kernel starts: a bad ID, audience or date, a dataset that does not exist,
        an output folder that cannot be written, an unknown client or an as-of date before
        the client's referral.
    DatasetReadError
        The dataset's clients table cannot be read (before any kernel starts).
    ReportExecutionError
        The notebook failed; nothing is written.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=30, seed=3)
    >>> result = render_client_report("C000002", data=folder, out=folder, as_of="2026-10-31",
    ...                               audience="client")  # doctest: +SKIP
    >>> result.html.name  # doctest: +SKIP
    '2026-10-31-client.html'
    """
    if not isinstance(client_id, str):
        raise ParameterError(f"client ID must be text, not {type(client_id).__name__}")
    if audience not in AUDIENCES:
        raise ParameterError(f"audience must be one of {', '.join(AUDIENCES)}, not '{audience}'")
    stamp = report_as_of(as_of)
    target = client_report_path(out, client_id, stamp, audience)
    source = str(data)
    if "://" not in source and not Path(source).exists():
        raise ParameterError(f"dataset not found: {source}")
    if "://" not in source:
        source = str(Path(source).resolve())
    check_output_folder(target.parent, out)
    find_client(accepted_clients(source), client_id, stamp)
    path = Path(notebook) if notebook is not None else notebooks_folder() / CLIENT_NOTEBOOK
    return render_notebook(
        path,
        {
            "data": source,
            "client_id": client_id,
            "as_of": stamp.date().isoformat(),
            "audience": audience,
        },
        out_html=target,
        pdf=target.with_suffix(".pdf") if pdf else None,
        pdf_header=f"Client {client_id} \u00b7 {audience} version \u00b7 as of {stamp.date()}",
        plotly_js=plotly_js,  # type: ignore[arg-type]
        title=f"Progress report {client_id}",
    )
