"""The explicit result cache: loaded datasets and fitted models, passed in, never patched in."""

from __future__ import annotations

import dataclasses
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

import therapy_outcomes.loading.dataset as dataset_module
import therapy_outcomes.outcomes.expected_recovery as recovery_module
from therapy_outcomes.caching import (
    LRUCache,
    ResultCache,
    dataset_key,
    disable_shared_cache,
    enable_shared_cache,
    shared_cache,
)
from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.loading.dataset import load
from therapy_outcomes.outcomes.expected_recovery import fit_expected_recovery

AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clinic")
    write_demo_clinic(folder, n_clients=40, seed=3, as_of=AS_OF)
    return folder


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Every read of a dataset's files by ``load`` (the source reader, counted)."""
    seen: list[str] = []
    original = dataset_module.read_source

    def counting(path, *args, **kwargs):
        seen.append(str(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(dataset_module, "read_source", counting)
    return seen


TABLES = [f.name for f in dataclasses.fields(dataset_module.Dataset) if f.type == "pd.DataFrame"]


def test_lru_cache_drops_the_least_recently_used_and_counts():
    cache = LRUCache(2)
    cache.put((1,), "one")
    cache.put((2,), "two")
    assert cache.get((1,)) == "one"  # (2,) is now the least recently used
    cache.put((3,), "three")
    assert (2,) not in cache and (1,) in cache and (3,) in cache and len(cache) == 2
    assert cache.get((2,), "gone") == "gone"
    assert (cache.hits, cache.misses) == (1, 1)
    cache.clear()
    assert len(cache) == 0
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="maxsize"):
            LRUCache(bad)


def test_second_load_comes_from_the_cache_as_an_own_copy(clinic, reads):
    cache = ResultCache()
    first = load(clinic, as_of=AS_OF, cache=cache)
    second = load(clinic, as_of=AS_OF, cache=cache)
    assert len(reads) == 1, "the second load must not read the files again"
    assert (cache.datasets.hits, cache.datasets.misses) == (1, 1)
    assert "scores" in TABLES and "clients" in TABLES
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(second, name), getattr(first, name))
        assert getattr(second, name) is not getattr(first, name)
    assert first.cache is cache and second.cache is cache
    assert second.registry is first.registry and second.input_hash == first.input_hash
    first.clients.loc[:, "site"] = "changed by the first caller"
    third = load(clinic, as_of=AS_OF, cache=cache)
    assert "changed by the first caller" not in set(third.clients["site"])
    fresh = load(clinic, as_of=AS_OF)
    assert fresh.cache is None and repr(fresh) == repr(third)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(third, name), getattr(fresh, name))


def test_changed_file_or_other_options_load_afresh(tmp_path, clinic, reads):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(clinic, data)
    cache = ResultCache()
    before = load(data, as_of=AS_OF, cache=cache)
    load(data, as_of="2026-09-30", cache=cache)  # other options: another entry
    assert len(reads) == 2
    clients = (data / "clients.csv").read_text()
    last = clients.strip().splitlines()[-1]
    (data / "clients.csv").write_text(clients + "C999999" + last[last.index(",") :] + "\n")
    after = load(data, as_of=AS_OF, cache=cache)
    assert len(reads) == 3, "a changed file must be read again"
    assert len(after.clients) == len(before.clients) + 1
    assert "C999999" in set(after.clients["client_id"])
    assert "C999999" not in set(before.clients["client_id"])
    assert len(cache.datasets) == 2  # at most two datasets kept


def test_what_cannot_be_keyed_is_loaded_every_time_but_keeps_the_cache(clinic, reads):
    cache = ResultCache()
    registry = load(clinic, as_of=AS_OF).registry
    reads.clear()
    for _ in range(2):
        ds = load(clinic, as_of=AS_OF, registry=registry, cache=cache)
        assert ds.cache is cache
    assert len(reads) == 2 and len(cache.datasets) == 0
    assert dataset_key("sqlite:///clinic.db") is None
    assert dataset_key(clinic / "no such folder") is None
    assert dataset_key(clinic, registry=registry) is None
    assert dataset_key(clinic, as_of=AS_OF) == dataset_key(clinic, as_of=AS_OF)
    assert dataset_key(clinic, as_of=AS_OF) != dataset_key(clinic, as_of="2026-09-30")


