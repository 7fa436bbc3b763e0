"""``therapy-outcomes batch``: every report of a month, with a progress bar and a manifest.

Mounted on the main app by :mod:`therapy_outcomes.cli.app` (``app.command("batch")(batch)``).
Exit code 0 when every report rendered (or was up to date), 1 when any failed, 2 for bad
input (one line, no traceback).

Examples
--------
>>> from typer.testing import CliRunner
>>> import typer
>>> app = typer.Typer(); _ = app.command("batch")(batch)
>>> CliRunner().invoke(app, ["--help"]).exit_code
0
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["batch"]


def batch(
    data: Annotated[Path, typer.Option("--data", help="Dataset folder (or file).")],
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    out: Annotated[Path, typer.Option("--out", help="Batch folder: reports, manifest, index.")],
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Local worker processes. Default: the CPU count."),
    ] = None,
    audience: Annotated[
        str, typer.Option("--audience", help="Client reports: clinician, client or both.")
    ] = "clinician",
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Run on a Dask cluster: tcp://host:port."),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write A4 PDFs.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar (for cron).")] = False,
    max_runs: Annotated[
        int, typer.Option("--max-runs", help="Notebooks per warm kernel before a fresh one.")
    ] = 50,
) -> None:
    """Render the month's monthly summaries and every active client's report.

    Reports whose inputs did not change since the last run are skipped; a report that fails
    is recorded in manifest.csv and index.html and the others still render.
    """
    from therapy_outcomes.batch.api import render_batch

    result = render_batch(
        data,
        month,
        out,
        workers=workers,
        audience=audience,
        scheduler=scheduler,
        pdf=pdf,
        quiet=quiet,
        max_runs=max_runs,
    )
    console = Console(stderr=True)
    counts = result.counts
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no reports"
    if not quiet or result.failed:
        console.print(
            f"{summary} in {result.seconds:.0f} s; index: {result.index}", highlight=False
        )
    for row in result.failed[:20]:
        console.print(f"failed: {row['job_id']}: {row['error']}", highlight=False, soft_wrap=True)
    if result.failed:
        raise typer.Exit(1)


def main() -> None:
    """Run ``batch`` on its own: ``python -m therapy_outcomes.cli.batch --data ... ``."""
    import sys

    from therapy_outcomes.errors import TherapyOutcomesError

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(batch)
    try:
        app()
    except TherapyOutcomesError as err:
        Console(stderr=True).print(f"[red]error:[/red] {err}", highlight=False, soft_wrap=True)
        sys.exit(err.exit_code)


if __name__ == "__main__":  # pragma: no cover - python -m therapy_outcomes.cli.batch
    main()
