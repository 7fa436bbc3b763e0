"""The per-client report's data: one client's context, progress in words, small wins."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import AS_OF, TINY, write_dataset
from therapy_outcomes import load
from therapy_outcomes.client_report.context import CLIENT_TABLES, client_context
from therapy_outcomes.client_report.progress import instrument_progress, item_comparison
from therapy_outcomes.client_report.wins import small_wins
from therapy_outcomes.client_report.wording import client_sentence, header, measure_summary
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.instruments import default_registry


def _scores(rows):
    frame = pd.DataFrame(rows, columns=["instrument", "administered_on", "total"])
    frame["administered_on"] = pd.to_datetime(frame["administered_on"])
    return frame.assign(client_id="C1", valid=True)


def test_progress_categories_follow_each_instruments_definition():
    scores = _scores(
        [
            ("PHQ-9", "2026-01-05", 16),
            ("PHQ-9", "2026-03-02", 8),  # -8: recovered
            ("GAD-7", "2026-01-05", 9),  # one score
            ("CORE-10", "2026-01-05", 20),
            ("CORE-10", "2026-03-02", 9),  # -11 >= 6 (Barkham 2013), 20 clinical, 9 not
            ("PHQ-8", "2026-01-05", 16),
            ("PHQ-8", "2026-03-02", 8),  # no RC value
            ("ORS", "2026-01-05", 18),
            ("ORS", "2026-03-02", 26),  # higher better
            ("PHQ-9", "2026-07-01", 2),  # after as_of
        ]
    )
    p = instrument_progress(scores, default_registry(), "2026-06-30").set_index("instrument")
    assert p.loc["PHQ-9", "change"] == -8
    assert (p.loc["PHQ-9", "change_category"], p.loc["PHQ-9", "significance_category"]) == (
        "improved",
        "recovered",
    )
    assert p.loc["GAD-7", "change_category"] == "one score"
    assert (p.loc["CORE-10", "change_category"], p.loc["CORE-10", "significance_category"]) == (
        "improved",
        "recovered",
    )
    assert p.loc["PHQ-8", "change_category"] == "no threshold"
    # ORS: +8 >= 5 points, 18 is clinical (< 25), 26 is not -> recovered
    assert p.loc["ORS", "significance_category"] == "recovered"
    assert p.loc["ORS", "change"] == 8


def test_progress_refuses_several_clients():
    scores = pd.concat(
        [
            _scores([("PHQ-9", "2026-01-05", 16)]),
            _scores([("PHQ-9", "2026-01-05", 16)]).assign(client_id="C2"),
        ]
    )
    with pytest.raises(ValueError, match="one client"):
        instrument_progress(scores, default_registry(), "2026-06-30")


def test_item_comparison_knows_reverse_scored_items():
    reg = default_registry()
    scores = pd.DataFrame(
        {
            "administration_id": ["A1", "A2"],
            "client_id": "C1",
            "instrument": "CORE-10",
            "administered_on": pd.to_datetime(["2026-01-05", "2026-02-02"]),
            "valid": True,
        }
    )
    # item 1 rises (worse); item 2 is reverse-scored: a rise there is better
    responses = pd.DataFrame(
        {
            "administration_id": ["A1", "A1", "A2", "A2"],
            "item": [1, 2, 1, 2],
            "value": [1.0, 1.0, 3.0, 3.0],
        }
    )
    out = item_comparison(responses, scores, reg, "CORE-10", "2026-06-30").set_index("item")
    assert out.loc[1, "worse"] and not out.loc[2, "worse"]
    assert out.loc[6, "risk"]
    assert out.loc[1, "change"] == 2


def test_context_holds_only_the_client_and_nothing_after_as_of(tiny):
    ctx = client_context(tiny, "C1", as_of="2026-01-19")
    for name in [*(set(CLIENT_TABLES) - {"answers"}), "responses"]:
        frame = getattr(ctx, name)
        if "client_id" in frame:
            assert set(frame["client_id"]) <= {"C1"}, name
    assert set(ctx.scores["administration_id"]) == {"A1", "A2", "A3"}
    later = client_context(tiny, "C1", as_of="2026-01-12")
    assert set(later.scores["administration_id"]) == {"A1", "A3"}
    assert later.attendance == {"attended": 1, "did_not_attend": 0, "cancelled": 0, "offered": 1}


def test_risk_alert_is_for_clinicians_only(tiny):
    clinician = client_context(tiny, "C1", as_of=AS_OF, audience="clinician")
    client = client_context(tiny, "C1", as_of=AS_OF, audience="client")
    assert "risk_item" in set(clinician.alerts["kind"])  # A1 item 9 = 1
    assert "risk_item" not in set(client.alerts["kind"])


@pytest.mark.parametrize(
    ("client_id", "kwargs", "message"),
    [
        ("C9", {}, "unknown client 'C9'"),
        ("../C1", {}, "ID"),
        ("C1", {"audience": "family"}, "audience must be one of"),
        ("C1", {"as_of": "2025-12-01"}, "before client 'C1' was referred"),
        ("C1", {"as_of": "not a date"}, "is not a date"),
        (42, {}, "client_id must be text"),
    ],
)
def test_bad_parameters_are_one_line_errors(tiny, client_id, kwargs, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        client_context(tiny, client_id, **{"as_of": AS_OF, **kwargs})


def test_client_without_data_is_an_error(tmp_path):
    clients = TINY["clients"] + "C3,North,T1,2026-03-01,,,\n"
    folder = write_dataset(tmp_path / "ds", dict(TINY, clients=clients))
    with pytest.raises(ParameterError, match="no sessions, scores or goals"):
        client_context(folder, "C3", as_of=AS_OF)


def test_wording_quotes_the_numbers(tiny):
    ctx = client_context(load(tiny, as_of=AS_OF), "C1", as_of=AS_OF)
    text = measure_summary(ctx, "PHQ-9")
    # A1 16 -> A2 10.125 (prorated): a drop of 5.875 < 6 -> no reliable change
    assert "16" in text and "no reliable change" in text and "6 points" in text
    assert "C1" in header(ctx) and "2 attended of 3 offered" in header(ctx)


def test_client_sentence_has_no_jargon():
    p = pd.Series(
        {
            "instrument": "GAD-7",
            "baseline": 15.0,
            "latest": 16.0,
            "n_scores": 3,
            "baseline_on": pd.Timestamp("2026-01-05"),
            "change_category": "unchanged",
        }
    )
    sentence = client_sentence(p)
    assert "worry and anxiety" in sentence
    for jargon in ("severe", "clinical", "cut-off", "GAD-7", "reliable"):
        assert jargon not in sentence


def test_small_wins_from_goals_and_homework(tiny, tmp_path):
    homework = TINY["homework"] + "".join(
        f"H{i},C1,2026-01-{10 + i:02d},,Task {i},,completed\n" for i in range(2, 5)
    )
    folder = write_dataset(tmp_path / "ds", dict(TINY, homework=homework))
    wins = small_wins(client_context(folder, "C1", as_of=AS_OF))
    kinds = set(wins["kind"])
    assert "homework_run" in kinds  # four completed in a row
    assert "goal_progress" in kinds  # G1 GBO 2 -> 4
    text = wins.loc[wins["kind"] == "goal_progress", "client_text"].iat[0]
    assert "from 2 to 4" in text
