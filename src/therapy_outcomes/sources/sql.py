"""The SQL source: the dataset's tables read from a database through SQLAlchemy.

``therapy_outcomes.load("postgresql://user@host/db")`` or ``load("sqlite:///clinic.db")``
reads the tables ``clients``, ``sessions`` ... (any that exist; ``clients`` is required). Table
names are configurable with query parameters of the URL, which are removed before connecting:

- ``schema=outcomes``: the schema (PostgreSQL) to read from;
- ``prefix=to_``: a prefix before every table name (``to_clients`` ...);
- ``<table>=<name>``: the name of one table, e.g. ``?clients=patient_view&sessions=visits``.

Each value is read as the text a CSV file would hold (dates as ``YYYY-MM-DD``, whole numbers
without ``.0``), so validation is the loader's. A row's ``line`` in rejects is its 1-based
position when the table is ordered by its primary key (by all its columns when it has none);
the file is shown as ``sql:<table>``. A database that cannot be reached, a missing driver or a
missing ``clients`` table is one :class:`~therapy_outcomes.errors.DatasetReadError`; the URL in
messages never shows the password. SQLAlchemy and psycopg come with the ``sql`` extra
(``pip install "therapy-outcomes[sql]"``); without them reading a database is one
:class:`~therapy_outcomes.errors.MissingExtraError` naming it.

Examples
--------
>>> import sqlite3, tempfile, pathlib
>>> from therapy_outcomes import load
>>> db = pathlib.Path(tempfile.mkdtemp()) / "clinic.db"
>>> with sqlite3.connect(db) as con:
...     _ = con.execute("create table clients (client_id text primary key, site text, "
...                     "therapist_id text, referred_on date)")
...     _ = con.execute("insert into clients values ('C1', 'North', 'T1', '2026-01-05')")
>>> load(f"sqlite:///{db}", as_of="2026-06-30").clients["client_id"].tolist()
['C1']
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

from therapy_outcomes.errors import DatasetReadError, MissingExtraError
from therapy_outcomes.extras import require
from therapy_outcomes.loading.readers import RawTable
from therapy_outcomes.loading.tables import TABLE_NAMES
from therapy_outcomes.sources._cells import raw_table
from therapy_outcomes.sources.base import RawDataset, Source

#: URL schemes (before any ``+driver``) this source takes.
SCHEMES = ("postgresql", "postgres", "sqlite", "mysql", "mariadb", "mssql", "oracle")
OPTIONS = ("schema", "prefix", *TABLE_NAMES)


def matches(location: str) -> bool:
    """A database URL with a known scheme.

    Examples
    --------
    >>> matches("postgresql+psycopg://u@localhost/db"), matches("sqlite:///x.db")
    (True, True)
    >>> matches("data/demo")
    False
    """
    if "://" not in location:
        return False
    scheme = location.split("://", 1)[0].split("+", 1)[0].lower()
    return scheme in SCHEMES


_SQLITE_FILE = re.compile(r"(?P<head>sqlite(\+\w+)?:///)(?P<path>[^?]*)(?P<query>\?.*)?", re.I)


def sqlite_file(location: str) -> str | None:
    """The database file of a ``sqlite:///`` URL (``None`` for another URL or in memory).

    Examples
    --------
    >>> sqlite_file("sqlite:///clinic.db"), sqlite_file("sqlite:////srv/c.db?prefix=to_")
    ('clinic.db', '/srv/c.db')
    >>> sqlite_file("sqlite://"), sqlite_file("sqlite:///:memory:"), sqlite_file("postgresql://h/d")
    (None, None, None)
    """
    found = _SQLITE_FILE.fullmatch(location)
    if found is None or found["path"] in ("", ":memory:") or found["path"].startswith("file:"):
        return None
    return found["path"]


def locate(location: str) -> str:
    """``location`` with a relative SQLite file made absolute (any other URL as it is), so a
    notebook kernel that runs in another folder reads the same database.

    Examples
    --------
    >>> import os
    >>> locate("sqlite:///clinic.db?prefix=to_") == f"sqlite:///{os.getcwd()}/clinic.db?prefix=to_"
    True
    >>> locate("postgresql://ann@db/clinic")
    'postgresql://ann@db/clinic'
    """
    path = sqlite_file(location)
    found = _SQLITE_FILE.fullmatch(location)
    if path is None or found is None or os.path.isabs(path):
        return location
    return f"{found['head']}{os.path.abspath(path)}{found['query'] or ''}"


def require_sqlalchemy(location: str, doing: str = "reading") -> None:
    """Check SQLAlchemy (the ``sql`` extra) is installed before using the database at ``location``.

    The message shows the URL without its query and without anything before its last ``@``
    (user name and password), worked out without SQLAlchemy.

    Examples
    --------
    >>> require_sqlalchemy("sqlite:///clinic.db")
    """
    shown = re.sub(r"(://).*@", r"\1", location.split("?", 1)[0])
    require("sqlalchemy", "sql", f"{doing} {shown}")


def safe_url(location: str) -> str:
    """The URL without its password and without the table options (for messages).

    Examples
    --------
    >>> safe_url("postgresql://ann:secret@db.local/clinic?schema=x")
    'postgresql://ann@db.local/clinic'
    """
    from sqlalchemy.engine import make_url

    try:
        url = make_url(location)
    except Exception:  # a URL too broken to parse: show only its scheme
        return location.split("://", 1)[0] + "://..."
    url = url._replace(password=None).difference_update_query(OPTIONS)
    return url.render_as_string(hide_password=False)


def split_options(location: str) -> tuple[Any, dict[str, str]]:
    """The SQLAlchemy URL to connect to, and our table options taken out of its query.

    Examples
    --------
    >>> url, opts = split_options("sqlite:///x.db?prefix=to_&clients=people")
    >>> str(url), opts
    ('sqlite:///x.db', {'prefix': 'to_', 'clients': 'people'})
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(location)
    except (ArgumentError, ValueError) as err:
        raise DatasetReadError(f"{safe_url(location)}: not a database URL ({err})") from None
    options = {}
    for key in OPTIONS:
        if key in url.query:
            value = url.query[key]
            options[key] = value[-1] if isinstance(value, tuple) else str(value)
    return url.difference_update_query(OPTIONS), options


