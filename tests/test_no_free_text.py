"""Printed output and logs carry no free text from the data (issue 12, point 5).

A marker name is put into every free-text field of a small clinic (``clients.modality``,
``problem`` and an extra column; ``goals.statement``, ``unit``, ``values``, ``strengths``;
``homework.task``; ``events.description``), and into rows that are rejected: a goal with a bad
category, an unknown measure naming the marker, a statement whose unquoted comma shifts the
rest of its line into closed-choice columns, an event with an impossible date. Then every
command runs as a user would (``validate``, ``summary``, ``import``, ``export research`` and a
``batch`` in which one report fails with an exception quoting a goal statement), and every
printed line and every log the tool writes (the export's README and disclosure report, the
batch's ``manifest.csv``, ``index.html`` and journal) is searched for the marker.

The rejects file and the imported tables are data, not logs: they keep the values, as the data
dictionary says. The rendered reports show goals by design and are not searched.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from therapy_outcomes.batch.manifest import JOURNAL_NAME
from therapy_outcomes.client_report.render import CLIENT_NOTEBOOK
from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.rendering.paths import notebooks_folder

CLI = [sys.executable, "-m", "therapy_outcomes.cli.app"]
AS_OF = "2026-10-31"
MONTH = "2026-10"
MARKER = ("Zebulon", "Quartermaine")
NAME = " ".join(MARKER)
#: Box-drawing characters and white space rich puts between the parts of a wrapped cell.
_LAYOUT = re.compile(r"[\s\u2500-\u257f]+")


def _leaks(text: str) -> list[str]:
    """The marker's words found in ``text``, also when a table wrapped them across lines."""
    flat = _LAYOUT.sub("", text)
    return [word for word in MARKER if word in text or word in flat]


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "COLUMNS": "120", "THERAPY_OUTCOMES_RESEARCH_KEY": "k" * 32}
    full.update(env or {})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, env=full)


def _write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / f"{name}.csv", index=False, quoting=csv.QUOTE_ALL)


@pytest.fixture(scope="module")
def marked(tmp_path_factory) -> Path:
    """A demo clinic (three clients active in the month) with the marker in every free text."""
    folder = tmp_path_factory.mktemp("marked") / "clinic"
    write_demo_clinic(folder, n_clients=15, seed=7, as_of=AS_OF)

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)

    clients = read("clients")
    clients["modality"] = f"CBT with {NAME}"
    clients["problem"] = f"grief since {NAME} died"
    clients["notes"] = f"{NAME}, neighbour"  # an extra column, kept as text
    _write(folder, "clients", clients)

    goals = read("goals")
    for col in ("statement", "values", "strengths"):
        goals[col] = f"{col} of {NAME}"
    goals.loc[goals["measure"] == "count", "unit"] = f"visits to {NAME}"
    bad_category = goals.iloc[[0]].assign(goal_id="GBAD1", category=f"about {NAME}")
    bad_measure = goals.iloc[[0]].assign(goal_id="GBAD2", measure=f"walks with {NAME}")
    _write(folder, "goals", pd.concat([goals, bad_category, bad_measure], ignore_index=True))
    client = clients["client_id"].iloc[0]
    with open(folder / "goals.csv", "a", encoding="utf-8") as handle:
        # an unquoted comma: "with <NAME>" lands in category, the rest shifts one column on
        handle.write(
            f"GBAD3,{client},Walk, with {NAME},behavioural,short_term,,GBO,,1,5,,"
            "2026-01-01,,,,active,\n"
        )

    homework = read("homework")
    homework["task"] = f"phone {NAME}"
    _write(folder, "homework", homework)

    events = read("events")
    events["description"] = f"met {NAME}"
    bad_date = events.iloc[[0]].assign(event_id="EBAD1", occurred_on="2026-02-30")
    _write(folder, "events", pd.concat([events, bad_date], ignore_index=True))
    return folder


