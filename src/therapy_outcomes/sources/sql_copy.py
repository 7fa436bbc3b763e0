"""Copy a dataset into a database (the inverse of the SQL source), with typed columns.

Used to put the demo clinic into PostgreSQL or SQLite, and by anyone who wants their dataset in
a database. Each table's columns get the SQL type of their declaration (``date`` -> DATE,
``number`` -> FLOAT, ``integer`` and item answers -> FLOAT, the rest TEXT); a column whose text
does not all parse is written as TEXT, so nothing is lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from therapy_outcomes.loading.readers import LINE
from therapy_outcomes.loading.tables import spec
from therapy_outcomes.sources.base import read_source
from therapy_outcomes.sources.sql import require_sqlalchemy, split_options, table_names


def _typed(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    import sqlalchemy as sa

    table = spec(name)
    kinds = {c.name: c.kind for c in table.columns}
    out = pd.DataFrame(index=frame.index)
    dtypes: dict[str, object] = {}
    for col in frame.columns:
        text = frame[col]
        kind = kinds.get(col, "number" if col.startswith("item_") or col == "value" else "text")
        if kind == "date":
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
            if (parsed.notna() | text.isna()).all():
                out[col], dtypes[col] = parsed.dt.date, sa.Date()
                continue
        elif kind in ("number", "integer"):
            parsed = pd.to_numeric(text, errors="coerce")
            if (parsed.notna() | text.isna()).all():
                out[col], dtypes[col] = parsed.astype("float64"), sa.Float()
                continue
        out[col], dtypes[col] = text.astype(object).where(text.notna(), None), sa.Text()
    return out, dtypes


def copy_to_sql(
    location: str | Path, url: str, *, if_exists: Literal["fail", "replace", "append"] = "fail"
) -> dict[str, int]:
    """Write every table of a dataset into the database at ``url``.

    Parameters
    ----------
    location : str or pathlib.Path
        Any dataset location :func:`therapy_outcomes.load` reads (a CSV folder ...).
    url : str
        SQLAlchemy URL; ``prefix=``, ``schema=`` and ``<table>=`` options name the tables as
        the SQL source reads them.
    if_exists : {"fail", "replace", "append"}
        What to do when a table exists (as :meth:`pandas.DataFrame.to_sql`).

    Returns
    -------
    dict
        Rows written per table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_demo_clinic(folder / "demo", n_clients=5, seed=1)
    >>> copy_to_sql(folder / "demo", f"sqlite:///{folder}/demo.db")["clients"]
    5
    """
    require_sqlalchemy(url, "writing to")
    import sqlalchemy as sa

    raw = read_source(location)
    engine_url, options = split_options(url)
    names = table_names(options)
    engine = sa.create_engine(engine_url)
    written: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            for name, table in raw.tables.items():
                frame, dtypes = _typed(name, table.frame.drop(columns=[LINE]))
                frame.to_sql(
                    names[name],
                    conn,
                    schema=options.get("schema"),
                    index=False,
                    if_exists=if_exists,
                    dtype=dtypes,
                )
                written[name] = len(frame)
    finally:
        engine.dispose()
    return written
