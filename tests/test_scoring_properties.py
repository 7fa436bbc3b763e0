"""Property-based tests of score() and band_of() over every shipped instrument."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from therapy_outcomes.instruments import Instrument, default_registry, score

REG = default_registry()
CODES = REG.codes
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def item_values(inst: Instrument) -> st.SearchStrategy[float]:
    if inst.integer_items:
        return st.integers(int(inst.item_min), int(inst.item_max)).map(float)
    return st.floats(inst.item_min, inst.item_max, allow_nan=False)


@st.composite
def administrations(draw, code=None, missing=True):
    inst = REG.get(code or draw(st.sampled_from(CODES)))
    cell = item_values(inst)
    if missing:
        cell = st.one_of(cell, cell, cell, st.just(np.nan))
    rows = draw(
        st.lists(
            st.lists(cell, min_size=inst.n_items, max_size=inst.n_items), min_size=1, max_size=12
        )
    )
    return inst, pd.DataFrame(rows, columns=inst.item_columns, dtype=float)


def mean_imputed(
    values: np.ndarray, inst: Instrument, items: tuple[int, ...], rule: str, multiplier: float
) -> float:
    """Reference implementation, one row at a time: reverse, impute the mean, then sum/mean."""
    scored = []
    for item in items:
        v = values[item - 1]
        if item in inst.reverse_items and not np.isnan(v):
            v = inst.item_min + inst.item_max - v
        scored.append(v)
    answered = [v for v in scored if not np.isnan(v)]
    fill = sum(answered) / len(answered)
    complete = [fill if np.isnan(v) else v for v in scored]
    raw = sum(complete) if rule == "sum" else sum(complete) / len(complete)
    return raw * multiplier


@SETTINGS
@given(administrations())
def test_validity_range_and_prorating(case):
    inst, items = case
    out = score(items, inst)
    x = items.to_numpy()
    n_missing = np.isnan(x).sum(axis=1)
    assert out["n_missing"].tolist() == n_missing.tolist()
    expected_valid = (n_missing <= inst.missing.max_missing) & (n_missing < inst.n_items)
    assert out["valid"].tolist() == expected_valid.tolist()
    assert out["prorated"].tolist() == (expected_valid & (n_missing > 0)).tolist()
    for i, row in enumerate(x):
        total = out["total"].iloc[i]
        if expected_valid[i] and inst.has_total:
            assert inst.total_min <= total <= inst.total_max
            expected = mean_imputed(
                row, inst, tuple(range(1, inst.n_items + 1)), inst.scoring_rule, inst.multiplier
            )
            assert total == pytest.approx(expected, rel=1e-9, abs=1e-9)
            assert pd.isna(out["band"].iloc[i]) == (not inst.bands)
        else:
            assert np.isnan(total) and pd.isna(out["band"].iloc[i])


@SETTINGS
@given(
    st.sampled_from([c for c in CODES if REG.get(c).subscales]).flatmap(
        lambda code: administrations(code=code)
    )
)
def test_subscales_are_prorated_within_the_subscale(case):
    inst, items = case
    out = score(items, inst)
    x = items.to_numpy()
    for name, sub in inst.subscales.items():
        lo, hi = inst.subscale_range(name)
        for i, row in enumerate(x):
            value = out[f"sub_{name}"].iloc[i]
            n_miss = int(np.isnan(row[[j - 1 for j in sub.items]]).sum())
            if n_miss <= sub.max_missing and n_miss < len(sub.items):
                assert lo <= value <= hi
                expected = mean_imputed(row, inst, sub.items, sub.rule, sub.multiplier)
                assert value == pytest.approx(expected, rel=1e-9, abs=1e-9)
            else:
                assert np.isnan(value)


@SETTINGS
@given(st.data())
def test_monotonic_in_each_item(data):
    """Raising one answered item never lowers the total (never raises it if reversed)."""
    inst, items = data.draw(administrations())
    if not inst.has_total:
        return
    j = data.draw(st.integers(1, inst.n_items))
    col = f"item_{j}"
    raised = items.copy()
    step = 1.0 if inst.integer_items else data.draw(st.floats(0.01, inst.item_max))
    raised[col] = np.minimum(items[col] + step, inst.item_max)  # NaN stays NaN
    before, after = score(items, inst)["total"], score(raised, inst)["total"]
    both = before.notna() & after.notna()
    diff = (after - before)[both]
    if j in inst.reverse_items:
        assert (diff <= 1e-9).all()
    else:
        assert (diff >= -1e-9).all()
    # strictly monotonic where the item was answered and could still rise
    moved = both & ((raised[col] - items[col]) >= 1e-6)
    if j in inst.reverse_items:
        assert ((after - before)[moved] < 0).all()
    else:
        assert ((after - before)[moved] > 0).all()


@SETTINGS
@given(administrations())
def test_risk_flag_is_any_risk_item_at_or_above_threshold(case):
    inst, items = case
    expected = pd.Series(False, index=items.index)
    for r in inst.risk_items:
        expected |= items[f"item_{r.item}"].fillna(-np.inf) >= r.min_value
    assert score(items, inst)["risk"].tolist() == expected.tolist()


BANDED = [c for c in CODES if REG.get(c).bands]


@SETTINGS
@given(
    st.sampled_from(BANDED).flatmap(
        lambda code: st.tuples(
            st.just(code),
            st.lists(
                st.floats(REG.get(code).total_min, REG.get(code).total_max, allow_nan=False),
                min_size=1,
                max_size=20,
            ),
        )
    )
)
def test_band_of_covers_the_whole_range_in_order(case):
    code, values = case
    inst = REG.get(code)
    values = sorted(values)
    bands = inst.band_of(pd.Series(values))
    assert bands.notna().all()
    order = [next(i for i, b in enumerate(inst.bands) if b.label == label) for label in bands]
    assert order == sorted(order)  # higher totals never get an earlier band


@pytest.mark.parametrize("code", CODES)
def test_every_band_contains_its_own_ends(code):
    inst = REG.get(code)
    groups = [(inst.bands, inst.band_of)] + [
        (sub.bands, sub.band_of) for sub in inst.subscales.values() if sub.bands
    ]
    for bands, band_of in groups:
        ends = [v for b in bands for v in (b.min, b.max)]
        labels = [b.label for b in bands for _ in (0, 1)]
        assert band_of(pd.Series(ends)).tolist() == labels
