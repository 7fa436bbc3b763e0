"""The warm-kernel engine: reused kernels, isolation between notebooks, fresh-kernel equality.

Isolation is a privacy requirement: a worker renders client A then client B in the same
kernel, and nothing of A may reach B's outputs, also when B fails part-way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from therapy_outcomes.batch.engine import ENGINE_NAME, register, shutdown_all, warm_kernels
from therapy_outcomes.batch.worker import run_job
from therapy_outcomes.client_report.render import (
    CLIENT_NOTEBOOK,
    client_report_path,
    render_client_report,
)
from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.rendering.paths import notebooks_folder

AS_OF = "2026-10-31"

# Each cell prints what it can see of earlier notebooks: variables, Out/_ history, the last
# exception; then the notebook makes a secret of its own, shows it, and maybe fails.
PROBE = """\
import os, sys
seen = sorted(k for k in globals() if k.startswith(("secret", "var_", "after")))
print("SEEN", seen)
print("LAST", repr(getattr(sys, "last_value", None)))
print("HISTORY", [v for v in globals().get("Out", {}).values()], repr(globals().get("_", "")))
print("ENV", os.environ.get("TO_TEST_SECRET"))
print("PID", os.getpid())
"""
SECRET = """\
secret = "secret-of-" + client_id
globals()["var_" + client_id] = client_id
os.environ["TO_TEST_SECRET"] = secret
secret
"""
FAIL = """\
if fail:
    raise ValueError("boom in " + client_id)
"""


@pytest.fixture(scope="module")
def probe_notebook(tmp_path_factory) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('client_id = "X"\nfail = False')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(PROBE),
        nbformat.v4.new_code_cell(SECRET),
        nbformat.v4.new_code_cell(FAIL),
        nbformat.v4.new_code_cell("after = secret"),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path_factory.mktemp("probe") / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def _run(notebook: Path, out: Path, client_id: str, fail: bool = False) -> str:
    """Run the probe in the warm engine; the executed notebook's outputs as text."""
    target = out / f"{client_id}.ipynb"
    try:
        papermill.execute_notebook(
            str(notebook),
            str(target),
            parameters={"client_id": client_id, "fail": fail},
            engine_name=ENGINE_NAME,
            progress_bar=False,
            kernel_name="python3",
        )
    except PapermillExecutionError:
        assert fail, "only the failing run may raise"
    nb = nbformat.read(target, as_version=4)
    return json.dumps([cell.get("outputs", []) for cell in nb.cells])


def _pid(text: str) -> str:
    return re.search(r"PID (\d+)", text).group(1)


@pytest.mark.parametrize("recycle_on_error", [False, True])
def test_nothing_of_one_notebook_reaches_the_next(probe_notebook, tmp_path, recycle_on_error):
    register()
    with warm_kernels(max_runs=10, keep=False, recycle_on_error=recycle_on_error):
        a = _run(probe_notebook, tmp_path, "AAA")
        b = _run(probe_notebook, tmp_path, "BBB", fail=True)
        c = _run(probe_notebook, tmp_path, "CCC")
    assert _pid(a) == _pid(b), "the second notebook must run in the same (warm) kernel"
    assert "boom in BBB" in b and "secret-of-BBB" in b  # B did run part-way, then failed
    for text in (b, c):
        assert "SEEN []" in text and "LAST None" in text and "ENV None" in text
        assert "HISTORY [] ''" in text
        assert "AAA" not in text
    assert "BBB" not in c
    assert (_pid(b) == _pid(c)) is not recycle_on_error


def test_kernel_is_recycled_after_max_runs(probe_notebook, tmp_path):
    register()
    with warm_kernels(max_runs=2, keep=False):
        pids = [_pid(_run(probe_notebook, tmp_path, f"K{i}")) for i in range(3)]
    assert pids[0] == pids[1] != pids[2]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clinic")
    write_demo_clinic(folder, n_clients=30, seed=7, as_of=AS_OF)
    return folder


def _job(client_id: str, data: Path) -> dict:
    html = client_report_path(".", client_id, __import__("pandas").Timestamp(AS_OF), "clinician")
    return {
        "job_id": f"client/{client_id}/clinician",
        "kind": "client",
        "notebook": str(notebooks_folder() / CLIENT_NOTEBOOK),
        "parameters": {
            "data": str(data.resolve()),
            "client_id": client_id,
            "as_of": AS_OF,
            "audience": "clinician",
        },
        "outputs": {"html": html.as_posix(), "notebook": html.with_suffix(".ipynb").as_posix()},
        "title": f"Progress report {client_id}",
    }


def _masked(nb_bytes: bytes) -> dict:
    nb = json.loads(nb_bytes)
    nb["metadata"].pop("papermill", None)
    for cell in nb["cells"]:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
    return nb


@pytest.mark.kernel
def test_warm_outputs_equal_fresh_kernel_outputs_and_hold_no_other_client(clinic, tmp_path):
    clients = ["C000002", "C000003"]
    warm = {}
    try:
        for client_id in clients:  # one worker, one kernel: A then B
            result = run_job(_job(client_id, clinic))
            assert result["status"] == "rendered", result["error"]
            warm[client_id] = result["files"]
    finally:
        shutdown_all()
    for client_id in clients:
        fresh = render_client_report(
            client_id, data=clinic, out=tmp_path, as_of=AS_OF, plotly_js="shared"
        )
        assert warm[client_id]["html"] == fresh.html.read_bytes()
        assert _masked(warm[client_id]["notebook"]) == _masked(fresh.notebook.read_bytes())
    b_text = warm["C000003"]["html"] + warm["C000003"]["notebook"]
    assert b"C000003" in b_text and b"C000002" not in b_text


@pytest.mark.kernel
def test_monthly_summary_job_renders_in_the_warm_engine(clinic):
    from therapy_outcomes.batch.api import plan_batch

    if not (notebooks_folder() / "monthly_summary.ipynb").is_file():
        pytest.skip("the monthly summary notebook is not there yet")
    job = next(j for j in plan_batch(clinic, "2026-10") if j.kind == "monthly-service")
    spec = {
        "job_id": job.job_id,
        "notebook": job.notebook,
        "parameters": job.parameters,
        "outputs": job.outputs,
        "title": job.title,
    }
    try:
        result = run_job(spec)
    finally:
        shutdown_all()
    assert result["status"] == "rendered", result["error"]
    assert set(result["files"]) == {"html", "notebook"}
    assert job.outputs["html"] == "monthly/2026-10/service.html"
    assert b"<html" in result["files"]["html"]


def test_entry_point_loads_whichever_module_is_imported_first():
    """papermill loads engine entry points while it is imported: no import cycle either way."""
    import subprocess
    import sys

    for first in ("import therapy_outcomes.batch.engine", "import papermill"):
        code = (
            f"{first}\n"
            "from papermill.engines import papermill_engines\n"
            "print(papermill_engines.get_engine('therapy_outcomes_warm').__name__)"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "WarmKernelEngine"
