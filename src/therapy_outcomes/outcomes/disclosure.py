"""Small-cell suppression for every aggregate table the package publishes.

Any count of people below a threshold ``k`` could identify someone (primary suppression); a
suppressed cell must also not be recoverable by subtracting the visible cells from a published
total (secondary suppression); and a percentage or rate computed from a suppressed count would
give the count back, so it is suppressed with it.

Rule implemented (:func:`suppress_small_cells`)
-----------------------------------------------
1. **Primary**: a count ``c`` with ``0 < c < k`` is suppressed. Zeros are shown by default
   (``suppress_zeros=False``): NHS Digital's rules quoted below suppress "values between one
   and ..." and leave zeros visible; set ``suppress_zeros=True`` for the stricter practice of
   e.g. UK LLC ("counts <10, including zero").
2. **Secondary** (``secondary=True``): the table's published sums (a total column, a total row,
   or a per-group total such as ``n`` in :func:`therapy_outcomes.outcomes.rates.rate_table`) are
   written as linear equations. While any suppressed cell is *determined* by those equations (the
   cell's unit vector lies in the row space of the equations restricted to the hidden cells: this
   catches the "only hidden cell in its row/column" case and also combinations across rows
   and columns), the smallest visible cell in one of its equations is suppressed too, preferring
   inner cells over totals and non-zero cells over zeros ("suppress the next-smallest cell").
3. **Derived**: a percentage, rate or interval is suppressed when any count it is derived from
   (in the same row) is suppressed.

Every suppressed cell shows the same ``marker`` (default ``"*"``, NHS Digital's symbol), so a
reader cannot tell a primary (small) cell from a secondary (possibly large) one. A marker such as
``"<5"`` is accepted but would be false for secondary cells.

Sources
-------
- NHS Digital, *Disclosure control methodology for Hospital Episode Statistics (HES) and
  Emergency Care Data Set (ECDS)* (2018): the former HES rule replaced "values between 1 and 5
  with '*'", then checked "that other values within the data cannot be used to recalculate the
  original small numbers" (secondary suppression). The rule adopted from September 2018
  suppresses 1-7 and rounds all other counts to the nearest 5 (rounding is not implemented
  here; use ``k=8`` and round separately if you follow it).
  https://digital.nhs.uk/data-and-information/data-tools-and-services/data-services/hospital-episode-statistics/change-to-disclosure-control-methodology-for-hes-and-ecds-from-september-2018
- NHS Digital, *Data Quality Maturity Index: suppression rules*: "Values between one and 7
  replaced with an asterisk"; "corresponding percentages ... are suppressed when the suppression
  takes place in the 'Number of Records' ... columns". The IAPT/MHSDS paragraph of that page
  was truncated in the copy seen ("Values between zero and four ..."): its full text is
  UNVERIFIED.
- UK Longitudinal Linkage Collaboration, *Statistical Disclosure Control* guide: masking must be
  "done both row-wise and column-wise so counts cannot be back-calculated"; percentages
  referring to small counts are small counts too.
- The default ``k=5`` (suppress 1-4) is this package's default, not a quoted national rule;
  ONS, NHS Digital and research environments use thresholds from 3 to 10. Choose ``k`` from the
  rule that binds your organisation.

Limits: only exact recovery through the published sums is prevented. Tight *bounds* (e.g. a
total of 6 split across two hidden cells) are not checked. Disclosure across the several
tables of one report is checked by :func:`linked_suppression`, from the relations between
them that the report states (a total in one table, its parts in another; the same count
twice).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = ["linked_suppression", "suppress_small_cells", "suppression_mask"]

# derived column -> the columns it is computed from; the keys are any labels (a Mapping is
# invariant in its key type, so Hashable keys would refuse a dict[str, list[str]])
_Derived = Mapping[Any, Sequence[Hashable]]
_K = TypeVar("_K", bound=Hashable)  # the key of a cell in linked_suppression


def _default_count_columns(table: pd.DataFrame, derived: _Derived | None) -> list[Hashable]:
    cols: list[Hashable] = []
    for col in table.columns:
        if derived is not None and col in derived:
            continue
        dtype = table[col].dtype
        if pd.api.types.is_bool_dtype(dtype):
            continue
        if pd.api.types.is_integer_dtype(dtype):
            cols.append(col)
    return cols


class _Cells:
    """Variables of the equation system: one per count cell, shared by repeated group totals."""

    def __init__(self) -> None:
        self.var_of: dict[tuple[int, Hashable], int] = {}
        self.cells_of: list[list[tuple[int, Hashable]]] = []
        self.is_total: list[bool] = []

    def add(self, cells: list[tuple[int, Hashable]], total: bool) -> int:
        v = len(self.cells_of)
        self.cells_of.append(cells)
        self.is_total.append(total)
        for cell in cells:
            self.var_of[cell] = v
        return v


def suppression_mask(
    table: pd.DataFrame,
    *,
    k: int = 5,
    count_columns: Sequence[Hashable] | None = None,
    total_row: Hashable | None = None,
    total_column: Hashable | None = None,
    group_by: Hashable | Sequence[Hashable] | None = None,
    group_total: Hashable | None = None,
    derived_columns: _Derived | None = None,
    suppress_zeros: bool = False,
    secondary: bool = True,
) -> pd.DataFrame:
    """Which cells :func:`suppress_small_cells` would hide (True = hide).

    Takes the same parameters as :func:`suppress_small_cells` (except ``marker``) and returns a
    boolean DataFrame shaped like ``table``.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [3, 10], "b": [12, 20], "total": [15, 30]})
    >>> suppression_mask(t, total_column="total")
           a      b  total
    0   True   True  False
    1  False  False  False
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    if count_columns is None:
        count_columns = _default_count_columns(table, derived_columns)
    count_columns = list(count_columns)
    missing = [c for c in count_columns if c not in table.columns]
    if missing:
        raise KeyError(f"count columns not in table: {missing}")
    for name, col in (("total_column", total_column), ("group_total", group_total)):
        if col is not None and col not in count_columns:
            count_columns.append(col)
            if col not in table.columns:
                raise KeyError(f"{name} {col!r} not in table")
    if group_by is not None and total_row is not None:
        raise ValueError("use either total_row or group_by/group_total, not both")
    if (group_by is None) != (group_total is None):
        raise ValueError("group_by and group_total go together")

    n_rows = len(table)
    positions = range(n_rows)
    values = {
        c: pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float) for c in count_columns
    }

    # variables
    cells = _Cells()
    if group_by is not None:
        by_cols = list(group_by) if isinstance(group_by, list | tuple) else [group_by]
        group_codes = pd.MultiIndex.from_frame(table[by_cols]).factorize()[0]
        for g in np.unique(group_codes):
            rows = np.flatnonzero(group_codes == g)
            cells.add([(int(r), group_total) for r in rows], total=True)
    else:
        group_codes = None
    total_pos = None
    if total_row is not None:
        matches = np.flatnonzero(table.index == total_row)
        if matches.size != 1:
            raise KeyError(f"total_row {total_row!r} must match exactly one index label")
        total_pos = int(matches[0])
    for r in positions:
        for c in count_columns:
            if (r, c) in cells.var_of:
                continue
            is_total = (c == total_column) or (r == total_pos)
            cells.add([(r, c)], total=is_total)
    n_vars = len(cells.cells_of)
    value = np.array([values[cl[0][1]][cl[0][0]] for cl in cells.cells_of], dtype=float)

    # equations: list of (var indices, coefficients); sum(coef * x) = 0
    equations: list[tuple[list[int], list[float]]] = []
    inner_cols = [c for c in count_columns if c not in (total_column, group_total)]
    if total_column is not None:
        for r in positions:
            vs = [cells.var_of[(r, c)] for c in inner_cols]
            equations.append(([*vs, cells.var_of[(r, total_column)]], [1.0] * len(vs) + [-1.0]))
    if total_pos is not None:
        for c in count_columns:
            vs = [cells.var_of[(r, c)] for r in positions if r != total_pos]
            equations.append(([*vs, cells.var_of[(total_pos, c)]], [1.0] * len(vs) + [-1.0]))
    if group_codes is not None:
        for g in np.unique(group_codes):
            rows = np.flatnonzero(group_codes == g)
            tv = cells.var_of[(int(rows[0]), group_total)]
            for c in inner_cols:
                vs = [cells.var_of[(int(r), c)] for r in rows]
                equations.append(([*vs, tv], [1.0] * len(vs) + [-1.0]))

    # primary suppression
    suppressed = (value < k) & ((value > 0) | (suppress_zeros & (value == 0)))
    unknown_extra = np.isnan(value)  # missing counts are unknown to a reader, never shown

    if secondary and equations:
        A = np.zeros((len(equations), n_vars))
        for i, (vs, coefs) in enumerate(equations):
            for v, a in zip(vs, coefs, strict=True):
                A[i, v] += a
        for _ in range(n_vars + 1):
            exposed = _determined(A, suppressed, unknown_extra)
            if not exposed:
                break
            pick = _pick_secondary(A, exposed, suppressed, unknown_extra, value, cells.is_total)
            if pick is None:  # nothing left to hide next to it; hide the whole equation set
                break
            suppressed[pick] = True

    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    col_pos: dict[Hashable, int] = {c: i for i, c in enumerate(table.columns)}
    arr = mask.to_numpy(copy=True)
    for var in np.flatnonzero(suppressed):
        for r, c in cells.cells_of[var]:
            arr[r, col_pos[c]] = True

    # derived columns
    if derived_columns is not None:
        derived_map = {d: list(src) for d, src in derived_columns.items()}
    else:
        derived_map = {
            d: list(count_columns)
            for d in table.columns
            if d not in count_columns
            and pd.api.types.is_numeric_dtype(table[d].dtype)
            and not pd.api.types.is_bool_dtype(table[d].dtype)
        }
    for d, sources in derived_map.items():
        if d not in col_pos:
            raise KeyError(f"derived column {d!r} not in table")
        src_pos = [col_pos[s] for s in sources]
        hit = arr[:, src_pos].any(axis=1)
        arr[:, col_pos[d]] |= hit
    return pd.DataFrame(arr, index=table.index, columns=table.columns)


