"""Render the cohort-outcomes report (``therapy-outcomes report cohort``) through
:func:`therapy_outcomes.rendering.execute.render_notebook`.

Path: ``OUT/cohort/<start>_<end>[-<group_by>].html`` (``all`` for an open date; the group
checked by :func:`therapy_outcomes.rendering.paths.safe_id`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from therapy_outcomes.errors import ParameterError
from therapy_outcomes.parameters import parse_date_parameter
from therapy_outcomes.rendering.execute import RenderResult, render_notebook
from therapy_outcomes.rendering.paths import notebooks_folder, safe_id

__all__ = ["COHORT_NOTEBOOK", "cohort_report_path", "render_cohort_report"]

COHORT_NOTEBOOK = "cohort_outcomes.ipynb"


def _day(value: Any, name: str) -> str | None:
    """A date parameter as ``YYYY-MM-DD`` (``None`` stays ``None``), checked as the context does."""
    stamp = parse_date_parameter(value, name)
    return None if stamp is None else stamp.date().isoformat()


def _source(data: str | Path) -> str:
    source = str(data)
    if "://" not in source and not Path(source).exists():
        raise ParameterError(f"dataset not found: {source}")
    return source if "://" in source else str(Path(source).resolve())


def cohort_report_path(
    out: str | Path, start: str | None, end: str | None, group_by: str | None = None
) -> Path:
    """``OUT/cohort/<start>_<end>[-<group_by>].html``.

    Examples
    --------
    >>> cohort_report_path("r", "2025-01-01", None, "site").as_posix()
    'r/cohort/2025-01-01_all-site.html'
    """
    name = f"{start or 'all'}_{end or 'all'}"
    if group_by:
        name += "-" + safe_id(group_by, what="group_by")
    return Path(out) / "cohort" / f"{name}.html"


def render_cohort_report(
    data: str | Path,
    out: str | Path,
    *,
    start: Any = None,
    end: Any = None,
    instruments: list[str] | None = None,
    group_by: str | None = None,
    method: str = "JT",
    reliability: dict[str, float] | float | None = None,
    cutoff_type: str = "fixed",
    min_cell: int = 5,
    pdf: bool = False,
    plotly_js: str = "inline",
    notebook: str | Path | None = None,
) -> RenderResult:
    """Render the cohort-outcomes report.

    Parameters
    ----------
    data : str or pathlib.Path
        Dataset folder (or any location :func:`therapy_outcomes.load` reads).
    out : str or pathlib.Path
        Output folder; the report goes to ``cohort/<start>_<end>[-<group_by>].html``.
    start, end, instruments, group_by, method, reliability, cutoff_type, min_cell
        As :func:`therapy_outcomes.cohort_report.selection.cohort_context`.
    pdf : bool
        Also write a PDF beside the HTML.
    plotly_js : {"inline", "shared"}
    notebook : path, optional
        Another notebook with the same parameters.

    Returns
    -------
    RenderResult

    Raises
    ------
    ParameterError
        A bad parameter (before anything runs, or from the notebook's own checks).

    Examples
    --------
    >>> render_cohort_report("no/such/folder", "out")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    therapy_outcomes.errors.ParameterError: dataset not found: no/such/folder
    """
    source = _source(data)
    t0, t1 = _day(start, "start"), _day(end, "end")
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ParameterError(f"min_cell must be a whole number of at least 1, not {min_cell!r}")
    target = cohort_report_path(out, t0, t1, group_by)
    params: dict[str, Any] = {
        "data": source,
        "start": t0,
        "end": t1,
        "group_by": group_by,
        "method": method,
        "reliability": reliability,
        "cutoff_type": cutoff_type,
        "min_cell": min_cell,
    }
    if instruments is not None:
        params["instruments"] = list(instruments)
    path = Path(notebook) if notebook is not None else notebooks_folder() / COHORT_NOTEBOOK
    return render_notebook(
        path,
        params,
        out_html=target,
        pdf=target.with_suffix(".pdf") if pdf else None,
        pdf_header=f"Cohort outcomes {t0 or 'all'} to {t1 or 'all'}",
        plotly_js=plotly_js,  # type: ignore[arg-type]
        title=f"Cohort outcomes {t0 or 'all'} to {t1 or 'all'}",
    )
