"""Read the raw files of a dataset into frames of text, keeping each row's line number.

Every cell is read as text (an empty cell becomes a missing value); parsing into dates and
numbers happens in :mod:`therapy_outcomes.loading.validation`, so that a bad value becomes a
reported reject instead of an exception. A file that cannot be read at all raises
:class:`~therapy_outcomes.errors.DatasetReadError` with one readable message naming the file
(and the line when there is one): not a regular file (a folder, a FIFO, a device: never opened),
a symlink loop, empty, UTF-16, a NUL byte, not UTF-8, tab-separated, or an unusable header.

CSV files are UTF-8 (a byte-order mark is dropped), comma- or semicolon-separated as the data
dictionary says, with ``\\r\\n``, ``\\n`` or lone ``\\r`` line breaks. Records are split by
:mod:`therapy_outcomes.loading.csv_records`, which counts physical lines on its own and rejects a
record whose quote swallows what look like whole records (``a quote opened on line N closes on
line M``), reading the swallowed lines as their own records. A table knows both its physical
lines (:attr:`RawTable.n_lines`) and its records (:attr:`RawTable.n_rows`).

A record that cannot be split into the header's columns is a reject with no ``value``: the
line's text may hold names or item answers, and the line number points to it in the file, which
stays with the data.

Large clean CSV files take a fast path through ``pyarrow.csv``: only when no quote can be
misread (every quote sits at a cell's edge, none is open at a line break) and the line breaks
are ``\\n`` or ``\\r\\n``; any doubt sends the file to the record splitter.
"""

from __future__ import annotations

import csv
import errno
import os
import stat
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.loading.csv_records import physical_lines, split_records

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
    lines : int, optional
        Physical lines after the header (blank lines and the line breaks inside quoted cells
        included); ``None`` when the source has no lines (a workbook, a database): then it is
        :attr:`n_rows`.
    """

    name: str
    file: str
    frame: pd.DataFrame
    unreadable: list[dict] = field(default_factory=list)
    lines: int | None = None

    @property
    def n_rows(self) -> int:
        """Rows (records) read, the unreadable ones included."""
        return len(self.frame) + len(self.unreadable)

    @property
    def n_lines(self) -> int:
        """Physical lines after the header (the rows when the source has no lines)."""
        return self.n_rows if self.lines is None else self.lines


def check_regular_file(path: Path, shown: str | None = None) -> None:
    """Raise unless ``path`` is a regular file that can be opened (it is never opened here).

    A FIFO, socket or device named like a data file would block or never end, so it is
    refused before anything reads it; so are a folder, a symlink loop and a broken symlink.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    shown : str, optional
        Its name in the message (default: the file name).

    Raises
    ------
    DatasetReadError

    Examples
    --------
    >>> import tempfile
    >>> check_regular_file(Path(tempfile.mkdtemp()), "events.csv")
    Traceback (most recent call last):
    ...
    therapy_outcomes.errors.DatasetReadError: events.csv: is a folder, not a file
    """
    shown = shown or path.name
    try:
        info = os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise DatasetReadError(
                f"{shown}: symlink loop (the link points back to itself)"
            ) from None
        if path.is_symlink():
            raise DatasetReadError(f"{shown}: broken symlink (its target does not exist)") from None
        raise DatasetReadError(f"{shown}: cannot be read ({err.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DatasetReadError(f"{shown}: is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise DatasetReadError(
            f"{shown}: not a regular file (a FIFO, socket or device); it was not opened"
        )


def read_regular_file(path: Path) -> bytes:
    """The bytes of ``path`` after :func:`check_regular_file`; an OS error is one message."""
    check_regular_file(path)
    try:
        return path.read_bytes()
    except OSError as err:
        raise DatasetReadError(f"{path.name}: cannot be read ({err.strerror})") from None


def _line_of(data: bytes, offset: int) -> int:
    """The physical line (1-based) holding byte ``offset``."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _looks_utf16(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    head = data[:1024]
    half = len(head) // 2
    return half >= 2 and max(head[0::2].count(0), head[1::2].count(0)) > half * 0.4


