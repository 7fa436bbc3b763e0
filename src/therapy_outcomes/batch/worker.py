"""Run one job in a worker and return its outputs as bytes (no shared filesystem needed).

:func:`run_job` is what a local worker process or a Dask worker executes. It renders the job
with :func:`therapy_outcomes.rendering.execute.render_notebook` in this thread's warm kernel
(the papermill engine :data:`therapy_outcomes.batch.engine.ENGINE_NAME`, asked for by name)
into a private temporary folder, reads the files back and removes the folder. The notebook
and the dataset may come as bytes (a Dask worker on another machine): they are unpacked once
per worker into a cache folder named by their hash.

Examples
--------
>>> bundle = pack_path(__file__)
>>> sorted(bundle) == ["digest", "files", "kind", "name"]
True
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["discard_scratch", "pack_path", "recorded_error", "run_job", "unpack"]

#: Files of a dataset folder larger than this are refused by :func:`pack_path` (bytes).
MAX_BUNDLE = 2 * 1024**3

_scratch: set[Path] = set()  # the temporary folders of the jobs running in this process


def pack_path(
    path: str | os.PathLike[str], exclude: list[str | os.PathLike[str]] | None = None
) -> dict[str, Any]:
    """A file or folder as ``{"kind", "name", "digest", "files": {relative path: bytes}}``.

    Hidden files and anything under an ``exclude`` folder (say, reports written inside the
    dataset folder) are left out.
    """
    root = Path(path)
    skip = [Path(p).resolve() for p in exclude or []]

    def wanted(p: Path) -> bool:
        hidden = any(part.startswith(".") for part in p.relative_to(root).parts)
        resolved = p.resolve()
        return p.is_file() and not hidden and not any(resolved.is_relative_to(s) for s in skip)

    if root.is_file():
        files = {root.name: root.read_bytes()}
        kind = "file"
    else:
        files = {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if wanted(p)
        }
        kind = "folder"
    if sum(map(len, files.values())) > MAX_BUNDLE:
        raise ValueError(f"{root.name} is too large to ship to workers")
    h = hashlib.sha256()
    for name, data in files.items():
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return {"kind": kind, "name": root.name, "digest": h.hexdigest(), "files": files}


def _cache_root() -> Path:
    root = Path(tempfile.gettempdir()) / f"therapy-outcomes-batch-{os.getuid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def unpack(bundle: dict[str, Any]) -> Path:
    """Write a :func:`pack_path` bundle once into this machine's cache; return its path."""
    home = _cache_root() / bundle["digest"][:32]
    if not home.exists():
        staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=_cache_root()))
        for name, data in bundle["files"].items():
            target = staging / name
            if ".." in Path(name).parts or Path(name).is_absolute():
                raise ValueError(f"bad file name in bundle: {name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        try:
            os.replace(staging, home)
        except OSError:  # another worker unpacked it first
            shutil.rmtree(staging, ignore_errors=True)
    return home if bundle["kind"] == "folder" else home / bundle["name"]


def recorded_error(exc: BaseException) -> str:
    """What a batch records of a failed report (``manifest.csv``, ``index.html``, the journal,
    the printed summary): one line with no free text from the data.

    A failing cell is named by notebook, cell position and id and the error's name; the
    message is kept only for the package's own errors
    (:data:`therapy_outcomes.rendering.execute.PLAIN_MESSAGES`).

    Examples
    --------
    >>> recorded_error(KeyError("Walk to the shop with Ana"))
    'KeyError (its message is not shown, as it may quote the data)'
    >>> from therapy_outcomes.errors import ParameterError
    >>> recorded_error(ParameterError("unknown client C9"))
    'unknown client C9'
    >>> from therapy_outcomes.rendering.execute import ReportExecutionError
    >>> recorded_error(ReportExecutionError("client.ipynb", "ValueError", "Ana", 4, "plot"))
    'client.ipynb: cell 4 ("plot") raised ValueError (its message is not shown, as it may quote the data)'
    """  # noqa: E501 - a doctest output line
    from therapy_outcomes.rendering.execute import (
        MESSAGE_WITHHELD,
        PLAIN_MESSAGES,
        ReportExecutionError,
    )

    if isinstance(exc, ReportExecutionError):
        text = str(exc)  # its message already withholds any text that may quote the data
    elif type(exc).__name__ in PLAIN_MESSAGES:
        text = str(exc)
    else:
        text = f"{type(exc).__name__} ({MESSAGE_WITHHELD})"
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


def discard_scratch() -> None:
    """Remove the temporary folders of the jobs running now (a worker that must end at once)."""
    for folder in list(_scratch):
        shutil.rmtree(folder, ignore_errors=True)


def run_job(
    spec: dict[str, Any], data_bundle: dict[str, Any] | None = None, max_runs: int = 50
) -> dict[str, Any]:
    """Render one job (a dict of :class:`therapy_outcomes.batch.jobs.Job` fields).

    ``spec["notebook_bundle"]`` (optional) carries the notebook as bytes, ``data_bundle`` the
    dataset; without them the paths in the spec are used as they are. The warm kernel is
    replaced after ``max_runs`` notebooks and after a notebook with a failed cell; it shares
    the loaded dataset and the fitted models between notebooks (``share_data``, see
    :class:`therapy_outcomes.batch.engine.WarmKernelEngine`).

    Returns
    -------
    dict
        ``job_id``, ``status`` (``rendered`` or ``failed``), ``seconds``, ``error`` and
        ``files`` (output name -> bytes; empty when failed).
    """
    from therapy_outcomes.batch.engine import ENGINE_NAME, register
    from therapy_outcomes.rendering.execute import render_notebook

    started = time.perf_counter()
    params = dict(spec["parameters"])
    result: dict[str, Any] = {"job_id": spec["job_id"], "files": {}, "error": ""}
    out = Path(tempfile.mkdtemp(prefix="job-", dir=_cache_root()))
    _scratch.add(out)
    try:
        notebook = spec["notebook"]
        if spec.get("notebook_bundle"):
            notebook = str(unpack(spec["notebook_bundle"]))
        if data_bundle is not None:
            params["data"] = str(unpack(data_bundle))
        outputs = spec["outputs"]
        html = out / outputs["html"]
        register()  # the engine by name, also where the entry point is not installed
        render_notebook(
            notebook,
            params,
            out_html=html,
            out_notebook=out / outputs["notebook"],
            pdf=out / outputs["pdf"] if "pdf" in outputs else None,
            pdf_header=spec.get("pdf_header", ""),
            plotly_js="shared",
            title=spec.get("title"),
            engine_name=ENGINE_NAME,
            engine_options={"max_runs": max_runs, "recycle_on_error": True, "share_data": True},
        )
        result["files"] = {name: (out / rel).read_bytes() for name, rel in outputs.items()}
        result["status"] = "rendered"
    except Exception as exc:  # one report failing never stops the batch
        result["status"] = "failed"
        result["error"] = recorded_error(exc)
    finally:
        shutil.rmtree(out, ignore_errors=True)
        _scratch.discard(out)
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result
