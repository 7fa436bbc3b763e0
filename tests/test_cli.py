"""The command line: exit codes, one-line errors without tracebacks, rejects written to CSV."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import AS_OF, TINY, write_dataset

CLI = [sys.executable, "-m", "therapy_outcomes.cli.app"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}  # wide enough that rich does not wrap messages
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_validate_clean_dataset_exits_0(tiny):
    out = run("validate", str(tiny), "--as-of", AS_OF)
    assert out.returncode == 0, out.stderr
    assert "All rows accepted" in out.stdout


def test_validate_with_rejects_exits_1_and_writes_every_reject(tmp_path):
    sessions = (
        TINY["sessions"]
        + "S9,C1,T1,31/01/2026,treatment,attended\nS10,C7,T1,2026-02-01,,attended\n"
    )
    admins = TINY["administrations"] + "A9,C1,PHQ-9,2026-01-26,,self,3,3,3,3,3,3,3,3,5\n"
    folder = write_dataset(tmp_path / "ds", dict(TINY, sessions=sessions, administrations=admins))
    target = tmp_path / "rejects.csv"
    out = run("validate", str(folder), "--as-of", AS_OF, "--rejects", str(target))
    assert out.returncode == 1, out.stderr
    written = pd.read_csv(target)
    assert len(written) == 3
    assert set(written["line"]) == {7, 8, 6}
    assert "3 rows rejected" in out.stdout
    # item answers never reach the terminal; the rejects file keeps them for the data manager
    assert "(answer not shown)" in out.stdout
    assert written.loc[written["column"] == "item_9", "value"].astype(str).tolist() == ["5"]


def test_validate_default_rejects_path_is_in_the_working_directory(tmp_path):
    folder = write_dataset(
        tmp_path / "clinic", dict(TINY, events=TINY["events"] + "E2,C1,2026-03-01,party,x,\n")
    )
    out = run("validate", str(folder), "--as-of", AS_OF, cwd=tmp_path)
    assert out.returncode == 1
    assert (tmp_path / "clinic-rejects.csv").exists()
    assert not (folder / "clinic-rejects.csv").exists()  # raw data folder untouched


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p / "missing", "no such folder"),
        (
            lambda p: write_dataset(p / "x", {"clients": "client_id\nC1\n"}),
            "required columns missing",
        ),
    ],
)
def test_unreadable_dataset_exits_2_with_one_line(tmp_path, setup, message):
    out = run("validate", str(setup(tmp_path)))
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    assert out.stderr.strip().count("\n") == 0


def test_bad_as_of_is_a_one_line_error(tiny):
    out = run("validate", str(tiny), "--as-of", "yesterday-ish")
    assert out.returncode == 2
    assert "as-of date 'yesterday-ish' is not a date" in out.stderr
    assert "Traceback" not in out.stderr


def test_summary_prints_caseload_and_severity(tiny):
    out = run("summary", str(tiny), "--as-of", AS_OF)
    assert out.returncode == 0, out.stderr
    for heading in ("Caseload", "Administrations", "severity band"):
        assert heading in out.stdout
    assert "PHQ-9" in out.stdout


@pytest.mark.parametrize("command", ["validate", "summary", "demo-data", "instruments", "version"])
def test_every_command_has_help(command):
    out = run(command, "--help")
    assert out.returncode == 0
    assert "Usage" in out.stdout


def test_instruments_lists_the_registry():
    out = run("instruments")
    assert out.returncode == 0, out.stderr
    for code in ("PHQ-9", "GAD-7", "CORE-10", "DASS-21", "GBO"):
        assert code in out.stdout


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        ("therapy_outcomes.cli", ["validate", "{missing}"], "no such folder or file"),
        ("therapy_outcomes.cli.app", ["summary", "{missing}"], "no such folder or file"),
        ("therapy_outcomes.cli", ["import", "{missing}", "--out", "{out}"], "no such folder"),
        (
            "therapy_outcomes.cli",
            ["export", "fhir", "--data", "{missing}", "--out", "{out}/x.ndjson"],
            "no such folder",
        ),
        (
            "therapy_outcomes.cli",
            ["report", "client", "C1", "--data", "{missing}", "--out", "{out}"],
            "dataset not found",
        ),
        (
            "therapy_outcomes.cli.reports",
            ["cohort", "--data", "{tiny}", "--out", "{out}", "--start", "soon"],
            "start 'soon' is not a date",
        ),
        (
            "therapy_outcomes.cli.reports",
            ["monthly", "--data", "{tiny}", "--out", "{out}", "--month", "2026-13"],
            "month '2026-13' is not a month",
        ),
        (
            "therapy_outcomes.cli.batch",
            ["--data", "{tiny}", "--month", "Oct", "--out", "{out}"],
            "month 'Oct' is not a month",
        ),
    ],
)
def test_every_entry_point_gives_one_line_errors(tiny, tmp_path, module, args, message):
    """The console script's ``main`` (``python -m`` the package or its app), reports, batch."""
    where = {"missing": tmp_path / "missing", "out": tmp_path / "out", "tiny": tiny}
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", module, *(a.format(**where) for a in args)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: ") and message in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.*"))
