"""Keep dataset-wide results between calls: loaded datasets and fitted models.

Every report notebook of a batch loads the whole dataset and fits the expected-recovery models
on all clients: seconds of work whose result is the same for every report. A
:class:`ResultCache` keeps the last few of them. It is always passed in explicitly:
``load(path, cache=cache)`` (:func:`therapy_outcomes.loading.dataset.load`) and
``fit_expected_recovery(..., cache=cache)``; a dataset loaded with a cache remembers it
(``Dataset.cache``), so what is computed from that dataset (the alerts' models) uses it too.
Only these inputs are kept, which are the same whichever client a report is about: nothing
computed for one client, and each caller gets its own copy of the tables.

:func:`shared_cache` is the cache of the whole process. It is off (``None``) unless a warm batch
kernel switched it on (:func:`therapy_outcomes.batch.kernel_state.snapshot` with
``caches=True``, the warm engine's ``share_data``); report notebooks pass it on, as in
``client_context(data, client_id, cache=shared_cache())``. A notebook run anywhere else gets
``None`` and loads afresh.

Examples
--------
>>> import tempfile
>>> from therapy_outcomes.demo import write_demo_clinic
>>> from therapy_outcomes.loading.dataset import load
>>> folder = tempfile.mkdtemp()
>>> _ = write_demo_clinic(folder, n_clients=20, seed=1)
>>> cache = ResultCache()
>>> first = load(folder, as_of="2026-10-31", cache=cache)
>>> again = load(folder, as_of="2026-10-31", cache=cache)
>>> again.clients.equals(first.clients), again.clients is first.clients, again.cache is cache
(True, False, True)
>>> cache.datasets.misses, cache.datasets.hits
(1, 1)
>>> shared_cache() is None
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "LRUCache",
    "ResultCache",
    "dataset_key",
    "disable_shared_cache",
    "enable_shared_cache",
    "model_key",
    "shared_cache",
]

T = TypeVar("T")

#: Datasets a :class:`ResultCache` keeps by default (each holds every table of a dataset).
MAX_DATASETS = 2
#: Fitted models a :class:`ResultCache` keeps by default.
MAX_MODELS = 64


class LRUCache:
    """A bounded mapping of tuple keys to values; the least recently used goes first.

    Not safe for use from several threads at once (a kernel runs one notebook at a time).

    Parameters
    ----------
    maxsize : int
        Most entries kept.

    Attributes
    ----------
    hits, misses : int
        Look-ups (:meth:`get`) that found their key, and that did not.

    Examples
    --------
    >>> cache = LRUCache(2)
    >>> cache.put(("a",), 1); cache.put(("b",), 2)
    >>> cache.get(("a",))
    1
    >>> cache.put(("c",), 3)  # ("b",) was used least recently
    >>> cache.get(("b",)), len(cache), cache.hits, cache.misses
    (None, 2, 1, 1)
    """

    def __init__(self, maxsize: int) -> None:
        if isinstance(maxsize, bool) or not isinstance(maxsize, int) or maxsize < 1:
            raise ValueError(f"maxsize must be a whole number of at least 1, not {maxsize!r}")
        self.maxsize = maxsize
        self.hits = self.misses = 0
        self._items: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: tuple[Hashable, ...], default: Any = None) -> Any:
        """The value kept under ``key`` (now the most recently used), else ``default``."""
        if key not in self._items:
            self.misses += 1
            return default
        self.hits += 1
        self._items.move_to_end(key)
        return self._items[key]

    def put(self, key: tuple[Hashable, ...], value: Any) -> None:
        """Keep ``value`` under ``key``; drop the least recently used entries beyond ``maxsize``."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry (the counters stay)."""
        self._items.clear()


def _files_key(path: str) -> tuple[tuple[str, int, int], ...] | None:
    """Every file under ``path`` with its size and modification time; ``None`` if missing."""
    root = Path(path)
    if not root.exists():
        return None
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)


def dataset_key(
    path: str | os.PathLike[str],
    *,
    as_of: Any = None,
    instruments: str | os.PathLike[str] | None = None,
    registry: Any = None,
) -> tuple[Hashable, ...] | None:
    """What a loaded dataset depends on, or ``None`` when it cannot be told (not cached).

    The location, every input file's path, size and modification time (of the dataset and of
    the extra ``instruments`` definitions), the load options and today's date (the default
    as-of date). ``None`` for a URL (a database can change without a file changing), a
    location that does not exist, or a given ``registry`` (an object, not a file).

    Examples
    --------
    >>> dataset_key("postgresql://db.example/clinic") is None
    True
    """
    text = str(path)
    files = _files_key(text) if "://" not in text and registry is None else None
    if files is None:
        return None
    extra = _files_key(str(instruments)) if instruments is not None else ()
    return (text, files, repr(as_of), str(instruments), extra, date.today())


