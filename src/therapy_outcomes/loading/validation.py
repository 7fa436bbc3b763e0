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
from therapy_outcomes.instruments import Registry
from therapy_outcomes.loading.arrow_ops import (
    duplicated,
    isin,
    nonfinite,
    parse_date,
    parse_float,
)
from therapy_outcomes.loading.readers import LINE, RawTable
from therapy_outcomes.loading.tables import (
    EARLIEST_DATE,
    FUTURE_YEARS,
    ID_PATTERN,
    TABLE_NAMES,
    Col,
    TableSpec,
)

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
    """Stop the load when a required column is missing or a column's name is a near miss.

    Column names are matched exactly as the data dictionary spells them. A column that is not
    declared but would be a declared one in other letter case or spacing (``Birth_Year``,
    ``birth year``) is an error rather than an extra column kept as text, which would drop
    its values without a word.

    Raises
    ------
    DatasetReadError
        Naming the file and the missing or misspelt columns.

    Examples
    --------
    >>> from therapy_outcomes.loading.tables import spec
    >>> frame = pd.DataFrame(columns=["client_id", "site", "therapist_id", "referred_on",
    ...                               "Birth_Year"])
    >>> try:
    ...     check_columns(RawTable("clients", "clients.csv", frame), spec("clients"))
    ... except DatasetReadError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    clients.csv: column 'Birth_Year' is spelt differently from the dictionary's 'birth_year' ...
    """
    declared = {_loose(name): name for name in table.names}
    for column in raw.frame.columns:
        name = str(column)
        near = declared.get(_loose(name))
        if name != LINE and name not in table.names and near is not None:
            raise DatasetReadError(
                f"{raw.file}: column '{name}' is spelt differently from the dictionary's "
                f"'{near}' (column names are matched exactly)"
            )
    missing = [c.name for c in table.columns if c.required and c.name not in raw.frame.columns]
    if missing:
        raise DatasetReadError(
            f"{raw.file}: required column{'s' if len(missing) > 1 else ''} missing: "
            f"{', '.join(missing)} (found: {', '.join(c for c in raw.frame.columns if c != LINE)})"
        )


def _loose(name: str) -> str:
    """A column name without case, spaces, ``_``, ``-`` and ``.``, for near misses."""
    return "".join(ch for ch in name.casefold() if ch not in " _-.\t")


