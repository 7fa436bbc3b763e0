"""Fast vectorised parsing and membership tests through pyarrow compute.

pandas' own string paths convert values to Python objects one by one; at a million rows that
dominates a load. These helpers take and return pandas objects and fall back to pandas for
the rare values that pyarrow's strict parsers reject, so results are the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow(values: pd.Series) -> pa.Array:
    """The values as an arrow array (zero-copy for arrow-backed text)."""
    return pa.array(values, from_pandas=True)


def _text(values: pd.Series, like: pa.DataType | None = None) -> pa.Array:
    """Text as an arrow array, of type ``like`` when given (string or large_string)."""
    array = _arrow(values if values.dtype == "string" else values.astype("string"))
    if like is not None and array.type != like:
        array = array.cast(like)
    return array


def isin(values: pd.Series, allowed: Iterable[object]) -> np.ndarray:
    """Boolean array: which ``values`` are in ``allowed`` (missing values never are).

    Examples
    --------
    >>> isin(pd.Series(["a", None, "c"], dtype="string"), ["a", "b"]).tolist()
    [True, False, False]
    """
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    allowed = allowed if isinstance(allowed, pd.Series) else pd.Series(list(allowed))
    if values.dtype.kind in "iufb":
        return values.isin(allowed.dropna()).to_numpy(dtype=bool)
    array = _text(values)
    keys = pc.unique(_text(allowed.dropna(), like=array.type))
    found = pc.is_in(array, value_set=keys)
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def parse_float(text: pd.Series) -> pd.Series:
    """Text to float64 (NaN where missing or not a finite number); a decimal comma is accepted.

    ``NaN``, ``inf``, ``-inf`` (and numbers too large for a float, such as ``1e400``) are not
    values: they come out as NaN, like text that is not a number. :func:`nonfinite` tells them
    apart for the reject reason.

    Examples
    --------
    >>> parse_float(pd.Series(["1", "2,5", "x", None, "NaN", "-inf"], dtype="string")).tolist()
    [1.0, 2.5, nan, nan, nan, nan]
    """
    if text.dtype.kind == "f":
        return text.where(np.isfinite(text.to_numpy()))
    out = _floats(text)
    return pd.Series(np.where(np.isfinite(out), out, np.nan), index=text.index)


def nonfinite(text: pd.Series) -> pd.Series:
    """Which cells are written as a number that is not finite (``NaN``, ``inf``, ``1e400``).

    Examples
    --------
    >>> nonfinite(pd.Series(["1", "nan", "Infinity", "x", None], dtype="string")).tolist()
    [False, True, True, False, False]
    """
    if text.dtype.kind == "f":
        values = text.to_numpy()
        return pd.Series(np.isinf(values), index=text.index)
    out = _floats(text)
    lowered = _arrow(text.astype("string"))
    named = pc.match_substring_regex(lowered, r"^[+-]?nan$", ignore_case=True)
    named_nan = pc.fill_null(named, False)
    flagged = np.isinf(out) | np.asarray(named_nan.to_numpy(zero_copy_only=False), dtype=bool)
    return pd.Series(flagged, index=text.index)


def _floats(text: pd.Series) -> np.ndarray:
    """Text to float64 as the parsers read it (NaN and inf included)."""
    array = _arrow(text.astype("string"))
    if pc.any(pc.match_substring(array, ",")).as_py():
        array = pc.replace_substring(array, ",", ".")
    try:
        parsed = pc.cast(array, pa.float64())
        out = parsed.to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = pd.to_numeric(pd.Series(array.to_pandas()), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
    return np.asarray(out, dtype="float64")


#: What a date cell may hold: ``YYYY-MM-DD``, optionally followed by a time and a time zone (so
#: that those can be rejected with their own reason).
_DATE_SHAPE = (
    r"^(?P<day>\d{4}-\d{2}-\d{2})(?:[T ](?P<clock>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?"
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_MIDNIGHT = r"^00:00(?::00(?:\.0+)?)?$"

#: Reasons :func:`parse_date` gives; the first is also used for text of any other shape.
NOT_A_DATE = "not a date (expected YYYY-MM-DD)"
NO_SUCH_DAY = "not a date: that month has no such day (expected YYYY-MM-DD)"
HAS_TIME = "has a time of day: dates are YYYY-MM-DD (midnight, 00:00:00, is accepted)"
HAS_ZONE = "has a time zone: dates are YYYY-MM-DD, with no time zone"


def parse_date(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text to dates (``datetime64[s]``, so any year fits) and the reason for each bad cell.

    A date is ``YYYY-MM-DD`` and a real calendar day. Also accepted, as the same date: the date
    followed by midnight (``2026-01-05T00:00:00`` or ``2026-01-05 00:00``), as databases and
    spreadsheets export a date. Anything else is not a date: other orders and separators
    (``2026/01/05``, ``20260105``, ``2026-1-5``), days a month does not have (``2026-02-30``),
    a time of day other than midnight, and a time zone (no date is shifted to another zone).

    Returns
    -------
    dates : pandas.Series
        ``datetime64[s]``; NaT where missing or not a date.
    reasons : pandas.Series
        One of :data:`NOT_A_DATE`, :data:`NO_SUCH_DAY`, :data:`HAS_TIME`, :data:`HAS_ZONE`
        where a cell holds text that is not a date, missing elsewhere.

    Examples
    --------
    >>> text = pd.Series(["2026-01-05", "2026-01-05T00:00:00", "05/01/2026", "2026-02-30",
    ...                   "2026-01-05T23:30:00-05:00", None])
    >>> dates, reasons = parse_date(text)
    >>> [str(d.date()) if pd.notna(d) else None for d in dates]
    ['2026-01-05', '2026-01-05', None, None, None, None]
    >>> reasons.str.split(":| [(]", regex=True).str[0].tolist()
    [nan, nan, 'not a date', 'not a date', 'has a time zone', nan]
    """
    if text.dtype.kind == "M":
        dates = text.astype("datetime64[s]")
        return dates, pd.Series(np.nan, index=text.index, dtype=object)
    array = _arrow(text.astype("string"))
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
    parts = pc.extract_regex(array, pattern=_DATE_SHAPE)
    shaped = pc.fill_null(pc.is_valid(parts), False)
    day = pc.struct_field(parts, 0)
    clock = pc.struct_field(parts, 1)
    zone = pc.struct_field(parts, 2)
    parsed = pc.strptime(day, format="%Y-%m-%d", unit="s", error_is_null=True)
    same_day = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), day)
    has_zone = pc.not_equal(zone, "")
    has_time = pc.and_(
        pc.not_equal(clock, ""), pc.invert(pc.match_substring_regex(clock, _MIDNIGHT))
    )

    def flag(values: pa.Array) -> np.ndarray:
        return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)

    given = text.notna().to_numpy()
    shaped_np = flag(shaped)
    parsed_ok = flag(pc.is_valid(parsed)) & shaped_np
    no_such_day = parsed_ok & ~flag(same_day)
    zoned = shaped_np & flag(has_zone)
    timed = shaped_np & ~zoned & flag(has_time)
    good = parsed_ok & ~no_such_day & ~zoned & ~timed
    reasons = np.full(len(text), np.nan, dtype=object)
    reasons[given & ~good] = NOT_A_DATE
    reasons[given & no_such_day] = NO_SUCH_DAY
    reasons[given & timed & ~no_such_day] = HAS_TIME
    reasons[given & zoned & ~no_such_day] = HAS_ZONE
    seconds = parsed.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    seconds[~good] = np.datetime64("NaT")
    return (
        pd.Series(seconds, index=text.index, dtype="datetime64[s]"),
        pd.Series(reasons, index=text.index, dtype=object),
    )


