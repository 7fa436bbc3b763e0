"""A whole month's batch end to end: failures recorded, manifest and index, kill and resume,
reruns that render only what changed, the command line.

Uses the client notebook with one planted failure (a cell that raises for one client), so a
batch with a failing report is real and quick.
"""

from __future__ import annotations

import csv
import html
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import therapy_outcomes as to
from therapy_outcomes.batch.api import render_batch
from therapy_outcomes.batch.jobs import active_clients
from therapy_outcomes.batch.manifest import JOURNAL_NAME, MANIFEST_COLUMNS
from therapy_outcomes.cli.batch import batch
from therapy_outcomes.client_report.render import CLIENT_NOTEBOOK
from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.rendering.html import PLOTLY_JS_NAME, find_remote_references
from therapy_outcomes.rendering.paths import notebooks_folder

AS_OF = "2026-10-31"
MONTH = "2026-10"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clinic")
    write_demo_clinic(folder, n_clients=30, seed=7, as_of=AS_OF)
    return folder


@pytest.fixture(scope="module")
def active(clinic) -> list[str]:
    return active_clients(to.load(clinic, as_of=AS_OF), MONTH)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory, active) -> Path:
    """The client notebook, failing on purpose for the second active client."""
    folder = tmp_path_factory.mktemp("notebooks")
    nb = json.loads((notebooks_folder() / CLIENT_NOTEBOOK).read_text(encoding="utf-8"))
    nb["cells"].insert(
        1,
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "planted-failure",
            "metadata": {},
            "outputs": [],
            "source": f'if client_id == "{active[1]}":\n    raise RuntimeError("planted failure")',
        },
    )
    (folder / CLIENT_NOTEBOOK).write_text(json.dumps(nb), encoding="utf-8")
    return folder


def _script(clinic: Path, out: Path, notebooks: Path) -> str:
    return (
        "from therapy_outcomes.batch import render_batch\n"
        f"render_batch({str(clinic)!r}, {MONTH!r}, {str(out)!r}, workers=1, "
        f"audience='client', notebooks={str(notebooks)!r})\n"
    )


def _journal_lines(out: Path) -> list[dict]:
    path = out / JOURNAL_NAME
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip().endswith("}")]


