"""A papermill engine that keeps one warm Jupyter kernel per worker thread.

Starting a kernel and importing pandas, plotly and this package costs seconds; running a
report notebook costs a fraction of that. :class:`WarmKernelEngine` starts the kernel once and
reuses it. Before every notebook it wipes the kernel's user state (:data:`RESET_CODE`):
``%reset -f`` (variables, ``In``/``Out``, ``_`` ...), the last exception and its traceback
(which hold the previous notebook's frames and so its variables), the working folder and the
environment as they were when the kernel started, and the execution counter back to 1
(:func:`therapy_outcomes.batch.kernel_state.clean`). Module state (plotly template and
renderer, pandas options, random seeds) is set by ``setup_notebook()`` in the first cell of
every report notebook. The only state a kernel keeps on purpose is dataset-wide: with
``share_data`` the kernel's shared cache (:func:`therapy_outcomes.caching.shared_cache`) is
on, and report notebooks that pass it to ``load`` reuse the loaded dataset and the fitted
expected-recovery models, the same for every report.

The kernel is recycled (shut down, a new one started on the next run) after ``max_runs``
notebooks, after any notebook in which a cell failed (``recycle_on_error``), and after a
timeout or a dead kernel, so nothing of a failed run is ever carried into the next one.

The engine is chosen by name: it is registered with papermill as ``therapy_outcomes_warm``
(:data:`ENGINE_NAME`; entry point ``papermill.engine``, or :func:`register` from a source
tree), and papermill's default engine is left alone. From the command line,
``papermill in.ipynb out.ipynb --engine therapy_outcomes_warm``; from Python,
``papermill.execute_notebook(..., engine_name="therapy_outcomes_warm", max_runs=10)`` or
``render_notebook(..., engine_name=ENGINE_NAME, engine_options={"max_runs": 10})``. The
settings ``max_runs``, ``recycle_on_error`` and ``share_data`` are keyword arguments of each
call (papermill passes its extra keyword arguments on to the engine).

Examples
--------
>>> from therapy_outcomes.batch.engine import WarmKernelEngine, register
>>> register()
>>> from papermill.engines import NBClientEngine, papermill_engines
>>> papermill_engines.get_engine("therapy_outcomes_warm") is WarmKernelEngine
True
>>> papermill_engines.get_engine(None) is NBClientEngine
True
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines
from papermill.utils import merge_kwargs, remove_args

from therapy_outcomes.rendering.kernels import IPC_SUPPORTED, ipc_kernel_manager

__all__ = [
    "DEFAULT_MAX_RUNS",
    "ENGINE_NAME",
    "RESET_CODE",
    "SNAPSHOT_CODE",
    "WarmKernel",
    "WarmKernelEngine",
    "kill_kernels",
    "register",
    "shutdown_all",
]

#: Name of the engine in papermill's registry.
ENGINE_NAME = "therapy_outcomes_warm"
#: Notebooks one kernel runs before it is replaced by a fresh one.
DEFAULT_MAX_RUNS = 50

#: Run silently in a new kernel, before its first notebook.
SNAPSHOT_CODE = (
    "import therapy_outcomes.batch.kernel_state as _ks\n_ks.snapshot(caches={caches!r})\ndel _ks"
)
#: Run silently in the kernel before each later notebook; ``{cwd!r}`` and ``{caches!r}``
#: filled in.
RESET_CODE = (
    "import therapy_outcomes.batch.kernel_state as _ks\n_ks.clean({cwd!r}, caches={caches!r})"
)

_local = threading.local()


class WarmKernel:
    """One kernel kept alive across notebooks (used by :class:`WarmKernelEngine`)."""

    def __init__(self, kernel_name: str, max_runs: int) -> None:
        self.kernel_name, self.max_runs = kernel_name, max_runs
        self.km: Any = None
        self.kc: Any = None
        self.runs = 0
        self._sockets: str | None = None

    @property
    def alive(self) -> bool:
        return self.km is not None

    def manager_class(self) -> type:
        """The kernel manager for a new kernel: Unix sockets in a private folder of its own."""
        if not IPC_SUPPORTED:  # pragma: no cover
            from jupyter_client.manager import AsyncKernelManager

            return AsyncKernelManager
        self._sockets = tempfile.mkdtemp(prefix="to-warm-kernel-")
        return ipc_kernel_manager(self._sockets)

    def run_silently(self, code: str, timeout: float) -> None:
        """Run ``code`` in the kernel, no output, no history; raise when it fails."""
        from jupyter_core.utils import run_sync

        reply = run_sync(self.kc.execute_interactive)(
            code,
            silent=True,
            store_history=False,
            timeout=timeout,
            allow_stdin=False,
            output_hook=lambda msg: None,
        )
        if reply["content"].get("status") != "ok":
            raise RuntimeError("the warm kernel could not be reset")

    def shutdown(self) -> None:
        """Stop the kernel (if running) and remove its socket folder."""
        from jupyter_core.utils import run_sync

        km, kc, self.km, self.kc, self.runs = self.km, self.kc, None, None, 0
        with contextlib.suppress(Exception):
            if kc is not None:
                kc.stop_channels()
        with contextlib.suppress(Exception):
            if km is not None:
                run_sync(km.shutdown_kernel)(now=True)
        if self._sockets:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None


def _kernels() -> dict[str, WarmKernel]:
    if not hasattr(_local, "kernels"):
        _local.kernels = {}
        _ALL.append(_local.kernels)
    return _local.kernels


_ALL: list[dict[str, WarmKernel]] = []


@atexit.register
def _shutdown_everything() -> None:
    for kernels in _ALL:
        for kernel in list(kernels.values()):
            kernel.shutdown()


def _has_error(nb: Any) -> bool:
    return any(
        out.get("output_type") == "error" for cell in nb.cells for out in cell.get("outputs", [])
    )


class WarmKernelEngine(Engine):
    """papermill engine: runs every notebook in this thread's warm kernel (see module).

    Besides papermill's own arguments, :meth:`execute_managed_notebook` takes the engine's
    settings as keyword arguments of ``papermill.execute_notebook``.
    """

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        *,
        max_runs: int = DEFAULT_MAX_RUNS,
        recycle_on_error: bool = True,
        share_data: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Run ``nb_man``'s notebook in the warm kernel for ``kernel_name``.

        Parameters
        ----------
        max_runs : int
            Notebooks a kernel runs before it is replaced (counted from its start).
        recycle_on_error : bool
            Replace the kernel after a notebook in which a cell failed (the reset alone also
            clears a failed run; recycling is the belt to its braces).
        share_data : bool
            Let this notebook use the kernel's shared cache: the loaded dataset and the
            fitted expected-recovery models of earlier notebooks (dataset-wide results, the
            same for every report; each notebook gets its own copy of the tables).
            ``False`` switches the cache off and empties it.

        Other parameters are papermill's; a ``kernel_manager_class`` is ignored (the warm
        kernel keeps its own private sockets).
        """
        if isinstance(max_runs, bool) or not isinstance(max_runs, int) or max_runs < 1:
            raise ValueError(f"max_runs must be a whole number of at least 1, not {max_runs!r}")
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        kwargs.pop("kernel_manager_class", None)
        kernel = _kernels().setdefault(kernel_name, WarmKernel(kernel_name, max_runs))
        kernel.max_runs = max_runs
        final = merge_kwargs(
            kwargs,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        fresh = not kernel.alive
        if fresh:
            final["kernel_manager_class"] = kernel.manager_class()
        client = PapermillNotebookClient(nb_man, km=kernel.km, **final)
        try:
            if fresh:
                client.km = client.create_kernel_manager()
                kernel.km = client.km
                client.start_new_kernel()
                kernel.kc = client.start_new_kernel_client()
                code = SNAPSHOT_CODE.format(caches=bool(share_data))
            else:
                client.kc = kernel.kc
                code = RESET_CODE.format(cwd=os.getcwd(), caches=bool(share_data))
            kernel.run_silently(code, timeout=start_timeout)
            client.execute(cleanup_kc=False)
        except BaseException:
            kernel.km = kernel.km or client.km
            kernel.kc = kernel.kc or client.kc
            kernel.shutdown()
            raise
        kernel.km, kernel.kc = client.km, client.kc
        kernel.runs += 1
        failed = recycle_on_error and _has_error(nb_man.nb)
        if failed or kernel.runs >= kernel.max_runs:
            kernel.shutdown()
        return nb_man.nb


def register() -> None:
    """Register :class:`WarmKernelEngine` with papermill as :data:`ENGINE_NAME` (idempotent).

    Needed only where the package's entry point is not installed (a source tree on
    ``PYTHONPATH``); papermill's default engine is not touched.
    """
    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


def kill_kernels() -> None:
    """Kill every warm kernel of this process at once, each with its process group.

    For a worker that must end now (:func:`therapy_outcomes.batch.lifetime.die`): no
    messages, only signals, so it works from a signal handler. A kernel runs in a session of
    its own, so its group holds the kernel and whatever the kernel started.
    """
    import signal

    for kernels in _ALL:
        for kernel in list(kernels.values()):
            provisioner = getattr(kernel.km, "provisioner", None)
            pid = getattr(provisioner, "pid", None)
            group = getattr(provisioner, "pgid", None)
            with contextlib.suppress(OSError):
                if group and hasattr(os, "killpg") and group != os.getpgrp():
                    os.killpg(group, signal.SIGKILL)
                elif pid:
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError, TypeError):
                os.remove(kernel.km.connection_file)
            if kernel._sockets:
                shutil.rmtree(kernel._sockets, ignore_errors=True)


def shutdown_all() -> None:
    """Stop this thread's warm kernels."""
    for kernel in _kernels().values():
        kernel.shutdown()
    _kernels().clear()
