"""Batch runs are safe to start twice and to kill.

- One batch at a time per output folder: a second run refuses at once (one line naming the
  first run's PID, host and start time, exit code 2) or waits (``--wait``); the lock of a run
  that was killed is taken over with a note; the lock is released however a run ends.
- Nothing of a batch outlives its main process: a real batch (a small demo clinic, one or two
  workers) is killed by its PID with ``SIGKILL`` and with ``SIGTERM``, and every descendant
  (the pool's workers, their kernels, multiprocessing's resource tracker) must be gone within
  a few seconds.

The tests that run a real batch start kernels (``kernel``); the lock's own tests do not.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from therapy_outcomes.batch.api import render_batch
from therapy_outcomes.batch.lifetime import exit_on_terminate, parent_death_signal
from therapy_outcomes.batch.lock import LOCK_NAME, OWNER_NAME, batch_lock, read_owner
from therapy_outcomes.batch.manifest import JOURNAL_NAME
from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.errors import BatchLockedError

psutil = pytest.importorskip("psutil")

AS_OF = "2026-10-31"
MONTH = "2026-10"
#: Seconds every descendant of a killed batch has to die in ("a few seconds", on a busy box).
GRACE = 10.0

# A process that holds a folder's lock until it is killed (prints "locked" once it holds it).
HOLDER = textwrap.dedent(
    """
    import sys, time
    from therapy_outcomes.batch.lock import batch_lock
    with batch_lock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(600)
    """
)


def _holder(folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "therapy_outcomes.cli.batch", *args]


# The lock


def test_a_second_lock_on_a_folder_refuses_naming_the_first_run(tmp_path):
    holder = _holder(tmp_path)
    try:
        with pytest.raises(BatchLockedError) as info, batch_lock(tmp_path):
            pass
        message = str(info.value)
        assert f"PID {holder.pid} on " in message and ", started 20" in message
        assert "\n" not in message and info.value.exit_code == 2
        assert read_owner(tmp_path)["pid"] == holder.pid  # the refusal leaves it alone
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_of_a_killed_run_is_taken_over_with_a_note(tmp_path):
    holder = _holder(tmp_path)
    holder.kill()  # SIGKILL: no clean-up ran, its record stays behind
    holder.wait()
    assert read_owner(tmp_path)["pid"] == holder.pid
    with batch_lock(tmp_path) as held:
        assert held.taken_over is not None and held.taken_over["pid"] == holder.pid
        assert read_owner(tmp_path)["pid"] == os.getpid()
    assert read_owner(tmp_path) is None


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_the_lock_is_released_on_an_error_and_on_ctrl_c(tmp_path, exc):
    with pytest.raises(exc), batch_lock(tmp_path):
        raise exc()
    assert read_owner(tmp_path) is None
    with batch_lock(tmp_path) as held:  # free again, and nothing to take over
        assert held.taken_over is None
    assert (tmp_path / LOCK_NAME).exists()  # the lock file stays, for waiters


def test_with_wait_a_second_run_waits_for_the_first(tmp_path):
    notes: list[str] = []
    with batch_lock(tmp_path):
        got = threading.Event()

        def second() -> None:
            with batch_lock(tmp_path, wait=True, on_wait=notes.append):
                got.set()

        thread = threading.Thread(target=second)
        thread.start()
        assert not got.wait(1.0)  # it waits while the first holds the lock
    thread.join(30)
    assert got.is_set()
    assert len(notes) == 1 and f"PID {os.getpid()} on " in notes[0]


def test_render_batch_refuses_a_locked_folder_before_any_work(tmp_path):
    holder = _holder(tmp_path)
    try:
        with pytest.raises(BatchLockedError, match=f"PID {holder.pid} on "):
            render_batch(tmp_path / "no-such-dataset", MONTH, tmp_path)  # not even loaded
        assert not (tmp_path / "manifest.csv").exists()
    finally:
        holder.kill()
        holder.wait()


def test_the_command_line_refuses_in_one_line_with_exit_code_2(tmp_path):
    holder = _holder(tmp_path)
    try:
        args = ["--data", str(tmp_path / "no-such-dataset"), "--month", MONTH]
        done = subprocess.run(
            _cli(*args, "--out", str(tmp_path)), capture_output=True, text=True, timeout=120
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {tmp_path} is in use by another")
    assert f"PID {holder.pid} on " in lines[0] and "--wait" in lines[0]
    assert "Traceback" not in done.stderr


def test_sigterm_becomes_an_exit_in_the_block_only():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as info, exit_on_terminate():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert info.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux only")
def test_a_parent_death_signal_can_be_asked_for_on_linux():
    code = (
        "from therapy_outcomes.batch.lifetime import parent_death_signal\n"
        "import ctypes, signal\n"
        "assert parent_death_signal(signal.SIGTERM)\n"
        "libc = ctypes.CDLL(None); out = ctypes.c_int()\n"
        "libc.prctl(2, ctypes.byref(out), 0, 0, 0)\n"  # PR_GET_PDEATHSIG
        "print(out.value)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == str(int(signal.SIGTERM)), done.stderr
    assert parent_death_signal(0)  # and cancelled (this process keeps none)


# Real batches


@pytest.fixture(scope="module")
def small_clinic(tmp_path_factory) -> Path:
    """Eight clients: six reports in October (five monthly summaries and one client)."""
    folder = tmp_path_factory.mktemp("clinic")
    write_demo_clinic(folder, n_clients=8, seed=7, as_of=AS_OF)
    return folder


def _batch(clinic: Path, out: Path, workers: int) -> subprocess.Popen:
    code = (
        "from therapy_outcomes.batch import render_batch\n"
        f"render_batch({str(clinic)!r}, {MONTH!r}, {str(out)!r}, workers={workers}, "
        "audience='client')\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _descendants(pid: int) -> list:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _is_kernel(process) -> bool:
    try:
        return "ipykernel_launcher" in " ".join(process.cmdline())
    except psutil.Error:
        return False


def _alive(process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_for_kernels(proc: subprocess.Popen, count: int, timeout: float = 240) -> list:
    """The batch's descendants once ``count`` kernels run (and the workers, if any)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the batch ended before it was killed"
        found = _descendants(proc.pid)
        if sum(map(_is_kernel, found)) >= count:
            time.sleep(0.5)  # let the kernels' start settle
            return _descendants(proc.pid)
        time.sleep(0.2)
    pytest.fail(f"no {count} kernels within {timeout:g} s")


