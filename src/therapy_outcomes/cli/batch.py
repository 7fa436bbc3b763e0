"""``therapy-outcomes batch``: every report of a month, with a progress bar and a manifest.

:mod:`therapy_outcomes.cli.app` registers :func:`batch` as the ``batch`` command; it also runs
alone: ``python -m therapy_outcomes.cli.batch --data ... --month ... --out ...``. Exit code 0
when every report rendered (or was up to date), 1 when any failed, 2 for bad input or an output
folder another batch is writing into (one line, no traceback).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from therapy_outcomes.cli.errors import new_app, run
from therapy_outcomes.cli.options import DataOption, Month, Pdf, out_folder
from therapy_outcomes.cli.output import err_console

__all__ = ["batch", "main"]


def batch(
    data: DataOption,
    month: Month,
    out: Annotated[
        Path,
        typer.Option("--out", help="Batch folder: reports, manifest, index.", callback=out_folder),
    ],
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
    pdf: Pdf = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar (for cron).")] = False,
    max_runs: Annotated[
        int, typer.Option("--max-runs", help="Notebooks per warm kernel before a fresh one.")
    ] = 50,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="If another batch is writing into --out, wait for it (default: refuse)."
        ),
    ] = False,
) -> None:
    """Render the month's monthly summaries and every active client's report.

    Reports whose inputs did not change since the last run are skipped; a report
    that fails is recorded in manifest.csv and index.html and the others still
    render. Exit code 0 when every report rendered, 1 when any failed. One batch
    at a time writes into a folder: a second one refuses (exit code 2, naming the
    first one's PID, host and start time) or, with --wait, waits for it.

    Examples:
    therapy-outcomes batch --data data/demo --month 2026-10 --out reports/batch
    therapy-outcomes batch --data data/demo --month 2026-10 --out batch --quiet
    therapy-outcomes batch --data data/demo --month 2026-10 --out batch --pdf
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
        wait=wait,
        on_note=lambda text: err_console.print(
            f"note: {escape(text)}", highlight=False, soft_wrap=True
        ),
    )
    counts = result.counts
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no reports"
    if not quiet or result.failed:
        err_console.print(
            f"{summary} in {result.seconds:.0f} s; index: {result.index}", highlight=False
        )
    for row in result.failed[:20]:
        err_console.print(
            f"failed: {row['job_id']}: {row['error']}", highlight=False, soft_wrap=True
        )
    if result.failed:
        raise typer.Exit(1)


def main() -> None:
    """Run ``batch`` on its own, with one-line errors (:func:`therapy_outcomes.cli.errors.run`)."""
    app = new_app(no_args_is_help=False)
    app.command()(batch)
    run(app)


if __name__ == "__main__":  # pragma: no cover - python -m therapy_outcomes.cli.batch
    main()
