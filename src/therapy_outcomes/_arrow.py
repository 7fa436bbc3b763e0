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
    array = pa.array(values, from_pandas=True)
    if pa.types.is_large_string(array.type):
        array = array.cast(pa.string())
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
    keys = pd.unique(pd.Series(list(allowed) if not isinstance(allowed, pd.Series) else allowed)
                     .dropna().astype(str))
    if values.dtype.kind in "iufb":
        return values.isin(keys).to_numpy(dtype=bool)
    found = pc.is_in(_arrow(values.astype("string")), value_set=pa.array(keys, pa.string()))
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
