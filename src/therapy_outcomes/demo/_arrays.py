"""Vectorised helpers: grouped array arithmetic, weighted choices and Arrow column builders."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NO_DATE = np.iinfo(np.int64).min  # sentinel for "no date" in int64 day arrays


def choose(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """Draw ``size`` category codes with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def choose_rows(rng: np.random.Generator, table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one code per element, each from the weight row ``table[rows[i]]``."""
    cum = np.cumsum(np.asarray(table, dtype=float), axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(rows))
    return np.minimum((u[:, None] >= cum[rows]).sum(axis=1), table.shape[1] - 1)


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner index and 0-based position within owner for ``counts[i]`` rows per owner ``i``."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner)) - starts[owner]


def group_cumsum(values: np.ndarray, owner: np.ndarray, n_owners: int) -> np.ndarray:
    """Running sum of ``values`` within runs of equal, sorted ``owner``."""
    cs = np.cumsum(values)
    counts = np.bincount(owner, minlength=n_owners)
    ends = np.cumsum(counts)
    before = np.concatenate(([0], cs))[ends - counts]
    return cs - before[owner]


def offsets(owner: np.ndarray, n_owners: int) -> tuple[np.ndarray, np.ndarray]:
    """Start offset and row count of each owner in a sorted ``owner`` array."""
    counts = np.bincount(owner, minlength=n_owners)
    return np.cumsum(counts) - counts, counts


def pick_in_groups(
    rng: np.random.Generator, members: Sequence[Sequence[int]], group: np.ndarray
) -> np.ndarray:
    """Pick uniformly one member of ``members[group[i]]`` for every element (groups non-empty)."""
    sizes = np.array([len(m) for m in members], dtype=np.int64)
    if (sizes[np.unique(group)] == 0).any():
        raise ValueError("a group with no members was drawn")
    flat = np.array([x for m in members for x in m], dtype=np.int64)
    start = np.cumsum(sizes) - sizes
    j = np.floor(rng.random(len(group)) * sizes[group]).astype(np.int64)
    return flat[start[group] + j]


def id_width(n: int, minimum: int) -> int:
    """Digits needed to zero-pad ``n`` identifiers, at least ``minimum``."""
    return max(minimum, len(str(max(n, 1))))


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Pseudonymous identifiers ``prefix`` + zero-padded ``numbers`` (e.g. ``C000042``)."""
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width, "0"), "")


def take(values: pa.Array, index: np.ndarray) -> pa.Array:
    """``values[index]``; negative indices give nulls."""
    index = np.asarray(index, dtype=np.int64)
    return pc.take(values, pa.array(index, mask=index < 0))


def labels(vocabulary: Sequence[str], codes: np.ndarray) -> pa.Array:
    """String column from category codes; negative codes give nulls."""
    return take(pa.array(list(vocabulary), pa.string()), codes)


def dates(days: np.ndarray) -> pa.Array:
    """``date32`` column from days since 1970-01-01; :data:`NO_DATE` gives nulls."""
    days = np.asarray(days, dtype=np.int64)
    missing = days == NO_DATE
    return pa.array(np.where(missing, 0, days).astype(np.int32), mask=missing).cast(pa.date32())


def numbers(values: np.ndarray, integer: bool = True) -> pa.Array:
    """Numeric column; NaN gives nulls. Integral data is stored as int64 (written ``2``)."""
    values = np.asarray(values, dtype=float)
    missing = np.isnan(values)
    if integer:
        return pa.array(np.where(missing, 0, values).astype(np.int64), mask=missing)
    return pa.array(values, mask=missing)


def strings(values: Sequence[str | None]) -> pa.Array:
    """Small string column from Python values (``None`` gives nulls)."""
    return pa.array(list(values), pa.string())
