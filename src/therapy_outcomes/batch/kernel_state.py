"""Kernel-side half of the warm engine: snapshot and restore a kernel's process state.

Imported inside a warm kernel (never in the batch's own process): :func:`snapshot` runs once
after the kernel starts, :func:`clean` before every later notebook (see
:mod:`therapy_outcomes.batch.engine`).

Examples
--------
>>> snapshot(); clean()  # doctest: +SKIP
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["clean", "install_caches", "snapshot"]

_START: dict[str, object] = {}


def snapshot(caches: bool = False) -> None:
    """Remember the environment and working folder the kernel started with.

    With ``caches``, also :func:`install_caches`.
    """
    _START["env"] = dict(os.environ)
    _START["cwd"] = os.getcwd()
    if caches:
        install_caches()


def clean(cwd: str | None = None) -> None:
    """Forget the last notebook: user namespace, history, last exception; restore env/cwd.

    Parameters
    ----------
    cwd : str, optional
        The working folder of the next notebook (default: the one the kernel started in).
    """
    from IPython import get_ipython

    shell = get_ipython()
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            setattr(sys, name, None)
    env = _START.get("env")
    if isinstance(env, dict):
        os.environ.clear()
        os.environ.update(env)
    os.chdir(cwd or str(_START.get("cwd", os.getcwd())))
    if shell is not None:
        shell.run_line_magic("reset", "-f")  # user namespace, In/Out, _; collects garbage
        shell.execution_count = 1
    else:  # pragma: no cover - only ever called in a kernel
        gc.collect()


# --- dataset-wide results, shared by every report a warm kernel runs ---------------------
#
# Every report notebook loads the whole dataset and fits the expected-recovery models on all
# clients: seconds of work whose result is the same for every report of a batch. With
# ``install_caches()`` a warm kernel keeps the last loaded datasets (keyed by location, the
# files' sizes and modification times, the load options and today's date) and the fitted
# models (keyed by a hash of the scores they are fitted on), and hands each notebook its own
# copy of the tables. Nothing a notebook computes for one client is kept: only these inputs,
# which are the same whichever client the notebook is about.

_MAX_DATASETS = 2
_MAX_MODELS = 64
_datasets: dict[tuple, object] = {}
_models: dict[tuple, object] = {}


def _files_key(path: str) -> tuple | None:
    from pathlib import Path

    root = Path(path)
    if not root.exists():
        return None
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)


def _copy_dataset(ds: object) -> object:
    import dataclasses

    import pandas as pd

    changes = {
        f.name: getattr(ds, f.name).copy()
        for f in dataclasses.fields(ds)  # type: ignore[arg-type]
        if isinstance(getattr(ds, f.name), pd.DataFrame)
    }
    return dataclasses.replace(ds, **changes)  # type: ignore[type-var]


def _cached_load(original: Callable[..., Any]) -> Callable[..., Any]:
    import functools
    from datetime import date

    @functools.wraps(original)
    def load(path: Any, *, as_of: Any = None, instruments: Any = None, registry: Any = None) -> Any:
        files = _files_key(str(path)) if "://" not in str(path) and registry is None else None
        if files is None:
            return original(path, as_of=as_of, instruments=instruments, registry=registry)
        extra = _files_key(str(instruments)) if instruments is not None else ()
        key = (str(path), files, repr(as_of), str(instruments), extra, date.today())
        if key not in _datasets:
            ds = original(path, as_of=as_of, instruments=instruments, registry=registry)
            while len(_datasets) >= _MAX_DATASETS:
                _datasets.pop(next(iter(_datasets)))
            _datasets[key] = ds
        return _copy_dataset(_datasets[key])

    load.__therapy_outcomes_cached__ = True  # type: ignore[attr-defined]
    return load


def _frame_digest(frame: object) -> bytes:
    import hashlib

    import pandas as pd

    if frame is None:
        return b""
    rows = pd.util.hash_pandas_object(frame, index=True).to_numpy()  # type: ignore[arg-type]
    header = "\x1f".join(map(str, frame.columns)).encode()  # type: ignore[attr-defined]
    return hashlib.sha256(header + rows.tobytes()).digest()


def _cached_fit(original: Callable[..., Any]) -> Callable[..., Any]:
    import functools

    @functools.wraps(original)
    def fit(scores: Any, sessions: Any = None, **kwargs: Any) -> Any:
        registry = kwargs.get("registry")
        key = (
            _frame_digest(scores),
            _frame_digest(sessions),
            repr(sorted((k, v) for k, v in kwargs.items() if k != "registry")),
            id(registry),
        )
        hit = _models.get(key)
        if hit is not None and hit[0] is registry:
            return hit[1]
        model = original(scores, sessions, **kwargs)
        while len(_models) >= _MAX_MODELS:
            _models.pop(next(iter(_models)))
        _models[key] = (registry, model)  # the registry kept alive, so its id stays unique
        return model

    fit.__therapy_outcomes_cached__ = True  # type: ignore[attr-defined]
    return fit


def install_caches() -> None:
    """Share loaded datasets and fitted expected-recovery models between notebooks."""
    import importlib

    dataset = importlib.import_module("therapy_outcomes.loading.dataset")
    recovery = importlib.import_module("therapy_outcomes.outcomes.expected_recovery")
    for module, name, wrap in (
        (dataset, "load", _cached_load),
        (recovery, "fit_expected_recovery", _cached_fit),
    ):
        original = getattr(module, name)
        if getattr(original, "__therapy_outcomes_cached__", False):
            continue
        wrapped = wrap(original)
        for other in list(sys.modules.values()):  # names bound by 'from ... import'
            if getattr(other, "__name__", "").startswith("therapy_outcomes"):
                if getattr(other, name, None) is original:
                    setattr(other, name, wrapped)
