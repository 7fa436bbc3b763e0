"""Tests for outcomes.talking_therapies and outcomes.cms159 (NHS Talking Therapies, CMS159)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import external
from therapy_outcomes.outcomes.cms159 import cms159, cms159_rates
from therapy_outcomes.outcomes.talking_therapies import (
    talking_therapies_outcomes,
    talking_therapies_rates,
    talking_therapies_rates_from_counts,
)

# --------------------------------------------------------------------------------------------
# National figures: the rate formulas reproduce NHS England's published percentages
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def national() -> pd.DataFrame:
    return pd.read_csv(external("nhs_talking_therapies", "england_annual_key_measures.csv"))


def _national_counts(row: pd.Series) -> dict[str, float]:
    return {
        "finished": row["finished_course_treatment_count"],
        "not_at_caseness": row["not_at_caseness_count"],
        "recovered": row["recovery_count"],
        "reliably_improved": row["improvement_count"],
        "reliably_deteriorated": row["deterioration_count"],
        "no_reliable_change": row["no_reliable_change_count"],
        "reliably_recovered": row["reliable_recovery_count"],
    }


PUBLISHED = {
    "recovery": "recovery_percentage",
    "reliable_improvement": "improvement_percentage",
    "reliable_deterioration": "deterioration_percentage",
    "no_reliable_change": "no_reliable_change_percentage",
    "reliable_recovery": "reliable_recovery_percentage",
}


def test_every_year_every_metric_reproduced_to_published_decimal(national):
    assert len(national) == 8  # 2017-18 .. 2024-25
    for _, row in national.iterrows():
        rates = talking_therapies_rates_from_counts(_national_counts(row)).set_index("metric")
        for metric, col in PUBLISHED.items():
            ours = rates.loc[metric, "percent"]
            # published to one decimal: ours must round to it
            assert abs(ours - row[col]) <= 0.05 + 1e-9, (row["reporting_period"], metric)


def test_reliable_recovery_denominator_is_finished_minus_not_at_caseness(national):
    # the alternative denominators do not reproduce the published figure
    fin = national["finished_course_treatment_count"]
    nac = national["not_at_caseness_count"]
    rr = national["reliable_recovery_count"]
    pub = national["reliable_recovery_percentage"]
    assert ((100 * rr / (fin - nac) - pub).abs() <= 0.05).all()
    assert ((100 * rr / fin - pub).abs() > 0.05).all()  # finished: ~45 % vs ~48 %
    assert ((100 * rr / national["at_caseness_count"] - pub).abs() > 0.05).any()


def test_deterioration_denominator_is_finished(national):
    fin = national["finished_course_treatment_count"]
    nac = national["not_at_caseness_count"]
    det = national["deterioration_count"]
    pub = national["deterioration_percentage"]
    assert ((100 * det / fin - pub).abs() <= 0.05).all()
    assert ((100 * det / (fin - nac) - pub).abs() > 0.05).all()


def test_nhs_digital_worked_examples():
    # docs/methods.md#tt-denominators: Dec 2020 23,291 / (48,111 - 2,957) = 51.6 %;
    # Jun 2020 27,884 / (57,060 - 3,200) = 51.8 % and reliable improvement 39,417 / 57,060 = 69.1 %
    dec = talking_therapies_rates_from_counts(
        {"finished": 48111, "not_at_caseness": 2957, "recovered": 23291}
    )
    assert round(dec.loc[0, "percent"], 1) == 51.6
    assert dec.loc[0, "denominator"] == 48111 - 2957
    jun = talking_therapies_rates_from_counts(
        {
            "finished": 57060,
            "not_at_caseness": 3200,
            "recovered": 27884,
            "reliably_improved": 39417,
        }
    ).set_index("metric")
    assert round(jun.loc["recovery", "percent"], 1) == 51.8
    assert round(jun.loc["reliable_improvement", "percent"], 1) == 69.1
    assert jun.loc["reliable_improvement", "denominator"] == 57060


def test_denominator_override_and_bad_rule():
    counts = {"finished": 10, "not_at_caseness": 2, "reliably_recovered": 4}
    r = talking_therapies_rates_from_counts(counts, denominators={"reliable_recovery": "finished"})
    assert r.loc[0, "percent"] == 40.0
    with pytest.raises(ValueError, match="unknown denominator"):
        talking_therapies_rates_from_counts(counts, denominators={"reliable_recovery": "x"})


# --------------------------------------------------------------------------------------------
# Episode classification on hand-built data
# --------------------------------------------------------------------------------------------

D0 = pd.Timestamp("2026-01-05")
D1 = pd.Timestamp("2026-02-02")
D2 = pd.Timestamp("2026-03-02")


def _score_rows(cid: str, day: pd.Timestamp, phq: float | None, gad: float | None, sid=None):
    rows = []
    if phq is not None:
        rows.append((cid, "PHQ-9", day, phq, True, sid))
    if gad is not None:
        rows.append((cid, "GAD-7", day, gad, True, sid))
    return rows


def _build():
    rows = []
    # A: case -> not case, both reliably better: recovered, reliably improved & recovered
    rows += _score_rows("A", D0, 16, 12) + _score_rows("A", D2, 7, 5)
    # B: stays a case; PHQ-9 falls 5 (< 6, not reliable), GAD-7 falls 3 (< 4)
    rows += _score_rows("B", D0, 20, 10) + _score_rows("B", D2, 15, 7)
    # C: not a case at start (PHQ 9 < 10, GAD 7 < 8); PHQ-9 falls exactly 6 -> reliable
    rows += _score_rows("C", D0, 9, 7) + _score_rows("C", D2, 3, 7)
    # D: mixed: PHQ-9 falls 8 (improved), GAD-7 rises exactly 4 (deteriorated)
    rows += _score_rows("D", D0, 18, 6) + _score_rows("D", D2, 10, 10)
    # E: only one attended treatment session -> not finished (scores recover)
    rows += _score_rows("E", D0, 15, 10) + _score_rows("E", D2, 4, 3)
    # F: finished, but its two measures never on the same day -> no paired scores
    rows += _score_rows("F", D0, 14, None) + _score_rows("F", D1, None, 9)
    rows += _score_rows("F", D2, 5, None)
    # G: boundary: PHQ-9 exactly 10 at start is a case; ends PHQ 9 / GAD 6 -> not a case;
    #    GAD-7 rises 3 (not reliable); an invalid score after D2 is ignored; middle pair D1
    rows += _score_rows("G", D0, 10, 3) + _score_rows("G", D1, 12, 3) + _score_rows("G", D2, 9, 6)
    scores = pd.DataFrame(
        rows, columns=["client_id", "instrument", "administered_on", "total", "valid", "session_id"]
    )
    invalid = pd.DataFrame(
        [("G", "PHQ-9", D2 + pd.Timedelta(days=1), np.nan, False, None)], columns=scores.columns
    )
    scores = pd.concat([scores, invalid], ignore_index=True)

    ses = []
    for cid in "ABCDFG":
        ses += [
            (cid, D0, "assessment", "attended"),
            (cid, D1, "treatment", "attended"),
            (cid, D2, "treatment", "attended"),
        ]
    ses += [
        ("E", D0, "assessment", "attended"),
        ("E", D1, "treatment", "attended"),
        ("E", D2, "treatment", "did_not_attend"),
        ("E", D2 + pd.Timedelta(days=7), "review", "attended"),  # review is not treatment
    ]
    sessions = pd.DataFrame(ses, columns=["client_id", "session_on", "kind", "attendance"])
    return scores, sessions


@pytest.fixture
def outcomes():
    scores, sessions = _build()
    return talking_therapies_outcomes(scores, sessions).set_index("client_id")


def test_finished_treatment(outcomes):
    assert outcomes["finished_treatment"].to_dict() == {
        "A": True, "B": True, "C": True, "D": True, "E": False, "F": True, "G": True,
    }  # fmt: skip
    assert outcomes.loc["E", "n_treatment_sessions"] == 1


def test_first_and_last_pairs(outcomes):
    a = outcomes.loc["A"]
    assert (a["first_depression"], a["first_anxiety"]) == (16, 12)
    assert (a["last_depression"], a["last_anxiety"]) == (7, 5)
    assert a["first_date"] == D0 and a["last_date"] == D2
    assert outcomes.loc["G", "n_pairs"] == 3
    assert not outcomes.loc["F", "has_paired_scores"]
    assert pd.isna(outcomes.loc["F", "recovered"])
    assert pd.isna(outcomes.loc["F", "last_depression"])


def test_caseness_recovery_and_boundaries(outcomes):
    o = outcomes
    assert o.loc["A", "recovered"] and o.loc["A", "reliably_recovered"]
    assert o.loc["B", "at_caseness_start"] and o.loc["B", "at_caseness_end"]
    assert not o.loc["B", "recovered"]
    assert o.loc["B", "change_category"] == "no_reliable_change"
    assert not o.loc["C", "at_caseness_start"]  # 9 and 7 are below 10 and 8
    assert not o.loc["C", "recovered"]
    assert o.loc["C", "reliably_improved"]  # a fall of exactly 6 is reliable
    assert not o.loc["C", "reliably_recovered"]  # improved but never a case
    assert o.loc["G", "at_caseness_start"]  # PHQ-9 exactly 10 is a case
    assert not o.loc["G", "at_caseness_end"]  # PHQ-9 9 < 10, GAD-7 6 < 8 (rise of 3: not reliable)
    assert o.loc["G", "recovered"]
    assert not o.loc["G", "reliably_improved"]  # PHQ-9 fell 1 only
    assert not o.loc["G", "reliably_recovered"]


def test_mixed_change_under_each_combine_rule():
    scores, sessions = _build()
    corc = talking_therapies_outcomes(scores, sessions, combine="corc").set_index("client_id")
    excl = talking_therapies_outcomes(scores, sessions, combine="exclusive").set_index("client_id")
    anyr = talking_therapies_outcomes(scores, sessions, combine="any").set_index("client_id")
    d = "D"
    assert corc.loc[d, "depression_improved"] and corc.loc[d, "anxiety_deteriorated"]
    # CORC: improvement needs no deterioration; any deterioration counts
    assert not corc.loc[d, "reliably_improved"] and corc.loc[d, "reliably_deteriorated"]
    assert corc.loc[d, "change_category"] == "deteriorated"
    # exclusive: neither
    assert not excl.loc[d, "reliably_improved"] and not excl.loc[d, "reliably_deteriorated"]
    assert excl.loc[d, "change_category"] == "mixed"
    # any: both
    assert anyr.loc[d, "reliably_improved"] and anyr.loc[d, "reliably_deteriorated"]
    assert anyr.loc[d, "change_category"] == "mixed"
    for frame in (corc, excl, anyr):
        assert not frame.loc[d, "no_reliable_change"]
    with pytest.raises(ValueError, match="combine"):
        talking_therapies_outcomes(scores, sessions, combine="nhs")


def test_rates_with_official_denominators(outcomes):
    rates = talking_therapies_rates(outcomes.reset_index()).set_index("metric")
    # finished: A B C D F G = 6; not at caseness at start (known): C = 1; F (unpaired) stays
    # recovered among finished: A, G = 2 -> 2 / (6 - 1)
    assert rates.loc["recovery", "count"] == 2
    assert rates.loc["recovery", "denominator"] == 5
    assert rates.loc["recovery", "percent"] == pytest.approx(40.0)
    # reliable improvement (corc): A, C = 2 / 6 ; D is deteriorated under corc
    assert rates.loc["reliable_improvement", "count"] == 2
    assert rates.loc["reliable_improvement", "denominator"] == 6
    assert rates.loc["reliable_deterioration", "count"] == 1
    assert rates.loc["reliable_deterioration", "denominator"] == 6
    # no reliable change: B, G = 2 / 6
    assert rates.loc["no_reliable_change", "count"] == 2
    # reliable recovery: A only, over the recovery denominator
    assert rates.loc["reliable_recovery", "count"] == 1
    assert rates.loc["reliable_recovery", "denominator"] == 5


def test_treatment_kinds_parameter():
    scores, sessions = _build()
    out = talking_therapies_outcomes(
        scores, sessions, treatment_kinds=("treatment", "review")
    ).set_index("client_id")
    assert out.loc["E", "n_treatment_sessions"] == 2
    assert out.loc["E", "finished_treatment"]


def test_pair_on_session():
    rows = (
        _score_rows("A", D0, 16, 12, "S1")
        + _score_rows("A", D1, 12, None, "S2")
        + [("A", "GAD-7", D1, 9.0, True, "S3")]  # same day, different session
        + _score_rows("A", D2, 7, 5, "S4")
    )
    scores = pd.DataFrame(
        rows, columns=["client_id", "instrument", "administered_on", "total", "valid", "session_id"]
    )
    sessions = pd.DataFrame(
        {
            "client_id": ["A", "A"],
            "session_on": [D1, D2],
            "kind": ["treatment", "treatment"],
            "attendance": ["attended", "attended"],
        }
    )
    by_date = talking_therapies_outcomes(scores, sessions, pair_on="date")
    by_session = talking_therapies_outcomes(scores, sessions, pair_on="session")
    assert by_date.loc[0, "n_pairs"] == 3
    assert by_session.loc[0, "n_pairs"] == 2


def test_clients_window_and_open_episodes():
    scores, sessions = _build()
    clients = pd.DataFrame(
        {
            "client_id": ["A", "B", "Z"],
            "referred_on": [D0, D0, D0],
            "episode_end": [D2, pd.NaT, pd.NaT],
        }
    )
    out = talking_therapies_outcomes(scores, sessions, clients=clients).set_index("client_id")
    assert list(out.index) == ["A", "B", "Z"]
    assert out.loc["A", "finished_treatment"]
    assert not out.loc["B", "finished_treatment"]  # open episode
    assert out.loc["Z", "n_treatment_sessions"] == 0
    # a score after the episode end does not count
    late = pd.DataFrame(
        [("A", "PHQ-9", D2 + pd.Timedelta(days=3), 25.0, True, None),
         ("A", "GAD-7", D2 + pd.Timedelta(days=3), 20.0, True, None)],
        columns=scores.columns,
    )  # fmt: skip
    out2 = talking_therapies_outcomes(
        pd.concat([scores, late]), sessions, clients=clients
    ).set_index("client_id")
    assert out2.loc["A", "last_depression"] == 7


def test_same_day_duplicate_uses_later_row():
    rows = (
        _score_rows("A", D0, 16, 12) + _score_rows("A", D0, 18, None) + _score_rows("A", D2, 7, 5)
    )
    scores = pd.DataFrame(
        rows, columns=["client_id", "instrument", "administered_on", "total", "valid", "session_id"]
    )
    sessions = pd.DataFrame(
        {"client_id": ["A"] * 2, "session_on": [D1, D2], "kind": ["treatment"] * 2,
         "attendance": ["attended"] * 2}
    )  # fmt: skip
    out = talking_therapies_outcomes(scores, sessions)
    assert out.loc[0, "first_depression"] == 18


# --------------------------------------------------------------------------------------------
# CMS159
# --------------------------------------------------------------------------------------------


def _phq(rows):
    df = pd.DataFrame(rows, columns=["client_id", "administered_on", "total"])
    df["administered_on"] = pd.to_datetime(df["administered_on"])
    df["instrument"] = "PHQ-9"
    df["valid"] = True
    return df


def test_cms159_index_window_and_remission():
    s = _phq(
        [
            # A: 9 is not > 9; index is the 14 on 2025-02-01; target 2026-02-01
            ("A", "2025-01-05", 9),
            ("A", "2025-02-01", 14),
            ("A", "2025-12-03", 3),  # exactly 60 days before target: in window
            ("A", "2026-01-20", 5),  # most recent in window: 5 is not < 5
            ("A", "2026-04-02", 2),  # 60 days after target: in window? 2026-04-02 = +60 days
            # B: follow-up 61 days after target -> outside; no follow-up
            ("B", "2025-03-01", 20),
            ("B", "2026-05-01", 2),
            # C: response exactly 50 % (10 -> 5), no remission
            ("C", "2025-01-10", 10),
            ("C", "2026-01-10", 5),
        ]
    )
    r = cms159(s).set_index("client_id")
    assert r.loc["A", "index_date"] == pd.Timestamp("2025-02-01")
    assert r.loc["A", "target_date"] == pd.Timestamp("2026-02-01")
    assert r.loc["A", "window_start"] == pd.Timestamp("2025-12-03")
    assert r.loc["A", "window_end"] == pd.Timestamp("2026-04-02")
    assert r.loc["A", "followup_date"] == pd.Timestamp("2026-04-02")  # latest, on the edge
    assert r.loc["A", "remission"]
    assert not r.loc["B", "has_followup"]
    assert not r.loc["B", "remission"] and not r.loc["B", "response"]
    assert not r.loc["C", "remission"]
    assert r.loc["C", "response"]


def test_cms159_latest_versus_closest():
    s = _phq([("A", "2025-01-10", 15), ("A", "2026-01-12", 3), ("A", "2026-03-01", 8)])
    latest = cms159(s).iloc[0]
    closest = cms159(s, followup="closest").iloc[0]
    assert latest["followup_score"] == 8 and not latest["remission"]
    assert closest["followup_score"] == 3 and closest["remission"]


def test_cms159_period_and_open_windows():
    s = _phq(
        [
            ("A", "2024-06-01", 15),  # before the period: not an index event
            ("A", "2025-02-01", 12),
            ("A", "2026-02-01", 2),
            ("B", "2025-10-01", 18),  # window ends 2026-11-30, open at as_of
        ]
    )
    r = cms159(s, period_start="2025-01-01", period_end="2025-12-31", as_of="2026-06-30")
    r = r.set_index("client_id")
    assert r.loc["A", "index_date"] == pd.Timestamp("2025-02-01")
    assert not r.loc["A", "window_open"] and r.loc["B", "window_open"]
    rates = cms159_rates(r.reset_index()).set_index("metric")
    assert rates.loc["remission", "denominator"] == 1
    assert rates.loc["remission", "percent"] == 100.0
    both = cms159_rates(r.reset_index(), include_open_windows=True).set_index("metric")
    assert both.loc["remission", "denominator"] == 2
    assert both.loc["remission", "count"] == 1


def test_cms159_calendar_months_and_invalid_scores():
    s = _phq([("A", "2025-01-31", 11), ("A", "2026-01-31", 1)])
    s.loc[len(s)] = ["A", pd.Timestamp("2026-02-02"), np.nan, "PHQ-9", False]
    r = cms159(s).iloc[0]
    assert r["target_date"] == pd.Timestamp("2026-01-31")
    assert r["followup_score"] == 1
    with pytest.raises(ValueError, match="followup"):
        cms159(s, followup="first")
