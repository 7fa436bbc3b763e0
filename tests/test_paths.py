"""Output paths: IDs that cannot steer them, atomic writes, and scrubbing machine details."""

from __future__ import annotations

import getpass
import os
import socket
from pathlib import Path

import nbformat
import pytest

from therapy_outcomes.errors import ParameterError
from therapy_outcomes.rendering.paths import atomic_output, atomic_write, notebooks_folder, safe_id
from therapy_outcomes.rendering.scrub import Scrubber, scrub_notebook

REPO = Path(__file__).resolve().parents[1]


# -- safe_id -------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["C-0001", "client_12", "A", "x" * 64, "0", 42])
def test_safe_id_accepts_plain_ids(value):
    assert safe_id(value) == str(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "..",
        "../C1",
        "C1/..",
        "a/b",
        "/etc/passwd",
        "a\\b",
        "..\\C1",
        ".hidden",
        ".",
        "-rf",
        "x" * 65,
        "C 1",
        "C1\n",
        "C1\x00",
        "Ünïcode",
        "C1.html",
        "~root",
        "CON",
        "nul",
        "com1",
        None,
        True,
        1.5,
        ["C1"],
    ],
)
def test_safe_id_rejects_anything_that_could_steer_a_path(value):
    with pytest.raises(ParameterError) as info:
        safe_id(value, what="client ID")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("client ID ")
    assert info.value.exit_code == 2


def test_safe_id_message_stays_short_for_long_values():
    with pytest.raises(ParameterError) as info:
        safe_id("../" * 500)
    assert len(str(info.value)) < 120


# -- atomic writes -------------------------------------------------------------------------
def test_atomic_write_bytes_and_text(tmp_path):
    assert atomic_write(tmp_path / "a.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert atomic_write(tmp_path / "a.txt", "héllo\n").read_text(encoding="utf-8") == "héllo\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "a.txt"]


def test_atomic_write_replaces_an_existing_file(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old")
    atomic_write(target, "new")
    assert target.read_text() == "new"


def test_atomic_write_gives_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        target = atomic_write(tmp_path / "r.html", "x")
    finally:
        os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o644
    assert atomic_write(tmp_path / "p.html", "x", mode=0o600).stat().st_mode & 0o777 == 0o600


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "report.html"
    with pytest.raises(RuntimeError), atomic_output(target, text=True) as handle:
        handle.write("half a rep")
        raise RuntimeError("disk on fire")
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old and whole")
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as handle:
        handle.write(b"new but half")
        raise KeyboardInterrupt
    assert target.read_text() == "old and whole"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_atomic_output_text_mode_writes_unix_newlines(tmp_path):
    target = tmp_path / "t.txt"
    with atomic_output(target, text=True) as handle:
        handle.write("a\nb\n")
    assert target.read_bytes() == b"a\nb\n"


# -- scrubbing -----------------------------------------------------------------------------
HOST = socket.gethostname()
USER = getpass.getuser()


def leaks(text: str) -> list[str]:
    """Machine details found in ``text`` (the checks the report tests use too)."""
    import re

    found = []
    for needle in (str(REPO), "/root", "/home/", "/tmp", "/Users/"):
        if needle in text:
            found.append(needle)
    if HOST and re.search(rf"(?<![\w.-]){re.escape(HOST)}(?![\w-])", text):
        found.append(f"host {HOST}")
    if USER and re.search(rf"(/{re.escape(USER)}\b|\b{re.escape(USER)}@)", text):
        found.append(f"user {USER}")
    return found


def _leaky_notebook(base: Path) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata.papermill = {
        "input_path": str(REPO / "notebooks" / "client_progress.ipynb"),
        "output_path": str(base / "out" / "C1.ipynb"),
        "parameters": {"data": str(REPO / "data" / "demo"), "cache": "/tmp/to-cache/x.parquet"},
    }
    params = nbformat.v4.new_code_cell(f'data = "{REPO / "data" / "demo"}"')
    params.metadata.tags = ["injected-parameters"]
    code = nbformat.v4.new_code_cell("boom()")
    site_file = Path(os.__file__).resolve()
    code.outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text=f"{REPO}/src/therapy_outcomes/x.py:12: UserWarning: careful\n",
        ),
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/plain": f"Saved to {base}/out/C1.csv on {HOST}",
                "text/html": f"<p>Saved to <code>{base}/out/C1.csv</code></p></div>",
                "application/json": {"path": str(Path.home() / "secret.csv")},
            },
        ),
        nbformat.v4.new_output(
            "error",
            ename="FileNotFoundError",
            evalue=f"[Errno 2] No such file: '/home/jane/clinic/{USER}.csv'",
            traceback=[
                "\x1b[0;31mFileNotFoundError\x1b[0m  Traceback (most recent call last)",
                f"File \x1b[0;32m{site_file}:42\x1b[0m, in \x1b[0;36mopen\x1b[0;34m()",
                "File \x1b[0;32m/tmp/ipykernel_4242/1234.py:1\x1b[0m",
                f"File {REPO}/.venv/lib/python3.11/site-packages/pandas/io/common.py:873",
                f"ssh {USER}@{HOST}",
            ],
        ),
    ]
    nb.cells = [params, code]
    return nb


