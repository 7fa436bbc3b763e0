"""Kernel-side half of the warm engine: snapshot and restore a kernel's process state.

Imported inside a warm kernel (never in the batch's own process): :func:`snapshot` runs once
after the kernel starts, :func:`clean` before every later notebook (see
:mod:`therapy_outcomes.batch.engine`).

The one thing a warm kernel keeps on purpose is dataset-wide: with ``caches`` (the engine's
``share_data``) both switch the process's shared cache on
(:func:`therapy_outcomes.caching.shared_cache`), which report notebooks pass to ``load`` and
through it to the expected-recovery fits; without, they switch it off and empty it. Nothing
is patched: a notebook that does not pass the cache on loads afresh.

Examples
--------
>>> snapshot(); clean()  # doctest: +SKIP
"""

from __future__ import annotations

import gc
import os
import sys

from therapy_outcomes.caching import disable_shared_cache, enable_shared_cache

__all__ = ["clean", "snapshot"]

_START: dict[str, object] = {}


def snapshot(caches: bool = False) -> None:
    """Remember the environment and working folder the kernel started with.

    Parameters
    ----------
    caches : bool
        Switch the shared cache on (:func:`therapy_outcomes.caching.enable_shared_cache`);
        ``False`` leaves it off.
    """
    _START["env"] = dict(os.environ)
    _START["cwd"] = os.getcwd()
    _share(caches)


def _share(caches: bool | None) -> None:
    if caches:
        enable_shared_cache()
    elif caches is not None:
        disable_shared_cache()


def clean(cwd: str | None = None, caches: bool | None = None) -> None:
    """Forget the last notebook: user namespace, history, last exception; restore env/cwd.

    Parameters
    ----------
    cwd : str, optional
        The working folder of the next notebook (default: the one the kernel started in).
    caches : bool, optional
        Whether the next notebook may use the shared cache: ``True`` switches it on (keeping
        what it holds), ``False`` off (emptied); by default it stays as it is.
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
    _share(caches)
    if shell is not None:
        shell.run_line_magic("reset", "-f")  # user namespace, In/Out, _; collects garbage
        shell.execution_count = 1
    else:  # pragma: no cover - only ever called in a kernel
        gc.collect()
