"""Check each table row by row; every failing row becomes a reject, nothing is dropped silently.

The rules come from the declarations in :mod:`therapy_outcomes.tables`: each text column is
parsed into its type (a value that does not parse is a reject, not an exception), then a pandera
schema built from the same declaration checks required values, allowed values, ID syntax,
ranges and dates after the as-of date. Rules between rows (duplicates, date order) and between
tables (references) follow. All of it is vectorised.

A reject record has ``table, file, line, column, value, reason``. A row with several problems has
several records but counts once: for every table, rows read = rows accepted + rows rejected.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.readers import LINE, RawTable
from therapy_outcomes.tables import ID_PATTERN, Col, TableSpec

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

    def add(
        self,
        raw: RawTable,
        rows: pd.DataFrame,
        column: str | None,
        reason: str | pd.Series,
        values: pd.Series | None = None,
    ) -> None:
        """Record every row of ``rows`` (a slice of the table with :data:`LINE`) as rejected."""
        if rows.empty:
            return
        if values is None:
            values = rows[column] if column is not None and column in rows else None
        part = pd.DataFrame(
            {
                "table": raw.name,
                "file": raw.file,
                "line": rows[LINE].to_numpy(),
                "column": column,
                "value": _display(values, len(rows)),
                "reason": reason.to_numpy() if isinstance(reason, pd.Series) else reason,
            }
        )
        self._parts.append(part)

    def add_records(self, records: list[dict]) -> None:
        """Record reject dicts that already have the reject columns."""
        if records:
            self._parts.append(pd.DataFrame.from_records(records, columns=REJECT_COLUMNS))

    def frame(self) -> pd.DataFrame:
        """All rejects so far, sorted by table order of arrival, file and line."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})
        out = pd.concat(self._parts, ignore_index=True)
        out["line"] = out["line"].astype("int64")
        return out

    def lines(self, table: str) -> set[int]:
        """Line numbers of ``table`` with at least one reject."""
        found: set[int] = set()
        for part in self._parts:
            if len(part) and part["table"].iat[0] == table:
                found.update(part.loc[part["table"] == table, "line"].astype(int).tolist())
        return found


def _display(values: pd.Series | None, n: int) -> object:
    if values is None:
        return None
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
            log.add(raw, raw.frame.loc[bad].assign(**{col.name: text[bad]}), col.name, bad_reason)
        frame[col.name] = parsed
    return frame


def _parse(text: pd.Series, col: Col) -> tuple[pd.Series, str | None]:
    if col.kind == "date":
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        return parsed.astype("datetime64[ns]"), "not a date (expected YYYY-MM-DD)"
    if col.kind in ("number", "integer"):
        parsed = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        parsed = parsed.astype("float64")
        if col.kind == "integer":
            parsed = parsed.where(parsed.isna() | (parsed % 1 == 0))
            return parsed, "not a whole number"
        return parsed, "not a number"
    if col.allowed is not None:
        lookup = {value.lower(): value for value in col.allowed}
        parsed = text.str.lower().map(lookup).astype("string")
        return parsed, f"must be one of: {', '.join(col.allowed)}"
    return text.astype("string"), None


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
        _schema(table, as_of).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases.dropna(subset=["index"])
        for (column, check), group in cases.groupby(["column", "check"], sort=False):
            index = group["index"].astype(int).unique()
            rows = raw.frame.loc[index]
            reason = "is required" if check == "not_nullable" else str(check)
            if check == "not_nullable":
                parsed_bad = frame.loc[index, column].isna() & raw.frame.loc[index, column].notna()
                rows = rows[~parsed_bad.to_numpy()]  # already reported as unparseable
            log.add(raw, rows, str(column), reason)
    for col in table.columns:
        if col.unique:
            duplicate_rows(raw, frame, [col.name], log, f"duplicate {col.name}")
    for earlier, later in table.date_order:
        bad = frame[later] < frame[earlier]
        log.add(raw, raw.frame.loc[bad], later, f"is before {earlier}")


def duplicate_rows(
    raw: RawTable, frame: pd.DataFrame, key: list[str], log: RejectLog, what: str
) -> None:
    """Reject every row whose ``key`` repeats an earlier row's (the first is kept)."""
    present = frame[key].notna().all(axis=1)
    dup = frame.duplicated(subset=key, keep="first") & present
    if not dup.any():
        return
    first_line = (
        frame.loc[present]
        .assign(_first=raw.frame.loc[present, LINE])
        .drop_duplicates(subset=key, keep="first")
        .set_index(key)["_first"]
    )
    keys = pd.MultiIndex.from_frame(frame.loc[dup, key]) if len(key) > 1 else frame.loc[dup, key[0]]
    firsts = first_line.reindex(keys).to_numpy()
    reason = pd.Series([f"{what} (first on line {int(n)})" for n in firsts], index=frame.index[dup])
    log.add(raw, raw.frame.loc[dup], key[0], reason)


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
    missing = check & ~values.isin(accepted)
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
    log.add(raw, raw.frame.loc[missing], column, reason)


def accepted_mask(raw: RawTable, log: RejectLog) -> pd.Series:
    """True for the rows of ``raw`` that have no reject record."""
    bad = log.lines(raw.name)
    return ~raw.frame[LINE].isin(bad)