def decode_text(file: str, data: bytes) -> str:
    """The text of a CSV file: UTF-8, a byte-order mark dropped.

    Parameters
    ----------
    file : str
        The file's name, for messages.
    data : bytes
        Its content.

    Returns
    -------
    str

    Raises
    ------
    DatasetReadError
        Empty, UTF-16 encoded, holding a NUL byte, or not UTF-8 (naming the line).

    Examples
    --------
    >>> decode_text("clients.csv", "\\ufeffclient_id\\n".encode())
    'client_id\\n'
    >>> decode_text("clients.csv", b"client_id\\nC1\\nMalm\\xf6\\n")
    Traceback (most recent call last):
    ...
    therapy_outcomes.errors.DatasetReadError: clients.csv: not UTF-8 encoded (byte 0xf6 on line 3); save the file as UTF-8 (Excel: 'CSV UTF-8')
    """  # noqa: E501
    if _looks_utf16(data):
        raise DatasetReadError(
            f"{file}: UTF-16 encoded (Excel's 'Unicode Text'); save the file as UTF-8 "
            "(Excel: 'CSV UTF-8')"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DatasetReadError(
            f"{file}: not a text (CSV) file (a NUL byte on line {_line_of(data, nul)})"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DatasetReadError(
            f"{file}: not UTF-8 encoded (byte 0x{data[err.start]:02x} on line "
            f"{_line_of(data, err.start)}); save the file as UTF-8 (Excel: 'CSV UTF-8')"
        ) from None
    if not text.strip():
        raise DatasetReadError(f"{file}: the file is empty")
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


def _check_separator(file: str, header_line: str, sep: str) -> None:
    """Comma or semicolon, as the data dictionary says; a tab or ``|`` is a clear error."""
    other = {"\t": "tabs", "|": "'|'"}
    used = "\t" if sep == "\t" else ("|" if sep == "," and "," not in header_line else None)
    if used is not None and used in header_line:
        raise DatasetReadError(
            f"{file}: expected comma-separated columns (or semicolon-separated, as Excel writes "
            f"them); the header line is separated by {other[used]}"
        )


Hints = Mapping[str, str] | Callable[[list[str]], Mapping[str, str]]


def read_csv_table(path: Path, name: str, hints: Hints | None = None) -> RawTable:
    """Read one CSV file as text, with line numbers.

    Parameters
    ----------
    path : pathlib.Path
        The CSV file (UTF-8 with or without BOM; comma or semicolon separated).
    name : str
        The table name it holds.
    hints : dict or callable, optional
        Column -> ``"float"`` or ``"date"`` (or a function of the header giving them): columns
        pyarrow may parse while reading (see :func:`_read_fast`); the text path is taken when
        any value does not parse.

    Returns
    -------
    RawTable

    Raises
    ------
    DatasetReadError
        When the file is missing, not a regular file, empty, not UTF-8, not comma or semicolon
        separated or has no usable header.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "clients.csv"
    >>> _ = p.write_text("client_id;site\\nC1;North\\n", encoding="utf-8-sig")
    >>> raw = read_csv_table(p, "clients")
    >>> raw.frame[["client_id", "site", "_line"]].values.tolist()
    [['C1', 'North', 2]]
    >>> _ = p.write_text('client_id,site\\nC1,"North\\nside"\\n\\n')
    >>> raw = read_csv_table(p, "clients")
    >>> raw.n_lines, raw.n_rows
    (3, 1)
    """
    data = read_regular_file(path)
    text = decode_text(path.name, data)
    lines = physical_lines(text)
    header_line = lines[0].rstrip("\r\n")
    if not header_line.strip():
        raise DatasetReadError(f"{path.name}: the first line is empty; it must name the columns")
    sep = sniff_separator(header_line)
    _check_separator(path.name, header_line, sep)
    try:
        header = next(csv.reader([header_line], delimiter=sep, strict=True))
    except csv.Error:
        raise DatasetReadError(
            f"{path.name}: the header line has a quote that is not closed"
        ) from None
    header = [h.strip() for h in header]
    _check_header(path.name, header)
    wanted = hints(header) if callable(hints) else hints
    fast = None
    if _fast_path_safe(data, sep):
        fast = _read_fast(data, header, sep, wanted)  # None on doubt
        if fast is None and wanted:
            fast = _read_fast(data, header, sep)
    if fast is not None:
        return RawTable(name, path.name, fast, lines=len(fast))
    frame, unreadable = _read_records(lines, header, sep, name, path.name)
    return RawTable(name, path.name, frame, unreadable, lines=len(lines) - 1)


def _check_header(file: str, header: list[str]) -> None:
    if any(not h for h in header):
        raise DatasetReadError(f"{file}: the header line has an empty column name")
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise DatasetReadError(f"{file}: the column '{h}' appears twice in the header")
        seen.add(h)


def _fast_path_safe(data: bytes, sep: str) -> bool:
    """Whether pyarrow can split ``data`` exactly as :mod:`csv_records` would.

    Line breaks must be ``\\n`` or ``\\r\\n``; every quote must sit next to a separator, a line
    break, the file's edge or another quote; and no line break may fall inside quotes.
    """
    if data.count(b"\r") != data.count(b"\r\n"):
        return False
    if b'"' not in data:
        return True
    arr = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(arr == ord('"'))
    if len(quotes) % 2:
        return False
    edge = np.frombuffer(f'{sep}\r\n"'.encode(), dtype=np.uint8)
    before = np.where(quotes > 0, arr[np.maximum(quotes - 1, 0)], ord("\n"))
    after = np.where(quotes < len(arr) - 1, arr[np.minimum(quotes + 1, len(arr) - 1)], ord("\n"))
    if not (np.isin(before, edge) | np.isin(after, edge)).all():
        return False
    breaks = np.flatnonzero(arr == ord("\n"))
    return not (np.searchsorted(quotes, breaks) % 2).any()


def _padded(column: pa.ChunkedArray) -> bool:
    """Whether any cell starts or ends with a space or tab (cheap prefix/suffix tests)."""
    for space in (" ", "\t"):
        for test in (pc.starts_with, pc.ends_with):
            if pc.any(test(column, pattern=space)).as_py():
                return True
    return False


def _read_fast(
    data: bytes, header: list[str], sep: str, hints: Mapping[str, str] | None = None
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


def _read_records(
    lines: list[str], header: list[str], sep: str, name: str, file: str
) -> tuple[pd.DataFrame, list[dict]]:
    """The record splitter's path: every record keeps its first line's number."""
    rows: list[list[str]] = []
    where: list[int] = []
    unreadable: list[dict] = []
    for record in split_records(lines, sep, len(header)):
        if record.fields is None:
            unreadable.append(
                {
                    "table": name,
                    "file": file,
                    "line": record.line,
                    "column": None,
                    "value": None,  # the line's text is never copied (see the module docstring)
                    "reason": record.reason,
                }
            )
            continue
        rows.append(record.fields)
        where.append(record.line)
    frame = pd.DataFrame(rows, columns=header, dtype="string")
    frame = _strip(frame)
    frame[LINE] = pd.Series(where, dtype="int64")
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
        sheets = pd.read_excel(
            path, sheet_name=None, header=None, dtype=object, engine="openpyxl", na_filter=False
        )
    except zipfile.BadZipFile:
        raise DatasetReadError(
            f"{path.name}: not an Excel workbook (an .xlsx file is a zip archive; this one is not)"
        ) from None
    except Exception as err:  # openpyxl raises many kinds for a broken workbook
        raise DatasetReadError(
            f"{path.name}: not a readable Excel workbook ({type(err).__name__})"
        ) from None
    tables: dict[str, RawTable] = {}
    lower = {str(sheet).strip().lower(): sheet for sheet in sheets}
    for name in names:
        if name not in lower:
            continue
        tables[name] = _sheet_table(sheets[lower[name]], name, f"{path.name}[{name}]")
    return tables


def _sheet_table(sheet: pd.DataFrame, name: str, file: str) -> RawTable:
    """One sheet read without a header row (so duplicated names are seen, not renamed)."""
    if sheet.empty:
        return RawTable(name, file, pd.DataFrame({LINE: pd.Series(dtype="int64")}))
    header = [(_excel_cell_text(v) or "").strip() for v in sheet.iloc[0]]
    body = sheet.iloc[1:]
    keep = [bool(h) or body.iloc[:, i].notna().any() for i, h in enumerate(header)]
    body = body.loc[:, keep]  # an unnamed column without any value is no column
    header = [h for h, k in zip(header, keep, strict=True) if k]
    _check_header(file, header)
    body.columns = header
    body = body.dropna(how="all")
    frame = pd.DataFrame(
        {col: body[col].map(_excel_cell_text).astype("string") for col in header},
        index=body.index,
    )
    frame = _strip(frame).reset_index(drop=True)
    frame[LINE] = pd.Series(body.index + 1, dtype="int64").to_numpy()
    return RawTable(name, file, frame)


def _excel_cell_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None  # an empty cell (text such as "NaN" is kept as written: na_filter=False)
    if isinstance(value, date):  # a date or datetime cell (a time of day is kept as text)
        stamp = pd.Timestamp(value)
        if stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        return stamp.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
