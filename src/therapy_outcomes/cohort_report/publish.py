"""How an aggregate table of the cohort and monthly reports is published.

:func:`publish` sends it through
:func:`therapy_outcomes.outcomes.disclosure.suppress_small_cells` with the report's smallest
count shown; :func:`publish_together` then suppresses across the tables of one report (a total
in one table, its parts in another) with
:func:`therapy_outcomes.outcomes.disclosure.linked_suppression`, from relations written with
:func:`column_sums` and :func:`same_count`; :func:`table_html` turns the published table into
the report's HTML table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import pandas as pd

from therapy_outcomes.outcomes.disclosure import linked_suppression, suppress_small_cells

if TYPE_CHECKING:
    from therapy_outcomes.cohort_report.selection import CohortContext

__all__ = [
    "Cell",
    "column_sums",
    "publish",
    "publish_together",
    "same_count",
    "table_html",
]

#: A count of a report: (table name, row position, column).
Cell = tuple[str, int, str]


def publish(
    table: pd.DataFrame,
    ctx_or_k: CohortContext | int,
    *,
    counts: list[str],
    derived: dict[str, list[str]] | None = None,
    group_by: str | None = None,
    group_total: str | None = None,
    total_column: str | None = None,
) -> pd.DataFrame:
    """``table`` through :func:`suppress_small_cells` with the report's ``min_cell``.

    Every aggregate table of the cohort and monthly reports leaves through this function.
    Rows of a table without counts are returned unchanged only when ``counts`` is empty.

    Examples
    --------
    >>> t = pd.DataFrame({"site": ["A", "B"], "clients": [3, 12], "percent": [20.0, 80.0]})
    >>> publish(t, 5, counts=["clients"], derived={"percent": ["clients"]})
      site clients percent
    0    A       *       *
    1    B      12    80.0
    """
    k = ctx_or_k if isinstance(ctx_or_k, int) else ctx_or_k.min_cell
    if not counts or table.empty:
        return table.copy()
    numeric = [
        c
        for c in table.columns
        if c not in counts
        and pd.api.types.is_numeric_dtype(table[c])
        and not pd.api.types.is_bool_dtype(table[c])
    ]
    derived_map: dict[str, list[str]] = {c: list(counts) for c in numeric}
    derived_map.update(derived or {})
    derived_map = {c: v for c, v in derived_map.items() if c not in counts}
    kw: dict[str, Any] = {}
    if group_by is not None and group_total is not None:
        kw.update(group_by=group_by, group_total=group_total)
    if total_column is not None:
        kw["total_column"] = total_column
    clean = table.copy()
    for c in counts:
        clean[c] = pd.to_numeric(clean[c]).fillna(0).astype("int64")
    out = suppress_small_cells(clean, k=k, count_columns=counts, derived_columns=derived_map, **kw)
    # what publish_together needs to link this table with the others of its report
    out.attrs["counts"] = list(counts)
    out.attrs["count_values"] = {c: [int(v) for v in clean[c]] for c in counts}
    out.attrs["derived"] = derived_map
    return out


def same_count(a: Cell, b: Cell) -> dict[Cell, float]:
    """The relation "cell ``a`` and cell ``b`` show the same count" (a reader can copy one).

    Examples
    --------
    >>> same_count(("flow", 4, "PHQ-9"), ("effects", 0, "n"))
    {('flow', 4, 'PHQ-9'): 1.0, ('effects', 0, 'n'): -1.0}
    """
    return {a: 1.0, b: -1.0}


def column_sums(
    name: str, total_rows: Sequence[int], part_rows: Sequence[Sequence[int]], columns: Sequence[str]
) -> list[dict[Cell, float]]:
    """Relations "row ``total_rows[i]`` is the sum of rows ``part_rows[i]``" of table ``name``,
    one per column.

    Examples
    --------
    >>> column_sums("baseline", [0], [[1, 2]], ["clients"])
    [{('baseline', 0, 'clients'): -1.0, ('baseline', 1, 'clients'): 1.0, \
('baseline', 2, 'clients'): 1.0}]
    """
    out: list[dict[Cell, float]] = []
    for total, parts in zip(total_rows, part_rows, strict=True):
        for col in columns:
            relation: dict[Cell, float] = {(name, total, col): -1.0}
            relation.update({(name, p, col): 1.0 for p in parts})
            out.append(relation)
    return out


def publish_together(
    tables: Mapping[str, pd.DataFrame],
    relations: Sequence[Mapping[Cell, float]],
    *,
    totals: Sequence[Cell] = (),
    fixed: Sequence[Cell] = (),
    marker: str = "*",
) -> dict[str, pd.DataFrame]:
    """Hide further cells so that no count hidden in one table of a report can be found from
    the others (secondary suppression across tables).

    ``tables`` are the report's tables as :func:`publish` returned them; each relation
    ``{(table, row position, column): coefficient}`` is an identity between their counts that a
    reader could use (a total and its parts, the same count in two tables; see
    :func:`column_sums` and :func:`same_count`). Relations that do not hold in these data, or
    name a cell no table has, are dropped. A hidden count also hides the cells derived from it
    in its row (as :func:`publish` does).

    Examples
    --------
    A count of 3 hidden in one table, and the total of 20 with its other parts in another:

    >>> a = publish(pd.DataFrame({"site": ["A"], "clients": [3]}), 5, counts=["clients"])
    >>> b = publish(pd.DataFrame({"site": ["B", "C", "all"], "clients": [9, 8, 20]}), 5,
    ...             counts=["clients"])
    >>> rel = {("a", 0, "clients"): 1, ("b", 0, "clients"): 1, ("b", 1, "clients"): 1,
    ...        ("b", 2, "clients"): -1}
    >>> publish_together({"a": a, "b": b}, [rel], totals=[("b", 2, "clients")])["b"]
      site clients
    0    B       9
    1    C       *
    2  all      20
    """
    values: dict[Cell, float] = {}
    hidden: list[Cell] = []
    for name, table in tables.items():
        mask = table.attrs.get("suppressed")
        for col in table.attrs.get("counts", []):
            for pos, v in enumerate(table.attrs["count_values"][col]):
                values[(name, pos, col)] = v
                if mask is not None and bool(mask[col].iloc[pos]):
                    hidden.append((name, pos, col))
    usable = [
        dict(r)
        for r in relations
        if all(c in values for c in r) and sum(a * values[c] for c, a in r.items()) == 0
    ]
    keep_total = [c for c in totals if c in values]
    keep_fixed = [c for c in fixed if c in values]
    hide = linked_suppression(values, usable, hidden=hidden, totals=keep_total, fixed=keep_fixed)
    extra = hide - set(hidden)
    out = dict(tables)
    for name in {c[0] for c in extra}:
        table = tables[name].copy()
        mask = table.attrs["suppressed"].copy()
        for _, pos, col in (c for c in extra if c[0] == name):
            mask.iloc[pos, mask.columns.get_loc(col)] = True
        for col, sources in table.attrs["derived"].items():
            if col in mask.columns:
                mask[col] = mask[col] | mask[list(sources)].any(axis=1)
        for col in mask.columns:
            hit = mask[col].to_numpy()
            if hit.any():
                new = table[col].astype(object)
                new[hit] = marker
                table[col] = new
        table.attrs["suppressed"] = mask
        out[name] = table
    return out


def table_html(table: pd.DataFrame, caption: str | None = None, digits: int = 1) -> str:
    """A published table as an HTML ``<table>`` (floats rounded, text escaped).

    Examples
    --------
    >>> "<table" in table_html(pd.DataFrame({"a": [1.234]}))
    True
    """
    t = table.copy()
    for col in t.columns:
        if pd.api.types.is_float_dtype(t[col]):
            t[col] = t[col].round(digits)
        elif t[col].dtype == object:
            t[col] = t[col].map(lambda v: round(v, digits) if isinstance(v, float) else v)
    body = t.to_html(index=False, classes="to-table", border=0, escape=True, na_rep="")
    if caption:
        body = body.replace(">", f"><caption>{escape(caption)}</caption>", 1)
    return body
