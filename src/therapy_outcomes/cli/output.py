"""What the commands print: the consoles, tables of a DataFrame, validation counts and rejects,
and the files a render wrote.

Every command prints through these, so the output looks the same everywhere; item answers and
free text from the data are never printed (:func:`print_validation`): a reject is shown by
table, file, line, column and reason.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from rich.console import Console
from rich.table import Table

from therapy_outcomes.export.spreadsheet import safe_cells
from therapy_outcomes.loading.tables import spec

if TYPE_CHECKING:
    from therapy_outcomes.loading.dataset import Dataset
    from therapy_outcomes.rendering.execute import RenderResult

__all__ = [
    "console",
    "err_console",
    "print_rendered",
    "print_source_report",
    "print_validation",
    "table",
]

#: Standard output: results.
console = Console()
#: Standard error: one-line errors, progress and batch summaries.
err_console = Console(stderr=True)

#: Reject values in these columns are item answers: never printed, only written to the CSV.
_ANSWER_COLUMNS = ("value", "total")
#: A rejected date or number printed as it is: digits and punctuation, ``NaN`` and ``inf``.
_NUMERIC_TEXT = re.compile(r"[\d\s.,:;/+\-eETZ]*|[+-]?(nan|inf|infinity)", re.IGNORECASE)


def table(frame: pd.DataFrame, title: str, index: bool = True) -> Table:
    """A rich table of ``frame``: numbers right-aligned, missing values blank.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows to show.
    title : str
        Shown above the table, left-aligned.
    index : bool
        Show the index as the first column (headed by the index's name).

    Returns
    -------
    rich.table.Table

    Examples
    --------
    >>> frame = pd.DataFrame({"rows": [3, None]}, index=pd.Index(["a", "b"], name="table"))
    >>> shown = table(frame, "Counts")
    >>> [c.header for c in shown.columns], shown.row_count
    (['table', 'rows'], 2)
    """
    shown = Table(title=title, title_justify="left", header_style="bold")
    if index:
        shown.add_column(str(frame.index.name or ""))
    for col in frame.columns:
        shown.add_column(str(col), justify="right" if frame[col].dtype.kind in "iuf" else "left")
    for key, row in frame.iterrows():
        cells = [("" if pd.isna(v) else str(v)) for v in row]
        shown.add_row(*([str(key)] if index else []), *cells)
    return shown


def print_validation(ds: Dataset, title: str, rejects: Path, show: int) -> int:
    """Print counts per table and the first rejects; write every reject to ``rejects``.

    Item answers are never printed (they stay in the rejects file, which belongs with the
    data). Used by ``validate`` and ``import``.

    Parameters
    ----------
    ds : Dataset
        The loaded dataset.
    title : str
        Title of the counts table.
    rejects : pathlib.Path
        CSV file for every reject; written only when there are rejects.
    show : int
        How many rejects to print.

    Returns
    -------
    int
        The exit code: 0 when every row was accepted, 1 otherwise.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes import load
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = write_demo_clinic(folder, n_clients=20, seed=1)
    >>> with console.capture() as printed:
    ...     code = print_validation(load(folder, as_of="2026-10-31"), "demo", folder / "r.csv", 5)
    >>> code, "All rows accepted." in printed.get(), (folder / "r.csv").exists()
    (0, True, False)
    """
    counts = ds.counts.set_index("table")
    counts["file"] = [
        f if p else "(absent)" for f, p in zip(counts["file"], counts["present"], strict=True)
    ]
    hidden = ["present"] + (["lines"] if (counts["lines"] == counts["read"]).all() else [])
    console.print(table(counts.drop(columns=hidden), title))
    if ds.rejects.empty:
        console.print("[green]All rows accepted.[/green]")
        return 0
    rejects.parent.mkdir(parents=True, exist_ok=True)  # checked before the data was read
    safe_cells(ds.rejects).to_csv(rejects, index=False)  # safe to open in a spreadsheet
    shown = ds.rejects.head(show).copy()
    shown["value"] = _shown_values(shown)
    heading = (
        "The problem"
        if len(ds.rejects) == 1
        else f"First {len(shown)} of {len(ds.rejects)} problems"
    )
    console.print(table(shown, heading, index=False))
    console.print(
        f"[yellow]{rows_rejected(ds.n_rejected)}[/yellow]; every problem is listed in {rejects}"
    )
    return 1


def print_source_report(ds: Dataset) -> None:
    """Print what the source made of its records, when it says (FHIR: resources per type read,
    used, rejected and skipped, and why). Used by ``validate`` and ``import``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> report = pd.DataFrame({"read": [2], "used": [1], "rejected": [0], "skipped": [1],
    ...                        "why": ["no administrations"]},
    ...                       index=pd.Index(["Patient"], name="resource"))
    >>> with console.capture() as printed:
    ...     print_source_report(SimpleNamespace(source_report=report))
    >>> "no administrations" in printed.get()
    True
    """
    report = getattr(ds, "source_report", None)
    if report is not None and len(report):
        console.print(table(report, "Records read by the source"))


def print_rendered(result: RenderResult) -> None:
    """Print the report a render wrote, how long it took, and its PDF when there is one.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> print_rendered(SimpleNamespace(html=Path("r.html"), pdf=None, seconds=1.23))
    r.html  (1.2 s)
    """
    console.print(f"{result.html}  ({result.seconds:.1f} s)", highlight=False)
    if result.pdf is not None:
        console.print(str(result.pdf), highlight=False)


def _holds_answers(rejects: pd.DataFrame) -> pd.Series:
    """Rejects whose value may hold item answers: answer columns, and whole unreadable lines
    of administrations (a line that did not split into columns holds every answer)."""
    column = rejects["column"].fillna("")
    whole_line = (column == "") & (rejects["table"] == "administrations")
    return column.isin(_ANSWER_COLUMNS) | column.str.startswith("item") | whole_line


def _shown_values(rejects: pd.DataFrame) -> pd.Series:
    """The ``value`` column as printed: never free text from the data.

    Item answers become ``(answer not shown)``; every value of a text or ID column (a
    description, a site, an ID that may be a name) becomes ``(not shown)``. Only vocabulary is
    printed: a value of a date or number column made of digits and punctuation only, and a
    value of a closed-choice column close to one of its allowed values (``Female``,
    ``did not attend``). Anything else there is text that landed in the wrong column (a
    statement with an unquoted comma shifts the rest of its line) and is not shown either; an
    unreadable line has no value.

    Examples
    --------
    >>> rejects = pd.DataFrame({"table": ["events", "events", "administrations", "clients"],
    ...                         "column": ["occurred_on", "description", "item_3", None],
    ...                         "value": ["2026-02-30", "Met Ana", "4", None]})
    >>> _shown_values(rejects).tolist()
    ['2026-02-30', '(not shown)', '(answer not shown)', nan]
    >>> shifted = pd.DataFrame({"table": ["goals"] * 3, "column": ["category", "category",
    ...                         "target_date"], "value": ["Emotion", "with Ana", "Ana"]})
    >>> _shown_values(shifted).tolist()
    ['Emotion', '(not shown)', '(not shown)']
    """

    def printable(row: pd.Series) -> bool:
        try:
            columns = {c.name: c for c in spec(str(row["table"])).columns}
        except (KeyError, ValueError):
            return False
        col = columns.get(str(row["column"]))
        value = str(row["value"])
        if col is None:
            return False
        if col.kind in ("date", "number", "integer"):
            return _NUMERIC_TEXT.fullmatch(value) is not None
        return bool(col.allowed) and bool(
            difflib.get_close_matches(value.strip().lower(), col.allowed or (), n=1, cutoff=0.6)
        )

    answers = _holds_answers(rejects)
    plain = rejects.apply(printable, axis=1) if len(rejects) else pd.Series([], dtype=bool)
    shown = rejects["value"].where(plain | rejects["value"].isna(), "(not shown)")
    return shown.where(~answers, "(answer not shown)")


def rows_rejected(n: int) -> str:
    """``"1 row rejected"`` or ``"<n> rows rejected"``.

    Examples
    --------
    >>> rows_rejected(1), rows_rejected(3)
    ('1 row rejected', '3 rows rejected')
    """
    return f"{n} row rejected" if n == 1 else f"{n} rows rejected"
