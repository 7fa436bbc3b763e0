"""The SQL source against SQLite and a real, throwaway PostgreSQL server.

The PostgreSQL server is started here (``initdb`` + ``pg_ctl``) in a temporary folder on a free
localhost port, as the ``postgres`` user when the tests run as root (PostgreSQL refuses to run
as root). Without the server binaries the PostgreSQL tests are skipped, except under CI
(``CI=true``), where they fail instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from therapy_outcomes import load
from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.sources.sql import safe_url
from therapy_outcomes.sources.sql_copy import copy_to_sql

AS_OF = "2026-10-31"
TABLES = [
    "clients",
    "sessions",
    "goals",
    "goal_ratings",
    "administrations",
    "responses",
    "scores",
    "homework",
    "events",
]


def _pg_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL server started for this test session (stopped at the end)."""
    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "PostgreSQL server binaries (initdb, pg_ctl) not found; CI must install "
                "the Debian package 'postgresql'"
            )
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="to-pg-"))
    data, log = root / "data", root / "server.log"
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-o",
            options,
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from therapy_outcomes.demo import write_demo_clinic

    folder = tmp_path_factory.mktemp("demo") / "clinic"
    write_demo_clinic(folder, n_clients=40, seed=5, as_of=AS_OF)
    return folder


def _same(a, b) -> None:
    for name in TABLES:
        x, y = getattr(a, name), getattr(b, name)
        keys = list(x.columns)
        pd.testing.assert_frame_equal(
            x.sort_values(keys).reset_index(drop=True),
            y.sort_values(keys).reset_index(drop=True),
            obj=name,
        )


def test_sqlite_demo_clinic_loads_like_the_csv(demo: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    written = copy_to_sql(demo, url)
    ds = load(url, as_of=AS_OF)
    assert ds.n_rejected == 0
    assert dict(zip(ds.counts["table"], ds.counts["read"], strict=True)) == written
    _same(ds, load(demo, as_of=AS_OF))
    assert set(ds.counts["file"]) >= {"sql:clients", "sql:administrations"}


def test_postgresql_demo_clinic_loads_like_the_csv(demo: Path, postgres_url: str) -> None:
    url = f"{postgres_url}?schema=public&prefix=demo_"
    copy_to_sql(demo, url, if_exists="replace")
    ds = load(url, as_of=AS_OF)
    assert ds.n_rejected == 0
    _same(ds, load(demo, as_of=AS_OF))


def test_postgresql_table_names_are_configurable(postgres_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("create schema if not exists clinic"))
        conn.execute(sa.text("drop table if exists clinic.people"))
        conn.execute(
            sa.text(
                "create table clinic.people (client_id text primary key, "
                "site text, therapist_id text, referred_on date, birth_year int)"
            )
        )
        conn.execute(
            sa.text(
                "insert into clinic.people values ('C2', 'South', 'T2', "
                "'2026-02-01', 1970), ('C1', 'North', 'T1', '2026-01-05', null)"
            )
        )
    engine.dispose()
    ds = load(f"{postgres_url}?schema=clinic&clients=people", as_of=AS_OF)
    assert ds.clients["client_id"].tolist() == ["C1", "C2"]  # primary-key order
    assert ds.clients["birth_year"].tolist()[1] == 1970
    assert ds.counts.set_index("table").loc["clients", "file"] == "sql:clinic.people"


def test_postgresql_missing_column_is_one_clear_error(postgres_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(sa.text("drop table if exists bad_clients"))
        conn.execute(sa.text("create table bad_clients (client_id text, site text)"))
    engine.dispose()
    with pytest.raises(
        DatasetReadError,
        match=r"sql:bad_clients: required columns missing: "
        r"therapist_id, referred_on",
    ):
        load(f"{postgres_url}?clients=bad_clients", as_of=AS_OF)


def test_postgresql_unreachable_server_hides_the_password() -> None:
    port = _free_port()
    with pytest.raises(DatasetReadError, match="cannot read the database") as err:
        load(f"postgresql+psycopg://ann:s3cret@127.0.0.1:{port}/x", as_of=AS_OF)
    assert "s3cret" not in str(err.value)


def _sqlite(path: Path, *statements: str) -> str:
    with sqlite3.connect(path) as con:
        for statement in statements:
            con.execute(statement)
    return f"sqlite:///{path}"


def test_sqlite_bad_rows_are_rejects_with_their_row_number(tmp_path: Path) -> None:
    url = _sqlite(
        tmp_path / "x.db",
        "create table clients (client_id text primary key, site text, therapist_id text, "
        "referred_on text)",
        "insert into clients values ('C1','North','T1','2026-01-05'), "
        "('C2','North','T1','not a date')",
        "create table administrations (administration_id text, client_id text, instrument "
        "text, administered_on date, total real)",
        "insert into administrations values ('A1','C1','PHQ-9','2026-01-06',12), "
        "('A2','C1','PHQ-9','2026-01-13',40), ('A3','C9','GAD-7','2026-01-13',5)",
    )
    ds = load(url, as_of=AS_OF)
    rejects = ds.rejects.set_index(["file", "line"])["reason"]
    assert "not a date" in rejects.loc[("sql:clients", 2)]
    assert "outside PHQ-9's total range" in rejects.loc[("sql:administrations", 2)]
    assert "unknown client_id C9" in rejects.loc[("sql:administrations", 3)]
    assert ds.scores["administration_id"].tolist() == ["A1"]


def test_sqlite_missing_clients_table_and_missing_column(tmp_path: Path) -> None:
    url = _sqlite(tmp_path / "empty.db", "create table sessions (session_id text)")
    with pytest.raises(DatasetReadError, match=r"no table 'clients'.*tables found: sessions"):
        load(url)
    url = _sqlite(
        tmp_path / "cols.db", "create table clients (client_id text, site text, therapist_id text)"
    )
    with pytest.raises(DatasetReadError, match="required column missing: referred_on"):
        load(url)


def test_sqlite_not_a_database_is_one_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatasetReadError, match="cannot read the database"):
        load(f"sqlite:///{junk}")


def test_safe_url_and_source_never_show_password(tmp_path: Path) -> None:
    assert safe_url("postgresql://a:pw@h/db?prefix=x_") == "postgresql://a@h/db"
    url = _sqlite(
        tmp_path / "c.db",
        "create table clients (client_id text, site text, therapist_id text, referred_on text)",
    )
    ds = load(url, as_of=AS_OF)
    assert ds.source == url and "pw" not in str(ds.source)