def _determined(A: np.ndarray, suppressed: np.ndarray, unknown_extra: np.ndarray) -> list[int]:
    """Suppressed variables whose value follows from the equations (exactly).

    With ``S`` the equations restricted to the hidden cells, hidden cell ``j`` is determined
    iff every solution of ``S x = 0`` has ``x_j = 0``, i.e. row ``j`` of a null-space basis of
    ``S`` is zero.
    """
    hidden = np.flatnonzero(suppressed | unknown_extra)
    if hidden.size == 0:
        return []
    sub = A[:, hidden]
    sub = sub[np.any(sub != 0, axis=1)]
    if sub.shape[0] == 0:
        return []
    _, sing, vt = np.linalg.svd(sub)
    tol = max(sub.shape) * np.finfo(float).eps * (sing[0] if sing.size else 0.0)
    rank = int(np.sum(sing > tol))
    null = vt[rank:].T  # columns span the null space
    free = np.abs(null).max(axis=1) > 1e-9 if null.size else np.zeros(hidden.size, dtype=bool)
    return [int(v) for j, v in enumerate(hidden) if suppressed[v] and not free[j]]


def _pick_secondary(
    A: np.ndarray,
    exposed: list[int],
    suppressed: np.ndarray,
    unknown_extra: np.ndarray,
    value: np.ndarray,
    is_total: list[bool],
) -> int | None:
    """The next cell to hide so that an exposed cell is no longer determined.

    First choice: an equation in which a suppressed cell is the only hidden one (the plain
    "subtract from the total" case); otherwise any equation holding an exposed cell. Within the
    equation, the smallest visible cell is taken, inner cells before totals and non-zero cells
    before zeros.
    """
    hidden = suppressed | unknown_extra

    def smallest_visible(i: int) -> int | None:
        cand = [int(u) for u in np.flatnonzero(A[i] != 0) if not hidden[u]]
        if not cand:
            return None
        return min(cand, key=lambda u: (is_total[u], value[u] == 0, value[u]))

    for i in range(A.shape[0]):
        members = np.flatnonzero(A[i] != 0)
        hid = members[hidden[members]]
        if hid.size == 1 and suppressed[hid[0]]:
            pick = smallest_visible(i)
            if pick is not None:
                return pick
    for v in exposed:
        rows = sorted(np.flatnonzero(A[:, v] != 0), key=lambda i: int(np.sum(hidden[A[i] != 0])))
        for eq in rows:
            pick = smallest_visible(int(eq))
            if pick is not None:
                return pick
    return None


