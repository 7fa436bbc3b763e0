"""Property tests for reliable change (hypothesis).

- Direction symmetry: swapping ``better`` swaps improved and deteriorated; so does negating the
  data; doing both leaves every category unchanged.
- Location invariance: adding a constant to every pre and post score leaves the categories
  unchanged (JT, and the other methods, which use only deviations from sample means).
- Scale invariance: multiplying every score by a positive constant leaves the categories
  unchanged (a negative constant acts like negation).

Scores are integers so that shifting and negating are exact in floating point; examples whose RCI
lies within 1e-9 of the critical value are skipped (a rounding difference there is not a property
violation).
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from therapy_outcomes.change.reliable import reliable_change

SWAP = {"improved": "deteriorated", "deteriorated": "improved", "unchanged": "unchanged"}
METHODS = ["JT", "GLN", "HLL", "EN", "NK", "HA"]

pairs = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=3, max_size=25).filter(
    lambda xs: len({p for p, _ in xs}) > 1
)
reliabilities = st.sampled_from([0.6, 0.75, 0.8, 0.85, 0.9, 0.95])
methods = st.sampled_from(METHODS)
betters = st.sampled_from(["lower", "higher"])
scales = st.sampled_from([0.1, 0.5, 2.0, 3.0, 10.0, 37.5])
settings_ = settings(max_examples=50, deadline=None)


def _run(pre, post, method, r, better="lower"):
    kwargs = {"reliability_post": r} if method == "NK" else {}
    try:
        return reliable_change(
            pd.Series(pre, dtype=float),
            pd.Series(post, dtype=float),
            method=method,
            reliability=r,
            better=better,
            **kwargs,
        )
    except ValueError as exc:  # HA is undefined when r_dd <= 0 or the post SD is 0
        assume("undefined" not in str(exc))
        raise


def _away_from_boundary(res):
    crit = res.attrs["critical_value"]
    assume(((res["rci"].abs() - crit).abs() > 1e-9).all())


@settings_
@given(data=pairs, r=reliabilities, method=methods)
def test_swapping_better_swaps_improved_and_deteriorated(data, r, method):
    pre, post = zip(*data, strict=True)
    lower = _run(pre, post, method, r, "lower")
    _away_from_boundary(lower)
    higher = _run(pre, post, method, r, "higher")
    assert higher["category"].tolist() == [SWAP[c] for c in lower["category"]]


@settings_
@given(data=pairs, r=reliabilities, method=methods)
def test_negating_data_swaps_and_negating_plus_swapping_better_is_identity(data, r, method):
    pre, post = zip(*data, strict=True)
    base = _run(pre, post, method, r, "lower")
    _away_from_boundary(base)
    neg_pre, neg_post = [-x for x in pre], [-y for y in post]
    negated = _run(neg_pre, neg_post, method, r, "lower")
    assert negated["category"].tolist() == [SWAP[c] for c in base["category"]]
    both = _run(neg_pre, neg_post, method, r, "higher")
    assert both["category"].tolist() == base["category"].tolist()


@settings_
@given(data=pairs, r=reliabilities, shift=st.integers(-1000, 1000), better=betters)
def test_jt_shift_invariance(data, r, shift, better):
    pre, post = zip(*data, strict=True)
    base = _run(pre, post, "JT", r, better)
    _away_from_boundary(base)
    moved = _run([x + shift for x in pre], [y + shift for y in post], "JT", r, better)
    assert moved["category"].tolist() == base["category"].tolist()
    assert moved["change"].tolist() == base["change"].tolist()
    assert moved.attrs["threshold_points"] == pytest.approx(base.attrs["threshold_points"])


@settings_
@given(data=pairs, r=reliabilities, scale=scales, better=betters)
def test_jt_scale_invariance(data, r, scale, better):
    pre, post = zip(*data, strict=True)
    base = _run(pre, post, "JT", r, better)
    _away_from_boundary(base)
    scaled = _run([x * scale for x in pre], [y * scale for y in post], "JT", r, better)
    assert scaled["category"].tolist() == base["category"].tolist()
    assert scaled["rci"].tolist() == pytest.approx(base["rci"].tolist(), rel=1e-9, abs=1e-12)
    assert scaled.attrs["threshold_points"] == pytest.approx(scale * base.attrs["threshold_points"])


@settings_
@given(
    data=pairs,
    r=reliabilities,
    method=methods,
    shift=st.integers(-1000, 1000),
    scale=scales,
    better=betters,
)
def test_all_methods_location_scale_invariance(data, r, method, shift, scale, better):
    pre, post = zip(*data, strict=True)
    base = _run(pre, post, method, r, better)
    _away_from_boundary(base)
    moved = _run(
        [x * scale + shift for x in pre], [y * scale + shift for y in post], method, r, better
    )
    assert moved["category"].tolist() == base["category"].tolist()
    assert moved["rci"].tolist() == pytest.approx(base["rci"].tolist(), rel=1e-8, abs=1e-10)
    flipped = _run(
        [-x * scale for x in pre],
        [-y * scale for y in post],
        method,
        r,
        "higher" if better == "lower" else "lower",
    )
    assert flipped["category"].tolist() == base["category"].tolist()


@settings_
@given(data=pairs, threshold=st.integers(1, 20), shift=st.integers(-100, 100))
def test_threshold_classification_is_shift_invariant_and_symmetric(data, threshold, shift):
    pre, post = zip(*data, strict=True)
    base = reliable_change(
        pd.Series(pre, dtype=float), pd.Series(post, dtype=float), threshold=threshold
    )
    moved = reliable_change(
        pd.Series([x + shift for x in pre], dtype=float),
        pd.Series([y + shift for y in post], dtype=float),
        threshold=threshold,
    )
    assert moved["category"].tolist() == base["category"].tolist()
    higher = reliable_change(
        pd.Series(pre, dtype=float),
        pd.Series(post, dtype=float),
        threshold=threshold,
        better="higher",
    )
    assert higher["category"].tolist() == [SWAP[c] for c in base["category"]]