@pytest.fixture(scope="module")
def killed_then_resumed(clinic, notebooks, active, tmp_path_factory):
    """Kill a batch after three reports, then rerun it (two workers)."""
    out = tmp_path_factory.mktemp("batch")
    proc = subprocess.Popen(
        [sys.executable, "-c", _script(clinic, out, notebooks)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while len(_journal_lines(out)) < 3 and time.monotonic() < deadline:
            assert proc.poll() is None, "the batch ended before it was killed"
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its kernel: a hard kill
        proc.wait(timeout=30)
    before = _journal_lines(out)
    assert 3 <= len(before) < len(active), "the kill must land half-way"
    result = render_batch(
        clinic, MONTH, out, workers=2, audience="client", notebooks=notebooks, quiet=True
    )
    return out, before, result


def test_a_killed_batch_finishes_the_rest_and_renders_nothing_twice(killed_then_resumed, active):
    _, before, result = killed_then_resumed
    done_before = {e["job_id"] for e in before if e["status"] == "rendered"}
    rows = {r["job_id"]: r for r in result.rows}
    assert len(rows) == len(active)
    skipped = {j for j, r in rows.items() if r["status"] == "skipped"}
    redone = {j for j, r in rows.items() if r["status"] in ("rendered", "failed")}
    assert skipped == done_before and not redone & done_before
    assert skipped | redone == set(rows)


def test_one_failure_is_recorded_and_the_rest_render(killed_then_resumed, active):
    out, _, result = killed_then_resumed
    failed = result.failed
    assert [r["job_id"] for r in failed] == [f"client/{active[1]}/client"]
    # named by its cell and error, never by the message, which may quote the data (issue 12)
    error = failed[0]["error"]
    assert '("planted-failure") raised RuntimeError' in error and "\n" not in error
    assert "planted failure" not in error
    assert not (out / failed[0]["html"]).exists()
    for row in result.rows:
        if row["status"] != "failed":
            assert (out / row["html"]).is_file() and (out / row["notebook"]).is_file()


def test_manifest_and_offline_index_list_every_report(killed_then_resumed, active):
    out, _, result = killed_then_resumed
    with open(out / "manifest.csv", newline="", encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle))
    assert tuple(manifest[0]) == MANIFEST_COLUMNS
    assert [r["job_id"] for r in manifest] == [f"client/{c}/client" for c in active]
    assert {r["kind"] for r in manifest} == {"client"}
    assert json.loads(manifest[0]["parameters"])["client_id"] == active[0]
    assert "data" not in json.loads(manifest[0]["parameters"])  # no paths in the manifest
    page = (out / "index.html").read_text(encoding="utf-8")
    assert not find_remote_references(page)
    for row in result.rows:
        if row["status"] == "failed":
            assert '("planted-failure") raised RuntimeError' in html.unescape(page)
            assert "planted failure" not in page
        else:
            assert f'href="{row["html"]}"' in page


def test_reports_share_one_plotly_js_per_folder(killed_then_resumed):
    out, _, result = killed_then_resumed
    master = out / PLOTLY_JS_NAME
    for row in result.rows:
        if row["status"] == "failed":
            continue
        html = out / row["html"]
        assert '<script src="plotly.min.js"' in html.read_text(encoding="utf-8")
        assert (html.parent / PLOTLY_JS_NAME).samefile(master)  # a hard link, not a copy
        assert html.stat().st_size < 1_000_000


def test_rerun_renders_only_the_client_whose_rows_changed(
    killed_then_resumed, clinic, active, notebooks
):
    out, _, result = killed_then_resumed
    changed = active[0]
    data = out.parent / "changed-clinic"
    data.mkdir()
    for path in clinic.iterdir():
        (data / path.name).write_bytes(path.read_bytes())
    sessions = pd.read_csv(data / "sessions.csv", dtype=str, keep_default_na=False)
    first = sessions.index[sessions["client_id"] == changed][0]
    sessions.loc[first, "kind"] = (
        "review" if sessions.loc[first, "kind"] != "review" else "treatment"
    )
    sessions.to_csv(data / "sessions.csv", index=False)
    html = out / result.rows[0]["html"]
    stamp = html.stat().st_mtime_ns
    again = render_batch(
        data, MONTH, out, workers=1, audience="client", notebooks=notebooks, quiet=True
    )
    statuses = {r["job_id"]: r["status"] for r in again.rows}
    assert statuses.pop(f"client/{changed}/client") == "rendered"
    assert statuses.pop(f"client/{active[1]}/client") == "failed"  # failures are retried
    assert set(statuses.values()) == {"skipped"}
    assert html.stat().st_mtime_ns != stamp


def test_command_line_exit_codes_and_quiet(killed_then_resumed, clinic, notebooks):
    out, _, _ = killed_then_resumed
    app = typer.Typer()
    app.command("batch")(batch)
    app.command("version")(lambda: None)
    runner = CliRunner()
    bad = runner.invoke(app, ["batch", "--data", str(clinic), "--month", "Oct", "--out", "x"])
    assert isinstance(bad.exception, ParameterError) and bad.exception.exit_code == 2
    help_text = runner.invoke(app, ["batch", "--help"]).output
    for option in ("--workers", "--audience", "--scheduler", "--pdf", "--quiet"):
        assert option in help_text
    env = {"THERAPY_OUTCOMES_NOTEBOOKS": str(notebooks)}
    args = ["batch", "--data", str(clinic), "--month", MONTH, "--out", str(out)]
    quiet = runner.invoke(app, [*args, "--audience", "client", "--quiet"], env=env)
    assert quiet.exit_code == 1  # the planted failure, retried and failing again
    assert "failed: client/" in quiet.output and "Rendering" not in quiet.output