def suppress_small_cells(
    table: pd.DataFrame,
    *,
    k: int = 5,
    count_columns: Sequence[Hashable] | None = None,
    marker: str = "*",
    total_row: Hashable | None = None,
    total_column: Hashable | None = None,
    group_by: Hashable | Sequence[Hashable] | None = None,
    group_total: Hashable | None = None,
    derived_columns: _Derived | None = None,
    suppress_zeros: bool = False,
    secondary: bool = True,
) -> pd.DataFrame:
    """Hide small counts, the cells that would reveal them, and rates derived from them.

    The one function every aggregate table goes through before it leaves the package. See the
    module docstring for the rule and its sources.

    Parameters
    ----------
    table : DataFrame
        The aggregate table (not changed).
    k : int
        Threshold: counts ``0 < c < k`` are suppressed (``k=5`` hides 1-4).
    count_columns : sequence, optional
        Columns holding counts of people. Default: every integer-dtype column not named in
        ``derived_columns`` (float columns are taken to be rates/percentages). Pass it
        explicitly when counts are stored as floats.
    marker : str
        What a suppressed cell shows.
    total_row : label, optional
        Index label of a row holding the column totals of the other rows.
    total_column : label, optional
        Column holding each row's total of the other count columns.
    group_by, group_total : label(s), optional
        For long tables (e.g. :func:`therapy_outcomes.outcomes.rates.rate_table`): within each
        group of ``group_by``, every other count column sums to ``group_total`` (repeated on each
        row).
    derived_columns : mapping, optional
        ``{column: [count columns it is computed from]}``. Default: every other numeric column
        is treated as derived from all the count columns of its row (the safe choice).
    suppress_zeros : bool
        Also suppress zero counts (default False: zeros are shown).
    secondary : bool
        Apply secondary suppression against the declared totals.

    Returns
    -------
    DataFrame
        A copy with suppressed cells replaced by ``marker`` (those columns become ``object``).
        ``result.attrs["suppressed"]`` holds the boolean mask.

    Examples
    --------
    >>> t = pd.DataFrame(
    ...     {"recovered": [3, 12, 15], "not_recovered": [9, 14, 23], "total": [12, 26, 38]},
    ...     index=["North", "South", "Total"])
    >>> suppress_small_cells(t, total_row="Total", total_column="total")
          recovered not_recovered  total
    North         *             *     12
    South         *             *     26
    Total        15            23     38
    """
    mask = suppression_mask(
        table,
        k=k,
        count_columns=count_columns,
        total_row=total_row,
        total_column=total_column,
        group_by=group_by,
        group_total=group_total,
        derived_columns=derived_columns,
        suppress_zeros=suppress_zeros,
        secondary=secondary,
    )
    out = table.copy()
    for col in table.columns:
        hide = mask[col].to_numpy()
        if hide.any():
            new = out[col].astype(object)
            new[hide] = marker
            out[col] = new
    out.attrs["suppressed"] = mask
    return out


