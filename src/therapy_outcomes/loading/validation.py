"""Check each table row by row; every failing row becomes a reject, nothing is dropped silently.

The rules come from the declarations in :mod:`therapy_outcomes.loading.tables`: each text column is
parsed into its type (a value that does not parse is a reject, not an exception), then a pandera
schema built from the same declaration checks required values, allowed values, ID syntax,
ranges and dates after the as-of date. Rules between rows (duplicates, date order) and between
tables (references) follow. All of it is vectorised.

A reject record has ``table, file, line, column, value, reason``. A row with several problems has
several records but counts once: for every table, rows read = rows accepted + rows rejected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.loading.arrow_ops import duplicated, isin, parse_date, parse_float
from therapy_outcomes.loading.readers import LINE, RawTable
from therapy_outcomes.loading.tables import ID_PATTERN, TABLE_NAMES, Col, TableSpec

REJECT_COLUMNS = ["table", "file", "line", "column", "value", "reason"]


class RejectLog:
    """Collects reject records from every check.

    Examples
    --------
    >>> log = RejectLog()
    >>> log.add_records([{"table": "clients", "file": "clients.csv", "line": 3,
    ...                   "column": "site", "value": None, "reason": "is required"}])
    >>> log.frame()["reason"].tolist()
    ['is required']
    """

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []
        self._lines: dict[str, list[np.ndarray]] = {}

    def add(
        self,
        raw: RawTable,
        where: pd.Series | np.ndarray | pd.Index,
        column: str | None,
        reason: str | pd.Series,
        values: pd.Series | None = None,
    ) -> None:
        """Record rows of ``raw`` as rejected.

        Parameters
        ----------
        raw : RawTable
            The table (its frame has a RangeIndex, so labels are positions).
        where : boolean mask or row labels
            The rejected rows: a boolean Series/array over ``raw.frame`` (missing = False),
            or the labels of the rows.
        column : str or None
            The column at fault (``None`` for the row as a whole).
        reason : str or pandas.Series
            One reason, or a reason per row indexed by row label.
        values : pandas.Series, optional
            Values to report (default: the text of ``column`` as read).
        """
        idx = _positions(where, len(raw.frame))
        if len(idx) == 0:
            return
        if values is None:
            values = raw.frame[column] if column is not None and column in raw.frame else None
        shown = None if values is None else _display(values.reindex(idx))
        reasons = reason.reindex(idx).to_numpy() if isinstance(reason, pd.Series) else reason
        part = pd.DataFrame(
            {
                "table": raw.name,
                "file": raw.file,
                "line": raw.frame[LINE].to_numpy()[idx],
                "column": column,
                "value": shown,
                "reason": reasons,
            }
        )
        self._parts.append(part)
        self._lines.setdefault(raw.name, []).append(part["line"].to_numpy())

    def add_records(self, records: list[dict]) -> None:
        """Record reject dicts that already have the reject columns."""
        if records:
            part = pd.DataFrame.from_records(records, columns=REJECT_COLUMNS)
            self._parts.append(part)
            for table, lines in part.groupby("table")["line"]:
                self._lines.setdefault(str(table), []).append(lines.to_numpy())

    def frame(self) -> pd.DataFrame:
        """All rejects so far, in table order (clients first), then by line."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})
        out = pd.concat(self._parts, ignore_index=True)
        out["line"] = out["line"].astype("int64")
        order = {name: i for i, name in enumerate(TABLE_NAMES)}
        rank = out["table"].map(order).fillna(len(order))
        out = out.assign(_rank=rank).sort_values(["_rank", "file", "line"], kind="stable")
        return out.drop(columns="_rank").reset_index(drop=True)

    def lines(self, table: str) -> np.ndarray:
        """Line numbers of ``table`` with at least one reject (sorted, unique)."""
        parts = self._lines.get(table)
        if not parts:
            return np.zeros(0, dtype="int64")
        return np.unique(np.concatenate(parts).astype("int64"))


