"""Real data: NHANES 2017-2018 depression screener (DPQ_J), scored as PHQ-9.

DPQ010..DPQ090 are PHQ-9 items 1-9 (0-3); DPQ100 (difficulty) is not part of the total. Codes
7 (refused) and 9 (don't know) and blanks are missing answers. The file's location can be set
through THERAPY_OUTCOMES_EXTERNAL (see tests/conftest.py); missing data fails in CI.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import external
from therapy_outcomes.instruments import score

ITEMS = [f"DPQ0{i}0" for i in range(1, 10)]


@pytest.fixture(scope="module")
def data_file() -> Path:
    return external("nhanes_dpq_j", "DPQ_J.csv")


@pytest.fixture(scope="module")
def codebook_file() -> Path:
    return external("nhanes_dpq_j", "DPQ_J_codebook_frequencies.csv")


@pytest.fixture(scope="module")
def raw(data_file) -> pd.DataFrame:
    """The file as read for scoring: every column as text, blanks kept as missing."""
    return pd.read_csv(data_file, dtype="string")


@pytest.fixture(scope="module")
def items(raw) -> pd.DataFrame:
    """PHQ-9 item frame: codes 7 and 9 become missing."""
    values = raw[ITEMS].apply(pd.to_numeric).astype("float64")
    values = values.mask(values.isin([7, 9]))
    values.columns = [f"item_{i}" for i in range(1, 10)]
    return values.set_axis(raw["SEQN"].astype(int), axis=0)


@pytest.fixture(scope="module")
def scored(items) -> pd.DataFrame:
    return score(items, "PHQ-9")


@pytest.fixture(scope="module")
def plain_rows(data_file) -> list[dict[str, str]]:
    """Independent second reading with the csv module (no pandas)."""
    with data_file.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_reading_reproduces_published_frequencies(raw, codebook_file):
    published = pd.read_csv(codebook_file, dtype={"code": "string"})
    assert len(raw) == 5533
    for variable, group in published.groupby("variable"):
        counts = raw[variable].fillna(".").value_counts()
        for code, count in zip(group["code"], group["published_count"], strict=True):
            assert counts.get(code, 0) == count, (variable, code)
        assert group["published_count"].sum() == len(raw)  # every row accounted for


def test_valid_and_prorated_counts_match_an_independent_count(scored, plain_rows):
    n_missing = [sum(row[v] in ("", "7", "9") for v in ITEMS) for row in plain_rows]
    tally = Counter(n_missing)
    assert scored["n_missing"].value_counts().to_dict() == dict(tally)
    # NHS rule: at most 2 missing -> valid; prorated exactly when 1 or 2 are missing
    assert scored["valid"].sum() == tally[0] + tally[1] + tally[2]
    assert scored["prorated"].sum() == tally[1] + tally[2]
    assert (scored["prorated"] == scored["n_missing"].isin([1, 2])).all()
    assert scored["total"].notna().sum() == scored["valid"].sum()
    # bands partition the valid totals
    assert scored["band"].value_counts().sum() == scored["valid"].sum()
    assert set(scored["band"].dropna()) <= {
        "none-minimal",
        "mild",
        "moderate",
        "moderately severe",
        "severe",
    }


def test_totals_match_an_independent_computation(scored, plain_rows):
    expected = {}
    for row in plain_rows:
        answered = [int(row[v]) for v in ITEMS if row[v] not in ("", "7", "9")]
        if len(answered) >= 7:
            expected[int(row["SEQN"])] = sum(answered) * 9 / len(answered)
    got = scored["total"].dropna()
    assert set(got.index) == set(expected)
    assert np.allclose(got.to_numpy(), [expected[s] for s in got.index], rtol=0, atol=1e-9)


def test_risk_count_equals_published_item9_counts(scored):
    # DPQ090 codes 1, 2, 3: 136 + 32 + 24 published; codes 7 and 9 are not answers
    assert scored["risk"].sum() == 136 + 32 + 24


def test_difficulty_item_is_not_part_of_the_total(raw, items):
    with_extra = items.assign(DPQ100=pd.to_numeric(raw["DPQ100"]).to_numpy())
    pd.testing.assert_frame_equal(score(with_extra, "PHQ-9"), score(items, "PHQ-9"))


@pytest.mark.parametrize(
    ("seqn", "total", "band", "n_missing", "risk"),
    [
        (93705, 0, "none-minimal", 0, False),  # all items 0
        (93715, 4, "none-minimal", 0, False),  # 0,0,3,1,0,0,0,0,0
        (93717, 5, "mild", 0, False),  # 1,1,0,1,0,1,1,0,0
        (93837, 9, "mild", 0, False),  # 2,0,1,3,2,0,1,0,0
        (93894, 10, "moderate", 0, False),  # 3,3,1,1,0,0,1,1,0
        (93823, 15, "moderately severe", 0, True),  # 1,1,3,2,3,1,2,1,1 (item 9 = 1)
        (93903, 20, "severe", 0, False),  # 3,3,2,2,2,3,3,2,0
        # 2,3,1,1,2,3,3,3 and item 9 "don't know": 18 over 8 answered -> 18 * 9 / 8 = 20.25,
        # prorating lifts a raw 18 (moderately severe) into severe
        (95853, 20.25, "severe", 1, False),
        # 3,3,3,0,3,[9],2,[9],3: 17 over 7 -> 17 * 9 / 7 = 21.857
        (97268, 17 * 9 / 7, "severe", 2, True),
        # 0,[7],[7],1,0,0,0,0,0: 1 over 7 -> 9 / 7
        (97861, 9 / 7, "none-minimal", 2, False),
        # 0,0,0,2,0,0,2,[9],0: 4 over 8 -> 4.5, below 5 -> none-minimal
        (102697, 4.5, "none-minimal", 1, False),
        # 0,0,0,0,0,0,1,1,blank: 2 over 8 -> 2.25
        (100325, 2.25, "none-minimal", 1, False),
    ],
)
def test_hand_computed_rows(scored, seqn, total, band, n_missing, risk):
    row = scored.loc[seqn]
    assert row["total"] == pytest.approx(total)
    assert row["band"] == band
    assert row["n_missing"] == n_missing
    assert row["prorated"] == (n_missing > 0)
    assert row["risk"] == risk


@pytest.mark.parametrize(
    ("seqn", "n_missing"),
    [
        (101689, 3),  # 1,[9],[9],[9],0,0,0,0,0
        (97765, 4),  # 2,3,3,0,0 then four blanks
        (93887, 8),  # 0 then eight "don't know"
        (93709, 9),
    ],  # all blank
)
def test_hand_checked_invalid_rows(scored, seqn, n_missing):
    row = scored.loc[seqn]
    assert not row["valid"] and not row["prorated"] and not row["risk"]
    assert np.isnan(row["total"]) and pd.isna(row["band"]) and row["n_missing"] == n_missing
