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

from therapy_outcomes.batch.engine import ENGINE_NAME, register, shutdown_all
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


def _run(notebook: Path, out: Path, client_id: str, fail: bool = False, **settings) -> str:
    """Run the probe in the warm engine (``settings``: the engine's); the outputs as text."""
    target = out / f"{client_id}.ipynb"
    try:
        papermill.execute_notebook(
            str(notebook),
            str(target),
            parameters={"client_id": client_id, "fail": fail},
            engine_name=ENGINE_NAME,
            progress_bar=False,
            kernel_name="python3",
            **settings,
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
    settings = {"max_runs": 10, "recycle_on_error": recycle_on_error}
    try:
        a = _run(probe_notebook, tmp_path, "AAA", **settings)
        b = _run(probe_notebook, tmp_path, "BBB", fail=True, **settings)
        c = _run(probe_notebook, tmp_path, "CCC", **settings)
    finally:
        shutdown_all()
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
    try:
        pids = [_pid(_run(probe_notebook, tmp_path, f"K{i}", max_runs=2)) for i in range(3)]
    finally:
        shutdown_all()
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


# --- the engine is chosen by name; nothing is patched; the shared cache -------------------


def _notebook(folder: Path, name: str, params: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(params)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / name
    nbformat.write(nb, path)
    return path


def _printed(path: Path, tag: str) -> object:
    """The JSON printed after ``tag`` by the executed notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    return json.loads(re.search(rf"^{tag} (.*)$", text, re.M).group(1))


def _warm(notebook: Path, target: Path, parameters: dict | None = None, **settings) -> Path:
    papermill.execute_notebook(
        str(notebook),
        str(target),
        parameters=parameters or {},
        engine_name=ENGINE_NAME,
        progress_bar=False,
        kernel_name="python3",
        **settings,
    )
    return target


@pytest.mark.kernel
def test_default_papermill_engine_is_untouched_after_a_batch(clinic, tmp_path):
    from papermill.engines import NBClientEngine, papermill_engines

    from therapy_outcomes.batch.api import plan_batch, render_batch

    client = next(j for j in plan_batch(clinic, "2026-10") if j.kind == "client")
    chosen = [client.parameters["client_id"]]
    result = render_batch(clinic, "2026-10", tmp_path / "out", workers=1, clients=chosen)
    assert result.counts == {"rendered": 1}, result.failed
    assert papermill_engines.get_engine(None) is NBClientEngine
    assert papermill_engines.get_engine("nbclient") is NBClientEngine


# Every function of a therapy_outcomes module, by id; and any whose code is in another of the
# package's files than the module it claims to come from (a wrapper put in its place).
IDENTITIES = """\
import json, os, sys, types
import therapy_outcomes
import therapy_outcomes.loading.dataset as dataset
import therapy_outcomes.outcomes.expected_recovery as recovery
functions = {
    f"{name}.{attr}": value
    for name, module in list(sys.modules.items()) if name.startswith("therapy_outcomes")
    for attr, value in list(vars(module).items()) if isinstance(value, types.FunctionType)
}
root = os.path.dirname(therapy_outcomes.__file__)
def foreign(f):
    home = getattr(sys.modules.get(f.__module__), "__file__", None)
    return f.__code__.co_filename.startswith(root) and f.__code__.co_filename != home
print("IDS", json.dumps({key: id(f) for key, f in functions.items()}))
print("WRAPPED", json.dumps(sorted(k for k, f in functions.items() if foreign(f))))
print("LOAD", json.dumps([id(dataset.load), id(recovery.fit_expected_recovery)]))
import os; print("PID", json.dumps(os.getpid()))
"""


@pytest.mark.kernel
def test_no_function_of_the_package_is_replaced_in_a_warm_kernel(clinic, tmp_path):
    probe = _notebook(tmp_path, "identities.ipynb", "x = 1", IDENTITIES)
    register()
    try:
        before = _warm(probe, tmp_path / "before.ipynb")
        result = run_job(_job("C000002", clinic))  # the same thread: the same warm kernel
        assert result["status"] == "rendered", result["error"]
        after = _warm(probe, tmp_path / "after.ipynb")
    finally:
        shutdown_all()
    assert _printed(before, "PID") == _printed(after, "PID")
    assert _printed(before, "LOAD") == _printed(after, "LOAD")
    ids_before, ids_after = _printed(before, "IDS"), _printed(after, "IDS")
    assert "therapy_outcomes.loading.dataset.load" in ids_before
    assert len(ids_after) > len(ids_before)  # the report imported more of the package
    assert {k: ids_after[k] for k in ids_before} == ids_before
    assert _printed(before, "WRAPPED") == _printed(after, "WRAPPED") == []


LOAD_TWICE = """\
import json, os
import pandas as pd
from therapy_outcomes.caching import shared_cache
from therapy_outcomes.loading.dataset import load
cache = shared_cache()
ds = load(data, as_of=as_of, cache=cache)
on = cache is not None
print("CACHE", json.dumps(on and [cache.datasets.hits, cache.datasets.misses]))
print("MINE", json.dumps(ds.cache is cache))
print("CLIENTS", json.dumps(len(ds.clients)))
print("DIGEST", json.dumps(int(pd.util.hash_pandas_object(ds.scores).sum())))
print("PID", json.dumps(os.getpid()))
"""


@pytest.mark.kernel
def test_warm_kernel_shares_the_dataset_only_while_it_is_unchanged_and_asked_for(clinic, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(clinic, data)
    probe = _notebook(tmp_path, "load.ipynb", 'data = ""\nas_of = ""', LOAD_TWICE)
    params = {"data": str(data), "as_of": AS_OF}
    register()
    runs = []

    def run(share_data: bool) -> dict:
        target = _warm(probe, tmp_path / f"run{len(runs)}.ipynb", params, share_data=share_data)
        runs.append(target)
        return {tag: _printed(target, tag) for tag in ("CACHE", "MINE", "CLIENTS", "DIGEST", "PID")}

    try:
        off = run(share_data=False)  # a new kernel told not to share: no cache at all
        first = run(share_data=True)
        second = run(share_data=True)
        clients = (data / "clients.csv").read_text()
        last = clients.strip().splitlines()[-1]
        (data / "clients.csv").write_text(clients + "C999999" + last[last.index(",") :] + "\n")
        changed = run(share_data=True)
        off_again = run(share_data=False)
        on_again = run(share_data=True)
    finally:
        shutdown_all()
    assert len({r["PID"] for r in (off, first, second, changed, off_again, on_again)}) == 1
    assert off["CACHE"] is False and off["MINE"] is True  # no cache: ds.cache is None too
    assert first["CACHE"] == [0, 1] and first["MINE"] is True
    assert second["CACHE"] == [1, 1], "the second load must come from the cache"
    assert (second["CLIENTS"], second["DIGEST"]) == (first["CLIENTS"], first["DIGEST"])
    assert changed["CACHE"] == [1, 2], "a changed file must be read again"
    assert changed["CLIENTS"] == first["CLIENTS"] + 1
    assert off_again["CACHE"] is False
    assert on_again["CACHE"] == [0, 1], "switching sharing off empties the cache"


@pytest.mark.kernel
def test_papermill_command_line_runs_the_warm_engine_by_name(tmp_path):
    import subprocess
    import sys

    probe = _notebook(
        tmp_path,
        "warm.ipynb",
        "x = 1",
        "import json\nfrom therapy_outcomes.caching import shared_cache\n"
        'print("WARM", json.dumps(shared_cache() is not None))',
    )
    papermill_cli = str(Path(sys.executable).parent / "papermill")
    for engine, warm in ((["--engine", ENGINE_NAME], True), ([], False)):
        out = tmp_path / f"out-{warm}.ipynb"
        command = [papermill_cli, str(probe), str(out), "--no-progress-bar", *engine]
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert _printed(out, "WARM") is warm