def _positions(where: pd.Series | np.ndarray | pd.Index, n: int) -> np.ndarray:
    """Row positions from a boolean mask (missing = False) or from row labels.

    A boolean Series shorter than the table selects the labels where it is True; raw frames
    have a RangeIndex, so labels are positions.
    """
    if isinstance(where, pd.Series) and (
        where.dtype == bool or str(where.dtype) in ("boolean", "bool[pyarrow]")
    ):
        if len(where) != n:
            return where.index[where.fillna(False).to_numpy(dtype=bool)].to_numpy("int64")
        where = where.to_numpy(dtype=bool, na_value=False)
    if isinstance(where, np.ndarray) and where.dtype == bool:
        return np.flatnonzero(where)
    return np.asarray(where, dtype="int64")


def _display(values: pd.Series) -> np.ndarray:
    if values.dtype.kind == "f":  # read as numbers: show them as written (4, not 4.0)
        values = values.map(lambda v: None if pd.isna(v) else f"{v:g}")
    elif values.dtype.kind == "M":
        values = values.dt.strftime("%Y-%m-%d")
    text = values.astype("string").str.slice(0, 80)
    return text.astype(object).where(text.notna(), None).to_numpy()


def check_columns(raw: RawTable, table: TableSpec) -> None:
    """Stop the load when a required column is missing from the file.

    Raises
    ------
    DatasetReadError
        Naming the file and the missing columns.
    """
    missing = [c.name for c in table.columns if c.required and c.name not in raw.frame.columns]
    if missing:
        raise DatasetReadError(
            f"{raw.file}: required column{'s' if len(missing) > 1 else ''} missing: "
            f"{', '.join(missing)} (found: {', '.join(c for c in raw.frame.columns if c != LINE)})"
        )


def parse_table(raw: RawTable, table: TableSpec, log: RejectLog) -> pd.DataFrame:
    """Parse every declared column into its type and record the values that do not parse.

    Absent optional columns are added, empty. Allowed values are matched case-insensitively and
    stored in their declared spelling; defaults fill empty optional cells.

    Returns
    -------
    pandas.DataFrame
        A new frame, same rows as ``raw.frame``; unparseable cells are missing values.
    """
    frame = raw.frame.copy()
    for col in table.columns:
        if col.name not in frame:
            frame[col.name] = pd.Series(pd.NA, index=frame.index, dtype="string")
        text = frame[col.name]
        if col.default is not None:
            text = text.fillna(col.default)
        parsed, bad_reason = _parse(text, col)
        if bad_reason is not None:
            bad = text.notna() & parsed.isna()
            log.add(raw, bad, col.name, bad_reason, values=text)
        frame[col.name] = parsed
    return frame


def _parse(text: pd.Series, col: Col) -> tuple[pd.Series, str | None]:
    if col.kind == "date":
        return parse_date(text), "not a date (expected YYYY-MM-DD)"
    if col.kind in ("number", "integer"):
        parsed = parse_float(text)
        if col.kind == "integer":
            parsed = parsed.where(parsed.isna() | (parsed % 1 == 0))
            return parsed, "not a whole number"
        return parsed, "not a number"
    if col.allowed is not None:
        return map_text(text, col.allowed), f"must be one of: {', '.join(col.allowed)}"
    return text.astype("string"), None


