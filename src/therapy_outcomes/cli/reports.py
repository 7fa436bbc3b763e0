"""``therapy-outcomes report``: ``client``, ``cohort`` and ``monthly``.

:data:`app` is the ``report`` group of the main command line (:mod:`therapy_outcomes.cli.app`
adds it as ``report``) and also runs alone: ``python -m therapy_outcomes.cli.reports cohort ...``.
The renderers (papermill, nbconvert, plotly) are imported inside the commands, so ``--help``
stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from therapy_outcomes.cli.errors import new_app, run
from therapy_outcomes.cli.options import DataOption, MinCell, Month, Pdf, ReportsOut
from therapy_outcomes.cli.output import print_rendered
from therapy_outcomes.errors import ParameterError

__all__ = ["app", "client", "cohort", "main", "monthly"]

app = new_app(
    """Render reports: offline HTML files, and A4 PDFs with --pdf.

Examples:
therapy-outcomes report client C000003 --data data/demo --pdf
therapy-outcomes report cohort --data data/demo --group-by site
therapy-outcomes report monthly --data data/demo --month 2026-10
"""
)


@app.command("client")
def client(
    client_id: Annotated[str, typer.Argument(help="The client's pseudonymous ID.")],
    data: DataOption,
    out: ReportsOut = Path("reports"),
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Review date YYYY-MM-DD. Default: today.")
    ] = None,
    audience: Annotated[
        str, typer.Option("--audience", help="clinician (full) or client (plain language).")
    ] = "clinician",
    pdf: Pdf = False,
) -> None:
    """Render one client's progress report to OUT/clients/<id>/<as_of>-<audience>.html.

    Examples:
    therapy-outcomes report client C000003 --data data/demo --out reports --pdf
    therapy-outcomes report client C000003 --data data/demo --audience client
    therapy-outcomes report client C000007 --data data/demo --as-of 2026-10-31
    """
    from therapy_outcomes.client_report.render import render_client_report

    result = render_client_report(
        client_id, data=data, out=out, as_of=as_of, audience=audience, pdf=pdf
    )
    print_rendered(result)


@app.command("cohort")
def cohort(
    data: DataOption,
    out: ReportsOut = Path("reports"),
    start: Annotated[
        str | None, typer.Option("--start", help="Episodes starting on or after YYYY-MM-DD.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Episodes starting on or before YYYY-MM-DD.")
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option("--group-by", help="therapist_id, site, modality or any client column."),
    ] = None,
    instrument: Annotated[
        list[str] | None,
        typer.Option("--instrument", help="Questionnaire (repeat). Default: PHQ-9 and GAD-7."),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="Reliable change: JT, GLN, HLL, EN, NK, HA, HLM.")
    ] = "JT",
    min_cell: MinCell = 5,
    pdf: Pdf = False,
) -> None:
    """Render the cohort-outcomes report to OUT/cohort/<start>_<end>[-<group>].html.

    Examples:
    therapy-outcomes report cohort --data data/demo
    therapy-outcomes report cohort --data data/demo --group-by site --pdf
    therapy-outcomes report cohort --data data/demo --start 2026-01-01
    """
    from therapy_outcomes.cohort_report.render import render_cohort_report

    result = render_cohort_report(
        data,
        out,
        start=start,
        end=end,
        group_by=group_by,
        instruments=instrument or None,
        method=method,
        min_cell=min_cell,
        pdf=pdf,
    )
    print_rendered(result)


@app.command("monthly")
def monthly(
    data: DataOption,
    month: Month,
    out: ReportsOut = Path("reports"),
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    therapist: Annotated[
        str | None, typer.Option("--therapist", help="Only this therapist.")
    ] = None,
    audience: Annotated[
        str,
        typer.Option("--audience", help="service (shareable, small cells hidden) or clinician."),
    ] = "service",
    min_cell: MinCell = 5,
    pdf: Pdf = False,
) -> None:
    """Render the monthly summary to OUT/monthly/<month>/<scope>.html.

    Examples:
    therapy-outcomes report monthly --data data/demo --month 2026-10
    therapy-outcomes report monthly --data data/demo --month 2026-10 --pdf
    therapy-outcomes report monthly --data clinic --month 2026-10 --site Eastfield
    """
    from therapy_outcomes.monthly_report.render import render_monthly_summary

    if min_cell < 1:
        raise ParameterError(f"min_cell must be a whole number of at least 1, not {min_cell}")

    result = render_monthly_summary(
        data,
        month,
        out,
        site=site,
        therapist=therapist,
        audience=audience,
        min_cell=min_cell,
        pdf=pdf,
    )
    print_rendered(result)


def main() -> None:
    """Run :data:`app` alone, with one-line errors (:func:`therapy_outcomes.cli.errors.run`)."""
    run(app)


if __name__ == "__main__":  # pragma: no cover - python -m therapy_outcomes.cli.reports
    main()
