"""The ``therapy-outcomes`` command line.

Errors in the user's input print one line on standard error and exit with code 2 (code 1 for
``validate`` when rows were rejected); they never show a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from therapy_outcomes import __version__
from therapy_outcomes.errors import TherapyOutcomesError

if TYPE_CHECKING:
    from therapy_outcomes.loading.dataset import Dataset

app = typer.Typer(
    help="Measurement-based psychotherapy: validate, score and report goal and scale data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

# Text, not a Path: a Path would turn a database URL's "sqlite:///x.db" into "sqlite:/x.db".
DataDir = Annotated[
    str,
    typer.Argument(
        help="Dataset folder of CSV files, an .xlsx workbook or any other source (a FHIR file, "
        "a database URL ...)."
    ),
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Reference date YYYY-MM-DD; later dates are rejected. Default: today."
    ),
]
Instruments = Annotated[
    Path | None,
    typer.Option("--instruments", help="Extra instrument definitions: a YAML file or folder."),
]

#: Reject values in these columns are item answers: never printed, only written to the CSV.
_ANSWER_COLUMNS = ("value", "total")


def _holds_answers(rejects: pd.DataFrame) -> pd.Series:
    """Rejects whose value may hold item answers: answer columns, and whole unreadable lines
    of administrations (a line that did not split into columns holds every answer)."""
    column = rejects["column"].fillna("")
    whole_line = (column == "") & (rejects["table"] == "administrations")
    return column.isin(_ANSWER_COLUMNS) | column.str.startswith("item") | whole_line


def _table(frame: pd.DataFrame, title: str, index: bool = True) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    if index:
        table.add_column(str(frame.index.name or ""))
    for col in frame.columns:
        table.add_column(str(col), justify="right" if frame[col].dtype.kind in "iuf" else "left")
    for key, row in frame.iterrows():
        cells = [("" if pd.isna(v) else str(v)) for v in row]
        table.add_row(*([str(key)] if index else []), *cells)
    return table


@app.command()
def validate(
    data: DataDir,
    as_of: AsOf = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects", help="Write every reject here (CSV). Default: <dataset>-rejects.csv"
        ),
    ] = None,
    show: Annotated[int, typer.Option("--show", help="How many rejects to print.")] = 20,
    instruments: Instruments = None,
) -> None:
    """Check every row of a dataset; print counts per table and the first rejects.

    Exit code 0 when every row was accepted, 1 when rows were rejected, 2 when the dataset
    could not be read.
    """
    from therapy_outcomes.loading.dataset import load

    ds = load(data, as_of=as_of, instruments=instruments)
    target = rejects or Path(f"{Path(data).stem or 'dataset'}-rejects.csv")
    code = print_validation(ds, f"{data} as of {ds.as_of.date()}", target, show)
    raise typer.Exit(code)


def print_validation(ds: Dataset, title: str, rejects: Path, show: int) -> int:
    """Print counts per table and the first rejects; write every reject to ``rejects``.

    Returns the exit code: 0 when every row was accepted, 1 otherwise. Item answers are never
    printed (they stay in the rejects file, which belongs with the data).
    """
    counts = ds.counts.set_index("table")
    counts["file"] = [
        f if p else "(absent)" for f, p in zip(counts["file"], counts["present"], strict=True)
    ]
    console.print(_table(counts.drop(columns="present"), title))
    if ds.rejects.empty:
        console.print("[green]All rows accepted.[/green]")
        return 0
    ds.rejects.to_csv(rejects, index=False)
    shown = ds.rejects.head(show).copy()
    shown["value"] = shown["value"].where(~_holds_answers(shown), "(answer not shown)")
    console.print(_table(shown, f"First {len(shown)} of {len(ds.rejects)} problems", index=False))
    console.print(
        f"[yellow]{ds.n_rejected} rows rejected[/yellow]; every problem is listed in {rejects}"
    )
    return 1


@app.command()
def summary(data: DataDir, as_of: AsOf = None, instruments: Instruments = None) -> None:
    """Caseload, administrations per instrument and severity at intake and latest."""
    from therapy_outcomes.loading.dataset import load
    from therapy_outcomes.overview.summary import (
        administrations_by_instrument,
        caseload,
        severity_at_intake_and_latest,
    )

    ds = load(data, as_of=as_of, instruments=instruments)
    console.print(
        _table(
            ds.counts.set_index("table")[["read", "accepted", "rejected"]],
            f"{data} as of {ds.as_of.date()}",
        )
    )
    if ds.n_rejected:
        console.print(
            f"[yellow]{ds.n_rejected} rows rejected[/yellow]: run "
            f"'therapy-outcomes validate {data}' for the list"
        )
    console.print(_table(caseload(ds), "Caseload"))
    console.print(_table(administrations_by_instrument(ds), "Administrations"))
    severity = severity_at_intake_and_latest(ds).set_index(["instrument", "band"])
    severity.index = [f"{i}: {b}" for i, b in severity.index]
    severity.index.name = "instrument: band"
    console.print(_table(severity, "Clients by severity band, first and latest valid score"))


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the CSV files into.")],
    clients: Annotated[int, typer.Option("--clients", min=1, max=1_000_000)] = 200,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    as_of: Annotated[str, typer.Option("--as-of", help="Last date in the data.")] = "2026-10-31",
) -> None:
    """Write a deterministic synthetic clinic (no real people) as a dataset folder."""
    from therapy_outcomes.demo import write_demo_clinic

    counts = write_demo_clinic(out, n_clients=clients, seed=seed, as_of=as_of)
    frame = pd.DataFrame({"rows": counts}).rename_axis("table")
    console.print(_table(frame, f"Demo clinic written to {out}"))


@app.command()
def instruments(
    data: Annotated[
        Path | None, typer.Argument(help="Dataset folder whose own definitions to include.")
    ] = None,
) -> None:
    """List the instrument definitions: items, range, direction, cut-off, reliable change."""
    from therapy_outcomes.instruments import default_registry
    from therapy_outcomes.loading.dataset import _with_dataset_definitions

    reg = default_registry()
    if data is not None:
        reg = _with_dataset_definitions(reg, data, None)
    rows = []
    for code in reg.codes:
        inst = reg.get(code)
        rows.append(
            {
                "instrument": code,
                "name": inst.name,
                "items": inst.n_items,
                "range": f"{inst.total_min:g}-{inst.total_max:g}",
                "better": inst.better,
                "cut-off": ""
                if inst.cutoff is None
                else f"{inst.cutoff.clinical} {inst.cutoff.value:g}",
                "reliable change": ""
                if inst.rc_threshold() is None
                else f"{inst.rc_threshold():g}",
            }
        )
    console.print(_table(pd.DataFrame(rows).set_index("instrument"), "Instruments"))


def _mount_data_commands() -> None:
    """``import`` and ``export`` live in :mod:`therapy_outcomes.cli.data`."""
    from therapy_outcomes.cli.data import export_app, import_

    app.command("import")(import_)
    app.add_typer(export_app, name="export")


_mount_data_commands()

report_app = typer.Typer(help="Render reports (offline HTML, optional PDF).", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("client")
def report_client(
    client_id: Annotated[str, typer.Argument(help="The client's pseudonymous ID.")],
    data: Annotated[Path, typer.Option("--data", help="Dataset folder.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("reports"),
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Review date YYYY-MM-DD. Default: today.")
    ] = None,
    audience: Annotated[
        str, typer.Option("--audience", help="clinician (full) or client (plain language).")
    ] = "clinician",
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write an A4 PDF.")] = False,
) -> None:
    """Render one client's progress report to OUT/clients/<id>/<as_of>-<audience>.html."""
    from therapy_outcomes.client_report.render import render_client_report

    result = render_client_report(
        client_id, data=data, out=out, as_of=as_of, audience=audience, pdf=pdf
    )
    console.print(f"{result.html}  ({result.seconds:.1f} s)", highlight=False)
    if result.pdf is not None:
        console.print(str(result.pdf), highlight=False)


def _mount_cohort_reports() -> None:
    """``report cohort`` and ``report monthly`` live in :mod:`therapy_outcomes.cli.reports`."""
    from therapy_outcomes.cli.reports import mount

    mount(report_app)


_mount_cohort_reports()


def _mount_batch() -> None:
    """``batch`` lives in :mod:`therapy_outcomes.cli.batch`."""
    from therapy_outcomes.cli.batch import batch

    app.command("batch")(batch)


_mount_batch()


@app.command()
def version() -> None:
    """Print the package version."""
    console.print(__version__)


def main() -> None:
    """Entry point: run the app and turn input errors into one line and an exit code."""
    try:
        app()
    except TherapyOutcomesError as err:
        # escaped: a message's own brackets ("therapy-outcomes[sql]") are not markup
        err_console.print(f"[red]error:[/red] {escape(str(err))}", highlight=False, soft_wrap=True)
        sys.exit(err.exit_code)


if __name__ == "__main__":  # pragma: no cover - python -m therapy_outcomes.cli.app
    main()