def test_fitted_models_are_shared_only_for_the_same_scores(clinic, monkeypatch):
    fits: list[int] = []
    original = recovery_module.score_series

    def counting(*args, **kwargs):
        fits.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(recovery_module, "score_series", counting)
    ds = load(clinic, as_of=AS_OF)
    cache = ResultCache()
    options = {"as_of": AS_OF, "registry": ds.registry}
    model = fit_expected_recovery(ds.scores, cache=cache, **options)
    again = fit_expected_recovery(ds.scores.copy(), cache=cache, **options)
    assert again is model and len(fits) == 1
    assert fit_expected_recovery(ds.scores, **options) is not model  # no cache: a new fit
    changed = ds.scores.copy()
    changed.loc[changed.index[0], "total"] += 1
    other = fit_expected_recovery(changed, cache=cache, **options)
    assert other is not model and len(fits) == 3
    fewer = fit_expected_recovery(ds.scores, cache=cache, min_clients=10, **options)
    assert fewer is not model and len(fits) == 4
    assert (cache.models.hits, cache.models.misses) == (1, 3)


def test_alerts_fit_their_models_with_the_datasets_cache(clinic):
    from therapy_outcomes.alerts import alerts_for_client

    cache = ResultCache()
    ds = load(clinic, as_of=AS_OF, cache=cache)
    first = alerts_for_client(ds, "C000001", as_of=AS_OF)
    fitted = len(cache.models)
    assert fitted >= 1 and cache.models.hits == 0
    second = alerts_for_client(load(clinic, as_of=AS_OF, cache=cache), "C000002", as_of=AS_OF)
    assert cache.models.hits == fitted == len(cache.models)
    alone = alerts_for_client(load(clinic, as_of=AS_OF), "C000002", as_of=AS_OF)
    pd.testing.assert_frame_equal(second, alone)
    assert "C000002" not in set(first["client_id"])


def test_client_context_loads_with_the_cache_it_is_given(clinic):
    from therapy_outcomes.client_report.context import client_context

    cache = ResultCache()
    a = client_context(clinic, "C000001", as_of=AS_OF, cache=cache)
    b = client_context(clinic, "C000002", as_of=AS_OF, cache=cache)
    assert (cache.datasets.hits, cache.datasets.misses) == (1, 1)
    assert set(a.scores["client_id"]) <= {"C000001"} and set(b.scores["client_id"]) <= {"C000002"}
    fresh = client_context(clinic, "C000002", as_of=AS_OF)
    pd.testing.assert_frame_equal(b.alerts, fresh.alerts)
    pd.testing.assert_frame_equal(b.progress, fresh.progress)


def _package_functions() -> dict[str, int]:
    return {
        f"{name}.{attr}": id(value)
        for name, module in list(sys.modules.items())
        if name.startswith("therapy_outcomes")
        for attr, value in list(vars(module).items())
        if isinstance(value, types.FunctionType)
    }


def test_shared_cache_is_off_until_a_warm_kernel_switches_it_on_and_patches_nothing():
    from therapy_outcomes.batch import kernel_state

    assert shared_cache() is None
    before = _package_functions()
    load_before = dataset_module.load
    try:
        kernel_state.snapshot(caches=False)
        assert shared_cache() is None
        kernel_state.snapshot(caches=True)
        cache = shared_cache()
        assert isinstance(cache, ResultCache)
        assert enable_shared_cache() is cache  # kept while on
        after = _package_functions()
        assert dataset_module.load is load_before
        assert {k: after[k] for k in before} == before
    finally:
        disable_shared_cache()
    assert shared_cache() is None
