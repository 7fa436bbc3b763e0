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
    """Text to float64 (NaN where missing or not a number); a decimal comma is accepted.

    Examples
    --------
    >>> parse_float(pd.Series(["1", "2,5", "x", None], dtype="string")).tolist()
    [1.0, 2.5, nan, nan]
    """
    if text.dtype.kind == "f":
        return text
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
    return pd.Series(np.asarray(out, dtype="float64"), index=text.index)


def parse_date(text: pd.Series) -> pd.Series:
    """Text to datetime64[ns] (NaT where missing or not a date).

    ``YYYY-MM-DD`` takes the fast path; other ISO 8601 forms (a time of day, as Excel writes
    date cells) are parsed by pandas.

    Examples
    --------
    >>> parse_date(pd.Series(["2026-01-05", "2026-01-05T00:00:00", "05/01/2026"])).tolist()
    [Timestamp('2026-01-05 00:00:00'), Timestamp('2026-01-05 00:00:00'), NaT]
    """
    if text.dtype.kind == "M":
        return text.astype("datetime64[ns]")
    array = _arrow(text.astype("string"))
    parsed = pc.strptime(array, format="%Y-%m-%d", unit="s", error_is_null=True)
    result = pd.Series(
        parsed.to_numpy(zero_copy_only=False).astype("datetime64[ns]"), index=text.index
    )
    retry = text.notna().to_numpy() & result.isna().to_numpy()
    if retry.any():
        again = pd.to_datetime(text[retry], format="ISO8601", errors="coerce")
        result[retry] = again.astype("datetime64[ns]").to_numpy()
    return result


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
