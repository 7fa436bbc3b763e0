"""Read the raw files of a dataset into frames of text, keeping each row's line number.

Every cell is read as text (an empty cell becomes a missing value); parsing into dates and
numbers happens in :mod:`therapy_outcomes.loading.validation`, so that a bad value becomes a
reported reject instead of an exception. A file that cannot be read at all raises
:class:`~therapy_outcomes.errors.DatasetReadError` with one readable message.

Large clean CSV files take a fast path through ``pyarrow.csv``; a file with ragged rows, blank
lines or line breaks inside quoted cells is read again with the standard library's ``csv``
module so that every row keeps its true line number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from therapy_outcomes.errors import DatasetReadError

#: Column holding each row's line number in its file (1 = the header line).
LINE = "_line"

_SEPARATORS = (",", ";", "\t")


@dataclass
class RawTable:
    """The text of one table as read from its file.

    Attributes
    ----------
    name : str
        Table name (``clients``, ``sessions``, ...).
    file : str
        File name as shown to the user (``clients.csv`` or ``dataset.xlsx[clients]``).
    frame : pandas.DataFrame
        One row per data row, all columns text, plus :data:`LINE`.
    unreadable : list of dict
        Rows that could not be split into the header's columns, as reject records.
    """

    name: str
    file: str
    frame: pd.DataFrame
    unreadable: list[dict] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        """Rows read, the unreadable ones included."""
        return len(self.frame) + len(self.unreadable)


def _decode_header(path: Path, head: bytes) -> str:
    if not head.strip():
        raise DatasetReadError(f"{path.name}: the file is empty")
    if b"\x00" in head:
        raise DatasetReadError(f"{path.name}: this is not a text (CSV) file")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        # a multi-byte character cut by the 64 KiB window is fine; anything earlier is not
        if err.start < len(head) - 4:
            raise DatasetReadError(
                f"{path.name}: not UTF-8 encoded (byte 0x{head[err.start]:02x} at position "
                f"{err.start}); save the file as UTF-8 (Excel: 'CSV UTF-8')"
            ) from None
        text = head[: err.start].decode("utf-8-sig")
    return text


def sniff_separator(header_line: str) -> str:
    """Pick the separator of a CSV file from its header line.

    Parameters
    ----------
    header_line : str
        The first line of the file.

    Returns
    -------
    str
        ``","``, ``";"`` or a tab, whichever occurs most often (comma on a tie).

    Examples
    --------
    >>> sniff_separator("client_id;site;therapist_id")
    ';'
    >>> sniff_separator("client_id,site")
    ','
    """
    counts = {sep: header_line.count(sep) for sep in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda sep: (counts[sep], sep == ","))
    return best


def read_csv_table(path: Path, name: str, hints: dict[str, str] | None = None) -> RawTable:
    """Read one CSV file as text, with line numbers.

    Parameters
    ----------
    path : pathlib.Path
        The CSV file (UTF-8 with or without BOM; comma, semicolon or tab separated).
    name : str
        The table name it holds.
    hints : dict, optional
        Column -> ``"float"`` or ``"date"``: columns pyarrow may parse while reading (see
        :func:`_read_fast`); the text path is taken when any value does not parse.

    Returns
    -------
    RawTable

    Raises
    ------
    DatasetReadError
        When the file is missing, empty, not UTF-8 or has no usable header.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "clients.csv"
    >>> _ = p.write_text("client_id;site\\nC1;North\\n", encoding="utf-8-sig")
    >>> raw = read_csv_table(p, "clients")
    >>> raw.frame[["client_id", "site", "_line"]].values.tolist()
    [['C1', 'North', 2]]
    """
    try:
        data = path.read_bytes()
    except OSError as err:
        raise DatasetReadError(f"{path.name}: cannot be read ({err.strerror})") from None
    text_head = _decode_header(path, data[:65536])
    header_line = text_head.splitlines()[0] if text_head.splitlines() else ""
    if not header_line.strip():
        raise DatasetReadError(f"{path.name}: the first line is empty; it must name the columns")
    sep = sniff_separator(header_line)
    header = next(csv.reader([header_line], delimiter=sep))
    header = [h.strip() for h in header]
    _check_header(path.name, header)
    fast = _read_fast(data, header, sep, hints)  # pyarrow checks UTF-8 itself; None on doubt
    if fast is None and hints:
        fast = _read_fast(data, header, sep)
    if fast is not None:
        return RawTable(name, path.name, fast)
    frame, unreadable = _read_slow(data, header, sep, name, path.name)
    return RawTable(name, path.name, frame, unreadable)


def _check_header(file: str, header: list[str]) -> None:
    if any(not h for h in header):
        raise DatasetReadError(f"{file}: the header line has an empty column name")
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise DatasetReadError(f"{file}: the column '{h}' appears twice in the header")
        seen.add(h)


def _padded(column: pa.ChunkedArray) -> bool:
    """Whether any cell starts or ends with a space or tab (cheap prefix/suffix tests)."""
    for space in (" ", "\t"):
        for test in (pc.starts_with, pc.ends_with):
            if pc.any(test(column, pattern=space)).as_py():
                return True
    return False


def _read_fast(
    data: bytes, header: list[str], sep: str, hints: dict[str, str] | None = None
) -> pd.DataFrame | None:
    """pyarrow path; ``None`` when line numbers could not be trusted or a value did not parse.

    With ``hints`` (column -> ``"float"`` or ``"date"``) those columns are parsed by pyarrow
    while reading; any value it cannot parse sends the whole file back to the text path, so a
    bad value is always reported as written.
    """
    bad: list[int] = []

    def on_invalid(row: object) -> str:
        bad.append(1)
        return "skip"

    kinds = {"float": pa.float64(), "date": pa.date32()}
    types = {h: kinds.get((hints or {}).get(h, ""), pa.string()) for h in header}
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),  # no copy; a BOM before the skipped header line does no harm
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, invalid_row_handler=on_invalid, newlines_in_values=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    newlines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if bad or newlines != table.num_rows + 1:
        return None  # blank lines, ragged rows or line breaks inside cells: count them properly
    columns = {}
    for name in table.column_names:
        column = table[name]
        if pa.types.is_string(column.type) and _padded(column):
            text = pc.utf8_trim_whitespace(column)
            column = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        columns[name] = column
    table = pa.table(columns)
    frame = table.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get, date_as_object=False)
    for name, kind in (hints or {}).items():
        if kind == "date" and name in frame:
            frame[name] = frame[name].astype("datetime64[ns]")
    frame[LINE] = np.arange(2, len(frame) + 2, dtype="int64")
    return frame


def _strip(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        stripped = frame[col].str.strip()
        frame[col] = stripped.mask(stripped == "")
    return frame


def _read_slow(
    data: bytes, header: list[str], sep: str, name: str, file: str
) -> tuple[pd.DataFrame, list[dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DatasetReadError(
            f"{file}: not UTF-8 encoded (byte 0x{data[err.start]:02x} on line {line}); "
            "save the file as UTF-8 (Excel: 'CSV UTF-8')"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    next(reader, None)
    rows: list[list[str]] = []
    lines: list[int] = []
    unreadable: list[dict] = []
    start = reader.line_num + 1
    for record in reader:
        line = start
        start = reader.line_num + 1
        if not record or all(not cell.strip() for cell in record):
            continue  # a blank line is not a row
        if len(record) != len(header):
            unreadable.append(
                {
                    "table": name,
                    "file": file,
                    "line": line,
                    "column": None,
                    "value": sep.join(record)[:80],
                    "reason": f"has {len(record)} fields, the header has {len(header)}",
                }
            )
            continue
        rows.append(record)
        lines.append(line)
    frame = pd.DataFrame(rows, columns=header, dtype="string")
    frame = _strip(frame)
    frame[LINE] = pd.Series(lines, dtype="int64")
    return frame, unreadable


def read_excel_tables(path: Path, names: list[str]) -> dict[str, RawTable]:
    """Read the sheets of one workbook, one per table.

    Excel date cells become ISO text; numbers keep their value.

    Parameters
    ----------
    path : pathlib.Path
        An ``.xlsx`` workbook.
    names : list of str
        Table names; a sheet with another name is ignored.

    Returns
    -------
    dict
        Table name to :class:`RawTable`, for the sheets present.
    """
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as err:  # openpyxl raises many kinds for a broken workbook
        raise DatasetReadError(f"{path.name}: not a readable Excel workbook ({err})") from None
    tables: dict[str, RawTable] = {}
    lower = {str(sheet).strip().lower(): sheet for sheet in sheets}
    for name in names:
        if name not in lower:
            continue
        sheet = sheets[lower[name]]
        header = [str(c).strip() for c in sheet.columns]
        _check_header(f"{path.name}[{name}]", header)
        sheet.columns = header
        sheet = sheet.dropna(how="all")
        frame = pd.DataFrame(
            {col: sheet[col].map(_excel_cell_text).astype("string") for col in header},
            index=sheet.index,
        )
        frame = _strip(frame).reset_index(drop=True)
        frame[LINE] = pd.Series(sheet.index + 2, dtype="int64").to_numpy()
        tables[name] = RawTable(name, f"{path.name}[{name}]", frame)
    return tables


def _excel_cell_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, date):  # a date or datetime cell (a time of day is kept as text)
        stamp = pd.Timestamp(value)
        if stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        return stamp.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
