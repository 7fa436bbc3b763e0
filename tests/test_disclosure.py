"""Tests for therapy_outcomes.outcomes.disclosure.suppress_small_cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from therapy_outcomes.outcomes.disclosure import suppress_small_cells, suppression_mask
from therapy_outcomes.outcomes.rates import rate_table


def _with_totals(inner: np.ndarray, rows=None, cols=None) -> pd.DataFrame:
    rows = rows or [f"r{i}" for i in range(inner.shape[0])]
    cols = cols or [f"c{j}" for j in range(inner.shape[1])]
    t = pd.DataFrame(inner.astype("int64"), index=rows, columns=cols)
    t["total"] = t.sum(axis=1)
    t.loc["Total"] = t.sum(axis=0)
    return t


def _feasible_range(table: pd.DataFrame, hidden: pd.DataFrame, cell) -> tuple[float, float]:
    """Min and max a reader can infer for ``cell`` from the visible cells and the totals.

    Written independently of the implementation: a linear programme over the hidden cells
    (non-negative), subject to every row summing to its total and every column to the total
    row.
    """
    rows = [r for r in table.index if r != "Total"]
    cols = [c for c in table.columns if c != "total"]
    all_rows, all_cols = [*rows, "Total"], [*cols, "total"]
    unknowns = [(r, c) for r in all_rows for c in all_cols if hidden.loc[r, c]]
    pos = {u: i for i, u in enumerate(unknowns)}
    a_eq, b_eq = [], []

    def add(cells_plus, cell_minus):
        coef = np.zeros(len(unknowns))
        rhs = 0.0
        for rc, sign in [*[(x, 1.0) for x in cells_plus], (cell_minus, -1.0)]:
            if rc in pos:
                coef[pos[rc]] += sign
            else:
                rhs -= sign * table.loc[rc]
        if coef.any():
            a_eq.append(coef)
            b_eq.append(rhs)

    for r in all_rows:
        add([(r, c) for c in cols], (r, "total"))
    for c in all_cols:
        add([(r, c) for r in rows], ("Total", c))
    target = np.zeros(len(unknowns))
    target[pos[cell]] = 1.0
    kw = {"A_eq": np.array(a_eq), "b_eq": np.array(b_eq), "bounds": (0, None)}
    lo = linprog(target, **kw)
    hi = linprog(-target, **kw)
    assert lo.success
    if hi.status == 3:  # unbounded above: certainly not recoverable
        return lo.fun, np.inf
    assert hi.success
    return lo.fun, -hi.fun


class TestWorkedExamples:
    def test_only_small_cell_in_row_and_column_gets_partners(self):
        t = _with_totals(np.array([[3, 9], [12, 14]]), rows=["North", "South"])
        out = suppress_small_cells(t, total_row="Total", total_column="total")
        mask = out.attrs["suppressed"]
        assert out.loc["North", "c0"] == "*"
        # no row or column (with its total) has exactly one hidden cell
        inner = mask.loc[["North", "South"], ["c0", "c1"]]
        assert (inner.sum(axis=1) != 1).all() and (inner.sum(axis=0) != 1).all()
        lo, hi = _feasible_range(t, mask, ("North", "c0"))
        assert hi - lo >= 1

    def test_large_cells_untouched(self):
        t = _with_totals(np.array([[30, 19], [12, 44]]))
        out = suppress_small_cells(t, total_row="Total", total_column="total")
        assert not out.attrs["suppressed"].to_numpy().any()
        pd.testing.assert_frame_equal(out, t)

    def test_zeros_shown_by_default_and_optionally_hidden(self):
        t = pd.DataFrame({"n": [0, 7, 12]})
        assert suppress_small_cells(t)["n"].tolist() == [0, 7, 12]
        assert suppress_small_cells(t, suppress_zeros=True)["n"].tolist() == ["*", 7, 12]

    def test_threshold_is_strict(self):
        t = pd.DataFrame({"n": [4, 5, 1]})
        assert suppress_small_cells(t, k=5)["n"].tolist() == ["*", 5, "*"]
        assert suppress_small_cells(t, k=8, marker="[c]")["n"].tolist() == ["[c]", "[c]", "[c]"]

    def test_no_totals_means_no_secondary(self):
        t = pd.DataFrame({"a": [2, 40], "b": [30, 50]})
        mask = suppression_mask(t)
        assert mask.to_numpy().sum() == 1

    def test_small_total_is_suppressed(self):
        t = _with_totals(np.array([[1, 2], [30, 40]]))
        mask = suppression_mask(t, total_row="Total", total_column="total")
        assert mask.loc["r0", "total"]  # row total 3 < 5
        for cell in [("r0", "c0"), ("r0", "c1")]:
            lo, hi = _feasible_range(t, mask, cell)
            assert hi - lo >= 1


class TestDerivedColumns:
    def test_percent_from_suppressed_count_is_suppressed(self):
        t = pd.DataFrame(
            {"recovered": [3, 40], "n": [20, 80], "percent": [15.0, 50.0]}, index=["A", "B"]
        )
        out = suppress_small_cells(t, derived_columns={"percent": ["recovered", "n"]})
        assert out.loc["A", "percent"] == "*"
        assert out.loc["B", "percent"] == 50.0
        assert out.loc["A", "n"] == 20  # no total given: n stays

    def test_default_treats_float_columns_as_derived(self):
        t = pd.DataFrame({"count": [2, 10], "mean_phq9": [14.5, 12.0]})
        out = suppress_small_cells(t)
        assert out["mean_phq9"].tolist() == ["*", 12.0]

    def test_label_columns_untouched(self):
        t = pd.DataFrame({"site": ["North", "South"], "count": [2, 10]})
        out = suppress_small_cells(t)
        assert out["site"].tolist() == ["North", "South"]


def test_rate_table_group_total():
    cats = pd.Series(["rec"] * 3 + ["not"] * 20 + ["rec"] * 30 + ["not"] * 30)
    site = pd.Series(["N"] * 23 + ["S"] * 60, name="site")
    table = rate_table(cats, by=site)
    out = suppress_small_cells(
        table,
        count_columns=["count", "n"],
        group_by="site",
        group_total="n",
    )
    north = out[out["site"] == "N"].set_index("category")
    # 3 is small; with n = 23 shown, the 20 would give it away: both hidden, with their rates
    assert north.loc["rec", "count"] == "*" and north.loc["not", "count"] == "*"
    assert north.loc["rec", "percent"] == "*" and north.loc["not", "ci_low"] == "*"
    assert north.loc["rec", "n"] == 23
    south = out[out["site"] == "S"]
    assert (south["count"] == 30).all() and (south["percent"] == 50.0).all()


def test_argument_errors():
    t = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(ValueError):
        suppression_mask(t, k=0)
    with pytest.raises(KeyError):
        suppression_mask(t, count_columns=["b"])
    with pytest.raises(ValueError):
        suppression_mask(t, group_by="a")
    with pytest.raises(KeyError):
        suppression_mask(t, total_row="nope")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(2, 4).flatmap(
        lambda r: st.integers(2, 4).flatmap(
            lambda c: st.lists(
                st.lists(st.one_of(st.integers(0, 6), st.integers(7, 60)), min_size=c, max_size=c),
                min_size=r,
                max_size=r,
            )
        )
    )
)
def test_property_no_small_count_survives_and_none_recoverable(values):
    k = 5
    t = _with_totals(np.array(values))
    out = suppress_small_cells(t, k=k, total_row="Total", total_column="total")
    mask = out.attrs["suppressed"]
    # 1. no visible count is in 1..k-1
    for r in t.index:
        for c in t.columns:
            if not mask.loc[r, c]:
                assert not (0 < t.loc[r, c] < k), (r, c)
                assert out.loc[r, c] == t.loc[r, c]  # visible cells unchanged
            else:
                assert out.loc[r, c] == "*"
    # 2. no primary-suppressed cell can be pinned down from the visible cells and totals
    for r in t.index:
        for c in t.columns:
            if mask.loc[r, c] and 0 < t.loc[r, c] < k:
                lo, hi = _feasible_range(t, mask, (r, c))
                assert hi - lo > 0.5, (r, c, lo, hi)
