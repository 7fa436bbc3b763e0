"""The Parquet source: a folder of ``<table>.parquet`` files (as the research export writes).

Typed Parquet columns are turned back into the text a CSV file would hold, so the loader checks
them like any other source. A row's ``line`` is its row number (1 = the first row). A file that
is not a regular file (a folder, a FIFO, a symlink loop) or not Parquet stops with one message
naming it.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> from therapy_outcomes import load
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"client_id": ["C1"], "site": ["North"], "therapist_id": ["T1"],
...               "referred_on": [pd.Timestamp("2026-01-05")]}).to_parquet(
...     folder / "clients.parquet")
>>> load(folder, as_of="2026-06-30").clients["referred_on"].dt.strftime("%Y-%m-%d").tolist()
['2026-01-05']
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.loading.readers import LINE, RawTable, check_regular_file
from therapy_outcomes.loading.tables import TABLE_NAMES
from therapy_outcomes.sources._cells import frame_to_text
from therapy_outcomes.sources.base import RawDataset, Source, digest_files


def matches(location: str) -> bool:
    """A folder with ``clients.parquet`` and no ``clients.csv``."""
    path = Path(location)
    return (
        path.is_dir()
        and (path / "clients.parquet").is_file()
        and not (path / "clients.csv").exists()
    )


def read_table(path: Path, name: str) -> RawTable:
    """One Parquet file as a table of text."""
    check_regular_file(path)
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises several kinds for a broken file
        raise DatasetReadError(
            f"{path.name}: not a readable Parquet file ({_first_line(err)})"
        ) from None
    text = frame_to_text(frame.reset_index(drop=True))
    text[LINE] = pd.RangeIndex(1, len(text) + 1)
    return RawTable(name, path.name, text)


def _first_line(err: Exception) -> str:
    """The first line of an error's message, at most 120 characters (never a whole dump).

    Examples
    --------
    >>> _first_line(OSError("Parquet magic bytes not found in footer.\\nEither the file"))
    'Parquet magic bytes not found in footer.'
    """
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__)[:120]


def read(location: str) -> RawDataset:
    """Read every ``<table>.parquet`` of a folder."""
    folder = Path(location)
    files = {
        n: folder / f"{n}.parquet"
        for n in TABLE_NAMES
        if (folder / f"{n}.parquet").is_symlink() or (folder / f"{n}.parquet").exists()
    }
    tables = {name: read_table(path, name) for name, path in files.items()}
    return RawDataset(tables, digest_files(files.values()), location=folder)


PARQUET = Source("parquet", matches, read)
