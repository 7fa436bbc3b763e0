"""A loaded dataset's accepted rows as files: the tables in the layout ``load`` reads back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from therapy_outcomes.export.spreadsheet import safe_cells
from therapy_outcomes.loading.tables import TABLE_NAMES

if TYPE_CHECKING:
    from therapy_outcomes.loading.dataset import Dataset


def wide_administrations(ds: Dataset) -> pd.DataFrame:
    """Accepted administrations in the wide layout (``item_1`` ...), from responses and scores.

    An administration without item answers keeps its total (a totals-only row); one with
    answers has no total column value, since the loader recomputes it.
    """
    head = ds.administrations.drop(columns=["total"], errors="ignore")
    items = ds.responses.pivot_table(
        index="administration_id", columns="item", values="value", aggfunc="first"
    )
    items.columns = [f"item_{int(c)}" for c in items.columns]
    wide = head.merge(items, left_on="administration_id", right_index=True, how="left")
    totals = ds.scores.set_index("administration_id")["total"]
    no_items = ~wide["administration_id"].isin(items.index)
    wide["total"] = wide["administration_id"].map(totals).where(no_items)
    return wide


def dataset_tables(ds: Dataset) -> dict[str, pd.DataFrame]:
    """Every table of a loaded dataset (accepted rows), administrations in the wide layout.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes import load
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_demo_clinic(folder, n_clients=5, seed=1)
    >>> tables = dataset_tables(load(folder, as_of="2026-10-31"))
    >>> "item_1" in tables["administrations"]
    True
    """
    return {
        name: (wide_administrations(ds) if name == "administrations" else getattr(ds, name)).copy()
        for name in TABLE_NAMES
    }


def write_table(frame: pd.DataFrame, path: Path, fmt: Literal["csv", "parquet"] = "csv") -> Path:
    """Write one table as ``path.csv`` or ``path.parquet``: ISO dates, whole numbers without
    ``.0``; CSV text cells made safe for spreadsheets
    (:func:`~therapy_outcomes.export.spreadsheet.safe_cells`). Returns the file written.

    Examples
    --------
    >>> import tempfile
    >>> frame = pd.DataFrame({"site": ["=1+1"], "baseline": [-2.0]})
    >>> target = write_table(frame, Path(tempfile.mkdtemp()) / "clients")
    >>> target.read_text()
    "site,baseline\\n'=1+1,-2\\n"
    """
    frame = frame.copy()
    for col in frame.columns:
        if frame[col].dtype.kind == "M":
            frame[col] = frame[col].dt.strftime("%Y-%m-%d").astype("string")
        elif frame[col].dtype.kind == "f":
            values = frame[col].astype("float64")
            if (values.dropna() % 1 == 0).all():
                frame[col] = values.astype("Int64")
    target = path.with_suffix(f".{fmt}")
    if fmt == "parquet":
        frame.to_parquet(target, index=False)
    else:
        safe_cells(frame).to_csv(target, index=False, lineterminator="\n")
    return target