def map_text(text: pd.Series, allowed: tuple[str, ...]) -> pd.Series:
    """Match ``text`` case-insensitively to ``allowed``, returning the declared spelling.

    Works on the distinct values only, so a million rows cost as much as a handful.

    Examples
    --------
    >>> map_text(pd.Series(["Attended", "maybe", None]), ("attended", "cancelled")).tolist()
    ['attended', <NA>, <NA>]
    """
    lookup = {value.lower(): value for value in allowed}
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    mapped = np.array([lookup.get(str(u).lower()) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=text.index, dtype="string")


def _schema(table: TableSpec, as_of: pd.Timestamp) -> pa.DataFrameSchema:
    """The pandera schema for the parsed ``table`` (types are already parsed)."""
    columns: dict[str, pa.Column] = {}
    for col in table.columns:
        checks: list[pa.Check] = []
        if col.kind == "id":
            checks.append(
                pa.Check.str_matches(
                    ID_PATTERN,
                    error="not a valid ID (letters, digits, _ and - only, at most 64)",
                )
            )
        if col.minimum is not None:
            checks.append(pa.Check.ge(col.minimum, error=f"must be at least {col.minimum:g}"))
        if col.maximum is not None:
            checks.append(pa.Check.le(col.maximum, error=f"must be at most {col.maximum:g}"))
        if col.not_after_as_of:
            checks.append(
                pa.Check.le(as_of, error=f"is after the as-of date {as_of.date().isoformat()}")
            )
        columns[col.name] = pa.Column(
            None, checks=checks, nullable=not col.required, required=False
        )
    return pa.DataFrameSchema(columns)


def check_rows(
    raw: RawTable, table: TableSpec, frame: pd.DataFrame, as_of: pd.Timestamp, log: RejectLog
) -> None:
    """Run the table's pandera schema, uniqueness and date-order rules; record failures."""
    try:
        # inplace: nothing is coerced, so skip the copy pandera would otherwise make
        _schema(table, as_of).validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases.dropna(subset=["index"])
        for (column, check), group in cases.groupby(["column", "check"], sort=False):
            index = group["index"].astype(int).unique()
            reason = "is required" if check == "not_nullable" else str(check)
            if check == "not_nullable":
                parsed_bad = frame.loc[index, column].isna() & raw.frame.loc[index, column].notna()
                index = index[~parsed_bad.to_numpy()]  # already reported as unparseable
            log.add(raw, index, str(column), reason)
    for col in table.columns:
        if col.unique:
            duplicate_rows(raw, frame, [col.name], log, f"duplicate {col.name}")
    for earlier, later in table.date_order:
        bad = frame[later] < frame[earlier]
        log.add(raw, bad, later, f"is before {earlier}")


def duplicate_rows(
    raw: RawTable,
    frame: pd.DataFrame,
    key: list[str],
    log: RejectLog,
    what: str,
    scope: pd.Series | None = None,
) -> None:
    """Reject every row whose ``key`` repeats an earlier row's (the first is kept).

    Rows with a missing key value, and rows outside ``scope`` (a boolean mask) when given,
    take no part.
    """
    present = frame[key].notna().all(axis=1)
    if scope is not None:
        present &= scope
    sub = frame[key] if present.all() else frame.loc[present, key]
    dup = pd.Series(duplicated(sub, key), index=sub.index)
    if not dup.any():
        return
    first_line = sub.assign(_first=raw.frame.loc[present, LINE])[~dup].set_index(key)["_first"]
    repeated = sub[dup]
    keys = pd.MultiIndex.from_frame(repeated) if len(key) > 1 else repeated[key[0]]
    firsts = first_line.reindex(keys).to_numpy()
    reason = pd.Series([f"{what} (first on line {int(n)})" for n in firsts], index=repeated.index)
    log.add(raw, repeated.index, key[0], reason)


def reject_references(
    raw: RawTable,
    frame: pd.DataFrame,
    column: str,
    accepted: pd.Series,
    rejected_lines: pd.Series,
    target: str,
    log: RejectLog,
    candidates: pd.Series | None = None,
) -> None:
    """Reject rows whose ``column`` names no accepted row of ``target``.

    Parameters
    ----------
    raw, frame : RawTable, pandas.DataFrame
        The referring table as read and as parsed.
    column : str
        The referring column; empty cells are not checked.
    accepted : pandas.Series
        IDs accepted in the target table.
    rejected_lines : pandas.Series
        Target IDs that were read but rejected, mapped to their line (for the reason).
    target : str
        ``"clients.csv"`` style name used in the reason.
    candidates : pandas.Series of bool, optional
        Only check these rows (default: all rows not yet rejected).
    """
    values = frame[column]
    check = values.notna() if candidates is None else values.notna() & candidates
    missing = check & ~pd.Series(isin(values, accepted), index=values.index)
    if not missing.any():
        return
    bad = values[missing]
    was = bad.map(rejected_lines)
    reason = pd.Series(
        [
            f"{column} {v} was rejected in {target} (line {int(line)})"
            if pd.notna(line)
            else f"unknown {column} {v}: not in {target}"
            for v, line in zip(bad, was, strict=True)
        ],
        index=bad.index,
    )
    log.add(raw, missing, column, reason)


def accepted_mask(raw: RawTable, log: RejectLog) -> pd.Series:
    """True for the rows of ``raw`` that have no reject record."""
    bad = log.lines(raw.name)
    lines = raw.frame[LINE].to_numpy()
    return pd.Series(~np.isin(lines, bad), index=raw.frame.index)
