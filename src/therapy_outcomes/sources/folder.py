"""The built-in sources: a folder of CSV files (or holding ``dataset.xlsx``), and a workbook.

A name that is taken counts as present even when it is not a readable file (a broken symlink,
a symlink loop, a folder, a FIFO): the reader then stops with one message saying what it is,
instead of the table being shown as absent. Nothing that is not a regular file is opened.
"""

from __future__ import annotations

import functools
from pathlib import Path

from therapy_outcomes.loading.readers import check_regular_file, read_csv_table, read_excel_tables
from therapy_outcomes.loading.tables import TABLE_NAMES, read_hints
from therapy_outcomes.sources.base import RawDataset, Source, digest_files

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def taken(path: Path) -> bool:
    """Whether anything (a file, a folder, a FIFO, even a broken link) has this name.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "loop.csv").symlink_to(folder / "loop.csv")
    >>> (folder / "loop.csv").exists(), taken(folder / "loop.csv"), taken(folder / "none.csv")
    (False, True, False)
    """
    return path.is_symlink() or path.exists()


def read_folder(location: str) -> RawDataset:
    """Read ``<table>.csv`` files from a folder (or its ``dataset.xlsx`` when it has no CSV)."""
    folder = Path(location)
    csvs = {name: folder / f"{name}.csv" for name in TABLE_NAMES}
    present = {name: path for name, path in csvs.items() if taken(path)}
    workbook = folder / "dataset.xlsx"
    if not present and taken(workbook):
        raw = read_workbook(str(workbook))
        return RawDataset(raw.tables, raw.digest, location=folder)
    tables = {
        name: read_csv_table(path, name, functools.partial(read_hints, name))
        for name, path in present.items()
    }
    return RawDataset(tables, digest_files(present.values()), location=folder)


def read_workbook(location: str) -> RawDataset:
    """Read one sheet per table from an Excel workbook."""
    path = Path(location)
    check_regular_file(path)
    tables = read_excel_tables(path, list(TABLE_NAMES))
    return RawDataset(tables, digest_files([path]), location=path)


FOLDER = Source("folder", lambda loc: Path(loc).is_dir(), read_folder)
WORKBOOK = Source(
    "workbook",
    lambda loc: Path(loc).is_file() and Path(loc).suffix.lower() in WORKBOOK_SUFFIXES,
    read_workbook,
)