def parse_table(
    raw: RawTable, table: TableSpec, log: RejectLog, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Parse every declared column into its type and record the values that do not parse.

    Absent optional columns are added, empty. Allowed values are matched case-insensitively and
    stored in their declared spelling; defaults fill empty optional cells. Dates must be
    ``YYYY-MM-DD`` calendar days from :data:`~therapy_outcomes.loading.tables.EARLIEST_DATE`
    on; with ``as_of``, a date that must not be after it and is beyond what a timestamp holds
    gets the as-of reason here, and any other date at most
    :data:`~therapy_outcomes.loading.tables.FUTURE_YEARS` years after it. Numbers must be
    finite.

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
        if col.kind == "date":
            frame[col.name] = _parse_dates(raw, text, col, as_of, log)
            continue
        parsed, bad_reason = _parse(text, col)
        if bad_reason is not None:
            bad = text.notna() & parsed.isna()
            log.add(raw, bad, col.name, bad_reason, values=text)
        frame[col.name] = parsed
    return frame


def _parse_dates(
    raw: RawTable, text: pd.Series, col: Col, as_of: pd.Timestamp | None, log: RejectLog
) -> pd.Series:
    """A date column as ``datetime64[ns]``; bad dates and dates out of range are rejected."""
    dates, reasons = parse_date(text)
    bad = reasons.notna()
    log.add(raw, bad, col.name, reasons, values=text)
    earliest = pd.Timestamp(EARLIEST_DATE)
    early = dates.notna() & (dates < earliest)
    log.add(raw, early, col.name, f"is before {EARLIEST_DATE}", values=text)
    if as_of is None:
        latest, late_reason = pd.Timestamp.max, "is after 2262-04-11, the latest date held"
    elif col.not_after_as_of:
        latest, late_reason = as_of, f"is after the as-of date {as_of.date().isoformat()}"
    else:
        latest = as_of + pd.DateOffset(years=FUTURE_YEARS)
        late_reason = (
            f"is more than {FUTURE_YEARS} years after the as-of date {as_of.date().isoformat()}"
        )
    late = dates.notna() & (dates > latest)
    log.add(raw, late, col.name, late_reason, values=text)
    keep = dates.where(~(early | late))
    return keep.astype("datetime64[ns]")


def _parse(text: pd.Series, col: Col) -> tuple[pd.Series, str | pd.Series | None]:
    if col.kind in ("number", "integer"):
        parsed = parse_float(text)
        reason = pd.Series("not a number", index=text.index, dtype=object)
        reason[nonfinite(text).to_numpy()] = "not a finite number (NaN and inf are not values)"
        if col.kind == "integer":
            fraction = parsed.notna() & (parsed % 1 != 0)
            reason[fraction.to_numpy()] = "not a whole number"
            parsed = parsed.where(~fraction)
        return parsed, reason
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
        if col.not_after_as_of and col.kind == "integer":
            checks.append(pa.Check.le(as_of.year, error=f"is after the as-of year {as_of.year}"))
        elif col.not_after_as_of:
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


def check_on_scale(
    raw: RawTable,
    measure: pd.Series,
    values: pd.Series,
    column: str,
    registry: Registry,
    log: RejectLog,
    what: str = "values",
) -> None:
    """Reject ``values`` that are not on their row's measure's scale (data dictionary rule).

    Parameters
    ----------
    raw : RawTable
        The table the rows belong to.
    measure : pandas.Series
        Each row's measure as written: ``GAS``, ``GBO``, ``count`` or an instrument code.
    values : pandas.Series
        The numbers to check (missing values are not checked).
    column : str
        The column the values come from, named in the rejects.
    registry : Registry
        Resolves the measure: a rating scale's range is its answer range, a questionnaire's
        its total range; a count is 0 or more. Unknown measures are not checked here.
    what : str
        Word used in the whole-number reason (``"GAS ratings are whole numbers"``).
    """
    code = registry.resolve(measure)
    for name in code.dropna().unique():
        inst = registry.get(name)
        rows = code == name
        rating = inst.kind != "questionnaire"
        low = inst.item_min if rating else inst.total_min
        high = inst.item_max if rating else inst.total_max
        out = rows & values.notna() & ((values < low) | (values > high))
        log.add(raw, out, column, f"outside the {name} range {low:g} to {high:g}")
        if rating and inst.integer_items:
            frac = rows & values.notna() & (values % 1 != 0)
            log.add(raw, frac, column, f"{name} {what} are whole numbers")
    counts = measure.str.lower() == "count"
    log.add(raw, counts & (values < 0), column, "a behaviour count cannot be negative")


def check_goals(raw: RawTable, frame: pd.DataFrame, registry: Registry, log: RejectLog) -> None:
    """Goal rules of the data dictionary: a known measure, a unit for counts, values on scale.

    ``measure`` must be ``GAS``, ``GBO``, ``count`` or an instrument in the registry; a
    ``count`` goal needs a ``unit`` (when the file has a ``unit`` column: a research export,
    which drops free text, has none); ``baseline`` and ``target`` are on the measure's scale.
    """
    measure = frame["measure"].astype("string")
    count = measure.str.lower() == "count"
    known = count | registry.resolve(measure).notna()
    unknown = measure.notna() & ~known.fillna(False)
    log.add(raw, unknown, "measure", "unknown measure (GAS, GBO, count or an instrument code)")
    if "unit" in raw.frame:
        no_unit = count & frame["unit"].isna()
        log.add(raw, no_unit, "unit", "is required when measure is count")
    for column in ("baseline", "target"):
        check_on_scale(raw, measure, frame[column], column, registry, log)
