"""Commands that move data in and out: ``import`` and ``export research`` / ``export fhir``.

:mod:`therapy_outcomes.cli.app` registers :func:`import_` as ``import`` and :data:`export_app`
as the ``export`` group; :data:`data_app` holds both on their own (the tests run it). Like
``validate``, ``import`` exits 0 when every row was accepted, 1 when rows were rejected, and 2
(through the main entry point) when the source cannot be read at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer

from therapy_outcomes.cli.errors import new_app
from therapy_outcomes.cli.options import (
    AsOf,
    DataArgument,
    DataOption,
    Instruments,
    Show,
    out_file,
    out_folder,
)
from therapy_outcomes.cli.output import console, print_source_report, print_validation, table
from therapy_outcomes.errors import ParameterError

__all__ = ["data_app", "export_app", "fhir", "import_", "research"]

data_app = new_app(
    """Import data from FHIR, REDCap, SQL, SPSS/Stata and export it for research or FHIR.

Examples:
therapy-outcomes import bundle.json --out data/clinic
therapy-outcomes export fhir --data data/demo --out observations.ndjson
"""
)
export_app = new_app(
    """Export a dataset: de-identified for research, or as FHIR Observations.

Examples:
therapy-outcomes export research --data clinic --out share --key-file key.txt
therapy-outcomes export fhir --data data/demo --out observations.ndjson
"""
)
data_app.add_typer(export_app, name="export")


@data_app.command("import")
def import_(
    source: DataArgument,
    out: Annotated[
        Path,
        typer.Option("--out", help="Dataset folder to write (CSV files).", callback=out_folder),
    ],
    as_of: AsOf = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            help="Write every reject here (CSV). Default: <out>-rejects.csv",
            callback=out_file,
        ),
    ] = None,
    show: Show = 20,
    instruments: Instruments = None,
) -> None:
    """Convert any source into a dataset folder of CSV files (accepted rows only).

    Prints the same counts and rejects as validate. Exit code 0 when every row
    was accepted, 1 when rows were rejected (they are listed, not written), 2 when
    the source could not be read.

    Examples:
    therapy-outcomes import bundle.json --out data/clinic
    therapy-outcomes import redcap.yaml --out data/clinic --as-of 2026-10-31
    therapy-outcomes import sqlite:///clinic.db --out data/clinic
    """
    from therapy_outcomes.export.tables_out import dataset_tables, write_table
    from therapy_outcomes.loading.dataset import DEFINITION_FILES, load

    target = rejects or out.with_name(f"{out.name}-rejects.csv")
    out_file(target)  # the default too, before the source is read
    if "://" not in source and Path(source).exists() and out.resolve() == Path(source).resolve():
        raise ParameterError(f"--out {out} is the source itself: import into another folder")
    ds = load(source, as_of=as_of, instruments=instruments)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in dataset_tables(ds).items():
        if ds.counts.set_index("table").loc[name, "present"]:
            write_table(frame, out / name, "csv")
    # a folder's own instrument definitions travel with it (a database or a file has none)
    origin = ds.source if isinstance(ds.source, Path) and ds.source.is_dir() else None
    for src in [origin / name for name in DEFINITION_FILES] if origin is not None else []:
        if src.is_file():
            shutil.copy2(src, out / src.name)
        elif src.is_dir():
            shutil.copytree(src, out / src.name, dirs_exist_ok=True)
    print_source_report(ds)
    code = print_validation(ds, f"{ds.source} as of {ds.as_of.date()} -> {out}", target, show)
    raise typer.Exit(code)


@export_app.command("research")
def research(
    data: DataOption,
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the export into.", callback=out_folder)
    ],
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="File holding the HMAC key (default: environment "
            "variable THERAPY_OUTCOMES_RESEARCH_KEY).",
        ),
    ] = None,
    fmt: Annotated[
        Literal["csv", "parquet"], typer.Option("--format", help="csv or parquet.")
    ] = "csv",
    k: Annotated[int, typer.Option("--k", min=2, help="Smallest allowed cell.")] = 5,
    l: Annotated[  # noqa: E741
        int,
        typer.Option("--l", min=1, help="Fewest outcome categories per cell (1: no l-diversity)."),
    ] = 2,
    intervals: Annotated[
        Literal["weeks", "days"],
        typer.Option("--intervals", help="weeks (rounded) or days (exact, outside the model)."),
    ] = "weeks",
    items: Annotated[bool, typer.Option("--items", help="Also export item answers.")] = False,
    dates: Annotated[
        Literal["shift", "month"], typer.Option("--dates", help="shift (per client) or month.")
    ] = "shift",
    keep: Annotated[
        list[str] | None,
        typer.Option("--keep", help="A free-text column to keep (repeatable)."),
    ] = None,
    quasi: Annotated[
        str,
        typer.Option(
            "--quasi-identifiers", help="Comma-separated client columns checked for small cells."
        ),
    ] = "site,therapist_id,sex,age_band,problem,modality,end_reason,episode_length_band",
    as_of: AsOf = None,
    instruments: Instruments = None,
) -> None:
    """Write a de-identified copy of a dataset for sharing with researchers.

    Keyed pseudonyms, shifted dates with weekly intervals, no free text (problem
    and modality as documented categories), totals and bands, age bands, every
    quasi-identifier k-anonymous with l outcome categories. The key is never
    written. The privacy model: docs/privacy.md.

    Examples:
    therapy-outcomes export research --data clinic --out share --key-file key.txt
    therapy-outcomes export research --data clinic --out share --dates month
    therapy-outcomes export research --data clinic --out share --format parquet
    """
    from therapy_outcomes.export.research import export_research, read_key
    from therapy_outcomes.loading.dataset import load

    key = read_key(key_file)
    qis = tuple(q.strip() for q in quasi.split(",") if q.strip())
    if not qis:
        raise ParameterError("--quasi-identifiers is empty: name at least one client column")
    ds = load(data, as_of=as_of, instruments=instruments)
    known = set(ds.clients.columns) | {"episode_length_band"}
    known |= {"age_band"} if "birth_year" in ds.clients else set()
    unknown = [q for q in qis if q not in known]
    if unknown:
        raise ParameterError(
            f"--quasi-identifiers: {', '.join(unknown)} is not a client column "
            f"(columns: {', '.join(sorted(known))})"
        )
    result = export_research(
        ds,
        out,
        key,
        fmt=fmt,
        k=k,
        l=l,
        dates=dates,
        intervals=intervals,
        keep=tuple(keep or ()),
        items=items,
        quasi_identifiers=qis,
    )
    rows = pd.DataFrame({"rows": result.rows}).rename_axis("table")
    console.print(table(rows, f"De-identified export written to {out}"))
    steps = result.report[result.report["section"] == "generalisation"]
    if len(steps):
        console.print(
            table(
                steps[["quasi_identifier", "action", "clients_changed"]],
                "Generalised for small cells",
                index=False,
            )
        )
    console.print(
        f"Every combination of quasi-identifiers has at least {result.k} clients "
        f"(smallest {result.smallest_cell}); {result.generalised} clients generalised, "
        f"{result.suppressed} suppressed; details in {out / 'disclosure_report.csv'}."
        " The key was not written."
    )
    if ds.n_rejected:
        console.print(
            f"[yellow]{ds.n_rejected} rejected rows were left out[/yellow]: run "
            "'therapy-outcomes validate' for the list"
        )


@export_app.command("fhir")
def fhir(
    data: DataOption,
    out: Annotated[
        Path,
        typer.Option("--out", help="File: .ndjson, or .json for a Bundle.", callback=out_file),
    ],
    patients: Annotated[bool, typer.Option(help="Also write Patient resources.")] = True,
    as_of: AsOf = None,
    instruments: Instruments = None,
) -> None:
    """Write scored administrations as FHIR Observations with LOINC codes.

    Examples:
    therapy-outcomes export fhir --data data/demo --out observations.ndjson
    therapy-outcomes export fhir --data data/demo --out bundle.json --no-patients
    """
    from therapy_outcomes.export.fhir_export import export_observations
    from therapy_outcomes.loading.dataset import load

    ds = load(data, as_of=as_of, instruments=instruments)
    result = export_observations(ds, out, patients=patients)
    console.print(
        f"{result.administrations} administrations as {result.observations} "
        f"Observations and {result.patients} Patients written to {out}"
    )
    if result.skipped:
        skipped = ", ".join(f"{code} ({n})" for code, n in sorted(result.skipped.items()))
        console.print(f"[yellow]No LOINC codes, left out:[/yellow] {skipped}")