def lookup(values: pd.Series, table: pd.Series) -> pd.Series:
    """``values.map(table)`` for text keys, through a hash lookup in pyarrow.

    Parameters
    ----------
    values : pandas.Series
        Keys to look up (text; missing keys give missing results).
    table : pandas.Series
        Results indexed by key (the first of duplicate keys wins).

    Returns
    -------
    pandas.Series
        Indexed like ``values``; text results stay arrow-backed text.

    Examples
    --------
    >>> owners = pd.Series(["C1", "C2"], index=["S1", "S2"])
    >>> lookup(pd.Series(["S2", "S9", None]), owners).tolist()
    ['C2', <NA>, <NA>]
    """
    table = table[~table.index.duplicated()]
    array = _text(values)
    keys = _text(pd.Series(table.index), like=array.type)
    positions = pc.index_in(array, value_set=keys)
    if table.dtype.kind in "OSU" or isinstance(table.dtype, pd.StringDtype):
        taken = pc.take(_text(table.reset_index(drop=True), like=pa.large_string()), positions)
        # wrap the arrow result as it is: converting a million strings to pandas is slow
        return pd.Series(pd.arrays.ArrowStringArray(taken), index=values.index)
    where = positions.to_numpy(zero_copy_only=False)
    found = ~pd.isna(where)
    out = np.full(len(values), np.nan, dtype=object)
    out[found] = table.to_numpy(dtype=object)[where[found].astype("int64")]
    return pd.Series(out, index=values.index)


def duplicated(frame: pd.DataFrame, key: list[str]) -> np.ndarray:
    """Rows whose ``key`` repeats an earlier row's (the first stays False).

    Each key column is dictionary-encoded once (integer codes, missing = -1) and the codes are
    combined, so text keys are hashed once per column instead of once per row and column.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": ["x", "y", "x", "x"], "b": [1, 1, 1, 2]})
    >>> duplicated(frame, ["a", "b"]).tolist()
    [False, False, True, False]
    """
    if len(key) == 1 and frame[key[0]].dtype == "string":
        array = _text(frame[key[0]])
        if pc.count_distinct(array).as_py() == len(array) - array.null_count:
            return np.zeros(len(frame), dtype=bool)  # the usual case: one hash pass in arrow
    combined = np.zeros(len(frame), dtype="int64")
    for column in key:
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
        combined = combined * (len(uniques) + 1) + (codes.astype("int64") + 1)
    _, first = np.unique(combined, return_index=True)
    mask = np.ones(len(frame), dtype=bool)
    mask[first] = False
    return mask


def decode_categorical(values: pd.Series) -> pd.Series:
    """A categorical of text as arrow-backed text, decoded in arrow (fast for many rows).

    Examples
    --------
    >>> decode_categorical(pd.Series(pd.Categorical(["b", None, "a"]))).tolist()
    ['b', <NA>, 'a']
    """
    codes = values.cat.codes.to_numpy()
    indices = pa.array(codes, mask=codes < 0, type=pa.int32())
    categories = pa.array(values.cat.categories.astype(str).tolist(), type=pa.large_string())
    decoded = pa.DictionaryArray.from_arrays(indices, categories).dictionary_decode()
    return pd.Series(pd.arrays.ArrowStringArray(decoded), index=values.index)