def linked_suppression(
    values: Mapping[_K, float],
    relations: Sequence[Mapping[_K, float]],
    *,
    hidden: Sequence[_K] = (),
    totals: Sequence[_K] = (),
    fixed: Sequence[_K] = (),
) -> set[_K]:
    """Secondary suppression across the tables of one report.

    ``values`` holds every published count of the report under a key of the caller's choosing
    (e.g. ``(table, row, column)``); each relation ``{key: coefficient}`` states a linear
    identity ``sum(coefficient * value) == 0`` that a reader can write down, such as a total
    and its parts in two different tables (``{total: -1, part_1: 1, part_2: 1}``) or the same
    count shown twice (``{a: 1, b: -1}``). Starting from ``hidden`` (the cells each table
    already suppresses), cells are added, the smallest visible cell of a relation holding an
    exposed cell first, inner cells before ``totals`` and non-zero cells before zeros, until no
    hidden cell is determined by the relations (the test of :func:`suppression_mask`: its unit
    vector is outside the row space of the relations restricted to the hidden cells). Cells in
    ``fixed`` are shown whatever happens (e.g. a number printed in the report's header).

    Returns
    -------
    set
        Every key to hide (``hidden`` included).

    Raises
    ------
    ValueError
        When a hidden cell stays determined and every other cell of its relations is fixed.

    Examples
    --------
    The total of a table (20) and its parts split over two tables: hiding the 3 alone would
    let a reader compute 20 - 9 - 8, so the smallest other part goes too.

    >>> values = {"a": 3, "b": 9, "c": 8, "total": 20}
    >>> sorted(linked_suppression(values, [{"total": -1, "a": 1, "b": 1, "c": 1}], hidden=["a"]))
    ['a', 'c']
    """
    keys = list(values)
    index = {key: i for i, key in enumerate(keys)}
    A = np.zeros((len(relations), len(keys)))
    for i, relation in enumerate(relations):
        for key, coef in relation.items():
            A[i, index[key]] += coef
    value = np.array([float(values[key]) for key in keys])
    suppressed = np.zeros(len(keys), dtype=bool)
    for key in hidden:
        suppressed[index[key]] = True
    is_total = np.zeros(len(keys), dtype=bool)
    for key in totals:
        is_total[index[key]] = True
    locked = np.zeros(len(keys), dtype=bool)
    for key in fixed:
        locked[index[key]] = True
    none = np.zeros(len(keys), dtype=bool)
    for _ in range(len(keys) + 1):
        exposed = _determined(A, suppressed, none)
        if not exposed:
            break
        pick = _pick_linked(A, exposed, suppressed | locked, value, is_total)
        if pick is None:
            raise ValueError(
                f"cell {keys[exposed[0]]!r} stays recoverable: its relations are fixed"
            )
        suppressed[pick] = True
    return {keys[i] for i in np.flatnonzero(suppressed)}


def _pick_linked(
    A: np.ndarray, exposed: list[int], unavailable: np.ndarray, value: np.ndarray, is_total: Any
) -> int | None:
    """The visible cell to hide next: in the relation of an exposed cell with the fewest hidden
    cells, the smallest (inner before totals, non-zero before zero)."""
    for v in exposed:
        rows = sorted(
            np.flatnonzero(A[:, v] != 0), key=lambda i: int(np.sum(unavailable[A[i] != 0]))
        )
        for eq in rows:
            cand = [int(u) for u in np.flatnonzero(A[eq] != 0) if not unavailable[u]]
            if cand:
                return min(cand, key=lambda u: (bool(is_total[u]), value[u] == 0, value[u]))
    return None
