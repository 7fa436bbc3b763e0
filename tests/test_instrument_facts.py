"""Instrument facts live only in the instrument definitions: change the YAML, the code follows.

Each test edits a copy of a shipped definition (the way a service overrides one, with
``Registry.with_definitions``) and checks that the package's behaviour follows the edited
value, so no second copy of the fact can hide in the code.
"""

from __future__ import annotations

import copy
import math
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
import yaml

from therapy_outcomes.alerts import alerts
from therapy_outcomes.change.reliable import reliable_change
from therapy_outcomes.client_report.plain import plain_name
from therapy_outcomes.cohort_report.effects import benchmarks
from therapy_outcomes.cohort_report.reliability import reliabilities
from therapy_outcomes.goals.smart import measure_ranges, similar_baseline_bands, smart_audit
from therapy_outcomes.instruments import Registry, default_registry
from therapy_outcomes.loading.dataset import load
from therapy_outcomes.outcomes.talking_therapies import (
    talking_therapies_outcomes,
    talking_therapies_thresholds,
)
from therapy_outcomes.sources.fhir_codes import loinc_codes
from therapy_outcomes.sources.fhir_map import Index


def shipped(code_file: str) -> dict:
    folder = resources.files("therapy_outcomes.instruments") / "definitions"
    return yaml.safe_load((folder / code_file).read_text(encoding="utf-8"))


def edited(tmp_path: Path, code_file: str, change) -> Registry:
    """The default registry with one shipped definition replaced by an edited copy."""
    data = copy.deepcopy(shipped(code_file))
    change(data)
    path = tmp_path / code_file
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return default_registry().with_definitions(path)


