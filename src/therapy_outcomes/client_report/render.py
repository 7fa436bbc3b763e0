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
from therapy_outcomes.loading.dataset import accepted_clients
from therapy_outcomes.rendering.execute import RenderResult, render_notebook
from therapy_outcomes.rendering.paths import check_output_folder, notebooks_folder, safe_id

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