def table_names(options: dict[str, str]) -> dict[str, str]:
    """Our table name -> the database table name.

    Examples
    --------
    >>> table_names({"prefix": "to_", "sessions": "visits"})["sessions"]
    'visits'
    >>> table_names({"prefix": "to_"})["clients"]
    'to_clients'
    """
    prefix = options.get("prefix", "")
    return {name: options.get(name, f"{prefix}{name}") for name in TABLE_NAMES}


def _engine(url: Any, shown: str) -> Any:
    import sqlalchemy as sa

    try:
        if url.get_driver_name() == "psycopg":  # PostgreSQL's default driver, in the sql extra
            require("psycopg", "sql", f"reading {shown}")
        return sa.create_engine(url)
    except MissingExtraError:
        raise
    except ModuleNotFoundError as err:
        raise DatasetReadError(
            f"{shown}: the database driver is not installed ({err.name})"
        ) from None
    except Exception as err:  # any engine-construction problem is a URL problem
        raise DatasetReadError(f"{shown}: cannot use this database URL ({err})") from None


def _read_table(conn: Any, db_name: str, schema: str | None, name: str) -> RawTable:
    import sqlalchemy as sa

    table = sa.Table(db_name, sa.MetaData(), schema=schema, autoload_with=conn)
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execute(sa.select(table).order_by(*order))
    columns = [str(c) for c in result.keys()]
    records = [dict(zip(columns, row, strict=True)) for row in result]
    label = f"sql:{schema + '.' if schema else ''}{db_name}"
    return raw_table(name, label, records, range(1, len(records) + 1), columns=columns)


def read(location: str) -> RawDataset:
    """Read the dataset's tables from the database at ``location`` (see the module notes)."""
    require_sqlalchemy(location)
    import sqlalchemy as sa
    from sqlalchemy.exc import SQLAlchemyError

    shown = safe_url(location)
    database = sqlite_file(location)
    if database is not None and not os.path.isfile(database):  # SQLite would create it
        what = "is a folder" if os.path.isdir(database) else "does not exist"
        raise DatasetReadError(f"{shown}: the database file {what}")
    url, options = split_options(location)
    schema = options.get("schema")
    names = table_names(options)
    engine = _engine(url, shown)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            present = set(inspector.get_table_names(schema=schema))
            present |= set(inspector.get_view_names(schema=schema))
            if names["clients"] not in present:
                found = ", ".join(sorted(present)) or "none"
                raise DatasetReadError(
                    f"{shown}: no table '{names['clients']}' for clients (the clients table is "
                    f"required; tables found: {found})"
                )
            tables = {
                name: _read_table(conn, db_name, schema, name)
                for name, db_name in names.items()
                if db_name in present
            }
    except SQLAlchemyError as err:
        first = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        if url.password:
            first = first.replace(str(url.password), "***")
        raise DatasetReadError(f"{shown}: cannot read the database ({first})") from None
    finally:
        engine.dispose()
    return RawDataset(tables, _digest(tables), location=None)  # load() keeps the URL, redacted


def _digest(tables: dict[str, RawTable]) -> str:
    """SHA-256 over the tables' names, columns and text, in table order."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name].frame
        digest.update(name.encode())
        digest.update(frame.to_csv(index=False).encode())
    return digest.hexdigest()


SQL = Source("sql", matches, read, locate)
