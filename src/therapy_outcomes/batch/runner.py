"""Execute job specs locally (a pool of worker processes) or on a Dask distributed cluster.

Both runners call :func:`therapy_outcomes.batch.worker.run_job` for every spec and hand each
result to ``on_result`` in the order they finish. Local workers are spawned processes, each
with its own warm kernel; with one worker the jobs run in this process. Local workers and
their kernels die with this process, also when it is killed (:mod:`.lifetime`); when the run
is interrupted (Ctrl-C, ``SIGTERM``, an error), the workers are stopped at once, not after
their current report. On Dask, the notebook and the dataset travel as bytes (the dataset
scattered once to every worker), so workers need the package installed but no shared
filesystem; the Dask workers and their warm kernels belong to the cluster and outlive the
batch on purpose. An interrupted batch cancels its tasks; a killed one loses its connection,
and the scheduler then forgets the tasks it had not started (a report being rendered runs to
its end, its result is dropped).

Examples
--------
>>> seen = []
>>> run_local([], workers=1, on_result=seen.append)
>>> seen
[]
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from therapy_outcomes.batch.lifetime import init_worker, stop_processes
from therapy_outcomes.batch.worker import recorded_error, run_job
from therapy_outcomes.extras import require

__all__ = ["run_dask", "run_local"]

Result = dict[str, Any]


def run_local(
    specs: Iterable[dict[str, Any]],
    *,
    workers: int,
    on_result: Callable[[Result], None],
    max_runs: int = 50,
) -> None:
    """Run ``specs`` on ``workers`` local processes (in this process when ``workers == 1``)."""
    specs = list(specs)
    if not specs:
        return
    if workers <= 1:
        from therapy_outcomes.batch.engine import shutdown_all

        try:
            for spec in specs:
                on_result(run_job(spec, None, max_runs))
        finally:
            shutdown_all()
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    before = set(multiprocessing.active_children())
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=init_worker, initargs=(os.getpid(),)
    ) as pool:
        pending = set()
        queue = iter(specs)
        try:
            # keep a few jobs queued per worker, not all of them (memory, quick cancel)
            for spec in queue:
                pending.add(pool.submit(run_job, spec, None, max_runs))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    on_result(future.result())
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending.add(pool.submit(run_job, nxt, None, max_runs))
        except BaseException:  # Ctrl-C, SIGTERM (lifetime.exit_on_terminate), a bug
            pool.shutdown(wait=False, cancel_futures=True)
            stop_processes(set(multiprocessing.active_children()) - before)  # and kernels
            raise


def run_dask(
    specs: Iterable[dict[str, Any]],
    *,
    scheduler: str,
    data_bundle: dict[str, Any] | None,
    on_result: Callable[[Result], None],
    max_runs: int = 50,
    timeout: float = 30,
) -> None:
    """Run ``specs`` on the Dask cluster at ``scheduler`` (``tcp://host:port``)."""
    require("distributed", "dask", "--scheduler")
    from distributed import Client, as_completed

    specs = list(specs)
    if not specs:
        return
    with Client(scheduler, timeout=timeout) as client:
        bundle = client.scatter(data_bundle, broadcast=True) if data_bundle else None
        futures = [
            client.submit(run_job, spec, bundle, max_runs, pure=False, retries=1) for spec in specs
        ]
        by_key = {future.key: spec for future, spec in zip(futures, specs, strict=True)}
        try:
            for future in as_completed(futures):
                try:
                    on_result(future.result())
                except Exception as exc:  # the worker died, or the task could not run
                    spec = by_key[future.key]
                    on_result(
                        {
                            "job_id": spec["job_id"],
                            "status": "failed",
                            "seconds": 0.0,
                            "files": {},
                            "error": recorded_error(exc),
                        }
                    )
                finally:
                    future.release()
        except BaseException:
            client.cancel(futures)
            raise
