"""Tests for therapy_outcomes.alerts: each rule fires where it should and only there.

Datasets are hand-made CSV folders loaded with :func:`therapy_outcomes.load`, so the rules see
the same dtypes as in real use. Every number in an expected explanation can be checked by hand.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import therapy_outcomes
import therapy_outcomes.alerts as alerts_module
from therapy_outcomes import load
from therapy_outcomes.alerts import (
    COLUMNS,
    KINDS,
    RULES,
    SEVERITY,
    AlertSettings,
    Rule,
    alerts,
    alerts_for_client,
)
from therapy_outcomes.alerts.rules import AUDIENCES, SEVERITIES
from therapy_outcomes.alerts.table import frame
from therapy_outcomes.alerts.view import NEEDS, cut
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.outcomes.expected_recovery import ExpectedRecoveryModel

AS_OF = "2026-06-30"

CLIENTS = [
    # C1 open since January; C2 closed on 2026-05-01; C3 referred, never started.
    {
        "client_id": "C1",
        "site": "N",
        "therapist_id": "T1",
        "referred_on": "2026-01-02",
        "episode_start": "2026-01-05",
        "episode_end": "",
        "end_reason": "",
    },
    {
        "client_id": "C2",
        "site": "N",
        "therapist_id": "T1",
        "referred_on": "2026-01-02",
        "episode_start": "2026-01-05",
        "episode_end": "2026-05-01",
        "end_reason": "completed",
    },
    {
        "client_id": "C3",
        "site": "S",
        "therapist_id": "T2",
        "referred_on": "2026-06-01",
        "episode_start": "",
        "episode_end": "",
        "end_reason": "",
    },
]


def more_clients(*ids: str) -> list[dict]:
    """CLIENTS plus closed-episode clients ``ids`` (so that they never miss a measure)."""
    return [*CLIENTS, *({**CLIENTS[1], "client_id": cid} for cid in ids)]


N_ITEMS = {"PHQ-9": 9, "GAD-7": 7, "CORE-10": 10, "SRS": 4, "ORS": 4}
ITEM_MAX = {"PHQ-9": 3, "GAD-7": 3, "CORE-10": 4, "SRS": 10, "ORS": 10}


def items(instrument: str, total: float, risk: float | None = None) -> list[float | None]:
    """Item answers whose total is ``total``; ``risk`` is the answer to the risk item."""
    n = N_ITEMS[instrument]
    if instrument in ("SRS", "ORS"):
        return [total / n] * n
    top = ITEM_MAX[instrument]
    risk_pos = {"PHQ-9": 8, "CORE-10": 5}.get(instrument)
    reversed_items = (1, 2) if instrument == "CORE-10" else ()
    points = [0.0] * n  # each item's contribution to the total
    rest = float(total)
    if risk_pos is not None:
        points[risk_pos] = float(risk or 0)
        rest -= points[risk_pos]
    for k in range(n):
        if k != risk_pos:
            points[k] = min(float(top), rest)
            rest -= points[k]
    assert rest == 0, "total too high for the helper"
    return [top - p if k in reversed_items else p for k, p in enumerate(points)]


def adm(
    aid: str,
    client: str,
    instrument: str,
    on: str,
    total: float | None = None,
    *,
    risk: float | None = None,
    answers: list[float | None] | None = None,
) -> dict:
    values = answers if answers is not None else items(instrument, total, risk)
    row = {
        "administration_id": aid,
        "client_id": client,
        "instrument": instrument,
        "administered_on": on,
        "rater": "self",
    }
    row.update({f"item_{k + 1}": v for k, v in enumerate(values)})
    return row


def build(
    tmp_path: Path,
    administrations: list[dict] = (),
    *,
    goals: list[dict] = (),
    sessions: list[dict] = (),
    clients: list[dict] = CLIENTS,
    as_of: str = AS_OF,
):
    folder = tmp_path / "ds"
    folder.mkdir(exist_ok=True)
    pd.DataFrame(clients).to_csv(folder / "clients.csv", index=False)
    if administrations:
        frame = pd.DataFrame(list(administrations))
        cols = [c for c in frame.columns if not c.startswith("item_")]
        item_cols = sorted(
            (c for c in frame.columns if c.startswith("item_")), key=lambda c: int(c.split("_")[1])
        )
        frame[cols + item_cols].to_csv(folder / "administrations.csv", index=False)
    if goals:
        pd.DataFrame(list(goals)).to_csv(folder / "goals.csv", index=False)
    if sessions:
        pd.DataFrame(list(sessions)).to_csv(folder / "sessions.csv", index=False)
    ds = load(folder, as_of=as_of)
    assert ds.n_rejected == 0, ds.rejects.to_string()
    return ds


def goal(
    gid: str,
    status: str = "active",
    target: str = "2026-05-01",
    client: str = "C1",
    set_on: str = "2026-01-05",
) -> dict:
    return {
        "goal_id": gid,
        "client_id": client,
        "statement": f"Goal statement {gid}",
        "category": "behavioural",
        "horizon": "short_term",
        "measure": "GBO",
        "baseline": 2,
        "target": 8,
        "target_date": target,
        "set_on": set_on,
        "status": status,
    }


def of_kind(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    return table[table["kind"] == kind].reset_index(drop=True)


def hand_model(better: str = "lower") -> ExpectedRecoveryModel:
    return ExpectedRecoveryModel(
        instrument="PHQ-9" if better == "lower" else "ORS",
        better=better,
        n_clients=120,
        n_observations=700,
        b0=2.0,
        b1=0.8,
        b2=-0.5,
        b3=-0.15,
        var_intercept=4.0,
        var_slope=0.5,
        cov_intercept_slope=-0.4,
        var_residual=9.0,
        fit_date=pd.Timestamp("2026-05-31"),
        converged=True,
    )


# -- risk_item ---------------------------------------------------------------------------------


def test_phq9_item9_alert_quotes_answer_and_is_clinician_only(tmp_path):
    ds = build(tmp_path, [adm("A1", "C1", "PHQ-9", "2026-03-02", 14, risk=2)])
    out = alerts(ds, kinds=["risk_item"])
    assert len(out) == 1
    row = out.iloc[0]
    assert row["kind"] == "risk_item" and row["severity"] == "high"
    assert row["audience"] == "clinician"
    assert row["item"] == "9" and row["value"] == 2 and row["threshold"] == 1
    assert row["administration_id"] == "A1" and row["instrument"] == "PHQ-9"
    assert row["date"] == pd.Timestamp("2026-03-02")
    assert row["explanation"].startswith(
        "PHQ-9 item 9 (thoughts of death or self-harm) answered 2 ('More than half the days') "
        "on 2026-03-02"
    )


def test_item9_zero_or_missing_gives_no_alert(tmp_path):
    missing9 = items("PHQ-9", 14, risk=0)
    missing9[8] = None
    ds = build(
        tmp_path,
        [
            adm("A1", "C1", "PHQ-9", "2026-03-02", 14, risk=0),
            adm("A2", "C1", "PHQ-9", "2026-03-09", answers=missing9),
        ],
    )
    assert of_kind(alerts(ds, kinds=["risk_item"]), "risk_item").empty


def test_risk_alert_per_administration_even_with_invalid_total(tmp_path):
    invalid = [None, None, None, 1, 1, 1, 1, 1, 1]  # 3 missing items: total invalid, item 9 = 1
    ds = build(
        tmp_path,
        [
            adm("A1", "C1", "PHQ-9", "2026-03-02", 14, risk=1),
            adm("A2", "C1", "PHQ-9", "2026-03-09", answers=invalid),
            adm("A3", "C2", "CORE-10", "2026-03-03", 20, risk=3),
        ],
    )
    assert not ds.scores.set_index("administration_id").loc["A2", "valid"]
    out = alerts(ds, kinds=["risk_item"])
    assert sorted(out["administration_id"]) == ["A1", "A2", "A3"]
    core = out[out["administration_id"] == "A3"].iloc[0]
    assert core["item"] == "6" and core["value"] == 3
    assert "CORE-10 item 6 (plans to end own life) answered 3" in core["explanation"]
    assert set(out["audience"]) == {"clinician"}


# -- reliable_deterioration ----------------------------------------------------------------------


def test_deterioration_explanation_quotes_numbers(tmp_path):
    ds = build(
        tmp_path,
        [
            adm("A1", "C1", "PHQ-9", "2026-01-05", 9),
            adm("A2", "C1", "PHQ-9", "2026-02-02", 12),
            adm("A3", "C1", "PHQ-9", "2026-03-02", 17),
        ],
    )
    out = of_kind(alerts(ds, kinds=["reliable_deterioration"]), "reliable_deterioration")
    assert len(out) == 1
    row = out.iloc[0]
    assert row["severity"] == "high" and row["audience"] == "all"
    assert (row["value"], row["reference"], row["threshold"]) == (17, 9, 6)
    assert row["date"] == pd.Timestamp("2026-03-02")
    assert row["reference_date"] == pd.Timestamp("2026-01-05")
    assert row["explanation"] == (
        "PHQ-9 rose from 9 to 17 (8 points worse) since the first valid score on 2026-01-05 "
        "(latest on 2026-03-02): at or above the reliable-change threshold of 6 points, so a "
        "reliable deterioration."
    )


def test_deterioration_threshold_is_inclusive(tmp_path):
    # 9 -> 15 is exactly the 6-point threshold (counts); 9 -> 14 does not; 9 -> 3 is better.
    latest = {"K1": 15, "K2": 14, "K3": 3}
    rows = [adm(f"A{c}1", c, "PHQ-9", "2026-01-05", 9) for c in latest]
    rows += [adm(f"A{c}2", c, "PHQ-9", "2026-02-02", v) for c, v in latest.items()]
    ds = build(tmp_path, rows, clients=more_clients(*latest))
    out = of_kind(alerts(ds, kinds=["reliable_deterioration"]), "reliable_deterioration")
    assert out["client_id"].tolist() == ["K1"]
    assert "(6 points worse)" in out.loc[0, "explanation"]
    assert "threshold of 6 points" in out.loc[0, "explanation"]


def test_deterioration_uses_latest_not_worst_score(tmp_path):
    ds = build(
        tmp_path,
        [
            adm("A1", "C1", "PHQ-9", "2026-01-05", 9),
            adm("A2", "C1", "PHQ-9", "2026-02-02", 20),
            adm("A3", "C1", "PHQ-9", "2026-03-02", 10),
        ],
    )
    assert alerts(ds, kinds=["reliable_deterioration"]).empty


def test_deterioration_higher_is_better_instrument(tmp_path):
    # ORS: higher is better, reliable change 5 points.
    ds = build(
        tmp_path,
        [
            adm("A1", "C1", "ORS", "2026-01-05", 30),
            adm("A2", "C1", "ORS", "2026-02-02", 25),
            adm("A3", "C2", "ORS", "2026-01-05", 30),
            adm("A4", "C2", "ORS", "2026-02-02", 25.2),
        ],
    )
    out = of_kind(alerts(ds, kinds=["reliable_deterioration"]), "reliable_deterioration")
    assert out["client_id"].tolist() == ["C1"]
    assert out.loc[0, "explanation"].startswith("ORS fell from 30 to 25 (5 points worse)")


def test_instruments_without_threshold_are_skipped_and_recorded(tmp_path):
    # PHQ-8 has no published reliable-change rule (CORE-10, used here before, now has 6 points)
    ds = build(
        tmp_path,
        [
            adm("A1", "C1", "PHQ-8", "2026-01-05", answers=[3, 2, 0, 0, 0, 0, 0, 0]),
            adm("A2", "C1", "PHQ-8", "2026-02-02", answers=[3, 3, 3, 3, 3, 3, 2, 0]),
        ],
    )
    out = alerts(ds, kinds=["reliable_deterioration"])
    assert out.empty
    assert {
        "kind": "reliable_deterioration",
        "instrument": "PHQ-8",
        "reason": "no reliable-change threshold in the instrument definition",
    } in out.attrs["skipped"]


def test_core10_rise_of_25_is_reliable_deterioration(tmp_path):
    # CORE-10 reliable change 6 points (Barkham et al. 2013): 5 -> 30 is reliable deterioration
    ds = build(
        tmp_path,
        [adm("A1", "C1", "CORE-10", "2026-01-05", 5), adm("A2", "C1", "CORE-10", "2026-02-02", 30)],
    )
    out = alerts(ds, kinds=["reliable_deterioration"])
    assert out["instrument"].tolist() == ["CORE-10"]
    assert not any(s["instrument"] == "CORE-10" for s in out.attrs["skipped"])


# -- not_on_track --------------------------------------------------------------------------------


def _not_on_track_data(latest: float, client: str = "C1") -> list[dict]:
    bad = [None, None, None, 1, 1, 1, 1, 1, 0]  # invalid: does not count as a session
    return [
        adm(f"{client}A1", client, "PHQ-9", "2026-01-05", 15),
        adm(f"{client}A2", client, "PHQ-9", "2026-01-12", 12),
        adm(f"{client}A9", client, "PHQ-9", "2026-01-15", answers=bad),
        adm(f"{client}A3", client, "PHQ-9", "2026-01-19", latest),
    ]


def test_not_on_track_against_given_model(tmp_path):
    model = hand_model()
    bound = model.bound(15, 3, 90)
    assert 15 < bound < 16  # 15.55: C1 (16) is beyond it, C2 (15) is not
    ds = build(tmp_path, _not_on_track_data(16, "C1") + _not_on_track_data(15, "C2"))
    out = alerts(ds, kinds=["not_on_track"], model=model)
    assert out["client_id"].tolist() == ["C1"]
    info = out.attrs["models"]["PHQ-9"]
    assert info["fitted_on"] == "given" and info["n_clients"] == 120
    assert info["fit_date"] == pd.Timestamp("2026-05-31")
    assert info["text"] == (
        "PHQ-9 expected-recovery model (given): 120 clients, 700 post-intake "
        "scores up to 2026-05-31, 90th-percentile bound"
    )
    row = out.iloc[0]
    mean, _ = model.predict(15, 3)
    assert row["session_number"] == 3  # the invalid PHQ-9 is not a session
    assert row["reference"] == pytest.approx(bound)
    assert row["expected"] == pytest.approx(mean)
    assert row["rule"] == "above_upper_bound" and row["severity"] == "medium"
    assert row["explanation"] == (
        f"PHQ-9 of 16 at session 3 on 2026-01-19 is above the 90th-percentile bound of "
        f"{bound:.2f} for clients who started at 15 (expected {mean:.2f}); expected-recovery"
        " model fitted on 120 clients' PHQ-9 scores up to 2026-05-31."
    )


def test_not_on_track_percentile_moves_the_bound(tmp_path):
    ds = build(tmp_path, _not_on_track_data(16))
    assert len(alerts(ds, kinds=["not_on_track"], model=hand_model(), percentile=90)) == 1
    assert alerts(ds, kinds=["not_on_track"], model=hand_model(), percentile=97.5).empty


def test_not_on_track_higher_is_better(tmp_path):
    model = hand_model("higher")
    bound = model.bound(20, 2, 90)
    ds = build(
        tmp_path,
        [
            adm("A1", "C1", "ORS", "2026-01-05", 20),
            adm("A2", "C1", "ORS", "2026-01-12", np.floor(bound)),
            adm("A3", "C2", "ORS", "2026-01-05", 20),
            adm("A4", "C2", "ORS", "2026-01-12", np.ceil(bound)),
        ],
    )
    out = alerts(ds, kinds=["not_on_track"], model=model)
    assert out["client_id"].tolist() == ["C1"]
    assert out.loc[0, "rule"] == "below_lower_bound"
    assert " is below the 90th-percentile bound of " in out.loc[0, "explanation"]


def test_not_on_track_model_fitted_on_dataset_needs_enough_clients(tmp_path):
    ds = build(tmp_path, _not_on_track_data(16))
    out = alerts(ds, kinds=["not_on_track"])
    assert out.empty and out.attrs["models"] == {}
    reasons = [s for s in out.attrs["skipped"] if s["kind"] == "not_on_track"]
    assert reasons[0]["instrument"] == "PHQ-9"
    assert "at least 30 clients" in reasons[0]["reason"]


# -- low_alliance --------------------------------------------------------------------------------


def test_srs_cutoff_boundary(tmp_path):
    srs = {"K1": 36.0, "K2": 35.9, "K3": 36.1}
    ds = build(
        tmp_path,
        [adm(f"A{c}", c, "SRS", "2026-03-02", v) for c, v in srs.items()],
        clients=more_clients(*srs),
    )
    strict = alerts(ds, kinds=["low_alliance"])  # OpenFIT: below 36; 36 is not low
    assert strict["client_id"].tolist() == ["K2"]
    assert strict.loc[0, "value"] == pytest.approx(35.9)
    assert strict.loc[0, "explanation"].startswith(
        "SRS of 35.9 on 2026-03-02 is below the cut-off of 36"
    )
    inclusive = alerts(ds, kinds=["low_alliance"], srs_cutoff_side="<=")
    assert inclusive["client_id"].tolist() == ["K1", "K2"]
    assert inclusive.loc[0, "explanation"].startswith(
        "SRS of 36 on 2026-03-02 is at or below the cut-off of 36"
    )


def test_srs_drop_from_previous_is_inclusive(tmp_path):
    latest = {"K1": 37.0, "K2": 37.5, "K3": 39.0}  # previous SRS 38 for all
    rows = [adm(f"A{c}1", c, "SRS", "2026-03-02", 38.0) for c in latest]
    rows += [adm(f"A{c}2", c, "SRS", "2026-03-09", v) for c, v in latest.items()]
    ds = build(tmp_path, rows, clients=more_clients(*latest))
    out = alerts(ds, kinds=["low_alliance"])
    assert out["client_id"].tolist() == ["K1"]
    row = out.iloc[0]
    assert row["rule"] == "drop_from_previous"
    assert (row["value"], row["reference"], row["threshold"]) == (37, 38, 1)
    assert row["explanation"].startswith(
        "SRS fell from 38 on 2026-03-02 to 37 on 2026-03-09 (1 point): a drop of 1 or more "
        "points from the previous session's SRS is flagged (OpenFIT)."
    )


def test_srs_rules_can_be_switched_and_tuned(tmp_path):
    ds = build(
        tmp_path,
        [adm("A1", "C1", "SRS", "2026-03-02", 38.0), adm("A2", "C1", "SRS", "2026-03-09", 30.0)],
    )
    both = alerts(ds, kinds=["low_alliance"])
    assert sorted(both["rule"]) == ["below_cutoff", "drop_from_previous"]
    assert alerts(ds, kinds=["low_alliance"], srs_cutoff=None)["rule"].tolist() == [
        "drop_from_previous"
    ]
    assert alerts(ds, kinds=["low_alliance"], srs_drop=None)["rule"].tolist() == ["below_cutoff"]
    assert alerts(ds, kinds=["low_alliance"], srs_cutoff=25, srs_drop=10).empty


def test_only_the_latest_srs_is_judged(tmp_path):
    ds = build(
        tmp_path,
        [adm("A1", "C1", "SRS", "2026-03-02", 20.0), adm("A2", "C1", "SRS", "2026-03-09", 38.0)],
    )
    assert alerts(ds, kinds=["low_alliance"]).empty


# -- no_recent_measure ---------------------------------------------------------------------------


def test_no_recent_measure_window_boundary(tmp_path):
    # as_of 2026-06-30; exactly 28 days before is 2026-06-02.
    ds = build(tmp_path, [adm("A1", "C1", "PHQ-9", "2026-06-02", 10)])
    assert alerts(ds, kinds=["no_recent_measure"]).empty
    ds = build(tmp_path, [adm("A1", "C1", "PHQ-9", "2026-06-01", 10)])
    out = alerts(ds, kinds=["no_recent_measure"])
    assert out["client_id"].tolist() == ["C1"]  # C2 closed, C3 never started
    row = out.iloc[0]
    assert row["value"] == 29 and row["reference"] == 28 and row["severity"] == "low"
    assert row["date"] == pd.Timestamp(AS_OF)
    assert row["explanation"].startswith(
        "No valid outcome score in the 4 weeks up to 2026-06-30: the latest valid outcome score "
        "was PHQ-9 on 2026-06-01, 29 days earlier"
    )


def test_no_recent_measure_ignores_srs_and_counts_from_episode_start(tmp_path):
    clients = [
        *CLIENTS,
        {
            "client_id": "C4",
            "site": "S",
            "therapist_id": "T2",
            "referred_on": "2026-06-01",
            "episode_start": "2026-06-20",
            "episode_end": "",
            "end_reason": "",
        },
    ]
    ds = build(tmp_path, [adm("A1", "C1", "SRS", "2026-06-29", 38.0)], clients=clients)
    out = alerts(ds, kinds=["no_recent_measure"])
    assert out["client_id"].tolist() == ["C1"]  # C4 started 10 days ago: not yet due
    assert out.loc[0, "rule"] == "none_since_episode_start"
    assert "since the episode started on 2026-01-05" in out.loc[0, "explanation"]
    assert alerts(ds, kinds=["no_recent_measure"], no_measure_weeks=None).empty


# -- goal_overdue --------------------------------------------------------------------------------


def test_goal_overdue_only_for_live_goals_past_target(tmp_path):
    goals = [
        goal("G1"),
        goal("G2", "achieved"),
        goal("G3", "discontinued"),
        goal("G4", "revised"),
        goal("G5", target="2026-06-30"),
        goal("G6", target="2026-07-15"),
        goal("G7", target=""),
    ]
    ds = build(tmp_path, goals=goals)
    out = alerts(ds, kinds=["goal_overdue"])
    assert out["goal_id"].tolist() == ["G1"]
    row = out.iloc[0]
    assert row["value"] == 60 and row["date"] == pd.Timestamp("2026-05-01")
    assert row["explanation"] == (
        'Goal G1 ("Goal statement G1") passed its target date of 2026-05-01 60 days before '
        "2026-06-30 and is still active (not achieved, discontinued or revised). Review it with "
        "the client."
    )


# -- as_of ---------------------------------------------------------------------------------------


def test_nothing_after_as_of_is_used(tmp_path):
    ds = build(
        tmp_path,
        [
            adm("A1", "C1", "PHQ-9", "2026-01-05", 9),
            adm("A2", "C1", "PHQ-9", "2026-03-02", 12),
            adm("A3", "C1", "PHQ-9", "2026-05-04", 20, risk=3),  # after the as_of below
            adm("A4", "C1", "SRS", "2026-05-04", 20.0),
        ],
        goals=[
            goal("G1", target="2026-04-01"),
            goal("G2", set_on="2026-04-10", target="2026-04-20"),
        ],
    )
    out = alerts(ds, as_of="2026-04-15", kinds=[k for k in KINDS if k != "not_on_track"])
    assert (out["date"] <= pd.Timestamp("2026-04-15")).all()
    assert set(out["kind"]) == {"goal_overdue", "no_recent_measure"}
    assert out.loc[out["kind"] == "goal_overdue", "goal_id"].tolist() == ["G1"]
    later = alerts(ds, kinds=["risk_item", "reliable_deterioration", "low_alliance"])
    assert set(later["kind"]) == {"risk_item", "reliable_deterioration", "low_alliance"}


def test_as_of_after_dataset_as_of_is_refused(tmp_path):
    ds = build(tmp_path, [adm("A1", "C1", "PHQ-9", "2026-01-05", 9)])
    with pytest.raises(ParameterError, match="after the dataset's as-of date"):
        alerts(ds, as_of="2026-07-01")


# -- table shape, options, client view, logging ------------------------------------------------


def test_empty_result_has_all_columns(tmp_path):
    ds = build(tmp_path, [adm("A1", "C1", "PHQ-9", "2026-06-29", 9)])
    out = alerts(ds)
    assert out.empty
    assert tuple(out.columns) == COLUMNS
    assert out.attrs["as_of"] == pd.Timestamp(AS_OF)
    assert set(out.attrs) >= {"models", "skipped", "parameters", "kinds"}


def test_sorted_by_severity_and_episode_flag(tmp_path):
    ds = build(
        tmp_path,
        [
            adm("A1", "C2", "PHQ-9", "2026-03-02", 14, risk=1),
            adm("A2", "C1", "SRS", "2026-06-29", 20.0),
        ],
        goals=[goal("G1")],
    )
    out = alerts(ds, kinds=[k for k in KINDS if k != "not_on_track"])
    assert out["kind"].tolist() == [
        "risk_item",
        "low_alliance",
        "goal_overdue",
        "no_recent_measure",
    ]  # C1 has only an SRS: no outcome
    assert out["severity"].tolist() == ["high", "medium", "low", "low"]
    assert out["episode_open"].tolist() == [False, True, True, True]


def test_instruments_and_kinds_filters(tmp_path):
    ds = build(
        tmp_path,
        [
            adm("A1", "C1", "PHQ-9", "2026-03-02", 14, risk=1),
            adm("A2", "C1", "CORE-10", "2026-03-02", 14, risk=1),
        ],
    )
    out = alerts(ds, kinds=["risk_item"], instruments=["core10"])
    assert out["instrument"].tolist() == ["CORE-10"]
    with pytest.raises(ParameterError, match="unknown instrument"):
        alerts(ds, instruments=["XYZ"])
    with pytest.raises(ParameterError, match="unknown alert kind"):
        alerts(ds, kinds=["bad"])
    with pytest.raises(ParameterError, match="percentile"):
        alerts(ds, percentile=100)
    with pytest.raises(ParameterError, match="srs_cutoff"):
        alerts(ds, srs_cutoff="36")
    with pytest.raises(ParameterError, match="srs_drop"):
        alerts(ds, srs_drop=0)


def test_alerts_for_client_shows_only_that_client(tmp_path):
    ds = build(
        tmp_path,
        [
            adm("A1", "C1", "PHQ-9", "2026-03-02", 14, risk=1),
            adm("A2", "C2", "PHQ-9", "2026-03-02", 14, risk=2),
        ],
        goals=[goal("G1"), goal("G2", client="C2")],
    )
    mine = alerts_for_client(ds, "C2", kinds=["risk_item", "goal_overdue"])
    assert set(mine["client_id"]) == {"C2"}
    assert sorted(mine["kind"]) == ["goal_overdue", "risk_item"]
    assert mine.attrs["client_id"] == "C2"
    assert "C1" not in " ".join(mine["explanation"])
    with pytest.raises(ParameterError, match="unknown client"):
        alerts_for_client(ds, "C9")
    with pytest.raises(TypeError):
        alerts_for_client(ds, "C1", bogus=1)


def test_logs_name_no_item_answers(tmp_path, caplog):
    ds = build(tmp_path, [adm("A1", "C1", "PHQ-9", "2026-03-02", 14, risk=3)])
    with caplog.at_level(logging.DEBUG, logger="therapy_outcomes"):
        alerts_for_client(ds, "C1", kinds=["risk_item"])
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "C1" in text
    assert "answered" not in text and "item 9" not in text


# -- integration with the demo clinic --------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from therapy_outcomes.demo import write_demo_clinic

    folder = tmp_path_factory.mktemp("demo")
    write_demo_clinic(folder, n_clients=80, seed=7, as_of="2026-10-31")
    ds = load(folder, as_of="2026-10-31")
    return ds, alerts(ds)


def test_demo_alerts_are_consistent(demo):
    ds, out = demo
    assert tuple(out.columns) == COLUMNS
    assert len(out) > 0 and out["explanation"].str.len().gt(20).all()
    assert (out["date"] <= ds.as_of).all()
    assert set(out["audience"]) <= {"clinician", "all"}
    assert (out.loc[out["kind"] == "risk_item", "audience"] == "clinician").all()
    assert (out.loc[out["kind"] != "risk_item", "audience"] == "all").all()
    assert set(out["severity"]) <= {"high", "medium", "low"}
    models = out.attrs["models"]
    assert "PHQ-9" in models and "SRS" not in models
    for info in models.values():
        assert info["fit_date"] == ds.as_of and info["n_clients"] >= 30
        assert info["fitted_on"].startswith("this dataset")
    # every risk alert matches a scored administration flagged as risky
    risky = set(ds.scores.loc[ds.scores["risk"].fillna(False).astype(bool), "administration_id"])
    assert set(out.loc[out["kind"] == "risk_item", "administration_id"]) == risky


def test_demo_client_view_equals_the_clinic_view(demo):
    ds, out = demo
    models = {code: info["model"] for code, info in out.attrs["models"].items()}
    for cid in out["client_id"].drop_duplicates().head(4):
        mine = alerts_for_client(ds, cid, model=models)
        expected = out[out["client_id"] == cid].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, expected, check_like=False)


def test_demo_client_keyword_is_the_client_function(demo):
    ds, out = demo
    models = {code: info["model"] for code, info in out.attrs["models"].items()}
    cid = out["client_id"].iloc[0]
    by_keyword = alerts(ds, client=cid, model=models)
    pd.testing.assert_frame_equal(by_keyword, alerts_for_client(ds, cid, model=models))
    assert by_keyword.attrs["client_id"] == cid
    assert "client_id" not in out.attrs


# -- the settings object -----------------------------------------------------------------------

#: Keywords of alerts() that are not settings: the data, the date, the models, one client.
NOT_SETTINGS = ("ds", "as_of", "model", "client", "settings")


def test_settings_defaults_are_written_once():
    params = inspect.signature(alerts).parameters
    fields = dataclasses.fields(AlertSettings)
    assert [f.name for f in fields] == [n for n in params if n not in NOT_SETTINGS]
    for f in fields:
        assert params[f.name].default is f.default, f.name
    assert AlertSettings() == AlertSettings(**{f.name: params[f.name].default for f in fields})


def test_settings_defaults_reach_the_output(tmp_path):
    ds = build(tmp_path, [adm("A1", "C1", "PHQ-9", "2026-06-29", 9)])
    defaults = AlertSettings()
    out = alerts(ds)
    srs = ds.registry.get("SRS").cutoff  # the alliance cut-off is the definition's by default
    assert out.attrs["parameters"] == {
        "percentile": float(defaults.percentile),
        "srs_cutoff": srs.value,
        "srs_cutoff_side": srs.clinical,
        "srs_drop": defaults.srs_drop,
        "no_measure_weeks": defaults.no_measure_weeks,
        "instruments": list(ds.registry.codes),
    }
    assert out.attrs["kinds"] == list(KINDS) == list(defaults.kinds)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("percentile", 100, "percentile must be a number strictly between 0 and 100, not 100"),
        ("percentile", True, "percentile must be a number strictly between 0 and 100"),
        ("srs_cutoff", "36", "srs_cutoff must be a number or None, not '36'"),
        ("srs_cutoff_side", ">", "srs_cutoff_side must be '<' or '<=', not '>'"),
        ("srs_drop", 0, "srs_drop must be a positive number or None, not 0"),
        ("no_measure_weeks", -1, "no_measure_weeks must be a positive number or None, not -1"),
        ("kinds", ["bad"], "unknown alert kind(s) ['bad']; known: risk_item, "),
    ],
)
def test_bad_setting_gives_the_same_error_both_ways(tmp_path, name, value, message):
    with pytest.raises(ParameterError) as direct:
        AlertSettings(**{name: value})
    assert str(direct.value).startswith(message)
    ds = build(tmp_path, [adm("A1", "C1", "PHQ-9", "2026-03-02", 9)])
    with pytest.raises(ParameterError) as through:
        alerts(ds, **{name: value})
    assert str(through.value) == str(direct.value)
    with pytest.raises(ParameterError) as for_client:
        alerts_for_client(ds, "C1", **{name: value})
    assert str(for_client.value) == str(direct.value)


def test_settings_are_frozen_and_normalised():
    s = AlertSettings(kinds=["goal_overdue", "risk_item", "goal_overdue"], instruments="phq9")
    assert s.kinds == ("risk_item", "goal_overdue")  # table order, once each
    assert s.instruments == ("phq9",)  # resolved against the dataset's registry later
    assert AlertSettings(kinds="low_alliance").kinds == ("low_alliance",)
    assert AlertSettings(kinds=None) == AlertSettings(kinds=KINDS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.percentile = 95
    with pytest.raises(ParameterError, match="srs_drop"):
        dataclasses.replace(s, srs_drop=0)  # replace checks again
    assert hash(s) == hash(AlertSettings(kinds=["risk_item", "goal_overdue"], instruments="phq9"))


def test_settings_object_gives_the_same_alerts_as_keywords(tmp_path):
    ds = build(
        tmp_path,
        [adm("A1", "C1", "SRS", "2026-03-02", 38.0), adm("A2", "C1", "SRS", "2026-03-09", 35.0)],
    )
    keywords = alerts(ds, kinds=["low_alliance"], srs_drop=None, srs_cutoff_side="<=")
    settings = AlertSettings(kinds=["low_alliance"], srs_drop=None, srs_cutoff_side="<=")
    given = alerts(ds, settings=settings)
    pd.testing.assert_frame_equal(given, keywords)
    assert given.attrs == keywords.attrs
    assert given["rule"].tolist() == ["at_or_below_cutoff"]
    with pytest.raises(ParameterError, match="either as settings= or as keywords"):
        alerts(ds, settings=settings, srs_drop=2)
    with pytest.raises(ParameterError, match="settings must be an AlertSettings"):
        alerts(ds, settings={"srs_drop": 2})


# -- the rule table ------------------------------------------------------------------------------


def test_every_kind_in_the_table_has_a_severity_and_an_audience():
    kinds = [rule.kind for rule in RULES]
    assert len(set(kinds)) == len(kinds) == 6
    assert KINDS == tuple(kinds)
    for rule in RULES:
        assert rule.severity in SEVERITIES and rule.audience in AUDIENCES, rule.kind
        assert SEVERITY[rule.kind] == rule.severity
        assert callable(rule.finder)
    assert SEVERITIES == ("high", "medium", "low")
    assert [r.severity for r in RULES] == sorted((r.severity for r in RULES), key=SEVERITIES.index)


def test_risk_item_is_the_only_clinician_only_rule():
    assert {rule.kind: rule.audience for rule in RULES if rule.audience != "all"} == {
        "risk_item": "clinician"
    }


def test_rule_table_names_real_settings_and_view_parts():
    fields = {f.name for f in dataclasses.fields(AlertSettings)}
    for rule in RULES:
        assert set(rule.settings) <= fields, rule.kind
        assert set(rule.needs) <= set(NEEDS), rule.kind
    used = {name for rule in RULES for name in rule.settings}
    # the rest choose what runs (instruments, kinds) or fit not_on_track's models (min_clients)
    assert fields - used == {"instruments", "kinds", "min_clients"}
    assert [r.kind for r in RULES if "models" in r.needs] == ["not_on_track"]


def test_rule_checks_its_entries():
    finder = RULES[0].finder
    with pytest.raises(ValueError, match="severity 'urgent'"):
        Rule("x", "urgent", "all", finder)
    with pytest.raises(ValueError, match="audience 'everyone'"):
        Rule("x", "low", "everyone", finder)
    with pytest.raises(ValueError, match="needs"):
        Rule("x", "low", "all", finder, needs=("diary",))


def test_kinds_select_rules_by_the_table(demo):
    ds, out = demo
    assert set(out["kind"]) == set(KINDS)  # the demo clinic fires every rule
    models = {code: info["model"] for code, info in out.attrs["models"].items()}
    for rule in RULES:
        one = alerts(ds, kinds=[rule.kind], model=models)
        assert set(one["severity"]) == {rule.severity}, rule.kind
        assert set(one["audience"]) == {rule.audience}, rule.kind
        expected = out[out["kind"] == rule.kind].reset_index(drop=True)
        pd.testing.assert_frame_equal(one, expected)
        assert one.attrs["kinds"] == [rule.kind]
    two = alerts(ds, kinds=["goal_overdue", "risk_item"], model=models)
    assert two.attrs["kinds"] == ["risk_item", "goal_overdue"]
    assert two.attrs["models"] == {}  # no rule of these needs a model: none fitted


def test_each_rule_reads_only_what_the_table_says_it_needs(demo):
    ds, out = demo
    models = {code: info["model"] for code, info in out.attrs["models"].items()}
    stamp = pd.Timestamp(ds.as_of).normalize()
    settings = AlertSettings()
    for rule in RULES:
        values = {name: getattr(settings, name) for name in rule.settings}
        full = cut(ds, stamp, tuple(ds.registry.codes), models=models)
        bare = dataclasses.replace(
            cut(ds, stamp, tuple(ds.registry.codes), models=models),
            **{part: None for part in NEEDS if part not in rule.needs},
        )
        expected = frame(rule.find(full, **values))
        assert len(expected), rule.kind
        pd.testing.assert_frame_equal(frame(rule.find(bare, **values)), expected)


def test_module_documents_every_rule_in_table_order():
    doc = alerts_module.__doc__.split("\nRules\n-----\n")[1].split("\nColumns\n-------\n")[0]
    documented = re.findall(r"^``([a-z_]+)`` \(", doc, flags=re.MULTILINE)
    assert documented == list(KINDS)
    clinician_only = re.findall(r"^``([a-z_]+)`` \([^)\n]*\*\*clinician\*\*", doc, re.MULTILINE)
    assert clinician_only == ["risk_item"]
    for rule in RULES:
        assert re.search(rf"^``{rule.kind}`` \([^)\n]*{rule.severity}", doc, re.MULTILINE)


def test_alerts_for_client_is_the_top_level_wrapper():
    assert therapy_outcomes.alerts_for_client is alerts_for_client
    assert therapy_outcomes.alerts_for_dataset is alerts
    assert ":func:`alerts`" in alerts_for_client.__doc__
