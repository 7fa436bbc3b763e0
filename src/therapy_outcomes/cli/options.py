"""The arguments and options that several commands share, each defined once.

One name, one help text: a command takes ``as_of: AsOf = None`` instead of spelling out
``--as-of`` again. Options that only one command has are defined with that command.

Examples
--------
>>> from typer.testing import CliRunner
>>> demo = typer.Typer()
>>> @demo.command()
... def show(month: Month, pdf: Pdf = False) -> None:
...     print(month, pdf)
>>> CliRunner().invoke(demo, ["--month", "2026-10", "--pdf"]).output
'2026-10 True\\n'
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "AsOf",
    "DataArgument",
    "DataOption",
    "Instruments",
    "MinCell",
    "Month",
    "Pdf",
    "ReportsOut",
    "Show",
    "SourceOption",
]

#: ``validate`` and ``summary``: the dataset, as an argument. Text, not a Path: a Path would
#: turn a database URL's ``sqlite:///x.db`` into ``sqlite:/x.db``.
DataArgument = Annotated[
    str,
    typer.Argument(
        help="Dataset folder of CSV files, an .xlsx workbook or any other source (a FHIR file, "
        "a database URL ...)."
    ),
]
#: The reports and ``batch``: the dataset, as ``--data``.
DataOption = Annotated[Path, typer.Option("--data", help="Dataset folder (or file).")]
#: ``export``: any source ``import`` reads, database URLs included.
SourceOption = Annotated[
    str,
    typer.Option("--data", help="The dataset: a folder, workbook, FHIR file or database URL."),
]
#: The reports: where the HTML (and PDF) files go.
ReportsOut = Annotated[Path, typer.Option("--out", help="Output folder.")]
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
Show = Annotated[int, typer.Option("--show", help="How many rejects to print.")]
Month = Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")]
MinCell = Annotated[int, typer.Option("--min-cell", help="Smallest count shown.")]
Pdf = Annotated[bool, typer.Option("--pdf", help="Also write an A4 PDF beside each HTML report.")]
