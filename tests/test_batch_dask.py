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
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(file.read_text())["address"]
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
