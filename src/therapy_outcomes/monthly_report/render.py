"""Render the monthly summary (``therapy-outcomes report monthly``) through
:func:`therapy_outcomes.rendering.execute.render_notebook`.

Path: ``OUT/monthly/<YYYY-MM>/<scope>.html`` with scope ``service``, ``site-<id>`` or
``therapist-<id>`` (names made safe by :func:`therapy_outcomes.rendering.paths.safe_name`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from therapy_outcomes.errors import ParameterError
from therapy_outcomes.rendering.execute import RenderResult, render_notebook
from therapy_outcomes.rendering.paths import notebooks_folder, safe_name

__all__ = [
    "AUDIENCES",
    "MONTHLY_NOTEBOOK",
    "check_month",
    "monthly_report_path",
    "monthly_scope",
    "render_monthly_summary",
]

MONTHLY_NOTEBOOK = "monthly_summary.ipynb"
AUDIENCES = ("clinician", "service")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _source(data: str | Path) -> str:
    source = str(data)
    if "://" not in source and not Path(source).exists():
        raise ParameterError(f"dataset not found: {source}")
    return source if "://" in source else str(Path(source).resolve())


def monthly_scope(site: str | None, therapist: str | None) -> str:
    """``service``, ``site-<name>`` or ``therapist-<name>`` (both given: therapist within site).

    A site is free text: its file name comes from
    :func:`~therapy_outcomes.rendering.paths.safe_name` (the name itself when it is a safe ID,
    else a slug and a short hash); the report shows the real name.

    Examples
    --------
    >>> monthly_scope(None, None), monthly_scope("North", None), monthly_scope(None, "T01")
    ('service', 'site-North', 'therapist-T01')
    >>> monthly_scope("St Mary's Riverside", None)
    'site-St-Mary-s-Riverside-adf8972f'
    """
    parts = []
    if site is not None:
        parts.append("site-" + safe_name(site, what="site"))
    if therapist is not None:
        parts.append("therapist-" + safe_name(therapist, what="therapist"))
    return "_".join(parts) or "service"


def check_month(month: Any) -> str:
    """``month`` as ``YYYY-MM`` or a one-line :class:`ParameterError`.

    Examples
    --------
    >>> check_month("2026-10")
    '2026-10'
    """
    if not isinstance(month, str) or not _MONTH.fullmatch(month):
        raise ParameterError(f"month '{month}' is not a month (expected YYYY-MM)")
    return month


def monthly_report_path(
    out: str | Path,
    month: str,
    site: str | None = None,
    therapist: str | None = None,
    audience: str = "service",
) -> Path:
    """``OUT/monthly/<month>/<scope>.html`` (``-clinician`` added for the clinician version).

    Examples
    --------
    >>> monthly_report_path("r", "2026-10", site="North").as_posix()
    'r/monthly/2026-10/site-North.html'
    """
    scope = monthly_scope(site, therapist)
    suffix = "" if audience == "service" else f"-{audience}"
    return Path(out) / "monthly" / check_month(month) / f"{scope}{suffix}.html"


def render_monthly_summary(
    data: str | Path,
    month: str,
    out: str | Path,
    *,
    site: str | None = None,
    therapist: str | None = None,
    audience: str = "service",
    min_cell: int = 5,
    pdf: bool = False,
    plotly_js: str = "inline",
    notebook: str | Path | None = None,
) -> RenderResult:
    """Render the monthly summary of a service, a site or a therapist.

    Parameters
    ----------
    data : str or pathlib.Path
        Dataset folder.
    month : str
        ``YYYY-MM``.
    out : str or pathlib.Path
        Output folder; the report goes to ``monthly/<month>/<scope>.html`` (the clinician
        version to ``<scope>-clinician.html``, so it never overwrites the shareable one).
    site, therapist : str, optional
        Filters.
    audience : {"service", "clinician"}
        ``service`` suppresses small cells and names no client; ``clinician`` lists clients
        with open alerts by pseudonym.
    min_cell : int
        Smallest count shown in the service version.
    pdf : bool
    plotly_js : {"inline", "shared"}
    notebook : path, optional

    Returns
    -------
    RenderResult

    Examples
    --------
    >>> render_monthly_summary("x", "October", "out")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    therapy_outcomes.errors.ParameterError: month 'October' is not a month (expected YYYY-MM)
    """
    check_month(month)
    if audience not in AUDIENCES:
        raise ParameterError(f"audience must be one of {', '.join(AUDIENCES)}, not '{audience}'")
    target = monthly_report_path(out, month, site, therapist, audience)
    source = _source(data)
    path = Path(notebook) if notebook is not None else notebooks_folder() / MONTHLY_NOTEBOOK
    scope = monthly_scope(site, therapist)
    return render_notebook(
        path,
        {
            "data": source,
            "month": month,
            "site": site,
            "therapist": therapist,
            "audience": audience,
            "min_cell": min_cell,
        },
        out_html=target,
        pdf=target.with_suffix(".pdf") if pdf else None,
        pdf_header=f"Monthly summary {month} \u00b7 {scope} \u00b7 {audience} version",
        plotly_js=plotly_js,  # type: ignore[arg-type]
        title=f"Monthly summary {month} ({scope})",
    )
