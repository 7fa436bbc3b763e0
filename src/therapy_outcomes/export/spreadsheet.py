"""Cells that are safe to open in a spreadsheet: the OWASP rule against formula injection.

A spreadsheet (Excel, LibreOffice, Google Sheets) reads a CSV cell that begins with ``=``,
``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage return can hide such a
character: ``=HYPERLINK("http://...")`` in a client ID, goal or site opens a link or runs a
formula when a colleague opens the file. Every CSV file the package writes (rejects, ``import``
output, research export and its disclosure report, batch ``manifest.csv``) goes through
:func:`safe_cells` (a table) or :func:`safe_row` (one row of the :mod:`csv` module); a test
finds every writer in the package and fails when one does not.

The rule (OWASP, "CSV Injection"): a **text** cell that begins with one of :data:`TRIGGERS`
gets a single quote in front (``'=HYPERLINK(...)``), so the spreadsheet shows it as text. The
column decides what is text, not the look of the value:

- values of numeric columns (integers, floats, booleans), dates and missing values are left
  as they are: a score of ``-3`` or a GAS baseline of ``-0.5`` stays a number;
- every text value is neutralised, also one that reads as a number (``"-3"`` in a text column
  becomes ``'-3``, as does ``"+1"``): a text column is not a number column, and a reader of the
  file must not have to tell the two apart.

Column names are text too and follow the same rule. Files loaded back by
:func:`therapy_outcomes.load` keep the quote as part of the value; valid IDs never begin with a
trigger (they begin with a letter or digit), so references between tables are unchanged.
Parquet files are not for spreadsheets and are written as they are.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"site": ["=1+1", "North"], "score": [-3, 2]})
>>> safe_cells(frame).to_dict("list")
{'site': ["'=1+1", 'North'], 'score': [-3, 2]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["TRIGGERS", "safe_cell", "safe_cells", "safe_row"]

#: First characters that make a spreadsheet read a cell as a formula (or hide one).
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with a single quote in front when it is text beginning with a trigger.

    Anything that is not text (a number, a date, a missing value) is returned unchanged.

    Examples
    --------
    >>> safe_cell('=HYPERLINK("http://x")'), safe_cell("\\tcmd"), safe_cell("North")
    ('\\'=HYPERLINK("http://x")', "'\\tcmd", 'North')
    >>> safe_cell(-3), safe_cell("-3"), safe_cell(None)
    (-3, "'-3", None)
    """
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def _is_text(column: pd.Series) -> bool:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _is_text(pd.Series(dtype.categories))
    return dtype.kind == "O" or isinstance(dtype, pd.StringDtype)


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are safe in a spreadsheet.

    Text cells (object, string and categorical columns) beginning with a :data:`TRIGGERS`
    character get a leading single quote; numbers, dates and missing values are unchanged, as
    are the dtypes. Write files with ``safe_cells(frame).to_csv(...)``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> frame = pd.DataFrame({"@note": pd.Series(["+1", None], dtype="string"),
    ...                       "value": [-0.5, 1.0]})
    >>> out = safe_cells(frame)
    >>> list(out.columns), out.iloc[:, 0].tolist(), out["value"].tolist()
    (["'@note", 'value'], ["'+1", <NA>], [-0.5, 1.0])
    >>> out.dtypes.tolist() == frame.dtypes.tolist()
    True
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if not _is_text(column):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            fixed = column.cat.rename_categories(
                lambda c: safe_cell(c) if isinstance(c, str) else c
            )
        else:
            fixed = column.map(safe_cell, na_action="ignore").astype(column.dtype)
        out.isetitem(position, fixed.array)
    out.columns = pd.Index([safe_cell(c) for c in out.columns], name=out.columns.name)
    return out


def safe_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """One row for :class:`csv.DictWriter` (or its values for :func:`csv.writer`), made safe.

    Examples
    --------
    >>> safe_row({"job_id": "client/C1/client", "error": "-x", "seconds": -1.5})
    {'job_id': 'client/C1/client', 'error': "'-x", 'seconds': -1.5}
    """
    return {key: safe_cell(value) for key, value in row.items()}