def test_commands_print_and_log_no_free_text(marked, tmp_path):
    runs = {
        "validate": _run(
            "validate", str(marked), "--as-of", AS_OF, "--rejects", "rejects.csv", cwd=tmp_path
        ),
        "summary": _run("summary", str(marked), "--as-of", AS_OF, cwd=tmp_path),
        "import": _run("import", str(marked), "--out", "imported", "--as-of", AS_OF, cwd=tmp_path),
    }
    export = ["export", "research", "--data", str(marked), "--out", "share", "--as-of", AS_OF]
    runs["export research"] = _run(*export, cwd=tmp_path)
    codes = {name: run.returncode for name, run in runs.items()}
    assert codes == {"validate": 1, "summary": 0, "import": 1, "export research": 0}, {
        name: run.stderr for name, run in runs.items()
    }
    # the rows with the marker were rejected and listed (the check is not looking at nothing)
    assert "4 rows rejected" in runs["validate"].stdout
    assert "(not shown)" in runs["validate"].stdout
    rejects = (tmp_path / "rejects.csv").read_text(encoding="utf-8")
    assert NAME in rejects  # the data manager's file keeps the values
    leaks = {name: _leaks(run.stdout + run.stderr) for name, run in runs.items()}
    for log in ("share/README.txt", "share/disclosure_report.csv"):
        leaks[log] = _leaks((tmp_path / log).read_text(encoding="utf-8"))
    assert leaks == {name: [] for name in leaks}


@pytest.fixture(scope="module")
def failing_notebooks(tmp_path_factory, marked) -> Path:
    """The client notebook, failing for one client with an error that quotes a goal."""
    from therapy_outcomes import load
    from therapy_outcomes.batch.jobs import active_clients

    victim = active_clients(load(marked, as_of=AS_OF), MONTH)[1]
    folder = tmp_path_factory.mktemp("notebooks")
    nb = json.loads((notebooks_folder() / CLIENT_NOTEBOOK).read_text(encoding="utf-8"))
    source = (
        f'if client_id == "{victim}":\n'
        "    import therapy_outcomes as _to\n"
        "    _goals = _to.load(data, as_of=as_of).goals\n"
        '    raise ValueError("cannot draw " + _goals["statement"].iloc[0])'
    )
    cell = {"cell_type": "code", "execution_count": None, "id": "quotes-data"}
    nb["cells"].insert(1, {**cell, "metadata": {}, "outputs": [], "source": source})
    (folder / CLIENT_NOTEBOOK).write_text(json.dumps(nb), encoding="utf-8")
    return folder


@pytest.mark.kernel
def test_a_batch_with_a_failing_report_prints_and_logs_no_free_text(
    marked, failing_notebooks, tmp_path
):
    out = tmp_path / "batch"
    run = _run(
        "batch", "--data", str(marked), "--month", MONTH, "--out", str(out), "--workers", "1",
        cwd=tmp_path, env={"THERAPY_OUTCOMES_NOTEBOOKS": str(failing_notebooks)},
    )  # fmt: skip
    assert run.returncode == 1, run.stderr  # one report failed, the others rendered
    with open(out / "manifest.csv", newline="", encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle))
    failed = [row for row in manifest if row["status"] == "failed"]
    assert len(failed) == 1 and len(manifest) == 3
    assert '("quotes-data") raised ValueError' in failed[0]["error"]
    assert "failed: client/" in run.stderr
    logs = [out / "manifest.csv", out / "index.html", out / JOURNAL_NAME]
    reports = {out / row[kind] for row in manifest for kind in ("html", "notebook") if row[kind]}
    others = [
        p
        for p in out.rglob("*")
        if p.is_file() and p not in reports and p.suffix not in (".js",) and p not in logs
    ]
    leaks = {"printed": _leaks(run.stdout + run.stderr)}
    for path in logs + others:
        leaks[path.relative_to(out).as_posix()] = _leaks(path.read_text(encoding="utf-8"))
    assert leaks == {name: [] for name in leaks}
    # and nothing in the manifest opens as a formula in a spreadsheet
    for row in manifest:
        assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())
