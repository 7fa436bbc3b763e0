"""``render_batch``: every report of a month, resumable, with a manifest and an index page.

One batch at a time writes into an output folder (:mod:`.lock`); its workers and kernels die
with it (:mod:`.lifetime`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from therapy_outcomes.batch.jobs import (
    AUDIENCE_CHOICES,
    Job,
    client_hashes,
    month_bounds,
    plan_client_jobs,
    plan_monthly_jobs,
)
from therapy_outcomes.batch.lifetime import exit_on_terminate
from therapy_outcomes.batch.lock import batch_lock, describe
from therapy_outcomes.batch.manifest import Journal, write_index, write_manifest
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.rendering.paths import atomic_write

__all__ = ["BatchResult", "plan_batch", "render_batch"]


@dataclass(frozen=True)
class BatchResult:
    """What :func:`render_batch` did.

    Attributes
    ----------
    out : pathlib.Path
        The batch folder.
    rows : list of dict
        One manifest row per report (see :data:`~therapy_outcomes.batch.manifest.MANIFEST_COLUMNS`).
    manifest, index : pathlib.Path
        ``manifest.csv`` and ``index.html``.
    seconds : float
        Wall time of the whole batch.
    """

    out: Path
    rows: list[dict[str, Any]]
    manifest: Path
    index: Path
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        """Reports per status (``rendered``, ``skipped``, ``failed``, ``pending``)."""
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return counts

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The rows of reports that failed."""
        return [row for row in self.rows if row["status"] == "failed"]


def _source(data: str | os.PathLike[str]) -> str:
    text = str(data)
    if "://" in text:
        return text
    if not Path(text).exists():
        raise ParameterError(f"dataset not found: {text}")
    return str(Path(text).resolve())


def plan_batch(
    data: str | os.PathLike[str],
    month: str,
    *,
    audience: str = "clinician",
    pdf: bool = False,
    notebooks: str | os.PathLike[str] | None = None,
    clients: list[str] | None = None,
) -> list[Job]:
    """The jobs of a month: monthly summaries (when that notebook exists), then client reports.

    ``clients`` keeps only these clients' reports (and no monthly summaries).

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_demo_clinic(folder, n_clients=30, seed=7, as_of="2026-10-31")
    >>> jobs = plan_batch(folder, "2026-10", audience="both")
    >>> sorted({job.kind for job in jobs}) >= ["client"]
    True
    """
    from therapy_outcomes.client_report.render import CLIENT_NOTEBOOK
    from therapy_outcomes.loading.dataset import load
    from therapy_outcomes.rendering.paths import notebooks_folder

    _, last = month_bounds(month)
    if audience not in AUDIENCE_CHOICES:
        raise ParameterError(
            f"audience must be one of {', '.join(AUDIENCE_CHOICES)}, not '{audience}'"
        )
    source = _source(data)
    folder = Path(notebooks) if notebooks is not None else notebooks_folder()
    ds = load(source, as_of=max(pd.Timestamp(date.today()), last))
    hashes = client_hashes(ds)
    monthly = plan_monthly_jobs(
        ds,
        data=source,
        month=month,
        notebook=folder / "monthly_summary.ipynb",
        pdf=pdf,
        hashes=hashes,
    )
    planned = plan_client_jobs(
        ds,
        data=source,
        month=month,
        audiences=AUDIENCE_CHOICES[audience],
        notebook=folder / CLIENT_NOTEBOOK,
        pdf=pdf,
        hashes=hashes,
    )
    if clients is None:
        return monthly + planned
    wanted = set(clients)
    return [job for job in planned if job.parameters["client_id"] in wanted]


def _spec(job: Job, ship: bool) -> dict[str, Any]:
    spec = {
        "job_id": job.job_id,
        "kind": job.kind,
        "notebook": job.notebook,
        "parameters": job.parameters,
        "outputs": job.outputs,
        "title": job.title,
        "pdf_header": job.pdf_header,
    }
    if ship:
        stat = Path(job.notebook).stat()
        spec["notebook_bundle"] = _packed(job.notebook, stat.st_mtime_ns, stat.st_size)
    return spec


