"""The ``therapy-outcomes`` application: the dataset commands, and where every command is added.

``validate``, ``summary``, ``demo-data``, ``instruments`` and ``version`` are defined here;
``import`` and ``export`` come from :mod:`.data`, the ``report`` group from :mod:`.reports` and
``batch`` from :mod:`.batch` (none of them imports this module). :func:`main` is the console
script. Errors in the user's input print one line on standard error and exit with code 2
(code 1 for ``validate`` when rows were rejected); they never show a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from therapy_outcomes import __version__
from therapy_outcomes.cli import reports
from therapy_outcomes.cli.batch import batch
from therapy_outcomes.cli.data import export_app, import_
from therapy_outcomes.cli.errors import new_app, run
from therapy_outcomes.cli.options import (
    AsOf,
    DataArgument,
    Instruments,
    Rejects,
    Show,
    out_file,
    out_folder,
)
from therapy_outcomes.cli.output import (
    console,
    print_source_report,
    print_validation,
    rows_rejected,
    table,
)
from therapy_outcomes.errors import ParameterError

__all__ = ["app", "main"]

app = new_app(
    """Measurement-based psychotherapy: validate, score and report goal and scale data.

Examples:
therapy-outcomes demo-data --out data/demo
therapy-outcomes validate data/demo
therapy-outcomes report client C000003 --data data/demo --out reports --pdf
"""
)


@app.command()
def validate(
    data: DataArgument,
    as_of: AsOf = None,
    rejects: Rejects = None,
    show: Show = 20,
    instruments: Instruments = None,
) -> None:
    """Check every row of a dataset; print counts per table and the first rejects.

    Exit code 0 when every row was accepted, 1 when rows were rejected, 2 when
    the dataset could not be read.

    Examples:
    therapy-outcomes validate data/demo
    therapy-outcomes validate clinic.xlsx --as-of 2026-10-31 --rejects bad.csv
    """
    from therapy_outcomes.loading.dataset import load

    target = rejects or Path(f"{_stem(data)}-rejects.csv")
    out_file(target)  # the default too, before the data is read
    ds = load(data, as_of=as_of, instruments=instruments)
    print_source_report(ds)
    code = print_validation(ds, f"{data} as of {ds.as_of.date()}", target, show)
    raise typer.Exit(code)


def _stem(location: str) -> str:
    """The name the default rejects file starts with: the folder's or file's name without its
    extension (``clinic.xlsx`` -> ``clinic``), a database's file or name; ``dataset`` if none.

    Examples
    --------
    >>> _stem("data/demo"), _stem("sqlite:////srv/clinic.sqlite?prefix=to_"), _stem("/")
    ('demo', 'clinic', 'dataset')
    """
    name = Path(location.split("?", 1)[0].rstrip("/")).stem
    return name or "dataset"


@app.command()
def summary(data: DataArgument, as_of: AsOf = None, instruments: Instruments = None) -> None:
    """Caseload, administrations per instrument and severity at intake and latest.

    Examples:
    therapy-outcomes summary data/demo
    therapy-outcomes summary data/demo --as-of 2026-06-30
    """
    from therapy_outcomes.loading.dataset import load
    from therapy_outcomes.overview.summary import (
        administrations_by_instrument,
        caseload,
        severity_at_intake_and_latest,
    )

    ds = load(data, as_of=as_of, instruments=instruments)
    console.print(
        table(
            ds.counts.set_index("table")[["read", "accepted", "rejected"]],
            f"{data} as of {ds.as_of.date()}",
        )
    )
    if ds.n_rejected:
        console.print(
            f"[yellow]{rows_rejected(ds.n_rejected)}[/yellow]: run "
            f"'therapy-outcomes validate {data}' for the list"
        )
    console.print(table(caseload(ds), "Caseload"))
    console.print(table(administrations_by_instrument(ds), "Administrations"))
    severity = severity_at_intake_and_latest(ds).set_index(["instrument", "band"])
    severity.index = [f"{i}: {b}" for i, b in severity.index]
    severity.index.name = "instrument: band"
    console.print(table(severity, "Clients by severity band, first and latest valid score"))


@app.command("demo-data")
def demo_data(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the CSV files into.", callback=out_folder)
    ],
    clients: Annotated[
        int, typer.Option("--clients", min=1, max=1_000_000, help="How many clients.")
    ] = 200,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed: the same seed, the same data.")
    ] = 7,
    as_of: Annotated[str, typer.Option("--as-of", help="Last date in the data.")] = "2026-10-31",
) -> None:
    """Write a deterministic synthetic clinic (no real people) as a dataset folder.

    Examples:
    therapy-outcomes demo-data --out data/demo
    therapy-outcomes demo-data --out data/big --clients 100000 --seed 1
    """
    from therapy_outcomes.demo import write_demo_clinic
    from therapy_outcomes.parameters import parse_date_parameter

    day = parse_date_parameter(as_of, "as-of date", default_today=True).date()
    counts = write_demo_clinic(out, n_clients=clients, seed=seed, as_of=day)
    frame = pd.DataFrame({"rows": counts}).rename_axis("table")
    console.print(table(frame, f"Demo clinic written to {out}"))


@app.command()
def instruments(
    data: Annotated[
        Path | None, typer.Argument(help="Dataset folder whose own definitions to include.")
    ] = None,
) -> None:
    """List the instrument definitions: items, range, direction, cut-off, reliable change.

    Examples:
    therapy-outcomes instruments
    therapy-outcomes instruments data/clinic
    """
    from therapy_outcomes.instruments import default_registry
    from therapy_outcomes.loading.dataset import with_dataset_definitions

    reg = default_registry()
    if data is not None:
        if not data.is_dir():
            what = "is not a folder" if data.exists() else "does not exist"
            raise ParameterError(f"{data} {what}: give a dataset folder")
        reg = with_dataset_definitions(reg, data, None)
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
    console.print(table(pd.DataFrame(rows).set_index("instrument"), "Instruments"))


app.command("import")(import_)
app.command("batch")(batch)


@app.command()
def version() -> None:
    """Print the package version.

    Examples:
    therapy-outcomes version
    """
    console.print(__version__)


app.add_typer(export_app, name="export")
app.add_typer(reports.app, name="report")


def main() -> None:
    """The ``therapy-outcomes`` console script: run :data:`app` with one-line errors.

    See :func:`therapy_outcomes.cli.errors.run`.
    """
    run(app)


if __name__ == "__main__":  # pragma: no cover - python -m therapy_outcomes.cli.app
    main()