def test_scrub_notebook_removes_paths_users_and_hosts(tmp_path):
    nb = _leaky_notebook(tmp_path)
    before = nbformat.writes(nb)
    assert leaks(before)  # the fixture does leak
    clean = scrub_notebook(nb, bases=[tmp_path / "out", REPO / "notebooks"])
    text = nbformat.writes(clean)
    assert leaks(text) == [], text
    nbformat.validate(clean)
    assert clean.metadata.papermill.input_path == "client_progress.ipynb"
    assert clean.metadata.papermill.output_path == "C1.ipynb"
    assert clean.metadata.papermill.parameters["data"] == "data/demo"
    assert clean.cells[0].id == "injected-parameters"
    assert clean.cells[0].source == 'data = "data/demo"'
    stream, display, error = clean.cells[1].outputs
    assert stream.text.startswith("src/therapy_outcomes/x.py:12: UserWarning")
    assert display.data["text/plain"] == "Saved to C1.csv on <host>"
    assert display.data["text/html"] == "<p>Saved to <code>C1.csv</code></p></div>"
    assert display.data["application/json"]["path"] == "~/secret.csv"
    assert "site-packages/pandas/io/common.py:873" in error.traceback[3]
    assert "\x1b[0;32m" in error.traceback[1]  # colours kept
    assert nb.metadata.papermill.parameters["data"].startswith("/")  # input not modified


def test_scrub_leaves_base64_data_alone():
    scrub = Scrubber([], hostname="vm", username="jdoe")
    typed = {"dtype": "f8", "bdata": "AAAA+vm/tmp/AAAA+jdoe@AA=="}
    assert scrub.value({"y": typed, "name": "on vm"}) == {"y": typed, "name": "on <host>"}


def test_scrub_keeps_ordinary_text():
    scrub = Scrubber([], hostname="clinic-pc-7", username="jdoe")
    for text in [
        "score 12/27 on 2026/10/31",
        "</div></span>",
        "see https://example.org/a/b and data/demo",
        "relative/path/file.csv",
        "the square root of 16",
    ]:
        assert scrub.text(text) == text
    assert scrub.text("run on clinic-pc-7 by jdoe") == "run on <host> by <user>"
    assert scrub.text("file:///home/jdoe/report.html") == "file://report.html"
    assert scrub.text(r"C:\Users\jdoe\Documents\c.csv") == r"<user-folder>\Documents\c.csv"


def test_scrub_redraws_figure_html_from_the_scrubbed_figure():
    import numpy as np
    import plotly.graph_objects as go

    from therapy_outcomes.rendering.display import FIGURE_MIMETYPE, figure_output

    fig = go.Figure(go.Scatter(y=np.array([1.0, 2.0])))
    fig.update_layout(title="made on clinic-pc-7")
    data, meta = figure_output(fig, "f")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show(fig, 'f')")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=meta)]
    nb.cells = [cell]
    clean = Scrubber([], hostname="clinic-pc-7", username="jdoe").notebook(nb)
    out = clean.cells[0].outputs[0]
    spec = out.data[FIGURE_MIMETYPE]
    assert spec["layout"]["title"]["text"] == "made on <host>"
    assert spec["data"][0]["y"] == data[FIGURE_MIMETYPE]["data"][0]["y"]  # base64 untouched
    fig.update_layout(title="made on <host>")
    assert out.data["text/html"] == figure_output(fig, "f")[0]["text/html"]


# -- notebooks_folder ------------------------------------------------------------------------
def test_notebooks_folder_is_the_repositorys_by_default(monkeypatch):
    monkeypatch.delenv("THERAPY_OUTCOMES_NOTEBOOKS", raising=False)
    assert notebooks_folder() == REPO / "notebooks"
    for name in ("client_progress.ipynb", "cohort_outcomes.ipynb", "monthly_summary.ipynb"):
        assert (notebooks_folder() / name).is_file(), name


def test_notebooks_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("THERAPY_OUTCOMES_NOTEBOOKS", str(tmp_path))
    assert notebooks_folder() == tmp_path
    monkeypatch.setenv("THERAPY_OUTCOMES_NOTEBOOKS", "")
    assert notebooks_folder() == REPO / "notebooks"
