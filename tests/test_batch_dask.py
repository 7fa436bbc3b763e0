"""The batch on a real Dask cluster: a scheduler and two workers as separate processes.

Everything listens on 127.0.0.1 only, the scheduler stops itself when idle, the workers stop
when the scheduler is gone, and the test kills what is left. Workers get their own temporary
folder and a notebooks setting that points nowhere: the notebook and the dataset reach them as
bytes. The reports must equal those of a local run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from therapy_outcomes.batch.api import render_batch
from therapy_outcomes.client_report.render import CLIENT_NOTEBOOK
from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.rendering.paths import notebooks_folder

pytest.importorskip("distributed")

AS_OF = "2026-10-31"


def _dask(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("dask")), *args]


def _scheduler_address(file: Path, scheduler: subprocess.Popen, timeout: float) -> str:
    """The address in the scheduler's file, once the file is whole JSON that holds it.

    The scheduler writes the file in place (not atomically), so it can exist, empty or cut
    short, before the address is in it.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            address = json.loads(file.read_text(encoding="utf-8"))["address"]
            if isinstance(address, str) and address:
                return address
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not there yet, or not written to the end
        if scheduler.poll() is not None:
            pytest.fail(
                f"the Dask scheduler exited with code {scheduler.returncode} before it wrote "
                f"its address to {file.name}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"the Dask scheduler wrote no complete {file.name} within {timeout:g} s")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    home = tmp_path_factory.mktemp("cluster")
    file = home / "scheduler.json"
    env = os.environ | {"DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [
        subprocess.Popen(
            _dask(
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(file),
                "--idle-timeout",
                "300",
            ),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
    ]
    try:
        address = _scheduler_address(file, procs[0], timeout=60)
        assert address.startswith("tcp://127.0.0.1:")
        for i in range(2):
            tmp = home / f"worker{i}"
            tmp.mkdir()
            procs.append(
                subprocess.Popen(
                    _dask(
                        "worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--death-timeout",
                        "30",
                        "--lifetime",
                        "600",
                        "--local-directory",
                        str(tmp),
                    ),
                    cwd=tmp,
                    start_new_session=True,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env | {"TMPDIR": str(tmp), "THERAPY_OUTCOMES_NOTEBOOKS": "/nonexistent"},
                )
            )
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clinic")
    write_demo_clinic(folder, n_clients=30, seed=7, as_of=AS_OF)
    return folder


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> Path:
    """A notebooks folder of the client report only (fewer jobs, shipped as bytes)."""
    folder = tmp_path_factory.mktemp("notebooks")
    shutil.copy(notebooks_folder() / CLIENT_NOTEBOOK, folder / CLIENT_NOTEBOOK)
    return folder


_DATA = re.compile(r'data = \\"[^"\\]*\\"')


def _masked(text: str) -> dict:
    """The notebook without timings, and with the dataset's (machine-local) path masked."""
    nb = json.loads(_DATA.sub('data = \\"DATA\\"', text))
    nb["metadata"].pop("papermill", None)
    for cell in nb["cells"]:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
    return nb


def test_dask_cluster_renders_the_same_reports_as_a_local_run(cluster, clinic, notebooks, tmp_path):
    common = {"audience": "client", "notebooks": notebooks}
    local = render_batch(clinic, "2026-10", tmp_path / "local", workers=1, **common)
    remote = render_batch(clinic, "2026-10", tmp_path / "remote", scheduler=cluster, **common)
    assert local.counts == remote.counts and set(remote.counts) == {"rendered"}
    assert [r["job_id"] for r in local.rows] == [r["job_id"] for r in remote.rows]
    for a, b in zip(local.rows, remote.rows, strict=True):
        left, right = (tmp_path / "local", tmp_path / "remote")
        assert (left / a["html"]).read_bytes() == (right / b["html"]).read_bytes()
        read = lambda root, row: (root / row["notebook"]).read_text(encoding="utf-8")  # noqa: E731
        assert _masked(read(left, a)) == _masked(read(right, b)), a["job_id"]
    # a rerun against the cluster renders nothing: the inputs are unchanged
    again = render_batch(clinic, "2026-10", tmp_path / "remote", scheduler=cluster, **common)
    assert set(again.counts) == {"skipped"}


def test_the_scheduler_file_is_read_only_once_it_is_whole(tmp_path):
    file = tmp_path / "scheduler.json"
    file.write_text('{"type": "Scheduler", "addr')  # cut short, as while it is written
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        threading.Timer(0.5, file.write_text, ['{"address": "tcp://127.0.0.1:8786"}']).start()
        assert _scheduler_address(file, alive, timeout=20) == "tcp://127.0.0.1:8786"
        file.write_text("{}")
        with pytest.raises(pytest.fail.Exception, match=r"no complete scheduler\.json within"):
            _scheduler_address(file, alive, timeout=0.3)
    finally:
        alive.kill()
        alive.wait()
    with pytest.raises(pytest.fail.Exception, match="exited with code -9 before"):
        _scheduler_address(file, alive, timeout=20)
