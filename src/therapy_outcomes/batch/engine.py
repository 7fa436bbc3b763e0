"""A papermill engine that keeps one warm Jupyter kernel per worker thread.

Starting a kernel and importing pandas, plotly and this package costs seconds; running a
report notebook costs a fraction of that. :class:`WarmKernelEngine` starts the kernel once and
reuses it. Before every notebook it wipes the kernel's user state (:data:`RESET_CODE`):
``%reset -f`` (variables, ``In``/``Out``, ``_`` ...), the last exception and its traceback
(which hold the previous notebook's frames and so its variables), the working folder and the
environment as they were when the kernel started, and the execution counter back to 1
(:func:`therapy_outcomes.batch.kernel_state.clean`). Module state (plotly template and
renderer, pandas options, random seeds) is set by ``setup_notebook()`` in the first cell of
every report notebook. The only
state a kernel keeps on purpose is dataset-wide: the loaded dataset and the fitted
expected-recovery models, the same for every report (``share_data``, see :func:`warm_kernels`).

The kernel is recycled (shut down, a new one started on the next run) after ``max_runs``
notebooks, after any notebook in which a cell failed, and after a timeout or a dead kernel, so
nothing of a failed run is ever carried into the next one.

The engine is registered with papermill as ``therapy_outcomes_warm`` (entry point
``papermill.engine``; ``papermill --engine therapy_outcomes_warm`` or
``execute_notebook(..., engine_name="therapy_outcomes_warm")``). :func:`warm_kernels` also
makes :class:`DefaultEngine` papermill's default engine, warm inside the block only, so that
:func:`therapy_outcomes.rendering.execute.render_notebook` uses the warm kernel unchanged.

Examples
--------
>>> from therapy_outcomes.batch.engine import WarmKernelEngine, register
>>> register()
>>> from papermill.engines import papermill_engines
>>> papermill_engines.get_engine("therapy_outcomes_warm") is WarmKernelEngine
True
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, NBClientEngine, papermill_engines
from papermill.utils import merge_kwargs, remove_args

__all__ = [
    "ENGINE_NAME",
    "RESET_CODE",
    "SNAPSHOT_CODE",
    "WarmKernel",
    "WarmKernelEngine",
    "register",
    "warm_kernels",
]

#: Name of the engine in papermill's registry.
ENGINE_NAME = "therapy_outcomes_warm"
#: Notebooks one kernel runs before it is replaced by a fresh one.
DEFAULT_MAX_RUNS = 50

#: Run silently in a new kernel, before its first notebook.
SNAPSHOT_CODE = (
    "import therapy_outcomes.batch.kernel_state as _ks\n_ks.snapshot(caches={caches!r})\ndel _ks"
)
#: Run silently in the kernel before each later notebook; ``{cwd!r}`` filled in.
RESET_CODE = "import therapy_outcomes.batch.kernel_state as _ks\n_ks.clean({cwd!r})"

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
        from therapy_outcomes.rendering.execute import _ipc_kernel_manager

        if os.name != "posix":  # pragma: no cover
            from jupyter_client.manager import AsyncKernelManager

            return AsyncKernelManager
        self._sockets = tempfile.mkdtemp(prefix="to-warm-kernel-")
        return _ipc_kernel_manager(self._sockets)

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
    """papermill engine: runs every notebook in this thread's warm kernel (see module)."""

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
        **kwargs: Any,
    ) -> Any:
        settings = getattr(_local, "settings", None) or {}
        max_runs = settings.get("max_runs", DEFAULT_MAX_RUNS)
        kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        kwargs.pop("kernel_manager_class", None)  # the warm kernel keeps its own sockets
        kernel = _kernels().setdefault(kernel_name, WarmKernel(kernel_name, max_runs))
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
                code = SNAPSHOT_CODE.format(caches=settings.get("share_data", True))
                kernel.run_silently(code, timeout=start_timeout)
            else:
                client.kc = kernel.kc
                kernel.run_silently(RESET_CODE.format(cwd=os.getcwd()), timeout=start_timeout)
            client.execute(cleanup_kc=False)
        except BaseException:
            kernel.km = kernel.km or client.km
            kernel.kc = kernel.kc or client.kc
            kernel.shutdown()
            raise
        kernel.km, kernel.kc = client.km, client.kc
        kernel.runs += 1
        failed = settings.get("recycle_on_error", True) and _has_error(nb_man.nb)
        if failed or kernel.runs >= kernel.max_runs:
            kernel.shutdown()
        return nb_man.nb


class DefaultEngine(WarmKernelEngine):
    """papermill's default engine in a batch worker: warm inside :func:`warm_kernels`, else
    papermill's own engine (a fresh kernel per notebook)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
        if getattr(_local, "settings", None) is None:
            return NBClientEngine.execute_managed_notebook(nb_man, kernel_name, **kwargs)
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)


def register() -> None:
    """Register :class:`WarmKernelEngine` with papermill as :data:`ENGINE_NAME` (idempotent)."""
    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)


def shutdown_all() -> None:
    """Stop this thread's warm kernels."""
    for kernel in _kernels().values():
        kernel.shutdown()
    _kernels().clear()


@contextlib.contextmanager
def warm_kernels(
    max_runs: int = DEFAULT_MAX_RUNS,
    *,
    keep: bool = True,
    recycle_on_error: bool = True,
    share_data: bool = True,
) -> Iterator[None]:
    """Within the block, papermill's default engine runs notebooks in this thread's warm kernel.

    Parameters
    ----------
    max_runs : int
        Notebooks per kernel before it is replaced.
    keep : bool
        Keep the kernels running after the block (a worker process reuses them); ``False``
        shuts them down.
    recycle_on_error : bool
        Replace the kernel after a notebook in which a cell failed (the reset alone also
        clears a failed run; recycling is the belt to its braces).
    share_data : bool
        Let a kernel keep the loaded dataset and the fitted expected-recovery models between
        notebooks (:func:`therapy_outcomes.batch.kernel_state.install_caches`): dataset-wide
        results, the same for every report; each notebook gets its own copy of the tables.
    """
    if max_runs < 1:
        raise ValueError("max_runs must be at least 1")
    register()
    papermill_engines.register(None, DefaultEngine)
    previous = getattr(_local, "settings", None)
    _local.settings = {
        "max_runs": max_runs,
        "recycle_on_error": recycle_on_error,
        "share_data": share_data,
    }
    for kernel in _kernels().values():
        kernel.max_runs = max_runs
    try:
        yield
    finally:
        _local.settings = previous
        if not keep:
            shutdown_all()
