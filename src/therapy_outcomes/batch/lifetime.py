"""The batch's worker processes and kernels die with it, however it ends.

A local batch is a main process, a pool of worker processes (:mod:`.runner`) and a warm
Jupyter kernel per worker (:mod:`.engine`). Nothing of it may outlive the main process:

- **Each worker** (:func:`init_worker`, the pool's initializer) starts its own session, so a
  Ctrl-C at the terminal reaches only the main process, which then stops the workers. On Linux
  it asks for a parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGTERM)``): when the main
  process dies, even by ``SIGKILL``, the kernel sends the worker ``SIGTERM``. A watchdog
  thread that checks every half second whether the parent changed does the same where
  ``prctl`` does not exist (and covers the moment before it was set). On ``SIGTERM`` a worker
  kills its kernels, each with its process group, and exits at once (:func:`die`).
- **Each kernel** runs in its own session (jupyter_client starts it so) and watches its parent
  (ipykernel exits within a second when its parent, the worker, is gone): so kernels die with
  their worker even when the worker itself is killed with ``SIGKILL``.
- **The main process** turns ``SIGTERM`` and ``SIGHUP`` into :class:`SystemExit` while a
  batch runs (:func:`exit_on_terminate`), so its clean-up runs as on Ctrl-C: the workers are
  stopped (:func:`stop_processes`), the manifest is written, the lock is released.

Examples
--------
>>> import signal
>>> with exit_on_terminate():  # SIGTERM raises SystemExit(143) in here
...     signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
False
>>> signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
True
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["die", "exit_on_terminate", "init_worker", "parent_death_signal", "stop_processes"]

#: ``prctl`` option: the signal this process gets when its parent dies (``<linux/prctl.h>``).
PR_SET_PDEATHSIG = 1
#: Seconds between the watchdog's looks at the parent process.
WATCHDOG_INTERVAL = 0.5


def parent_death_signal(signum: int) -> bool:
    """Ask Linux to send this process ``signum`` when its parent dies (0 cancels).

    Returns False (and does nothing) where ``prctl`` does not exist.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc, no prctl
        return False


def die(signum: int = signal.SIGTERM, frame: Any = None) -> None:
    """Kill this process's warm kernels (with their process groups) and exit now."""
    from therapy_outcomes.batch.engine import kill_kernels
    from therapy_outcomes.batch.worker import discard_scratch

    try:
        kill_kernels()
        discard_scratch()
    finally:
        os._exit(128 + signum)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCHDOG_INTERVAL)
    die()


def init_worker(parent: int) -> None:
    """Make this worker process die with ``parent`` (the pool's initializer; see the module)."""
    from therapy_outcomes.batch.engine import shutdown_all

    with contextlib.suppress(OSError):  # already a session leader
        os.setsid()
    signal.signal(signal.SIGTERM, die)
    parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the signal was asked for
        die()
    threading.Thread(target=_watch, args=(parent,), name="parent-watchdog", daemon=True).start()
    atexit.register(shutdown_all)  # a normal end: stop the kernels cleanly


def stop_processes(processes: Iterable[Any], timeout: float = 5.0) -> None:
    """Stop ``multiprocessing`` processes: ``SIGTERM``, then ``SIGKILL`` after ``timeout``."""
    processes = [p for p in processes if p.is_alive()]
    for process in processes:
        with contextlib.suppress(OSError):
            process.terminate()
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            with contextlib.suppress(OSError):
                process.kill()
            process.join(1.0)


@contextlib.contextmanager
def exit_on_terminate() -> Iterator[None]:
    """Within the block, ``SIGTERM`` and ``SIGHUP`` raise :class:`SystemExit` (once each).

    Only in the main thread, and only for signals whose handler is the default one (a
    handler set by the caller, or ``nohup``'s ignoring of ``SIGHUP``, is left alone). The
    exit code is ``128 + signal``, as for a process the signal killed; a second signal of
    the same kind kills at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        signal.signal(signum, signal.SIG_DFL)
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None and signal.getsignal(signum) is signal.SIG_DFL:
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
