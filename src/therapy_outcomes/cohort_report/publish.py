"""How an aggregate table of the cohort and monthly reports is published.

:func:`publish` sends it through
:func:`therapy_outcomes.outcomes.disclosure.suppress_small_cells` with the report's smallest
count shown; :func:`table_html` turns the published table into the report's HTML table.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import pandas as pd

from therapy_outcomes.outcomes.disclosure import suppress_small_cells

if TYPE_CHECKING:
    from therapy_outcomes.cohort_report.selection import CohortContext

__all__ = ["publish", "table_html"]


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
    return suppress_small_cells(clean, k=k, count_columns=counts, derived_columns=derived_map, **kw)


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