@pytest.mark.kernel
@pytest.mark.parametrize(
    ("workers", "signum"),
    [(2, signal.SIGKILL), (2, signal.SIGTERM), (1, signal.SIGKILL)],
    ids=["two-workers-SIGKILL", "two-workers-SIGTERM", "one-worker-SIGKILL"],
)
def test_killing_the_main_process_leaves_no_worker_or_kernel(
    small_clinic, tmp_path, workers, signum
):
    proc = _batch(small_clinic, tmp_path / "out", workers)
    tree: list = []
    try:
        tree = _wait_for_kernels(proc, count=workers)
        if workers > 1:
            pool = [p for p in tree if "multiprocessing.spawn" in " ".join(p.cmdline())]
            assert len(pool) == workers
        os.kill(proc.pid, signum)
        killed = time.monotonic()
        proc.wait(timeout=60)
        while any(map(_alive, tree)) and time.monotonic() - killed < GRACE:
            time.sleep(0.05)
        last = time.monotonic() - killed
        survivors = [(p.pid, " ".join(p.cmdline())[:80]) for p in tree if _alive(p)]
        assert not survivors, f"alive {GRACE:g} s after the kill: {survivors}"
        print(f"{len(tree)} descendants, the last gone {last:.2f} s after {signum.name}")
    finally:
        for p in [*tree, *_descendants(proc.pid)]:
            if _alive(p):
                p.kill()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if signum == signal.SIGTERM:  # a clean end: manifest written, lock released
        assert proc.returncode == 128 + signal.SIGTERM
        assert (tmp_path / "out" / "manifest.csv").is_file()
        assert not (tmp_path / "out" / OWNER_NAME).exists()


@pytest.mark.kernel
def test_two_batches_into_one_folder_the_second_refuses_the_first_completes(small_clinic, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    first = _batch(small_clinic, out, workers=1)
    try:
        deadline = time.monotonic() + 120
        while (read_owner(out) or {}).get("pid") != first.pid:
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        args = ["--data", str(small_clinic), "--month", MONTH, "--out", str(out)]
        second = subprocess.run(
            _cli(*args, "--audience", "client", "--workers", "1", "--quiet"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2
        assert second.stderr.count("\n") == 1 and f"PID {first.pid} on " in second.stderr
        assert first.wait(timeout=300) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    journal = [json.loads(x) for x in (out / JOURNAL_NAME).read_text().splitlines()]
    assert len(journal) == 6 and {e["status"] for e in journal} == {"rendered"}  # once each
    assert len({e["job_id"] for e in journal}) == 6
    assert read_owner(out) is None
