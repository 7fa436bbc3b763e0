"""Tests for therapy_outcomes.goals.attainment: GAS, GBO, count progress, on-track."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from therapy_outcomes.goals import count_progress, gas_tscore, gas_tscores, gbo_change, on_track


class TestGasTscore:
    @pytest.mark.parametrize(
        ("levels", "weights", "expected"),
        [
            # docs/methods.md#gas-tscore test vectors (rho = 0.3)
            ([-1, -1, -1], [1, 1, 1], 36.307),
            ([0, 0, 0], [1, 1, 1], 50.000),
            ([1, 0, -1], [1, 2, 3], 45.593),
            ([2, 2, 2], [1, 1, 1], 77.386),
            ([-2, -2, -2], [1, 1, 1], 22.614),
        ],
    )
    def test_reference_vectors(self, levels, weights, expected):
        assert round(gas_tscore(levels, weights), 3) == expected

    def test_hand_computation(self):
        # levels (+2, -1), weights (3, 1): sum wx = 5; sum w^2 = 10; (sum w)^2 = 16
        # denominator sqrt(0.7 * 10 + 0.3 * 16) = sqrt(11.8)
        assert gas_tscore([2, -1], [3, 1]) == pytest.approx(50 + 50 / math.sqrt(11.8))

    def test_single_goal_independent_of_rho(self):
        for rho in (0.0, 0.3, 0.6):
            assert gas_tscore([1], rho=rho) == pytest.approx(60.0)

    def test_rho_zero(self):
        # rho = 0: T = 50 + 10 sum(wx) / sqrt(sum w^2) -> 2 goals at +1: 50 + 20 / sqrt(2)
        assert gas_tscore([1, 1], rho=0) == pytest.approx(50 + 20 / math.sqrt(2))

    def test_missing_levels_dropped_and_empty_nan(self):
        assert gas_tscore([1, np.nan], [1, 5]) == pytest.approx(60.0)
        assert math.isnan(gas_tscore([]))

    def test_bad_input(self):
        with pytest.raises(ValueError):
            gas_tscore([0, 1], [1, 0])
        with pytest.raises(ValueError):
            gas_tscore([0, 1], [1])
        with pytest.raises(ValueError):
            gas_tscore([0], rho=1)


def _gas_goals():
    return pd.DataFrame(
        {
            "goal_id": ["G1", "G2", "G3", "G4", "H1"],
            "client_id": ["C1", "C1", "C1", "C2", "C1"],
            "measure": ["GAS", "GAS", "GAS", "GAS", "GBO"],
            "weight": [1.0, 2.0, np.nan, 1.0, 1.0],
            "set_on": pd.to_datetime(["2026-01-05"] * 3 + ["2026-01-05", "2026-01-05"]),
            "revises_goal_id": [None, None, "G1", None, None],
        }
    )


def test_gas_tscores_per_client_and_date():
    goals = _gas_goals()
    d1, d2 = pd.Timestamp("2026-02-02"), pd.Timestamp("2026-03-02")
    ratings = pd.DataFrame(
        {
            "goal_id": ["G1", "G2", "G2", "G4", "H1", "G2"],
            "rated_on": [d1, d1, d2, d1, d1, d2],
            "value": [1.0, -1.0, 0.0, 2.0, 8.0, 2.0],
            "rater": ["joint", "joint", "joint", "joint", "joint", "therapist"],
        }
    )
    t = gas_tscores(ratings, goals).set_index(["client_id", "rated_on"])
    # C1 on d1: G1 +1 (w 1), G2 -1 (w 2); GBO goal H1 ignored
    expected = 50 + 10 * (1 - 2) / math.sqrt(0.7 * 5 + 0.3 * 9)
    assert t.loc[("C1", d1), "tscore"] == pytest.approx(expected)
    assert t.loc[("C1", d1), "n_goals"] == 2
    assert t.loc[("C1", d1), "goal_ids"] == "G1,G2"
    # C1 on d2: only G2 rated; the joint rating (0) beats the therapist's (2)
    assert t.loc[("C1", d2), "tscore"] == pytest.approx(50.0)
    assert t.loc[("C2", d1), "tscore"] == pytest.approx(70.0)
    # choosing the therapist's ratings instead
    th = gas_tscores(ratings, goals, rater="therapist")
    assert th["tscore"].tolist() == [pytest.approx(70.0)]


def test_gas_tscores_carry_forward_stops_at_revision():
    goals = _gas_goals()
    goals.loc[goals["goal_id"] == "G3", "set_on"] = pd.Timestamp("2026-02-16")
    d1, d2, d3 = pd.to_datetime(["2026-02-02", "2026-03-02", "2026-03-16"])
    ratings = pd.DataFrame(
        {
            "goal_id": ["G1", "G2", "G2", "G3"],
            "rated_on": [d1, d1, d2, d3],
            "value": [-1.0, 1.0, 2.0, 0.0],
        }
    )
    t = gas_tscores(ratings, goals, carry_forward=True).set_index("rated_on")
    # d2: G2 = 2 (w 2) and G1 carried? no - G1 was replaced by G3 on 2026-02-16
    assert t.loc[d2, "goal_ids"] == "G2"
    assert t.loc[d2, "tscore"] == pytest.approx(50 + 10 * 4 / math.sqrt(0.7 * 4 + 0.3 * 4))
    # d3: G2 = 2 carried forward (w 2), G3 = 0 (weight missing -> 1)
    assert t.loc[d3, "goal_ids"] == "G2,G3"
    assert t.loc[d3, "tscore"] == pytest.approx(50 + 10 * 4 / math.sqrt(0.7 * 5 + 0.3 * 9))
    # d1: before the revision, G1 and G2 both count
    assert t.loc[d1, "n_goals"] == 2


def _gbo():
    goals = pd.DataFrame(
        {
            "goal_id": ["B1", "B2", "B3", "X"],
            "client_id": ["C1", "C1", "C2", "C2"],
            "measure": ["GBO", "GBO", "GBO", "count"],
        }
    )
    ratings = pd.DataFrame(
        {
            "goal_id": ["B1", "B1", "B1", "B2", "X", "B1"],
            "rated_on": pd.to_datetime(
                ["2026-01-05", "2026-02-02", "2026-03-02", "2026-01-05", "2026-01-05", "2026-04-01"]
            ),
            "value": [2.0, 5.0, 6.0, 4.0, 3.0, 1.0],
        }
    )
    return goals, ratings


def test_gbo_change_without_reliable_change_value():
    goals, ratings = _gbo()
    out = gbo_change(ratings, goals).set_index("goal_id")
    assert list(out.index) == ["B1", "B2", "B3"]  # count goal excluded, unrated goal listed
    b1 = out.loc["B1"]
    assert (b1["first_value"], b1["latest_value"], b1["change"]) == (2.0, 1.0, -1.0)
    assert b1["n_ratings"] == 4
    assert pd.isna(b1["reliable_improvement"])  # no verified RC value: undetermined
    assert np.isnan(out.loc["B2", "change"])  # one rating
    assert out.loc["B3", "n_ratings"] == 0


def test_gbo_change_with_reliable_change_and_as_of():
    goals, ratings = _gbo()
    out = gbo_change(ratings, goals, reliable_change=4, as_of="2026-03-31").set_index("goal_id")
    assert out.loc["B1", "change"] == 4.0  # 2 -> 6 (the April rating is after as_of)
    assert out.loc["B1", "reliable_improvement"]  # exactly the RC value counts
    assert not out.loc["B1", "reliable_deterioration"]
    out2 = gbo_change(ratings, goals, reliable_change=1).set_index("goal_id")
    assert out2.loc["B1", "reliable_deterioration"]  # 2 -> 1


def _count_goals():
    return pd.DataFrame(
        {
            "goal_id": ["W", "P", "Z"],
            "client_id": ["C1", "C1", "C2"],
            "measure": ["count", "count", "count"],
            "unit": ["walks per week", "panic attacks per week", "x"],
            "baseline": [0.0, 10.0, 3.0],
            "target": [3.0, 2.0, 3.0],
        }
    )


def test_count_progress_up_and_down():
    ratings = pd.DataFrame(
        {
            "goal_id": ["W", "W", "P", "P", "Z"],
            "rated_on": pd.to_datetime(
                ["2026-02-01", "2026-03-01", "2026-02-01", "2026-03-01", "2026-02-01"]
            ),
            "value": [1.0, 4.0, 12.0, 2.0, 3.0],
        }
    )
    out = count_progress(_count_goals(), ratings)
    keys = zip(out["goal_id"], out["value"], strict=True)
    got = dict(zip(keys, out["percent_of_way"], strict=True))
    assert got[("W", 1.0)] == pytest.approx(100 / 3)
    assert got[("W", 4.0)] == pytest.approx(400 / 3)  # past the target
    assert got[("P", 12.0)] == pytest.approx(-25.0)  # worse than baseline: (12-10)/(2-10)
    assert got[("P", 2.0)] == pytest.approx(100.0)
    assert np.isnan(got[("Z", 3.0)])  # baseline == target
    latest = count_progress(_count_goals(), ratings, latest_only=True).set_index("goal_id")
    assert latest.loc["P", "reached"] and latest.loc["W", "reached"]


def test_on_track_straight_line():
    goals = pd.DataFrame(
        {
            "goal_id": ["U", "D", "N"],
            "client_id": ["C1", "C1", "C1"],
            "measure": ["count", "PHQ-9", "count"],
            "baseline": [0.0, 20.0, 1.0],
            "target": [10.0, 8.0, 5.0],
            "set_on": pd.to_datetime(["2026-01-01"] * 3),
            "target_date": pd.to_datetime(["2026-01-21", "2026-01-31", pd.NaT]),
        }
    )
    ratings = pd.DataFrame(
        {
            "goal_id": ["U", "U", "U", "D", "D", "N"],
            "rated_on": pd.to_datetime(
                ["2026-01-11", "2026-01-11", "2026-02-15", "2026-01-16", "2026-01-16", "2026-01-10"]
            ),
            "value": [4.0, 4.0, 8.5, 15.0, 15.0, 3.0],
            "rater": ["client", "joint", "joint", "joint", "client", "joint"],
        }
    )
    out = on_track(goals, ratings, tolerance=0.1)
    u = out[out["goal_id"] == "U"].reset_index(drop=True)
    assert len(u) == 2  # same-day duplicate resolved to one rating
    # halfway in time: expected 5; 4 is 1 behind = exactly tolerance 0.1 * 10 -> on track
    assert u.loc[0, "expected"] == pytest.approx(5.0)
    assert u.loc[0, "ahead_by"] == pytest.approx(-1.0)
    assert u.loc[0, "on_track"]
    # after the target date the line stays at the target: 8.5 < 10 - 1 -> off track
    assert u.loc[1, "fraction_of_time"] == 1.0
    assert u.loc[1, "expected"] == 10.0
    assert not u.loc[1, "on_track"]
    # decreasing goal (PHQ-9 20 -> 8 over 30 days); at day 15 expected 14; 15 is 1 behind
    d = out[out["goal_id"] == "D"].iloc[0]
    assert d["expected"] == pytest.approx(14.0)
    assert d["ahead_by"] == pytest.approx(-1.0)
    assert d["on_track"]  # within 0.1 * 12 = 1.2
    assert not on_track(goals, ratings, tolerance=0.05).query("goal_id == 'D'")["on_track"].iloc[0]
    # no target date: undetermined
    assert pd.isna(out[out["goal_id"] == "N"]["on_track"].iloc[0])
