"""Tests for pair selection (therapy_outcomes.change.pairs)."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import external
from therapy_outcomes.change.pairs import baseline_latest, first_last_pairs, pairs_by_label
from therapy_outcomes.change.reliable import reliable_change


def _scores() -> pd.DataFrame:
    rows = [
        # client, instrument, date, total, valid
        ("C1", "PHQ-9", "2026-01-05", 19, True),
        ("C1", "PHQ-9", "2026-01-12", 25, False),  # invalid: ignored
        ("C1", "PHQ-9", "2026-02-02", 14, True),
        ("C1", "PHQ-9", "2026-03-02 15:30", 8, True),
        ("C1", "GAD-7", "2026-01-05", 15, True),  # other instrument
        ("C2", "PHQ-9", "2026-01-20", 12, True),  # single valid score
        ("C2", "PHQ-9", "2026-02-20", None, True),  # no total: ignored
        ("C3", "PHQ-9", "2026-02-01", 22, True),
        ("C3", "PHQ-9", "2026-02-05", 21, True),  # only 4 days later
        ("C4", "PHQ-9", "2026-03-01", 11, False),  # nothing valid
        ("C5", "PHQ-9", "2026-02-01", 16, True),
        ("C5", "PHQ-9", "2026-02-01", 15, True),  # same timestamp: row order kept
        ("C5", "PHQ-9", "2026-01-01", 18, True),  # out of order in the table
    ]
    df = pd.DataFrame(
        rows, columns=["client_id", "instrument", "administered_on", "total", "valid"]
    )
    df["administered_on"] = pd.to_datetime(df["administered_on"], format="ISO8601")
    return df


def test_first_last_pairs_basic():
    pairs = first_last_pairs(_scores(), "PHQ-9")
    assert list(pairs.columns) == ["client_id", "pre", "post", "pre_on", "post_on", "n_scores"]
    got = pairs.set_index("client_id")[["pre", "post", "n_scores"]].to_dict("index")
    assert got == {
        "C1": {"pre": 19.0, "post": 8.0, "n_scores": 3},
        "C3": {"pre": 22.0, "post": 21.0, "n_scores": 2},
        "C5": {"pre": 18.0, "post": 15.0, "n_scores": 3},
    }
    assert pairs.loc[pairs["client_id"] == "C1", "post_on"].iloc[0] == pd.Timestamp(
        "2026-03-02 15:30"
    )
    a = pairs.attrs
    assert (a["n_clients"], a["n_pairs"], a["n_single_score"], a["n_too_close"]) == (4, 3, 1, 0)
    assert a["n_invalid_ignored"] == 3


def test_first_last_pairs_min_days_apart():
    pairs = first_last_pairs(_scores(), "PHQ-9", min_days_apart=7)
    assert pairs["client_id"].tolist() == ["C1", "C5"]
    assert pairs.attrs["n_too_close"] == 1
    exactly = first_last_pairs(_scores(), "PHQ-9", min_days_apart=4)
    assert "C3" in exactly["client_id"].tolist()  # 4 days apart is enough for 4


def test_first_last_pairs_as_of_includes_the_whole_day():
    pairs = first_last_pairs(_scores(), "PHQ-9", as_of="2026-03-02")
    assert pairs.set_index("client_id").loc["C1", "post"] == 8.0  # 15:30 that day is included
    earlier = first_last_pairs(_scores(), "PHQ-9", as_of="2026-02-28")
    assert earlier.set_index("client_id").loc["C1", "post"] == 14.0
    assert earlier.attrs["as_of"] == pd.Timestamp("2026-02-28")


def test_first_last_pairs_feed_reliable_change():
    pairs = first_last_pairs(_scores(), "PHQ-9").set_index("client_id")
    res = reliable_change(pairs["pre"], pairs["post"], threshold=6)
    assert res["category"].to_dict() == {"C1": "improved", "C3": "unchanged", "C5": "unchanged"}


def test_baseline_latest():
    now = baseline_latest(_scores(), "PHQ-9", as_of="2026-02-10")
    got = now.set_index("client_id")[["baseline", "latest", "n_scores"]].to_dict("index")
    assert got == {
        "C1": {"baseline": 19.0, "latest": 14.0, "n_scores": 2},
        "C2": {"baseline": 12.0, "latest": 12.0, "n_scores": 1},
        "C3": {"baseline": 22.0, "latest": 21.0, "n_scores": 2},
        "C5": {"baseline": 18.0, "latest": 15.0, "n_scores": 3},
    }
    assert now.attrs["n_single_score"] == 1
    with pytest.raises(ValueError, match="as_of"):
        baseline_latest(_scores(), "PHQ-9", as_of=None)


def test_scores_table_checked():
    with pytest.raises(ValueError, match="valid"):
        first_last_pairs(_scores().drop(columns="valid"), "PHQ-9")
    bad = _scores()
    bad["administered_on"] = bad["administered_on"].dt.strftime("%Y-%m-%d")
    with pytest.raises(ValueError, match="datetime64"):
        first_last_pairs(bad, "PHQ-9")


def test_empty_selection():
    pairs = first_last_pairs(_scores(), "PCL-5")
    assert len(pairs) == 0 and pairs.attrs["n_clients"] == 0


def test_pairs_by_label_claus_2020():
    path = external("clinicalsignificance", "claus_2020.csv")
    long = pd.read_csv(path)
    wide = pairs_by_label(long, "id", "time", "bdi", pre=1, post=4)
    assert len(wide) == 43 and wide.index.name == "id"
    res = reliable_change(wide["pre"], wide["post"], reliability=0.801)
    assert (res.attrs["n"], res.attrs["n_dropped"]) == (40, 3)  # N used 40 of 43 (vignette)


def test_pairs_by_label_string_labels_and_errors():
    long = pd.DataFrame(
        {
            "subject": [1, 1, 2, 2],
            "time": ["pre", "post", "post", "pre"],
            "das": [90.5, 97.0, 124.0, 74.0],
        }
    )
    wide = pairs_by_label(long, "subject", "time", "das", "pre", "post")
    assert wide.to_dict("index") == {
        1: {"pre": 90.5, "post": 97.0},
        2: {"pre": 74.0, "post": 124.0},
    }
    with pytest.raises(ValueError, match="not found"):
        pairs_by_label(long, "subject", "time", "das", "before", "post")
    dup = pd.concat([long, long.iloc[[0]]])
    with pytest.raises(ValueError, match="more than one row"):
        pairs_by_label(dup, "subject", "time", "das", "pre", "post")
    with pytest.raises(ValueError, match="no column"):
        pairs_by_label(long, "id", "time", "das", "pre", "post")
