"""Batch rendering: every report of a month, fast, resumable, locally or on Dask.

- :mod:`.jobs` plans the month's jobs (kind, notebook, parameters, outputs, input hash);
- :mod:`.engine` is the warm-kernel papermill engine;
- :mod:`.worker` runs one job and returns its files as bytes;
- :mod:`.runner` runs jobs on local processes or a Dask cluster;
- :mod:`.manifest` keeps the resume journal and writes ``manifest.csv`` and ``index.html``;
- :mod:`.lock` lets one batch at a time write into an output folder;
- :mod:`.lifetime` makes the workers and their kernels die with the main process;
- :mod:`.api` ties them together in :func:`render_batch`.

Examples
--------
>>> from therapy_outcomes.batch import render_batch
>>> callable(render_batch)
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["BatchResult", "plan_batch", "render_batch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from therapy_outcomes.batch import api

        return getattr(api, name)
    raise AttributeError(f"module 'therapy_outcomes.batch' has no attribute {name!r}")
