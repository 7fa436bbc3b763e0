"""Tests for therapy_outcomes.goals.smart.smart_audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from therapy_outcomes.goals import smart_audit

SET = pd.Timestamp("2026-01-05")
AS_OF = pd.Timestamp("2026-06-01")


def _goal(goal_id: str, **kw) -> dict:
    row = {
        "goal_id": goal_id,
        "client_id": kw.pop("client_id", "C" + goal_id),
        "statement": "Walk to the shop on my own twice a week",
        "measure": "count",
        "unit": "walks per week",
        "baseline": 0.0,
        "target": 2.0,
        "set_on": SET,
        "target_date": SET + pd.Timedelta(days=70),
        "agreed_on": SET,
        "values": "independence",
        "status": "active",
    }
    row.update(kw)
    return row


def _audit(rows, ratings=None, scores=None, **kw) -> pd.DataFrame:
    goals = pd.DataFrame(rows)
    return smart_audit(goals, ratings, scores, as_of=kw.pop("as_of", AS_OF), **kw).set_index(
        "goal_id"
    )


class TestSpecific:
    @pytest.mark.parametrize(
        ("statement", "ok", "in_reason"),
        [
            ("Be happier", False, "2 word"),
            ("I want to feel happier and more confident", False, "'happier'"),
            ("Feel more confident speaking up in team meetings", True, "observable action"),
            ("Walk to the shop on my own twice a week", True, "'twice'"),
            ("Sleep through the night on 5 nights out of 7", True, "a number"),
            ("Understand where my low mood comes from", True, "no vague wording"),
            (None, False, "0 word"),
        ],
    )
    def test_rule(self, statement, ok, in_reason):
        a = _audit([_goal("G1", statement=statement)])
        assert bool(a.loc["G1", "specific"]) is ok
        assert in_reason in a.loc["G1", "specific_reason"]

    def test_min_words_parameter(self):
        a = _audit([_goal("G1", statement="Walk daily")], min_words=2)
        assert a.loc["G1", "specific"]


class TestMeasurable:
    @pytest.mark.parametrize(
        ("kw", "ok", "in_reason"),
        [
            ({}, True, "count scale"),
            ({"baseline": np.nan}, False, "No baseline"),
            ({"target": np.nan, "baseline": np.nan}, False, "No baseline or target"),
            ({"target": 0.0}, False, "no change"),
            ({"unit": None}, False, "no unit"),
            ({"measure": None}, False, "No measure"),
            ({"measure": "GAS", "baseline": -1.0, "target": 0.0}, True, "GAS scale"),
            ({"measure": "GAS", "baseline": -2.0, "target": 0.5}, False, "whole levels"),
            ({"measure": "GBO", "baseline": 2.0, "target": 12.0}, False, "Target outside"),
            ({"measure": "PHQ-9", "baseline": 30.0, "target": 8.0}, False, "Baseline outside"),
            ({"measure": "PHQ-9", "baseline": 18.0, "target": 8.0}, True, "PHQ-9 scale"),
            # a measure no definition knows passes with a note; every defined instrument's
            # range comes from its definition (CORE-10 0-40 since the facts moved there)
            ({"measure": "MY-SCALE", "baseline": 18.0, "target": 8.0}, True, "not checked"),
            ({"measure": "CORE-10", "baseline": 18.0, "target": 8.0}, True, "CORE-10 scale"),
            ({"measure": "CORE-10", "baseline": 45.0, "target": 8.0}, False, "Baseline outside"),
        ],
    )
    def test_rule(self, kw, ok, in_reason):
        a = _audit([_goal("G1", **kw)])
        assert bool(a.loc["G1", "measurable"]) is ok
        assert in_reason in a.loc["G1", "measurable_reason"]


class TestRelevantAndTimeBound:
    def test_relevant(self):
        a = _audit(
            [
                _goal("G1"),
                _goal("G2", values="  "),
                _goal("G3", agreed_on=pd.NaT),
                _goal("G4", values=None, agreed_on=pd.NaT),
            ]
        )
        assert a["relevant"].tolist() == [True, False, False, False]
        assert "values" in a.loc["G2", "relevant_reason"]
        assert "agreed" in a.loc["G3", "relevant_reason"]
        assert "values" in a.loc["G4", "relevant_reason"]
        assert "agreed" in a.loc["G4", "relevant_reason"]

    def test_time_bound(self):
        a = _audit(
            [
                _goal("G1"),
                _goal("G2", target_date=pd.NaT),
                _goal("G3", target_date=SET),
                _goal("G4", target_date=SET - pd.Timedelta(days=1)),
            ]
        )
        assert a["time_bound"].tolist() == [True, False, False, False]
        assert "70 days" in a.loc["G1", "time_bound_reason"]


def _comparators() -> tuple[list[dict], pd.DataFrame]:
    """Ten GBO goals (baseline 0) that moved 0.1, 0.2, ..., 1.0 points a week over 10 weeks."""
    rows, ratings = [], []
    for i in range(1, 11):
        gid = f"K{i:02d}"
        rows.append(_goal(gid, measure="GBO", unit=None, baseline=0.0, target=10.0))
        ratings.append((gid, SET + pd.Timedelta(days=70), float(i)))
    # not comparable: baseline 5 is outside the GBO band of 2 (fast progress would matter)
    rows.append(_goal("FAR", measure="GBO", unit=None, baseline=5.0, target=10.0))
    ratings.append(("FAR", SET + pd.Timedelta(days=70), 10.0))
    # not usable: observed only 3 days after it was set
    rows.append(_goal("EARLY", measure="GBO", unit=None, baseline=0.0, target=10.0))
    ratings.append(("EARLY", SET + pd.Timedelta(days=3), 9.0))
    # not usable: its only rating is after as_of
    rows.append(_goal("LATE", measure="GBO", unit=None, baseline=0.0, target=10.0))
    ratings.append(("LATE", AS_OF + pd.Timedelta(days=1), 10.0))
    # different measure
    rows.append(_goal("CNT", baseline=0.0, target=10.0))
    ratings.append(("CNT", SET + pd.Timedelta(days=70), 10.0))
    return rows, pd.DataFrame(ratings, columns=["goal_id", "rated_on", "value"])


class TestAchievable:
    @pytest.mark.parametrize(
        ("baseline", "target", "days", "pct", "ok"),
        [
            (1.0, 6.5, 70, 50.0, True),  # needs 0.55/week: 5 of 10 moved slower
            (0.5, 10.0, 70, 90.0, True),  # needs 0.95/week: 9 of 10 slower -> at the 90th: pass
            (0.5, 9.95, 63, 100.0, False),  # needs 1.05/week: all slower
            (2.0, 1.0, 70, 0.0, True),  # a goal to go down needs 0.1/week: none slower
        ],
    )
    def test_percentile_against_comparators(self, baseline, target, days, pct, ok):
        rows, ratings = _comparators()
        rows.append(
            _goal(
                "T",
                measure="GBO",
                unit=None,
                baseline=baseline,
                target=target,
                target_date=SET + pd.Timedelta(days=days),
            )
        )
        a = _audit(rows, ratings)
        t = a.loc["T"]
        assert t["n_comparators"] == 10
        assert t["needed_per_week"] == pytest.approx(abs(target - baseline) / (days / 7))
        assert t["achievable_percentile"] == pytest.approx(pct)
        assert bool(t["achievable"]) is ok
        assert "10 comparable goals" in t["achievable_reason"]

    def test_too_few_comparators_is_undetermined(self):
        rows, ratings = _comparators()
        rows.append(_goal("T", measure="GBO", unit=None, baseline=1.0, target=6.5))
        a = _audit(rows, ratings, min_comparators=11)
        assert pd.isna(a.loc["T", "achievable"])
        assert "only 10 comparable goals" in a.loc["T", "achievable_reason"]
        assert "undetermined" in a.loc["T", "achievable_reason"]
        # each comparator sees only the 9 others
        assert pd.isna(_audit(rows, ratings).loc["K01", "achievable"])
        assert np.isnan(a.loc["T", "achievable_percentile"])

    def test_threshold_parameter(self):
        rows, ratings = _comparators()
        rows.append(_goal("T", measure="GBO", unit=None, baseline=1.0, target=6.5))
        a = _audit(rows, ratings, achievable_percentile=40)
        assert not a.loc["T", "achievable"]

    def test_missing_numbers_undetermined(self):
        a = _audit([_goal("G1", target_date=pd.NaT), _goal("G2", baseline=np.nan)])
        assert a["achievable"].isna().all()
        assert "target date" in a.loc["G1", "achievable_reason"]
        assert "baseline" in a.loc["G2", "achievable_reason"]

    def test_instrument_goals_use_scores(self):
        rows = [
            _goal("P1", client_id="K1", measure="PHQ-9", unit=None, baseline=18.0, target=8.0),
            _goal("P2", client_id="K2", measure="PHQ-9", unit=None, baseline=18.0, target=8.0),
            _goal(
                "T",
                client_id="K3",
                measure="PHQ-9",
                unit=None,
                baseline=17.0,
                target=9.0,
                target_date=SET + pd.Timedelta(weeks=8),
            ),
        ]
        scores = pd.DataFrame(
            {
                "client_id": ["K1", "K2", "K2"],
                "instrument": ["PHQ-9"] * 3,
                "administered_on": [SET + pd.Timedelta(weeks=4)] * 2
                + [SET + pd.Timedelta(weeks=5)],
                "total": [12.0, 16.0, np.nan],
                "valid": [True, True, False],
            }
        )
        a = _audit(rows, scores=scores, min_comparators=2)
        # P1 moved 6 points in 4 weeks = 1.5/week; P2 2 points = 0.5/week; T needs 1.0/week
        assert a.loc["T", "n_comparators"] == 2
        assert a.loc["T", "achievable_percentile"] == pytest.approx(50.0)
        assert a.loc["T", "achievable"]


def test_smart_summary_column():
    rows, ratings = _comparators()
    rows.append(_goal("T", measure="GBO", unit=None, baseline=1.0, target=6.5))
    rows.append(_goal("V", measure="GBO", unit=None, baseline=1.0, target=6.5, values=None))
    a = _audit(rows, ratings)
    assert a.loc["T", "smart"]  # every criterion True
    assert not a.loc["V", "smart"]  # not relevant
    assert pd.isna(a.loc["K01", "smart"])  # achievable undetermined, nothing False
    for c in ("specific", "measurable", "achievable", "relevant", "time_bound", "smart"):
        assert str(a[c].dtype) == "boolean"
