"""Tests for outcomes.effect_sizes, .rates and .flow (effect sizes, Wilson intervals, flow)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from therapy_outcomes.outcomes.effect_sizes import effect_sizes, hedges_j
from therapy_outcomes.outcomes.flow import outcome_flow
from therapy_outcomes.outcomes.rates import rate_table, wilson_interval

# Lakens (2013) Front. Psychol. 4:863, Table 1 movie ratings (as used in the test suites of
# R packages that reproduce the paper): movie 1 M = 8.7 (SD 0.82), movie 2 M = 7.7 (SD 0.95).
MOVIE_1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
MOVIE_2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]


def _es(pre, post, **kw) -> dict[str, pd.Series]:
    out = effect_sizes(pre, post, **kw).set_index("name")
    return {name: out.loc[name] for name in out.index}


class TestEffectSizesPublished:
    def test_lakens_2013_within_subjects_example(self):
        # movie 1 rated higher; treat movie 2 as "pre" and higher as better
        es = _es(MOVIE_2, MOVIE_1, better="higher")
        assert round(es["d_z"]["estimate"], 2) == 1.50  # published d_z
        assert round(es["d_av"]["estimate"], 2) == 1.13  # published d_av (= pooled d, equal n)
        assert round(es["d_z"]["r"], 3) == 0.726  # published correlation
        # published paired t(9) = 4.74 is d_z * sqrt(n)
        assert round(es["d_z"]["estimate"] * math.sqrt(10), 2) == 4.74

    def test_lower_is_better_gives_same_magnitude_positive(self):
        # same data as symptom scores where movie_1 is pre and lower is better
        es = _es(MOVIE_1, MOVIE_2, better="lower")
        assert round(es["d_z"]["estimate"], 2) == 1.50
        # and a worsening cohort is negative
        worse = _es(MOVIE_2, MOVIE_1, better="lower")
        assert worse["d_z"]["estimate"] == pytest.approx(-1.5)


class TestEffectSizesIndependent:
    """Each variant against a formula written out here with numpy/scipy."""

    @pytest.fixture
    def data(self):
        rng = np.random.default_rng(7)
        pre = rng.normal(16, 4, size=40).round()
        post = (pre - rng.normal(5, 4, size=40)).round()
        return pre, post

    def test_all_variants_match_written_out_formulas(self, data):
        pre, post = data
        n = len(pre)
        m = np.mean(pre - post)
        sd_d = np.std(pre - post, ddof=1)
        r = stats.pearsonr(pre, post)[0]
        s1, s2 = np.std(pre, ddof=1), np.std(post, ddof=1)

        d_z = m / sd_d
        d_rm = (pre.mean() - post.mean()) / math.sqrt(s1**2 + s2**2 - 2 * r * s1 * s2)
        d_rm *= math.sqrt(2 * (1 - r))
        d_av = m / math.sqrt((s1**2 + s2**2) / 2)
        d_pre = m / s1
        expected = {
            "d_z": (d_z, math.sqrt(1 / n + d_z**2 / (2 * n))),
            "d_rm": (d_rm, math.sqrt((1 / n + d_rm**2 / (2 * n)) * 2 * (1 - r))),
            "d_av": (d_av, math.sqrt(sd_d**2 / n) / math.sqrt((s1**2 + s2**2) / 2)),
            "d_pre": (d_pre, math.sqrt(2 * (1 - r) / n + d_pre**2 / (2 * n))),
        }
        es = _es(pre, post)
        z = stats.norm.ppf(0.975)
        for name, (d, se) in expected.items():
            row = es[name]
            assert row["estimate"] == pytest.approx(d, rel=1e-12), name
            assert row["se"] == pytest.approx(se, rel=1e-12), name
            assert row["ci_low"] == pytest.approx(d - z * se, rel=1e-12), name
            assert row["ci_high"] == pytest.approx(d + z * se, rel=1e-12), name
            assert row["n"] == n
            assert row["r"] == pytest.approx(r)

    def test_d_z_is_paired_t_over_sqrt_n(self, data):
        pre, post = data
        t = stats.ttest_rel(pre, post).statistic
        assert _es(pre, post)["d_z"]["estimate"] == pytest.approx(t / math.sqrt(len(pre)))

    def test_higher_is_better_flips_sign(self, data):
        pre, post = data
        lower = effect_sizes(pre, post, better="lower")
        higher = effect_sizes(pre, post, better="higher")
        np.testing.assert_allclose(lower["estimate"], -higher["estimate"])
        np.testing.assert_allclose(lower["se"], higher["se"])

    def test_hedges_scales_estimate_se_and_limits(self, data):
        pre, post = data
        plain = effect_sizes(pre, post)
        g = effect_sizes(pre, post, hedges=True)
        # exact J by the gamma formula, written out
        df = len(pre) - 1
        j = math.gamma(df / 2) / (math.sqrt(df / 2) * math.gamma((df - 1) / 2))
        for col in ("estimate", "se", "ci_low", "ci_high"):
            np.testing.assert_allclose(g[col], plain[col] * j, rtol=1e-12)
        assert g["hedges"].all()

    def test_ci_level(self, data):
        pre, post = data
        row = effect_sizes(pre, post, variants=["d_z"], ci=0.90).iloc[0]
        z = stats.norm.ppf(0.95)
        assert row["ci_high"] - row["estimate"] == pytest.approx(z * row["se"])

    def test_missing_pairs_dropped(self):
        pre = [10, 12, np.nan, 14, 20]
        post = [5, 9, 3, np.nan, 11]
        es = effect_sizes(pre, post, variants=["d_z"]).iloc[0]
        diffs = np.array([5, 3, 9])
        assert es["n"] == 3
        assert es["estimate"] == pytest.approx(diffs.mean() / diffs.std(ddof=1))

    def test_too_few_pairs_is_nan(self):
        es = effect_sizes([10], [5])
        assert es["estimate"].isna().all()
        assert (es["n"] == 1).all()

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="better"):
            effect_sizes([1, 2], [1, 2], better="up")
        with pytest.raises(ValueError, match="unknown variants"):
            effect_sizes([1, 2], [1, 2], variants=["d_x"])
        with pytest.raises(ValueError, match="same length"):
            effect_sizes([1, 2, 3], [1, 2])


def test_hedges_j_close_to_approximation():
    for df in (5, 9, 30, 200):
        assert hedges_j(df) == pytest.approx(1 - 3 / (4 * df - 1), abs=2e-3)
    assert math.isnan(hedges_j(1))


class TestWilson:
    def test_newcombe_1998_table_1_method_3(self):
        # Newcombe (1998) Table I, method 3 (score interval without continuity correction)
        cases = {
            (81, 263): (0.2553, 0.3662),
            (15, 148): (0.0624, 0.1605),
            (0, 20): (0.0000, 0.1611),
            (1, 29): (0.0061, 0.1718),
            (29, 29): (0.8830, 1.0000),
            (0, 10): (0.0000, 0.2775),
        }
        x = [k[0] for k in cases]
        n = [k[1] for k in cases]
        low, high = wilson_interval(x, n)
        for i, (lo_pub, hi_pub) in enumerate(cases.values()):
            assert round(low[i], 4) == lo_pub
            assert round(high[i], 4) == hi_pub

    def test_matches_statsmodels_vectorised(self):
        x = np.array([0, 1, 5, 17, 50, 99, 100])
        n = np.array([100] * 7)
        for ci in (0.8, 0.95, 0.99):
            low, high = wilson_interval(x, n, ci=ci)
            sl, sh = proportion_confint(x, n, alpha=1 - ci, method="wilson")
            np.testing.assert_allclose(low, sl, atol=1e-12)
            np.testing.assert_allclose(high, sh, atol=1e-12)

    def test_written_out_formula(self):
        x, n, z = 7, 40, stats.norm.ppf(0.975)
        p = x / n
        centre = 2 * n * p + z**2
        half = z * math.sqrt(z**2 + 4 * n * p * (1 - p))
        low, high = wilson_interval(x, n)
        assert low == pytest.approx((centre - half) / (2 * (n + z**2)))
        assert high == pytest.approx((centre + half) / (2 * (n + z**2)))

    def test_scalar_returns_floats_and_zero_n_is_nan(self):
        low, high = wilson_interval(3, 10)
        assert isinstance(low, float) and isinstance(high, float)
        low, high = wilson_interval([0, 2], [0, 4])
        assert math.isnan(low[0]) and math.isnan(high[0])
        assert 0 < low[1] < 0.5 < high[1] < 1

    def test_invalid_counts(self):
        with pytest.raises(ValueError):
            wilson_interval(5, 4)
        with pytest.raises(ValueError):
            wilson_interval(-1, 4)
        with pytest.raises(ValueError):
            wilson_interval(1, 4, ci=1.5)


class TestRateTable:
    def test_overall(self):
        s = pd.Series(["yes", "no", "yes", "yes", None])
        t = rate_table(s)
        assert t["category"].tolist() == ["no", "yes"]
        assert t["count"].tolist() == [1, 3]
        assert t["n"].tolist() == [4, 4]  # the missing value is not counted
        assert t["percent"].tolist() == [25.0, 75.0]
        lo, hi = wilson_interval(3, 4)
        assert t.loc[1, "ci_low"] == pytest.approx(100 * lo)
        assert t.loc[1, "ci_high"] == pytest.approx(100 * hi)

    def test_by_group_lists_every_level(self):
        cats = pd.Series([True, True, False, True, True])
        site = pd.Series(["North", "North", "North", "South", "South"], name="site")
        t = rate_table(cats, by=site)
        assert list(t.columns[:2]) == ["site", "category"]
        south = t[t["site"] == "South"].set_index("category")
        assert south.loc[False, "count"] == 0  # absent level still listed
        assert south.loc[True, "count"] == 2
        assert south.loc[True, "percent"] == 100.0
        north = t[t["site"] == "North"].set_index("category")
        assert north.loc[True, "percent"] == pytest.approx(200 / 3)
        assert (t.groupby("site")["count"].sum() == t.groupby("site")["n"].first()).all()

    def test_explicit_levels_order(self):
        t = rate_table(pd.Series(["b", "a"]), levels=["c", "b", "a"])
        assert t["category"].tolist() == ["c", "b", "a"]
        assert t["count"].tolist() == [0, 1, 1]


def _flow_frames():
    day = pd.Timestamp("2026-01-05")
    clients = pd.DataFrame({"client_id": ["A", "B", "C", "D", "E", "F"]})
    # A: everything; B: baseline only after first treatment -> not assessed at baseline
    # C: one score only; D: two scores but one attended treatment session
    # E: two scores on the same day (no later score); F: never scored
    sess = []
    for cid in "ABCEF":
        for k, att in enumerate(["attended", "attended", "did_not_attend"]):
            sess.append((cid, day + pd.Timedelta(days=7 * k), "treatment", att))
    sess.append(("D", day, "treatment", "attended"))
    sess.append(("D", day + pd.Timedelta(days=7), "treatment", "cancelled"))
    sess.append(("D", day - pd.Timedelta(days=7), "assessment", "attended"))
    sessions = pd.DataFrame(sess, columns=["client_id", "session_on", "kind", "attendance"])
    sessions["session_id"] = [f"S{i}" for i in range(len(sessions))]
    sc = [
        ("A", day, 18.0, True),
        ("A", day + pd.Timedelta(days=14), 9.0, True),
        ("B", day + pd.Timedelta(days=1), 15.0, True),
        ("B", day + pd.Timedelta(days=14), 10.0, True),
        ("C", day, 12.0, True),
        ("C", day + pd.Timedelta(days=7), np.nan, False),  # invalid: does not count
        ("D", day - pd.Timedelta(days=7), 20.0, True),
        ("D", day + pd.Timedelta(days=7), 14.0, True),
        ("E", day, 11.0, True),
        ("E", day, 12.0, True),
    ]
    scores = pd.DataFrame(sc, columns=["client_id", "administered_on", "total", "valid"])
    scores["instrument"] = "PHQ-9"
    other = scores.iloc[[0]].assign(instrument="GAD-7", client_id="F")
    return clients, sessions, pd.concat([scores, other], ignore_index=True)


def test_outcome_flow_counts_hand_built():
    clients, sessions, scores = _flow_frames()
    flow = outcome_flow(clients, sessions, scores, "PHQ-9")
    assert flow["step"].tolist() == [
        "referred",
        "assessed_at_baseline",
        "two_or_more_scores",
        "finished_course",
        "paired_scores",
    ]
    # referred 6; baseline: A, C, D, E (B's first score after first treatment; F no PHQ-9)
    # two scores: A, D, E; finished (2+ attended treatment): A, E (D has one)
    # paired (a later score than baseline): A only (E's two scores are on the same day)
    assert flow["count"].tolist() == [6, 4, 3, 2, 1]
    assert flow["lost"].tolist() == [0, 2, 1, 1, 1]
    assert flow["percent_of_referred"].iloc[-1] == pytest.approx(100 / 6)
