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
    "Rejects",
    "ReportsOut",
    "Show",
    "out_file",
    "out_folder",
]


def _location(value: str | None) -> str | None:
    """A dataset location as text that reads the same from any folder (a notebook kernel runs
    in another): a relative ``sqlite:///`` file made absolute, a path kept as typed."""
    from therapy_outcomes.errors import ParameterError
    from therapy_outcomes.sources import portable_location

    if value is None:
        return None
    if not value.strip():
        raise ParameterError("the dataset location is empty: give a folder, file or URL")
    return portable_location(value)


_DATA_HELP = (
    "The dataset: a folder of CSV files or an .xlsx workbook, a FHIR file or folder, a REDCap "
    "mapping (redcap.yaml), a folder of .sav/.dta files, or a database URL "
    "(postgresql://..., sqlite:///clinic.db)."
)

#: ``validate``, ``summary`` and ``import``: the dataset, as an argument. Text, not a Path: a
#: Path would turn a database URL's ``sqlite:///x.db`` into ``sqlite:/x.db``.
DataArgument = Annotated[str, typer.Argument(help=_DATA_HELP, callback=_location)]
#: The reports, ``batch`` and ``export``: the same dataset, as ``--data``.
DataOption = Annotated[str, typer.Option("--data", help=_DATA_HELP, callback=_location)]
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
Show = Annotated[int, typer.Option("--show", min=0, help="How many rejects to print.")]
Month = Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")]
MinCell = Annotated[int, typer.Option("--min-cell", help="Smallest count shown.")]
Pdf = Annotated[bool, typer.Option("--pdf", help="Also write an A4 PDF beside each HTML report.")]


def out_folder(value: Path | None) -> Path | None:
    """Callback of an ``--out`` folder: refused before any work starts when it could not be
    created or written (:func:`~therapy_outcomes.rendering.paths.check_output_folder`)."""
    from therapy_outcomes.rendering.paths import check_output_folder

    if value is not None:
        check_output_folder(value, value, what="files")
    return value


def out_file(value: Path | None) -> Path | None:
    """Callback of an output file option (``--rejects``, ``export fhir --out``): refused before
    any work starts when it is a folder or its folder could not be created or written."""
    from therapy_outcomes.rendering.paths import check_output_file

    if value is not None:
        check_output_file(value)
    return value


#: The reports: where the HTML (and PDF) files go.
ReportsOut = Annotated[Path, typer.Option("--out", help="Output folder.", callback=out_folder)]
#: ``validate`` and ``import``: where every reject is written.
Rejects = Annotated[
    Path | None,
    typer.Option(
        "--rejects",
        help="Write every reject here (CSV). Default: <dataset>-rejects.csv",
        callback=out_file,
    ),
]