@functools.lru_cache(maxsize=8)
def _packed(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """The notebook as bytes for remote workers (read once per version of the file)."""
    from therapy_outcomes.batch.worker import pack_path

    return pack_path(path)


def _link_plotly(out: Path, folder: Path) -> None:
    """One real ``plotly.min.js`` in ``out``; hard links to it in every report folder."""
    from therapy_outcomes.rendering.html import PLOTLY_JS_NAME, copy_plotly_js

    master = copy_plotly_js(out) if not (out / PLOTLY_JS_NAME).is_file() else out / PLOTLY_JS_NAME
    target = folder / PLOTLY_JS_NAME
    if target.exists() and (target.samefile(master) or folder.resolve() == out.resolve()):
        return
    if not target.exists():
        try:
            os.link(master, target)
            return
        except OSError:  # another filesystem, or no hard links: a copy
            pass
    copy_plotly_js(folder)


def _row(job: Job, status: str, **extra: Any) -> dict[str, Any]:
    import json

    params = {k: v for k, v in job.parameters.items() if k != "data"}
    return {
        "job_id": job.job_id,
        "kind": job.kind,
        "parameters": json.dumps(params, sort_keys=True),
        "status": status,
        "seconds": "",
        "html": job.outputs.get("html", ""),
        "notebook": job.outputs.get("notebook", ""),
        "pdf": job.outputs.get("pdf", ""),
        "error": "",
        "key": job.key,
        **extra,
    }


def render_batch(
    data: str | os.PathLike[str],
    month: str,
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    audience: str = "clinician",
    scheduler: str | None = None,
    pdf: bool = False,
    quiet: bool = True,
    max_runs: int = 50,
    notebooks: str | os.PathLike[str] | None = None,
    clients: list[str] | None = None,
    wait: bool = False,
    on_note: Callable[[str], None] | None = None,
) -> BatchResult:
    """Render every report of ``month``: monthly summaries and each active client's report.

    Parameters
    ----------
    data : path or URL
        The dataset (any location :func:`therapy_outcomes.load` reads).
    month : str
        ``YYYY-MM``; client reports are as of its last day.
    out : path
        Batch folder: reports, ``manifest.csv``, ``index.html``.
    workers : int, optional
        Local worker processes (default: the CPU count, at most the number of jobs).
    audience : {"clinician", "client", "both"}
        Which versions of the client reports.
    scheduler : str, optional
        ``tcp://host:port`` of a Dask scheduler: run there instead of locally.
    pdf : bool
        Also write PDFs.
    quiet : bool
        No progress bar.
    max_runs : int
        Notebooks a warm kernel runs before it is replaced.
    notebooks : path, optional
        Folder of the report notebooks (default: the package's).
    clients : list of str, optional
        Only these (active) clients' reports, no monthly summaries.
    wait : bool
        When another batch is writing into ``out``, wait for it to finish (default: refuse).
    on_note : callable, optional
        Gets the notes of the run, one sentence each: waiting for another batch, taking over
        the lock of a batch that was killed. Default: logged as warnings.

    Returns
    -------
    BatchResult
        Rows with status ``rendered``, ``skipped`` (inputs unchanged since a previous run),
        ``failed`` (with the error) or ``pending`` (the batch was interrupted).

    Raises
    ------
    ParameterError
        Bad month, audience, workers, dataset location or output folder (before anything
        runs).
    BatchLockedError
        Another batch is writing into ``out`` (and ``wait`` is False): its PID, host and start.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_demo_clinic(folder, n_clients=30, seed=7, as_of="2026-10-31")
    >>> result = render_batch(folder, "2026-10", folder + "/reports")  # doctest: +SKIP
    >>> result.counts  # doctest: +SKIP
    {'rendered': 19}
    """
    started = time.perf_counter()
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise ParameterError(f"workers must be at least 1, not {workers!r}")
    if max_runs < 1:
        raise ParameterError(f"max_runs must be at least 1, not {max_runs!r}")
    if scheduler is not None and "://" not in scheduler:
        raise ParameterError(f"scheduler '{scheduler}' is not an address like tcp://host:port")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"the output folder {folder} is a file")
    note = on_note or logging.getLogger(__name__).warning
    with contextlib.ExitStack() as stack:
        stack.enter_context(exit_on_terminate())
        lock = functools.partial(batch_lock, folder, wait=wait, on_wait=note)
        # an existing folder is locked before planning (a second run refuses at once); a new
        # one only once the plan holds (bad input leaves no folder behind)
        held = stack.enter_context(lock()) if folder.is_dir() else None
        jobs = plan_batch(
            data, month, audience=audience, pdf=pdf, notebooks=notebooks, clients=clients
        )
        if held is None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ParameterError(
                    f"cannot create the output folder {folder}: {exc.strerror}"
                ) from None
            held = stack.enter_context(lock())
        if held.taken_over is not None:
            note(f"took over the lock of a batch that did not finish: {describe(held.taken_over)}")
        journal = Journal(folder)
        previous = journal.load()
        rows: dict[str, dict[str, Any]] = {}
        todo: list[Job] = []
        for job in jobs:
            entry = previous.get(job.job_id)
            if Journal.is_done(entry, job.key, folder, job.outputs):
                rows[job.job_id] = _row(job, "skipped", seconds=0.0)
            else:
                rows[job.job_id] = _row(job, "pending")
                todo.append(job)
        by_id = {job.job_id: job for job in todo}
        bar = _progress(len(todo), quiet)

        def on_result(result: dict[str, Any]) -> None:
            job = by_id[result["job_id"]]
            if result["status"] == "rendered":
                for name in sorted(result["files"], key=lambda n: n == "html"):  # HTML last
                    target = folder / job.outputs[name]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if name == "html":
                        _link_plotly(folder, target.parent)
                    atomic_write(target, result["files"][name])
            row = _row(job, result["status"], seconds=result["seconds"], error=result["error"])
            rows[job.job_id] = row
            journal.append({k: row[k] for k in ("job_id", "key", "status", "seconds", "error")})
            bar.update(1)
            if result["status"] == "failed":
                bar.set_postfix(failed=sum(r["status"] == "failed" for r in rows.values()))

        specs = [_spec(job, ship=scheduler is not None) for job in todo]
        try:
            if scheduler is not None:
                from therapy_outcomes.batch.runner import run_dask
                from therapy_outcomes.batch.worker import pack_path

                source = str(jobs[0].parameters["data"]) if jobs else ""
                local = todo and "://" not in source
                bundle = pack_path(source, exclude=[folder]) if local else None
                run_dask(
                    specs,
                    scheduler=scheduler,
                    data_bundle=bundle,
                    on_result=on_result,
                    max_runs=max_runs,
                )
            else:
                from therapy_outcomes.batch.runner import run_local

                count = workers or os.cpu_count() or 1
                run_local(
                    specs,
                    workers=max(1, min(count, len(specs))),
                    on_result=on_result,
                    max_runs=max_runs,
                )
        finally:
            bar.close()
            ordered = [rows[job.job_id] for job in jobs]
            manifest = write_manifest(folder, ordered)
            index = write_index(folder, ordered, title=f"Reports for {month}")
            fields = ("job_id", "key", "status", "seconds", "error")
            kept = [e for job_id, e in previous.items() if job_id not in rows]  # other runs' jobs
            journal.compact(
                kept + [{k: r[k] for k in fields} for r in ordered if r["status"] != "pending"]
            )
        return BatchResult(folder, ordered, manifest, index, time.perf_counter() - started)


def _progress(total: int, quiet: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=quiet, unit="report", desc="Rendering", dynamic_ncols=True)
