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


def _text(values: pd.Series) -> pa.Array:
    array = _arrow(values if values.dtype == "string" else values.astype("string"))
    return array if not pa.types.is_large_string(array.type) else array.cast(pa.string())


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
    keys = pc.unique(_text(allowed.dropna()))
    found = pc.is_in(_text(values), value_set=keys)
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
    keys = _text(pd.Series(table.index))
    positions = pc.index_in(_text(values), value_set=keys)
    if table.dtype.kind in "OSU" or isinstance(table.dtype, pd.StringDtype):
        taken = pc.take(_text(table.reset_index(drop=True)), positions)
        return pd.Series(taken.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get),
                         index=values.index).astype("string")
    where = positions.to_numpy(zero_copy_only=False)
    found = ~pd.isna(where)
    out = np.full(len(values), np.nan, dtype=object)
    out[found] = table.to_numpy(dtype=object)[where[found].astype("int64")]
    return pd.Series(out, index=values.index)
