"""The SPSS/Stata source: a folder of ``<table>.sav`` or ``<table>.dta`` files (pyreadstat).

Each file holds one table (``clients.sav``, ``administrations.sav`` ...), variables named like
the columns of ``data/README.md``. Value labels are kept where they carry meaning: a labelled
variable that is a text column (``sex`` coded 1 = female, 2 = male; ``site``; ``attendance``)
gives its label, while numbers, dates and item answers keep their codes (a PHQ-9 item coded 0..3
with labels "Not at all" ... is scored on its code). SPSS/Stata dates become ``YYYY-MM-DD``.
A row's ``line`` in rejects is its case number (1 = the first case). A file pyreadstat cannot
read is a :class:`~therapy_outcomes.errors.DatasetReadError`. pyreadstat comes with the ``spss``
extra (``pip install "therapy-outcomes[spss]"``).

Examples
--------
>>> import tempfile, pathlib, pandas as pd, pyreadstat
>>> from therapy_outcomes import load
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> clients = pd.DataFrame({"client_id": ["C1"], "site": ["North"], "therapist_id": ["T1"],
...                         "referred_on": [pd.Timestamp("2026-01-05")], "sex": [2.0]})
>>> pyreadstat.write_sav(clients, folder / "clients.sav",
...                      variable_value_labels={"sex": {1.0: "male", 2.0: "female"}})
>>> load(folder, as_of="2026-06-30").clients[["client_id", "sex"]].values.tolist()
[['C1', 'female']]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.extras import require
from therapy_outcomes.loading.readers import LINE, RawTable
from therapy_outcomes.loading.tables import TABLE_NAMES, spec
from therapy_outcomes.sources._cells import frame_to_text
from therapy_outcomes.sources.base import RawDataset, Source, digest_files

SUFFIXES = (".sav", ".zsav", ".dta")


def table_files(folder: Path) -> dict[str, Path]:
    """``<table>.sav``/``.zsav``/``.dta`` files of a folder, by table name."""
    found = {}
    for name in TABLE_NAMES:
        for suffix in SUFFIXES:
            path = folder / f"{name}{suffix}"
            if path.is_file():
                found[name] = path
                break
    return found


def matches(location: str) -> bool:
    """A folder with ``clients.sav`` (or ``.zsav``/``.dta``) and no ``clients.csv``."""
    path = Path(location)
    return path.is_dir() and "clients" in table_files(path) and not (path / "clients.csv").exists()


def _labelled(name: str, column: str) -> bool:
    """Whether a labelled variable should give its labels (text columns) or its codes."""
    try:
        kind = spec(name).column(column).kind
    except KeyError:
        return not (column.startswith("item") or column in ("value", "total"))
    return kind in ("text", "id")


def read_table(path: Path, name: str) -> RawTable:
    """One SPSS or Stata file as a table of text, value labels applied to text columns.

    Needs pyreadstat, the ``spss`` extra (:class:`~therapy_outcomes.errors.MissingExtraError`
    without it).
    """
    require("pyreadstat", "spss", f"reading {path.name}")
    import pyreadstat

    reader = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    try:
        frame, meta = reader(str(path), apply_value_formats=False)
    except Exception as err:  # pyreadstat raises its own error types for broken files
        raise DatasetReadError(
            f"{path.name}: not a readable {path.suffix[1:]} file ({err})"
        ) from None
    for column, labels in (meta.variable_value_labels or {}).items():
        if column in frame and _labelled(name, column):
            mapped = frame[column].map(lambda v, lab=labels: lab.get(v, v))
            frame[column] = mapped.astype(object)
    text = frame_to_text(frame)
    text[LINE] = pd.RangeIndex(1, len(text) + 1)
    return RawTable(name, path.name, text.reset_index(drop=True))


def read(location: str) -> RawDataset:
    """Read every ``<table>.sav``/``.dta`` of a folder."""
    folder = Path(location)
    files = table_files(folder)
    tables = {name: read_table(path, name) for name, path in files.items()}
    return RawDataset(tables, digest_files(files.values()), location=folder)


STATS = Source("spss-stata", matches, read)
