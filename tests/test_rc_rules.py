"""Every shipped outcome questionnaire has a sourced reliable-change rule and cut-off, or a reason.

The audit table below is the one in docs/methods.md (instrument summary table): change a
definition's ``reliable_change`` or ``cutoff`` and this test, the table and the definition's
``source``/``choices`` notes must change together.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest

from therapy_outcomes.change.reliable import reliable_change
from therapy_outcomes.client_report.progress import instrument_progress
from therapy_outcomes.client_report.wins import NO_RULE, small_wins
from therapy_outcomes.client_report.wording import measure_summary
from therapy_outcomes.instruments import default_registry

# code -> (reliable-change points, cut-off value); None = no published value, reason documented
AUDIT = {
    "PHQ-9": (6.0, 10),
    "PHQ-8": (None, 10),
    "GAD-7": (4.0, 8),
    "PCL-5": (10.0, 33),
    "CORE-10": (6.0, 11),
    "CORE-OM": (5.0, 10),
    "WSAS": (None, 10),
    "K10": (None, 20),
    "WHO-5": (2.5, 13),
    "DASS-21": (None, None),
    "AUDIT-C": (None, 3),
    "ORS": (5.0, 25),
}


def _outcome_questionnaires() -> list[str]:
    return sorted(
        inst.code
        for inst in default_registry()
        if inst.kind == "questionnaire" and inst.purpose == "outcome"
    )


def test_the_audit_covers_every_shipped_outcome_questionnaire():
    assert sorted(AUDIT) == _outcome_questionnaires()


@pytest.mark.parametrize("code", sorted(AUDIT))
def test_rule_and_cutoff_are_sourced_or_their_absence_is_explained(code):
    inst = default_registry().get(code)
    points, cutoff = AUDIT[code]
    assert inst.rc_threshold() == points
    assert (None if inst.cutoff is None else inst.cutoff.value) == cutoff
    notes = " ".join(inst.choices).lower()
    if inst.reliable_change is None:
        # an explicit reason: "reliable change ... UNVERIFIED / none set"
        assert re.search(r"reliable change[^.]*(unverified|none)", notes), code
    else:
        assert inst.reliable_change.source.strip(), code
    if inst.cutoff is None:
        assert re.search(r"cut-offs?[^.]*(unverified|none)", notes), code
    else:
        assert re.search(r"cut-?off|cut-points|screen", inst.source.lower() + notes), code


def test_core10_threshold_is_the_published_six_points():
    inst = default_registry().get("CORE-10")
    assert inst.rc_threshold() == 6.0
    assert "Barkham" in inst.reliable_change.source and "2013" in inst.reliable_change.source
    assert inst.reliability is not None and inst.reliability.value == 0.90


def _scores(rows):
    frame = pd.DataFrame(rows, columns=["instrument", "administered_on", "total"])
    frame["administered_on"] = pd.to_datetime(frame["administered_on"])
    return frame.assign(client_id="C1", valid=True)


def test_core10_fall_from_32_to_12_is_reliable_improvement():
    reg = default_registry()
    scores = _scores([("CORE-10", "2026-01-05", 32), ("CORE-10", "2026-03-02", 12)])
    p = instrument_progress(scores, reg, "2026-06-30").iloc[0]
    assert p["rc_threshold"] == 6.0 and p["change"] == -20
    assert p["change_category"] == "improved"
    # 12 is still at or above the cut-off 11: improved, not recovered
    assert p["significance_category"] == "improved"
    res = reliable_change(
        pd.Series([32.0]), pd.Series([12.0]), threshold=reg.get("CORE-10").rc_threshold()
    )
    assert res["category"].iat[0] == "improved"


@pytest.mark.parametrize(
    ("latest", "category"), [(26, "improved"), (27, "unchanged"), (38, "deteriorated")]
)
def test_core10_threshold_is_inclusive(latest, category):
    scores = _scores([("CORE-10", "2026-01-05", 32), ("CORE-10", "2026-03-02", latest)])
    p = instrument_progress(scores, default_registry(), "2026-06-30").iloc[0]
    assert p["change_category"] == category


def _ctx(scores, audience="clinician"):
    reg = default_registry()
    empty = pd.DataFrame
    return SimpleNamespace(
        progress=instrument_progress(scores, reg, "2026-06-30"),
        registry=reg,
        audience=audience,
        goals=empty(columns=["goal_id", "statement", "status", "set_on", "baseline", "target"]),
        goal_ratings=empty(columns=["goal_id", "rated_on", "value"]),
        homework=empty(columns=["assigned_on", "status"]),
        sessions=empty(columns=["session_on", "attendance"]),
    )


def test_a_better_band_without_a_rule_says_change_is_not_judged():
    # K10 has no published reliable-change rule: 28 (moderate) -> 22 (mild)
    ctx = _ctx(_scores([("K10", "2026-01-05", 28), ("K10", "2026-03-02", 22)]))
    wins = small_wins(ctx)
    text = wins.loc[wins["kind"] == "better_band", "clinician_text"].iat[0]
    assert NO_RULE in text and "not yet reliable change" not in text
    assert "change not judged" in measure_summary(ctx, "K10")


def test_a_better_band_below_the_rule_is_not_yet_reliable_change():
    # PHQ-9 10 (moderate) -> 6 (mild): 4 points, below its rule of 6
    ctx = _ctx(_scores([("PHQ-9", "2026-01-05", 10), ("PHQ-9", "2026-03-02", 6)]))
    wins = small_wins(ctx)
    text = wins.loc[wins["kind"] == "better_band", "clinician_text"].iat[0]
    assert "not yet reliable change" in text and NO_RULE not in text


def test_core10_32_to_12_is_a_reliable_win_not_a_band_move():
    ctx = _ctx(_scores([("CORE-10", "2026-01-05", 32), ("CORE-10", "2026-03-02", 12)]))
    wins = small_wins(ctx)
    assert list(wins["kind"]) == ["reliable_improvement"]
    assert "threshold 6 points" in wins["clinician_text"].iat[0]
