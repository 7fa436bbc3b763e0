"""Helpers shared by the connectors: typed values to text cells, records to a :class:`RawTable`.

Every source hands the loader text (see :mod:`therapy_outcomes.loading.readers`): a connector that
reads typed values (a database, an SPSS file, a Parquet file) turns each into the text a CSV
file would hold, so parsing and validation stay in one place.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterable, Mapping

import pandas as pd

from therapy_outcomes.loading.readers import LINE, RawTable


def cell_text(value: object) -> str | None:
    """The text a CSV file would hold for one typed value (``None`` for a missing one).

    Dates become ISO ``YYYY-MM-DD`` (with the time only when it is not midnight), whole floats
    lose their ``.0``, surrounding spaces are removed and an empty string is missing.

    Examples
    --------
    >>> import datetime
    >>> cell_text(3.0), cell_text(2.5), cell_text(datetime.date(2026, 1, 5)), cell_text("  ")
    ('3', '2.5', '2026-01-05', None)
    >>> cell_text(datetime.datetime(2026, 1, 5, 9, 30)), cell_text(float("nan"))
    ('2026-01-05T09:30:00', None)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | decimal.Decimal):
        number = float(value)
        if math.isnan(number):
            return None
        return str(int(number)) if number.is_integer() else format(number, ".15g")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime | pd.Timestamp):
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return None
        if stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        return stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).strip()
    return text or None


def raw_table(
    name: str,
    file: str,
    records: Iterable[Mapping[str, object]],
    lines: Iterable[int],
    *,
    columns: Iterable[str] | None = None,
    unreadable: list[dict] | None = None,
) -> RawTable:
    """Build a :class:`RawTable` of text from records (dicts) and their source positions.

    Parameters
    ----------
    name : str
        Table name.
    file : str
        Where the rows came from, as shown in rejects.
    records : iterable of mapping
        One dict per row; values go through :func:`cell_text`.
    lines : iterable of int
        The position of each row in its source (must be unique within the table).
    columns : iterable of str, optional
        Column order; default: the order keys first appear in.
    unreadable : list of dict, optional
        Reject records of source records that could not become a row.

    Examples
    --------
    >>> t = raw_table("clients", "x.json", [{"client_id": "C1", "birth_year": 1980.0}], [3])
    >>> t.frame.values.tolist()
    [['C1', '1980', 3]]
    """
    rows = [{k: cell_text(v) for k, v in rec.items()} for rec in records]
    order: list[str] = list(columns) if columns is not None else []
    for row in rows:
        for key in row:
            if key not in order:
                order.append(key)
    frame = pd.DataFrame(
        {col: pd.Series([row.get(col) for row in rows], dtype="string") for col in order}
    )
    frame[LINE] = pd.Series(list(lines), dtype="int64")
    return RawTable(name, file, frame, list(unreadable or []))


def frame_to_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of a typed frame as text (pandas ``string`` dtype, missing = NA).

    Examples
    --------
    >>> frame_to_text(pd.DataFrame({"a": [1.0, None], "b": ["x ", ""]})).values.tolist()
    [['1', 'x'], [<NA>, <NA>]]
    """
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        out[str(col).strip()] = pd.Series(
            [cell_text(v) for v in frame[col].tolist()], index=frame.index, dtype="string"
        )
    return out


def reject(
    table: str,
    file: str,
    line: int,
    reason: str,
    *,
    column: str | None = None,
    value: object = None,
) -> dict:
    """One reject record in the loader's format.

    Examples
    --------
    >>> reject("administrations", "b.json", 4, "status is in-progress")["line"]
    4
    """
    text = None if value is None else str(value)[:80]
    return {
        "table": table,
        "file": file,
        "line": int(line),
        "column": column,
        "value": text,
        "reason": reason,
    }