def one_client(first_phq: float, last_phq: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    scores = pd.DataFrame(
        {
            "client_id": ["A"] * 4,
            "instrument": ["PHQ-9", "GAD-7", "PHQ-9", "GAD-7"],
            "administered_on": pd.to_datetime(["2026-01-05"] * 2 + ["2026-03-02"] * 2),
            "total": [first_phq, 3.0, last_phq, 3.0],
            "valid": [True] * 4,
        }
    )
    sessions = pd.DataFrame(
        {
            "client_id": ["A"] * 2,
            "session_on": pd.to_datetime(["2026-01-12", "2026-03-02"]),
            "kind": ["treatment"] * 2,
            "attendance": ["attended"] * 2,
        }
    )
    return scores, sessions


def test_talking_therapies_caseness_follows_the_cut_off(tmp_path):
    scores, sessions = one_client(11.0, 4.0)
    assert bool(talking_therapies_outcomes(scores, sessions).loc[0, "at_caseness_start"])

    def raise_cutoff(d):
        d["cutoff"]["value"] = 12

    reg = edited(tmp_path, "phq9.yaml", raise_cutoff)
    assert talking_therapies_thresholds(["PHQ-9"], reg)["caseness"] == {"PHQ-9": 12.0}
    out = talking_therapies_outcomes(scores, sessions, registry=reg)
    assert not bool(out.loc[0, "at_caseness_start"])


def test_talking_therapies_reliable_change_follows_the_points(tmp_path):
    scores, sessions = one_client(16.0, 10.0)  # a fall of 6: reliable with 6, not with 7
    assert bool(talking_therapies_outcomes(scores, sessions).loc[0, "reliably_improved"])

    def raise_points(d):
        d["reliable_change"]["points"] = 7

    reg = edited(tmp_path, "phq9.yaml", raise_points)
    out = talking_therapies_outcomes(scores, sessions, registry=reg)
    assert not bool(out.loc[0, "reliably_improved"])


def test_a_talking_therapies_role_can_state_its_own_caseness(tmp_path):
    def own_value(d):
        d["talking_therapies"]["caseness"] = 9

    reg = edited(tmp_path, "gad7.yaml", own_value)
    assert reg.get("GAD-7").cutoff.value == 8
    assert talking_therapies_thresholds(["GAD-7"], reg)["caseness"] == {"GAD-7": 9.0}


def test_fhir_codes_follow_the_definition(tmp_path):
    assert Index.build(default_registry()).item_of["44260-8"][1] == 9

    def new_code(d):
        d["loinc"]["items"][9] = "99999-9"
        d["fhir_link_ids"]["items"]["MY.9"] = 9

    reg = edited(tmp_path, "phq9.yaml", new_code)
    index = Index.build(reg)
    assert index.item_of["99999-9"][1] == 9 and "44260-8" not in index.item_of
    assert loinc_codes(reg.get("PHQ-9"))["items"][9] == "99999-9"
    assert reg.get("PHQ-9").fhir_link_ids["MY.9"] == 9


def test_unscored_codes_follow_the_definition(tmp_path):
    assert "69722-7" in Index.build(default_registry()).unscored_items

    def drop(d):
        del d["loinc"]["unscored_items"]

    assert "69722-7" not in Index.build(edited(tmp_path, "phq9.yaml", drop)).unscored_items


def test_plain_name_follows_the_definition(tmp_path):
    assert plain_name("PHQ-9") == "low mood"

    def rename(d):
        d["plain_name"] = "feeling down"

    assert plain_name("PHQ-9", edited(tmp_path, "phq9.yaml", rename)) == "feeling down"


def test_smart_ranges_and_comparator_bands_follow_the_definition(tmp_path):
    assert measure_ranges()["GBO"] == (0.0, 10.0)
    assert similar_baseline_bands()["GBO"] == 2.0

    def widen(d):
        d["items"]["max"] = 20
        d["similar_baseline"] = 5

    reg = edited(tmp_path, "gbo.yaml", widen)
    assert measure_ranges(reg)["GBO"] == (0.0, 20.0)
    assert similar_baseline_bands(reg)["GBO"] == 5.0
    goal = pd.DataFrame(
        {
            "goal_id": ["G1"],
            "client_id": ["C1"],
            "status": ["active"],
            "statement": ["Walk to the shop on my own twice a week"],
            "measure": ["GBO"],
            "unit": [None],
            "baseline": [2.0],
            "target": [15.0],
            "set_on": pd.to_datetime(["2026-02-09"]),
            "target_date": pd.to_datetime(["2026-05-01"]),
            "agreed_on": pd.to_datetime(["2026-02-09"]),
            "values": ["independence"],
        }
    )
    assert not bool(smart_audit(goal, as_of="2026-03-01").loc[0, "measurable"])
    assert bool(smart_audit(goal, as_of="2026-03-01", registry=reg).loc[0, "measurable"])


def test_registry_threshold_is_the_rci_methods_threshold():
    """A definition's reliable change given as SD and reliability is the JT threshold itself."""
    pre = pd.Series([10.0, 14.0, 18.0, 22.0, 26.0])
    post = pre - 3
    sd = float(pre.std(ddof=1))
    definition = {
        "code": "X",
        "name": "Example",
        "kind": "questionnaire",
        "items": {"count": 10, "min": 0, "max": 4},
        "scoring": {"rule": "sum"},
        "better": "lower",
        "reliable_change": {"sd": sd, "reliability": 0.8},
    }
    from therapy_outcomes.instruments.yaml_schema import parse_definition

    inst = parse_definition(definition, "x.yaml")
    jt = reliable_change(pre, post, reliability=0.8)
    assert inst.rc_threshold() == jt.attrs["threshold_points"]
    assert math.isclose(inst.rc_threshold(), 1.959963984540054 * math.sqrt(2 * 0.2) * sd)


@pytest.mark.parametrize("code", default_registry().codes)
def test_every_questionnaire_says_what_it_measures_in_plain_words(code):
    inst = default_registry().get(code)
    if inst.kind == "questionnaire":
        assert inst.plain_name and inst.plain_name != inst.name
        assert inst.purpose in ("outcome", "alliance")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from therapy_outcomes.demo import write_demo_clinic

    folder = tmp_path_factory.mktemp("facts") / "clinic"
    write_demo_clinic(folder, n_clients=60, seed=3, as_of="2026-10-31")
    return folder


def with_definition(folder: Path, tmp_path: Path, code_file: str, change) -> Path:
    """A copy of a dataset folder that carries an edited copy of one shipped definition."""
    import shutil

    copy_of = tmp_path / "clinic"
    shutil.copytree(folder, copy_of)
    data = copy.deepcopy(shipped(code_file))
    change(data)
    (copy_of / "instruments").mkdir()
    (copy_of / "instruments" / code_file).write_text(yaml.safe_dump(data, sort_keys=False))
    return copy_of


def test_low_alliance_cut_off_follows_the_definition(demo, tmp_path):
    ds = load(demo, as_of="2026-10-31")
    before = alerts(ds, kinds=["low_alliance"], srs_drop=None)
    assert before.attrs["parameters"]["srs_cutoff"] == 36

    def lower(d):
        d["cutoff"]["value"] = 20
        d["bands"] = None

    edited_ds = load(with_definition(demo, tmp_path, "srs.yaml", lower), as_of="2026-10-31")
    after = alerts(edited_ds, kinds=["low_alliance"], srs_drop=None)
    assert after.attrs["parameters"]["srs_cutoff"] == 20
    assert len(after) < len(before)
    assert (after["reference"] == 20).all() or after.empty


def test_alliance_measures_follow_the_definition(demo, tmp_path):
    def outcome(d):
        d["purpose"] = "outcome"

    ds = load(with_definition(demo, tmp_path, "srs.yaml", outcome), as_of="2026-10-31")
    assert alerts(ds, kinds=["low_alliance"]).empty


def test_risk_item_rule_follows_the_definition(demo, tmp_path):
    ds = load(demo, as_of="2026-10-31")
    before = alerts(ds, kinds=["risk_item"])
    assert set(before["instrument"]) >= {"PHQ-9"}

    def stricter(d):
        d["risk_items"][0]["min_value"] = 3

    edited_ds = load(with_definition(demo, tmp_path, "phq9.yaml", stricter), as_of="2026-10-31")
    after = alerts(edited_ds, kinds=["risk_item"])
    phq = after[after["instrument"] == "PHQ-9"]
    assert len(phq) < len(before[before["instrument"] == "PHQ-9"])
    assert (phq["value"] >= 3).all() and (phq["threshold"] == 3).all()


def test_cohort_defaults_follow_the_definition(demo, tmp_path):
    ds = load(demo, as_of="2026-10-31")
    assert reliabilities(ds, ["PHQ-9"], None)[0] == {"PHQ-9": 0.84}

    def change(d):
        d["reliability"]["value"] = 0.9
        d["benchmarks"] = [{"label": "Local 2025", "effect_size": 1.1}]

    edited_ds = load(with_definition(demo, tmp_path, "phq9.yaml", change), as_of="2026-10-31")
    assert reliabilities(edited_ds, ["PHQ-9"], None)[0] == {"PHQ-9": 0.9}
    assert benchmarks("PHQ-9", edited_ds.registry) == [("Local 2025", 1.1)]
