"""The built-in sources: a folder of CSV files (or holding ``dataset.xlsx``), and a workbook."""

from __future__ import annotations

from pathlib import Path

from therapy_outcomes.loading.readers import read_csv_table, read_excel_tables, sniff_separator
from therapy_outcomes.loading.tables import TABLE_NAMES, read_hints
from therapy_outcomes.sources.base import RawDataset, Source, digest_files

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def read_folder(location: str) -> RawDataset:
    """Read ``<table>.csv`` files from a folder (or its ``dataset.xlsx`` when it has no CSV)."""
    folder = Path(location)
    csvs = {name: folder / f"{name}.csv" for name in TABLE_NAMES}
    workbook = folder / "dataset.xlsx"
    if not any(p.exists() for p in csvs.values()) and workbook.exists():
        raw = read_workbook(str(workbook))
        return RawDataset(raw.tables, raw.digest, location=folder)
    present = [p for p in csvs.values() if p.exists()]
    tables = {}
    for name, path in csvs.items():
        if path.exists():
            header = _header(path)
            tables[name] = read_csv_table(path, name, read_hints(name, header))
    return RawDataset(tables, digest_files(present), location=folder)


def _header(path: Path) -> list[str]:
    """Column names of a CSV file, for read hints (errors are left to the reader)."""
    try:
        with path.open("rb") as handle:
            line = handle.readline(65536).decode("utf-8-sig", errors="replace")
    except OSError:
        return []
    sep = sniff_separator(line)
    return [cell.strip().strip('"') for cell in line.rstrip("\r\n").split(sep)]


def read_workbook(location: str) -> RawDataset:
    """Read one sheet per table from an Excel workbook."""
    path = Path(location)
    tables = read_excel_tables(path, list(TABLE_NAMES))
    return RawDataset(tables, digest_files([path]), location=path)


FOLDER = Source("folder", lambda loc: Path(loc).is_dir(), read_folder)
WORKBOOK = Source(
    "workbook",
    lambda loc: Path(loc).is_file() and Path(loc).suffix.lower() in WORKBOOK_SUFFIXES,
    read_workbook,
)
