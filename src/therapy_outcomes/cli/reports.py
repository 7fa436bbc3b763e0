"""``therapy-outcomes report cohort`` and ``report monthly``.

The commands live on :data:`app` (runnable alone: ``python -m therapy_outcomes.cli.reports``);
:func:`mount` registers them on the main CLI's ``report`` group::

    from therapy_outcomes.cli.reports import mount as _mount_cohort_reports
    _mount_cohort_reports(report_app)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from therapy_outcomes.errors import TherapyOutcomesError

__all__ = ["app", "cohort", "main", "monthly", "mount"]

console = Console()
err_console = Console(stderr=True)
app = typer.Typer(help="Cohort and monthly reports.", no_args_is_help=True)


def cohort(
    data: Annotated[Path, typer.Option("--data", help="Dataset folder.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports"),
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
    min_cell: Annotated[int, typer.Option("--min-cell", help="Smallest count shown.")] = 5,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF.")] = False,
) -> None:
    """Render the cohort-outcomes report to OUT/cohort/<start>_<end>[-<group>].html.

    Examples
    --------
    >>> from typer.testing import CliRunner
    >>> CliRunner().invoke(app, ["cohort", "--help"]).exit_code
    0
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
    console.print(f"{result.html}  ({result.seconds:.1f} s)", highlight=False)
    if result.pdf is not None:
        console.print(str(result.pdf), highlight=False)


def monthly(
    data: Annotated[Path, typer.Option("--data", help="Dataset folder.")],
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports"),
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
    therapist: Annotated[
        str | None, typer.Option("--therapist", help="Only this therapist.")
    ] = None,
    audience: Annotated[
        str,
        typer.Option("--audience", help="service (shareable, small cells hidden) or clinician."),
    ] = "service",
    min_cell: Annotated[int, typer.Option("--min-cell", help="Smallest count shown.")] = 5,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF.")] = False,
) -> None:
    """Render the monthly summary to OUT/monthly/<month>/<scope>.html.

    Examples
    --------
    >>> from typer.testing import CliRunner
    >>> CliRunner().invoke(app, ["monthly", "--help"]).exit_code
    0
    """
    from therapy_outcomes.monthly_report.render import render_monthly_summary

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
    console.print(f"{result.html}  ({result.seconds:.1f} s)", highlight=False)
    if result.pdf is not None:
        console.print(str(result.pdf), highlight=False)


def mount(report_app: typer.Typer) -> None:
    """Register ``cohort`` and ``monthly`` on ``report_app`` (the main CLI's report group).

    Examples
    --------
    >>> group = typer.Typer()
    >>> mount(group)
    >>> sorted(c.name for c in group.registered_commands)
    ['cohort', 'monthly']
    """
    report_app.command("cohort")(cohort)
    report_app.command("monthly")(monthly)


mount(app)


def main() -> None:
    """Run :data:`app` alone, with one-line errors (as the main CLI does).

    Examples
    --------
    >>> callable(main)  # python -m therapy_outcomes.cli.reports monthly --help
    True
    """
    try:
        app()
    except TherapyOutcomesError as err:
        err_console.print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True)
        sys.exit(err.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
