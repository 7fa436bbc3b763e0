"""Hand-checked examples per instrument: band boundaries, reversal, prorating, risk, subscales.

Every expected value below is worked out by hand from docs/methods.md (bands, cut-offs,
missing rules) or from the arithmetic written in the comment next to it, never copied from the
implementation's output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from therapy_outcomes.instruments import default_registry, score

NA = np.nan


def run(code: str, *rows: list[float]) -> pd.DataFrame:
    inst = default_registry().get(code)
    return score(pd.DataFrame(list(rows), columns=inst.item_columns, dtype=float), code)


def one(code: str, row: list[float]) -> pd.Series:
    return run(code, row).iloc[0]


# --- band boundaries, item-level ----------------------------------------------------------------

BOUNDARIES = [
    # PHQ-9: 0-4 none-minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe
    ("PHQ-9", [0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "none-minimal"),
    ("PHQ-9", [1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "none-minimal"),
    ("PHQ-9", [1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
    ("PHQ-9", [3, 3, 3, 0, 0, 0, 0, 0, 0], 9, "mild"),
    ("PHQ-9", [3, 3, 3, 1, 0, 0, 0, 0, 0], 10, "moderate"),
    ("PHQ-9", [2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate"),
    ("PHQ-9", [3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately severe"),
    ("PHQ-9", [3, 3, 3, 3, 3, 2, 2, 0, 0], 19, "moderately severe"),
    ("PHQ-9", [3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe"),
    ("PHQ-9", [3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
    # PHQ-8: same bands, 20-24 severe
    ("PHQ-8", [1, 1, 1, 1, 0, 0, 0, 0], 4, "none-minimal"),
    ("PHQ-8", [1, 1, 1, 1, 1, 0, 0, 0], 5, "mild"),
    ("PHQ-8", [3, 3, 3, 0, 0, 0, 0, 0], 9, "mild"),
    ("PHQ-8", [3, 3, 3, 1, 0, 0, 0, 0], 10, "moderate"),
    ("PHQ-8", [3, 3, 3, 3, 2, 0, 0, 0], 14, "moderate"),
    ("PHQ-8", [3, 3, 3, 3, 3, 0, 0, 0], 15, "moderately severe"),
    ("PHQ-8", [3, 3, 3, 3, 3, 3, 1, 0], 19, "moderately severe"),
    ("PHQ-8", [3, 3, 3, 3, 3, 3, 2, 0], 20, "severe"),
    ("PHQ-8", [3, 3, 3, 3, 3, 3, 3, 3], 24, "severe"),
    # GAD-7: 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe
    ("GAD-7", [0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
    ("GAD-7", [1, 1, 1, 1, 0, 0, 0], 4, "minimal"),
    ("GAD-7", [1, 1, 1, 1, 1, 0, 0], 5, "mild"),
    ("GAD-7", [3, 3, 3, 0, 0, 0, 0], 9, "mild"),
    ("GAD-7", [3, 3, 3, 1, 0, 0, 0], 10, "moderate"),
    ("GAD-7", [2, 2, 2, 2, 2, 2, 2], 14, "moderate"),
    ("GAD-7", [3, 3, 3, 3, 3, 0, 0], 15, "severe"),
    ("GAD-7", [3, 3, 3, 3, 3, 3, 3], 21, "severe"),
    # PCL-5: below 33 / 33 or above (cut-off choice); 0-80
    ("PCL-5", [0] * 20, 0, "below probable-PTSD cut-off"),
    ("PCL-5", [4] * 8 + [0] * 12, 32, "below probable-PTSD cut-off"),
    ("PCL-5", [4] * 8 + [1] + [0] * 11, 33, "probable PTSD"),
    ("PCL-5", [4] * 20, 80, "probable PTSD"),
    # CORE-10 (items 2 and 3 reversed: stored 4 counts 0): 0-10, 11-14, 15-19, 20-24, 25-40
    ("CORE-10", [0, 4, 4, 0, 0, 0, 0, 0, 0, 0], 0, "healthy/low level"),
    ("CORE-10", [2, 4, 4, 2, 2, 0, 2, 2, 0, 0], 10, "healthy/low level"),
    ("CORE-10", [2, 4, 4, 2, 2, 0, 2, 2, 1, 0], 11, "mild"),
    ("CORE-10", [2, 3, 3, 2, 2, 0, 2, 2, 2, 0], 14, "mild"),  # 2+1+1+2+2+2+2+2
    ("CORE-10", [3, 3, 3, 2, 2, 0, 2, 2, 2, 0], 15, "moderate"),
    ("CORE-10", [3, 2, 2, 3, 2, 0, 2, 2, 2, 1], 19, "moderate"),  # 3+2+2+3+2+2+2+2+1
    ("CORE-10", [3, 2, 2, 3, 3, 0, 2, 2, 2, 1], 20, "moderate-to-severe"),
    ("CORE-10", [3, 1, 1, 3, 3, 0, 3, 3, 2, 1], 24, "moderate-to-severe"),  # 3+3+3+3+3+3+3+2+1
    ("CORE-10", [3, 1, 1, 3, 3, 0, 3, 3, 3, 1], 25, "severe"),
    ("CORE-10", [4, 0, 0, 4, 4, 4, 4, 4, 4, 4], 40, "severe"),
    # ORS (0-10 cm lines, clinical if below 25): 0, 24.9, 25, 40
    ("ORS", [0, 0, 0, 0], 0, "clinical range"),
    ("ORS", [6.2, 6.2, 6.2, 6.3], 24.9, "clinical range"),
    ("ORS", [6.2, 6.2, 6.3, 6.3], 25, "non-clinical range"),
    ("ORS", [10, 10, 10, 10], 40, "non-clinical range"),
    # SRS (low alliance below 36)
    ("SRS", [9, 9, 9, 8.9], 35.9, "low alliance"),
    ("SRS", [9, 9, 9, 9], 36, "adequate alliance"),
    # WHO-5 raw: below 13 poor wellbeing
    ("WHO-5", [0, 0, 0, 0, 0], 0, "poor wellbeing"),
    ("WHO-5", [3, 3, 2, 2, 2], 12, "poor wellbeing"),
    ("WHO-5", [3, 3, 3, 2, 2], 13, "not poor wellbeing"),
    ("WHO-5", [5, 5, 5, 5, 5], 25, "not poor wellbeing"),
    # K10 (items 1-5): 10-19 likely well, 20-24 mild, 25-29 moderate, 30-50 severe
    ("K10", [1] * 10, 10, "likely to be well"),
    ("K10", [2] * 9 + [1], 19, "likely to be well"),
    ("K10", [2] * 10, 20, "mild"),
    ("K10", [3] * 4 + [2] * 6, 24, "mild"),
    ("K10", [3] * 5 + [2] * 5, 25, "moderate"),
    ("K10", [3] * 9 + [2], 29, "moderate"),
    ("K10", [3] * 10, 30, "severe"),
    ("K10", [5] * 10, 50, "severe"),
    # WSAS (0-8): below 10 subclinical, 10-20 significant, above 20 moderately severe or worse
    ("WSAS", [2, 2, 2, 2, 1], 9, "subclinical"),
    ("WSAS", [2, 2, 2, 2, 2], 10, "significant impairment"),
    ("WSAS", [4, 4, 4, 4, 4], 20, "significant impairment"),
    ("WSAS", [5, 4, 4, 4, 4], 21, "moderately severe or worse"),
    ("WSAS", [8, 8, 8, 8, 8], 40, "moderately severe or worse"),
    # AUDIT-C: men >= 4, women >= 3
    ("AUDIT-C", [1, 1, 0], 2, "negative screen"),
    ("AUDIT-C", [1, 1, 1], 3, "positive screen for women only"),
    ("AUDIT-C", [2, 1, 1], 4, "positive screen"),
    ("AUDIT-C", [4, 4, 4], 12, "positive screen"),
    # GAS levels
    ("GAS", [-2], -2, "much less than expected"),
    ("GAS", [-1], -1, "less than expected"),
    ("GAS", [0], 0, "expected outcome"),
    ("GAS", [1], 1, "more than expected"),
    ("GAS", [2], 2, "much more than expected"),
]


@pytest.mark.parametrize(
    ("code", "items", "total", "band"), BOUNDARIES, ids=[f"{c}-{t}" for c, _, t, _ in BOUNDARIES]
)
def test_band_boundaries(code, items, total, band):
    row = one(code, items)
    assert row["total"] == pytest.approx(total)
    assert row["band"] == band
    assert row["valid"] and not row["prorated"] and row["n_missing"] == 0


def test_core_om_bands_and_reversal():
    # all answers 0: the 8 positively worded items (3, 4, 7, 12, 19, 21, 31, 32) count 4 each
    # -> 32 / 34 * 10 = 9.4118 (below the cut-off of 10)
    zeros = one("CORE-OM", [0] * 34)
    assert zeros["total"] == pytest.approx(320 / 34)
    assert zeros["band"] == "below clinical cut-off"
    # wellbeing 4, 14, 17, 31 -> 0 + 0 + 0 + 4(item 4) + 4(item 31) = 8 / 4 * 10 = 20
    assert zeros["sub_wellbeing"] == pytest.approx(20)
    # functioning: 6 of its 12 items are reversed -> 24 / 12 * 10 = 20
    assert zeros["sub_functioning"] == pytest.approx(20)
    assert zeros["sub_problems"] == 0 and zeros["sub_risk"] == 0
    assert zeros["sub_non_risk"] == pytest.approx(320 / 28)
    # all answers 4: 26 negatively worded items count 4 -> 104 / 34 * 10
    fours = one("CORE-OM", [4] * 34)
    assert fours["total"] == pytest.approx(1040 / 34)
    assert fours["sub_risk"] == 40 and fours["risk"]
    # the best possible answers (0 negative, 4 positive) give 0; the worst give 40
    positive = {3, 4, 7, 12, 19, 21, 31, 32}
    best = [4 if i in positive else 0 for i in range(1, 35)]
    worst = [0 if i in positive else 4 for i in range(1, 35)]
    assert one("CORE-OM", best)["total"] == 0 and one("CORE-OM", worst)["total"] == 40
    # exactly 10: start from the best answers (0 points) and add 34 points on negatively worded
    # items: items 2, 5, 8, 11, 14, 15, 17, 18 at 4 (32 points) and item 13 at 2 (2 points)
    # -> 34 / 34 * 10 = 10, which is "mild" (cut-off >= 10)
    ten = list(best)
    for item in (2, 5, 8, 11, 14, 15, 17, 18):
        ten[item - 1] = 4
    ten[13 - 1] = 2
    row = one("CORE-OM", ten)
    assert row["total"] == pytest.approx(10 * 34 / 34)
    assert row["band"] == "mild"


def test_core10_reversal_of_items_2_and_3():
    # every item answered "Not at all" (0): items 2 and 3 score 4 - 0 = 4 -> total 8
    assert one("CORE-10", [0] * 10)["total"] == 8
    # every item "Most or all of the time" (4): 8 items x 4 = 32, items 2 and 3 score 0
    assert one("CORE-10", [4] * 10)["total"] == 32


# --- prorating at and beyond the limit ---------------------------------------------------------


def test_phq9_prorating_limit():
    out = run(
        "PHQ-9",
        [1, 1, 1, 1, 1, 1, 1, 1, NA],  # 8 / 8 * 9 = 9
        [2, 2, 2, 2, 2, 1, 1, NA, NA],  # 12 / 7 * 9 = 15.4286
        [2, 2, 2, 2, 2, 2, NA, NA, NA],
    )  # 3 missing: invalid
    assert out["total"].iloc[:2].tolist() == pytest.approx([9, 12 * 9 / 7])
    assert out["band"].iloc[:2].tolist() == ["mild", "moderately severe"]
    assert out["n_missing"].tolist() == [1, 2, 3]
    assert out["prorated"].tolist() == [True, True, False]
    assert out["valid"].tolist() == [True, True, False]
    assert np.isnan(out["total"].iloc[2]) and pd.isna(out["band"].iloc[2])


def test_prorated_total_between_bands_stays_in_lower_band():
    # 4 points over 8 answered items -> 4.5, which is below 5: none-minimal
    row = one("PHQ-9", [0, 0, 0, 2, 0, 0, 2, NA, 0])
    assert row["total"] == 4.5 and row["band"] == "none-minimal"
    # GAD-7: 6 answered items summing to 8 -> 8 / 6 * 7 = 9.333, below 10 -> mild
    row = one("GAD-7", [2, 2, 1, 1, 1, 1, NA])
    assert row["total"] == pytest.approx(56 / 6) and row["band"] == "mild"


@pytest.mark.parametrize(
    ("code", "n", "limit"),
    [
        ("PHQ-8", 8, 1),
        ("GAD-7", 7, 1),
        ("PCL-5", 20, 4),
        ("K10", 10, 2),
        ("WSAS", 5, 1),
        ("WHO-5", 5, 1),
        ("CORE-10", 10, 1),
        ("CORE-OM", 34, 3),
        ("ORS", 4, 0),
        ("SRS", 4, 0),
        ("AUDIT-C", 3, 0),
        ("GAS", 1, 0),
        ("GBO", 1, 0),
    ],
)
def test_missing_limits(code, n, limit):
    inst = default_registry().get(code)
    value = inst.item_max  # every answered item at the maximum
    rows = [[value] * (n - k) + [NA] * k for k in (limit, limit + 1)]
    out = run(code, *rows)
    assert out["valid"].tolist() == [True, False]
    assert out["prorated"].tolist() == [limit > 0, False]
    if inst.has_total and not inst.reverse_items:
        # mean-imputed: all answered at max -> the maximum total
        assert out["total"].iloc[0] == inst.total_max


def test_core10_prorated_with_a_reversed_item_missing():
    # item 2 missing; item 3 = 1 scores 3; item 1 = 2; items 4-10 = 1 each (7)
    # answered sum 2 + 3 + 7 = 12 over 9 items -> 12 / 9 * 10 = 13.33 -> mild
    row = one("CORE-10", [2, NA, 1, 1, 1, 1, 1, 1, 1, 1])
    assert row["total"] == pytest.approx(120 / 9)
    assert row["band"] == "mild" and row["prorated"]


def test_core_om_domain_missing_rules():
    base = [1] * 34  # negative items score 1, positive items score 3
    one_wellbeing = list(base)
    one_wellbeing[3] = NA  # item 4 (wellbeing): no missing allowed there
    row = one("CORE-OM", one_wellbeing)
    assert row["valid"] and np.isnan(row["sub_wellbeing"])
    # remaining wellbeing items 14, 17 (1 each), 31 (3) -> not computed; problems intact: 10
    assert row["sub_problems"] == 10
    two_problems = list(base)
    two_problems[1] = two_problems[4] = NA  # items 2 and 5 (problems): limit is 1
    row = one("CORE-OM", two_problems)
    assert row["valid"] and np.isnan(row["sub_problems"])
    one_problem = list(base)
    one_problem[1] = NA
    assert one("CORE-OM", one_problem)["sub_problems"] == 10  # mean of the other 11 = 1
    four = list(base)
    for i in (1, 4, 7, 10):  # items 2, 5, 8, 11 -> 4 missing overall: invalid
        four[i] = NA
    assert not one("CORE-OM", four)["valid"]


def test_dass21_subscales_and_missing():
    # depression items 3,5,10,13,16,17,21 ; anxiety 2,4,7,9,15,19,20 ; stress the rest
    row = [0] * 21
    for item in (3, 5, 10, 13, 16):  # depression raw 5 -> x2 = 10: mild
        row[item - 1] = 1
    for item in (2, 4, 7, 9):  # anxiety raw 4 -> 8: mild
        row[item - 1] = 1
    for item in (1, 6, 8, 11, 12, 14, 18):  # stress raw 21 -> 42: extremely severe
        row[item - 1] = 3
    out = one("DASS-21", row)
    assert (out["sub_depression"], out["sub_anxiety"], out["sub_stress"]) == (10, 8, 42)
    assert np.isnan(out["total"]) and pd.isna(out["band"]) and out["valid"]
    dass = default_registry().get("DASS-21")
    assert dass.subscales["depression"].band_of([9, 10, 13, 14, 20, 21, 27, 28]).tolist() == [
        "normal",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
        "extremely severe",
    ]
    assert dass.subscales["anxiety"].band_of([7, 8, 9, 10, 14, 15, 19, 20]).tolist() == [
        "normal",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
        "extremely severe",
    ]
    assert dass.subscales["stress"].band_of([14, 15, 18, 19, 25, 26, 33, 34]).tolist() == [
        "normal",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
        "extremely severe",
    ]
    # one missing depression item: prorated within the subscale, 6 answered items of 1
    # -> 6 / 6 * 7 * 2 = 14; two missing: NaN
    row1 = [1] * 21
    row1[2] = NA
    row2 = list(row1)
    row2[4] = NA
    out = run("DASS-21", row1, row2)
    assert out["sub_depression"].iloc[0] == 14 and np.isnan(out["sub_depression"].iloc[1])
    assert out["sub_anxiety"].tolist() == [14, 14]
    assert out["valid"].tolist() == [True, True]


def test_pcl5_clusters():
    row = [1] * 5 + [2] * 2 + [3] * 7 + [4] * 6  # B 5, C 4, D 21, E 24 -> total 54
    out = one("PCL-5", row)
    assert out["total"] == 54 and out["band"] == "probable PTSD"
    assert (
        out["sub_b_intrusion"],
        out["sub_c_avoidance"],
        out["sub_d_cognition_mood"],
        out["sub_e_arousal_reactivity"],
    ) == (5, 4, 21, 24)
    row[5] = NA  # one of the two C items: no missing allowed in C, total prorated
    out = one("PCL-5", row)
    assert np.isnan(out["sub_c_avoidance"]) and out["prorated"]
    assert out["total"] == pytest.approx(52 / 19 * 20)


def test_who5_percentage_subscale():
    out = run("WHO-5", [3, 3, 3, 2, 2], [3, 3, 2, 2, 2], [3, 3, 3, 3, NA])
    assert out["total"].tolist() == [13, 12, 15]  # last: 12 / 4 * 5
    assert out["sub_percentage"].tolist() == [52, 48, 60]
    assert out["band"].tolist() == ["not poor wellbeing", "poor wellbeing", "not poor wellbeing"]


def test_gbo_accepts_half_points_and_has_no_band():
    out = run("GBO", [0], [5.5], [10])
    assert out["total"].tolist() == [0, 5.5, 10]
    assert out["band"].isna().all() and out["valid"].all()
    with pytest.raises(ValueError, match="GAS"):
        run("GAS", [0.5])
    with pytest.raises(ValueError, match="GAS"):
        run("GAS", [-3])


# --- risk items ---------------------------------------------------------------------------------


def test_phq9_item9_risk_even_when_total_invalid():
    out = run(
        "PHQ-9",
        [0, 0, 0, 0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0, 0, 0],
        [NA, NA, NA, NA, 0, 0, 0, 0, 2],  # invalid (4 missing) but answered item 9 = 2
        [1, 1, 1, 1, 1, 1, 1, 1, NA],
    )  # item 9 unanswered: no flag
    assert out["risk"].tolist() == [True, False, True, False]
    assert out["valid"].tolist() == [True, True, False, True]


def test_core_risk_items():
    row = [0] * 10
    row[5] = 1  # CORE-10 item 6
    assert one("CORE-10", row)["risk"]
    row = [0] * 34
    assert not one("CORE-OM", row)["risk"]
    for item in (6, 9, 16, 22, 24, 34):
        flagged = [0] * 34
        flagged[item - 1] = 1
        assert one("CORE-OM", flagged)["risk"], item
    not_risk = [0] * 34
    not_risk[29] = 4  # item 30 (self-blame) is not a risk item
    assert not one("CORE-OM", not_risk)["risk"]


def test_instruments_without_risk_items_never_flag():
    assert not run("GAD-7", [3] * 7)["risk"].any()
    assert not run("PCL-5", [4] * 20)["risk"].any()