def _frame_digest(frame: Any) -> bytes:
    """SHA-256 over a DataFrame's column names and rows (index included); ``b""`` for None."""
    import pandas as pd

    if frame is None:
        return b""
    rows = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    header = "\x1f".join(map(str, frame.columns)).encode()
    return hashlib.sha256(header + rows.tobytes()).digest()


def model_key(scores: Any, sessions: Any, options: dict[str, Any]) -> tuple[Hashable, ...]:
    """What a fitted model depends on: digests of its tables, its options, its registry.

    The registry enters by identity (``id``): keep the registry alive as long as the key
    (:meth:`ResultCache.model` does), so that its ``id`` is never reused.
    """
    return (
        _frame_digest(scores),
        _frame_digest(sessions),
        repr(sorted((k, v) for k, v in options.items() if k != "registry")),
        id(options.get("registry")),
    )


def _copy_tables(ds: T, cache: ResultCache) -> T:
    """``ds`` with its own copy of every DataFrame field and ``cache`` set."""
    import pandas as pd

    changes = {
        f.name: getattr(ds, f.name).copy()
        for f in dataclasses.fields(ds)  # type: ignore[arg-type]
        if isinstance(getattr(ds, f.name), pd.DataFrame)
    }
    return dataclasses.replace(ds, cache=cache, **changes)  # type: ignore[type-var]


class ResultCache:
    """Loaded datasets and fitted models, kept between calls (see the module notes).

    Parameters
    ----------
    max_datasets, max_models : int
        Most datasets and models kept (least recently used dropped first).

    Attributes
    ----------
    datasets, models : LRUCache
        What is kept, with their hit and miss counts.
    """

    def __init__(self, max_datasets: int = MAX_DATASETS, max_models: int = MAX_MODELS) -> None:
        self.datasets = LRUCache(max_datasets)
        self.models = LRUCache(max_models)

    def dataset(
        self,
        loader: Callable[..., T],
        path: str | os.PathLike[str],
        *,
        as_of: Any = None,
        instruments: str | os.PathLike[str] | None = None,
        registry: Any = None,
    ) -> T:
        """``loader(path, as_of=, instruments=, registry=)``, once per version of the inputs.

        ``loader`` returns a dataclass with DataFrame fields and a ``cache`` field (a
        :class:`~therapy_outcomes.loading.dataset.Dataset`). Every call returns its own copy
        of the tables, with ``cache`` set to this cache. Inputs :func:`dataset_key` cannot
        key are loaded every time.
        """
        options = {"as_of": as_of, "instruments": instruments, "registry": registry}
        key = dataset_key(path, **options)
        if key is None:
            return dataclasses.replace(loader(path, **options), cache=self)  # type: ignore[type-var]
        ds = self.datasets.get(key)
        if ds is None:
            ds = loader(path, **options)
            self.datasets.put(key, ds)
        return _copy_tables(ds, self)

    def model(self, fit: Callable[..., T], scores: Any, sessions: Any = None, **options: Any) -> T:
        """``fit(scores, sessions, **options)``, once per content of the tables and options.

        The same model object is returned to every caller (models are immutable).
        """
        key = model_key(scores, sessions, options)
        hit = self.models.get(key)
        if hit is not None and hit[0] is options.get("registry"):
            return hit[1]
        model = fit(scores, sessions, **options)
        self.models.put(key, (options.get("registry"), model))  # the registry kept alive
        return model

    def clear(self) -> None:
        """Forget every dataset and model."""
        self.datasets.clear()
        self.models.clear()


_shared: ResultCache | None = None


def shared_cache() -> ResultCache | None:
    """This process's shared cache, or ``None`` while sharing is off (the default).

    Switched on only in a warm batch kernel (:func:`enable_shared_cache`, called by
    :func:`therapy_outcomes.batch.kernel_state.snapshot`).
    """
    return _shared


def enable_shared_cache() -> ResultCache:
    """Switch the process's shared cache on (kept as it is when already on); return it."""
    global _shared
    if _shared is None:
        _shared = ResultCache()
    return _shared


def disable_shared_cache() -> None:
    """Switch the process's shared cache off and forget what it held.

    Examples
    --------
    >>> cache = enable_shared_cache()
    >>> shared_cache() is cache
    True
    >>> disable_shared_cache(); shared_cache() is None
    True
    """
    global _shared
    if _shared is not None:
        _shared.clear()
    _shared = None
