"""One batch at a time per output folder: a lock, and a record of who holds it.

:func:`batch_lock` takes an operating-system lock (:class:`filelock.FileLock`, ``flock`` on
Unix) on ``OUT/.batch.lock`` for the whole run. The system drops such a lock when the process
that holds it ends, however it ends (``SIGKILL`` included), so a killed batch never leaves a
folder locked. Beside it, ``OUT/.batch-owner.json`` names the holder: PID, host and start time.

- A second run into the same folder refuses at once with :class:`BatchLockedError`, whose one
  line names the first run; with ``wait=True`` it waits until the first run ends instead.
- A run that gets the lock but finds an owner record was started after a run that did not end
  cleanly (killed): the record is stale, the run takes the lock over and says so in a note.
- On every way out of the ``with`` block (normal end, an error, Ctrl-C) the record is removed
  and the lock released. The lock file itself stays (waiters must all lock the same file).

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> with batch_lock(folder) as held:
...     owner = read_owner(folder)
...     try:
...         with batch_lock(folder):
...             pass
...     except BatchLockedError as err:
...         refused = str(err)
>>> owner["pid"] == os.getpid() and held.taken_over is None
True
>>> refused.startswith(f"{folder} is in use by another batch: PID {os.getpid()} on ")
True
>>> read_owner(folder) is None  # released
True
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from therapy_outcomes.errors import BatchLockedError, ParameterError
from therapy_outcomes.rendering.paths import atomic_write

__all__ = ["LOCK_NAME", "OWNER_NAME", "HeldLock", "batch_lock", "describe", "read_owner"]

#: The lock file in the output folder.
LOCK_NAME = ".batch.lock"
#: Who holds the lock: ``{"pid", "host", "started"}``.
OWNER_NAME = ".batch-owner.json"


@dataclass(frozen=True)
class HeldLock:
    """The lock of a running batch.

    Attributes
    ----------
    folder : pathlib.Path
        The output folder.
    taken_over : dict or None
        The stale owner record found on taking the lock (a run that was killed), else None.
    """

    folder: Path
    taken_over: dict[str, Any] | None


def read_owner(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The owner record of ``folder`` (None when there is none or it cannot be read)."""
    try:
        owner = json.loads((Path(folder) / OWNER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return owner if isinstance(owner, dict) else None


def describe(owner: dict[str, Any] | None) -> str:
    """``PID 123 on host, started 2026-10-31 09:15:02`` (or what is known of it).

    Examples
    --------
    >>> describe({"pid": 123, "host": "web1", "started": "2026-10-31 09:15:02"})
    'PID 123 on web1, started 2026-10-31 09:15:02'
    >>> describe(None)
    'a process that left no record'
    """
    if not owner:
        return "a process that left no record"
    pid, host, started = (owner.get(k, "?") for k in ("pid", "host", "started"))
    return f"PID {pid} on {host}, started {started}"


def _refusal(folder: Path) -> BatchLockedError:
    owner = read_owner(folder)
    deadline = time.monotonic() + 2.0
    while owner is None and time.monotonic() < deadline:  # just locked, record not written yet
        time.sleep(0.05)
        owner = read_owner(folder)
    return BatchLockedError(
        f"{folder} is in use by another batch: {describe(owner)} "
        "(wait for it to finish, pass --wait, or choose another --out)"
    )


@contextlib.contextmanager
def batch_lock(
    folder: str | os.PathLike[str],
    *,
    wait: bool = False,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[HeldLock]:
    """Hold the output folder's lock for the ``with`` block (see the module).

    Parameters
    ----------
    folder : path
        An existing output folder.
    wait : bool
        Wait for a running batch to finish instead of refusing.
    on_wait : callable, optional
        Told once, in a sentence, which run it waits for (with ``wait``).

    Yields
    ------
    HeldLock
        With the stale owner record it took over, if any.

    Raises
    ------
    BatchLockedError
        Another batch holds the lock (and ``wait`` is False).
    ParameterError
        The folder cannot be locked (not writable, say).
    """
    folder = Path(folder)
    lock = FileLock(folder / LOCK_NAME, timeout=0, thread_local=False)
    try:
        try:
            lock.acquire()
        except Timeout:
            if not wait:
                raise _refusal(folder) from None
            if on_wait is not None:
                owner = describe(read_owner(folder))
                on_wait(f"waiting for the batch in {folder} to finish: {owner}")
            lock.acquire(timeout=-1)
    except OSError as exc:  # a read-only folder, a file system without locks
        raise ParameterError(f"cannot lock the output folder {folder}: {exc.strerror}") from None
    try:
        stale = read_owner(folder)  # a record under a free lock: its run ended uncleanly
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now().isoformat(sep=" ", timespec="seconds"),
        }
        atomic_write(folder / OWNER_NAME, json.dumps(record, sort_keys=True) + "\n")
        try:
            yield HeldLock(folder, stale)
        finally:
            with contextlib.suppress(OSError):
                (folder / OWNER_NAME).unlink()
    finally:
        lock.release()
