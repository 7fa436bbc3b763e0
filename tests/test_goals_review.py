"""Tests for therapy_outcomes.goals.review: review_status and revision_chains."""

from __future__ import annotations

import pandas as pd

from therapy_outcomes.goals import review_status, revision_chains

AS_OF = pd.Timestamp("2026-03-10")


def _goals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "goal_id": ["A", "B", "C", "D", "E", "F"],
            "client_id": ["C1"] * 6,
            "status": ["active", "active", "active", "achieved", "revised", "active"],
            "set_on": pd.to_datetime(
                ["2026-01-05", "2026-02-10", "2026-01-05", "2026-01-05", "2026-01-05", "2026-01-05"]
            ),
            "target_date": pd.to_datetime(
                ["2026-03-09", "2026-03-10", pd.NaT, "2026-02-01", "2026-02-01", "2026-06-01"]
            ),
        }
    )


def _ratings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "goal_id": ["A", "A", "C", "D", "F"],
            "rated_on": pd.to_datetime(
                ["2026-01-20", "2026-02-10", "2026-02-09", "2026-01-10", "2026-03-20"]
            ),
            "value": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )


def test_review_status_boundaries():
    out = review_status(_goals(), _ratings(), as_of=AS_OF).set_index("goal_id")
    # A: last review 02-10, due 03-10 = as_of -> not yet overdue
    assert out.loc["A", "last_review"] == pd.Timestamp("2026-02-10")
    assert out.loc["A", "n_reviews"] == 2
    assert out.loc["A", "next_review_due"] == pd.Timestamp("2026-03-10")
    assert not out.loc["A", "overdue"] and out.loc["A", "days_overdue"] == 0
    # B: never rated -> due 28 days after set_on (03-10): not overdue
    assert pd.isna(out.loc["B", "last_review"])
    assert out.loc["B", "next_review_due"] == pd.Timestamp("2026-03-10")
    assert not out.loc["B", "overdue"]
    # C: last review 02-09, due 03-09 -> 1 day overdue
    assert out.loc["C", "overdue"] and out.loc["C", "days_overdue"] == 1
    # D achieved / E revised: never overdue for review
    assert not out.loc["D", "overdue"] and not out.loc["E", "overdue"]
    # F: its only rating is after as_of -> ignored; due 02-02 -> 36 days overdue
    assert pd.isna(out.loc["F", "last_review"])
    assert out.loc["F", "days_overdue"] == 36


def test_target_past_due():
    out = review_status(_goals(), _ratings(), as_of=AS_OF).set_index("goal_id")
    assert out.loc["A", "target_past_due"]  # 03-09 < 03-10, active
    assert not out.loc["B", "target_past_due"]  # target date is today
    assert not out.loc["C", "target_past_due"]  # no target date
    assert not out.loc["D", "target_past_due"]  # achieved
    assert out.loc["E", "target_past_due"]  # revised is "not achieved" by default
    live = review_status(
        _goals(),
        _ratings(),
        as_of=AS_OF,
        target_past_due_excludes=("achieved", "revised", "discontinued"),
    ).set_index("goal_id")
    assert not live.loc["E", "target_past_due"]


def test_review_interval_parameter():
    out = review_status(_goals(), _ratings(), as_of=AS_OF, review_interval_days=14)
    a = out.set_index("goal_id").loc["A"]
    assert a["overdue"] and a["days_overdue"] == 14


def test_revision_chains_linear_branching_and_broken():
    goals = pd.DataFrame(
        {
            "goal_id": ["G1", "G2", "G3", "G4", "H1", "X1", "Y1", "Y2"],
            "client_id": ["C1"] * 8,
            "revises_goal_id": [None, "G1", "G2", "G2", None, "ZZ", "Y2", "Y1"],
            "status": ["revised", "revised", "active", "active", "active", "active", "a", "a"],
            "set_on": pd.to_datetime(["2026-01-05"] * 8),
        }
    )
    out = revision_chains(goals).set_index("goal_id")
    assert out.loc["G1", "position"] == 0 and out.loc["G1", "root_goal_id"] == "G1"
    assert out.loc["G3", "chain"] == ["G1", "G2", "G3"]
    assert out.loc["G3", "chain_text"] == "G1 > G2 > G3"
    assert out.loc["G4", "position"] == 2 and out.loc["G4", "root_goal_id"] == "G1"  # branch
    assert out.loc["G3", "is_latest"] and out.loc["G4", "is_latest"]
    assert not out.loc["G2", "is_latest"]
    assert out.loc["H1", "chain"] == ["H1"] and out.loc["H1", "is_latest"]
    # a revision of an unknown goal becomes a root and is reported
    assert out.loc["X1", "root_goal_id"] == "X1" and out.loc["X1", "broken_link"] == "ZZ"
    # a cycle is cut where it closes (no infinite loop)
    assert out.loc["Y1", "position"] == 1 and out.loc["Y2", "position"] == 1
    # ordered by root then position
    g_rows = revision_chains(goals).query("root_goal_id == 'G1'")
    assert g_rows["position"].tolist() == [0, 1, 2, 2]
