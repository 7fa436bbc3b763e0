"""score() and score_totals(): output contract, validation of item values, dtypes, index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from therapy_outcomes.instruments import default_registry, score, score_totals

BASE_COLUMNS = ["total", "band", "n_missing", "prorated", "valid", "risk"]


def _frame(rows, code, index=None):
    inst = default_registry().get(code)
    return pd.DataFrame(rows, columns=inst.item_columns, index=index, dtype=float)


def test_output_columns_dtypes_and_index():
    items = _frame([[1] * 9, [3] * 9], "PHQ-9", index=["a", "b"])
    out = score(items, "PHQ-9")
    assert list(out.columns) == BASE_COLUMNS
    assert list(out.index) == ["a", "b"]
    assert out["total"].dtype == np.float64
    assert out["band"].dtype == "string"
    assert out["n_missing"].dtype == np.int64
    assert out["prorated"].dtype == bool and out["valid"].dtype == bool
    assert out["risk"].dtype == bool


def test_subscale_columns_are_named_sub_name():
    out = score(_frame([[0] * 21], "DASS-21"), "DASS-21")
    assert list(out.columns) == [*BASE_COLUMNS, "sub_depression", "sub_anxiety", "sub_stress"]


def test_duplicate_and_unordered_index_is_kept():
    items = _frame([[0] * 9, [3] * 9, [1] * 9], "PHQ-9", index=[5, 5, 1])
    out = score(items, "PHQ-9")
    assert list(out.index) == [5, 5, 1]
    assert out["total"].tolist() == [0, 27, 9]


def test_extra_columns_are_ignored_and_instrument_object_accepted():
    inst = default_registry().get("GAD-7")
    items = _frame([[1] * 7], "GAD-7").assign(item_8=3, client_id="C1")
    assert score(items, inst)["total"].tolist() == [7]


def test_missing_columns_are_named():
    items = _frame([[1] * 9], "PHQ-9").drop(columns=["item_4", "item_9"])
    with pytest.raises(ValueError, match=r"missing: item_4, item_9"):
        score(items, "PHQ-9")


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("item_2", 4, "item_2: [4]"),
        ("item_9", -1, "item_9: [-1]"),
        ("item_1", 1.5, "item_1: [1.5]"),
        ("item_3", np.inf, "item_3: [inf]"),
    ],
)
def test_out_of_range_values_raise_naming_column_and_value(column, value, shown):
    items = _frame([[1] * 9, [1] * 9], "PHQ-9")
    items.loc[1, column] = value
    with pytest.raises(ValueError, match="PHQ-9") as info:
        score(items, "PHQ-9")
    assert shown in str(info.value)


def test_several_bad_columns_are_all_reported():
    items = _frame([[1] * 7], "GAD-7")
    items.loc[0, ["item_1", "item_7"]] = [5, 9]
    with pytest.raises(ValueError, match=r"item_1: \[5\]; item_7: \[9\]"):
        score(items, "GAD-7")


def test_non_integer_allowed_for_visual_analogue_scales():
    items = _frame([[6.1, 6.2, 6.3, 6.4]], "ORS")
    out = score(items, "ORS")
    assert out["total"].tolist() == [25.0]  # exactly 25, not 24.999999999999996
    assert out["band"].tolist() == ["non-clinical range"]
    with pytest.raises(ValueError, match=r"item_4: \[10.5\]"):
        score(_frame([[1, 1, 1, 10.5]], "ORS"), "ORS")


def test_text_and_nullable_columns():
    inst = default_registry().get("GAD-7")
    items = pd.DataFrame(
        {c: pd.array(["1", " 2 ", "", None], dtype="string") for c in inst.item_columns}
    )
    out = score(items, "GAD-7")
    assert out["total"].iloc[:2].tolist() == [7, 14]
    assert out["n_missing"].tolist() == [0, 0, 7, 7]
    nullable = pd.DataFrame({c: pd.array([1, pd.NA], dtype="Int64") for c in inst.item_columns})
    assert score(nullable, "GAD-7")["n_missing"].tolist() == [0, 7]
    bad = items.assign(item_3=["x", "1", "1", "1"])
    with pytest.raises(ValueError, match=r"item_3: non-numeric \['x'\]"):
        score(bad, "GAD-7")


def test_empty_frame():
    out = score(_frame([], "CORE-OM"), "CORE-OM")
    assert len(out) == 0 and "sub_wellbeing" in out.columns


def test_all_missing_row_is_invalid_not_an_error():
    out = score(_frame([[np.nan] * 9], "PHQ-9"), "PHQ-9")
    row = out.iloc[0]
    assert not row["valid"] and not row["prorated"] and np.isnan(row["total"])
    assert row["n_missing"] == 9 and pd.isna(row["band"]) and not row["risk"]


def test_unknown_instrument_in_score():
    with pytest.raises(KeyError, match="unknown instrument"):
        score(pd.DataFrame({"item_1": [1]}), "NOPE")


def test_custom_registry_is_used(tmp_path):
    from pathlib import Path

    reg = default_registry().with_definitions(
        Path(__file__).parent / "data" / "instruments" / "overrides"
    )
    items = _frame([[1, 1, 1, 1, 1, 1, 1, np.nan, 1]], "PHQ-9")
    assert score(items, "PHQ-9")["valid"].tolist() == [True]
    assert score(items, "PHQ-9", registry=reg)["valid"].tolist() == [False]  # method none
    mood = pd.DataFrame({"item_1": [2, 7], "item_2": [4, np.nan], "item_3": [7, 1]})
    out = score(mood, "mood3", registry=reg)
    # item 3 reversed: 1 + 7 - 7 = 1 -> mean(2, 4, 1) = 7/3; row 2: mean(7, 7) = 7 (prorated)
    assert out["total"].tolist() == pytest.approx([7 / 3, 7])
    assert out["band"].tolist() == ["low", "high"]


# --- score_totals -------------------------------------------------------------------------------


def test_score_totals_contract():
    totals = pd.Series([0, 9.5, 10, 27, 28, -1, np.nan], index=list("abcdefg"))
    out = score_totals(totals, "PHQ-9")
    assert list(out.columns) == BASE_COLUMNS
    assert list(out.index) == list("abcdefg")
    assert out["valid"].tolist() == [True, True, True, True, False, False, False]
    assert out["band"].iloc[:4].tolist() == ["none-minimal", "mild", "moderate", "severe"]
    assert out["total"].iloc[4:].isna().all()
    assert out["n_missing"].dtype == "Int64" and out["n_missing"].isna().all()
    assert out["risk"].dtype == "boolean" and out["risk"].isna().all()
    assert not out["prorated"].any()


def test_score_totals_subscales_and_no_total():
    out = score_totals(pd.Series([13]), "WHO-5")
    assert np.isnan(out["sub_percentage"].iloc[0])
    with pytest.raises(ValueError, match="DASS-21 has no total"):
        score_totals(pd.Series([10]), "DASS-21")
    with pytest.raises(ValueError, match="must be numbers"):
        score_totals(pd.Series(["ten"]), "PHQ-9")


def test_score_totals_band_matches_score():
    items = _frame([[0, 1, 2, 3, 0, 1, 2, 3, 1], [2] * 9], "PHQ-9")
    scored = score(items, "PHQ-9")
    again = score_totals(scored["total"], "PHQ-9")
    pd.testing.assert_series_equal(again["band"], scored["band"])


# --- Instrument helpers -------------------------------------------------------------------------


def test_band_of_handles_missing_and_out_of_range():
    phq9 = default_registry().get("PHQ-9")
    out = phq9.band_of(pd.Series([np.nan, -0.5, 27.5, 4.999, 27], index=[3, 2, 1, 0, 9]))
    assert list(out.index) == [3, 2, 1, 0, 9]
    assert out.isna().tolist() == [True, True, True, False, False]
    assert out.iloc[3:].tolist() == ["none-minimal", "severe"]


def test_is_clinical_sides():
    reg = default_registry()
    assert reg.get("PHQ-9").is_clinical([9, 9.9, 10, np.nan]).tolist() == [
        False,
        False,
        True,
        pd.NA,
    ]
    # ORS: clinical if below 25 (OpenFIT), so exactly 25 is not clinical
    assert reg.get("ORS").is_clinical([24.9, 25, 40]).tolist() == [True, False, False]
    assert reg.get("SRS").is_clinical([35.9, 36]).tolist() == [True, False]
    assert reg.get("WHO-5").is_clinical([12, 13]).tolist() == [True, False]
    gbo = reg.get("GBO")
    assert gbo.cutoff is None and gbo.is_clinical([3]).isna().all()
    assert gbo.rc_threshold() is None
