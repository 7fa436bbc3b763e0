"""Registry: shipped definitions, alias resolution, overrides and definition validation."""

from __future__ import annotations

import copy
import math
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from therapy_outcomes.instruments import (
    Band,
    Instrument,
    InstrumentDefinitionError,
    Registry,
    UnknownInstrumentError,
    default_registry,
    normalise_code,
)

DATA = Path(__file__).parent / "data" / "instruments"
REQUIRED_CODES = {
    "PHQ-9",
    "PHQ-8",
    "GAD-7",
    "PCL-5",
    "CORE-10",
    "CORE-OM",
    "ORS",
    "SRS",
    "WHO-5",
    "K10",
    "WSAS",
    "DASS-21",
    "AUDIT-C",
    "GAS",
    "GBO",
}


@pytest.fixture(scope="module")
def reg() -> Registry:
    return default_registry()


# --- shipped definitions ------------------------------------------------------------------------


def test_all_required_instruments_are_shipped(reg):
    assert REQUIRED_CODES <= set(reg.codes)
    assert len(reg) == len(reg.codes) == len(list(reg))
    assert all(isinstance(inst, Instrument) for inst in reg)


def test_definitions_are_package_data():
    from importlib import resources

    folder = resources.files("therapy_outcomes.instruments") / "definitions"
    names = {entry.name for entry in folder.iterdir() if entry.name.endswith(".yaml")}
    assert len(names) == len(default_registry())  # one YAML file per instrument


def test_default_registry_is_cached():
    assert default_registry() is default_registry()


@pytest.mark.parametrize("code", sorted(REQUIRED_CODES))
def test_shipped_definition_is_documented(reg, code):
    inst = reg.get(code)
    assert inst.source and inst.licence
    assert len(inst.item_labels) == inst.n_items == len(inst.item_columns)
    assert inst.item_columns[0] == "item_1" and inst.item_columns[-1] == f"item_{inst.n_items}"
    assert inst.choices, "every shipped instrument records its UNVERIFIED/CONFLICT choices"
    if inst.has_total and inst.bands:
        assert inst.bands[0].min == inst.total_min and inst.bands[-1].max == inst.total_max
    if inst.cutoff is not None:
        assert inst.total_min <= inst.cutoff.value <= inst.total_max


@pytest.mark.parametrize(
    ("code", "n", "lo", "hi", "tmin", "tmax", "better", "kind"),
    [
        ("PHQ-9", 9, 0, 3, 0, 27, "lower", "questionnaire"),
        ("PHQ-8", 8, 0, 3, 0, 24, "lower", "questionnaire"),
        ("GAD-7", 7, 0, 3, 0, 21, "lower", "questionnaire"),
        ("PCL-5", 20, 0, 4, 0, 80, "lower", "questionnaire"),
        ("CORE-10", 10, 0, 4, 0, 40, "lower", "questionnaire"),
        ("CORE-OM", 34, 0, 4, 0, 40, "lower", "questionnaire"),
        ("ORS", 4, 0, 10, 0, 40, "higher", "questionnaire"),
        ("SRS", 4, 0, 10, 0, 40, "higher", "questionnaire"),
        ("WHO-5", 5, 0, 5, 0, 25, "higher", "questionnaire"),
        ("K10", 10, 1, 5, 10, 50, "lower", "questionnaire"),
        ("WSAS", 5, 0, 8, 0, 40, "lower", "questionnaire"),
        ("AUDIT-C", 3, 0, 4, 0, 12, "lower", "questionnaire"),
        ("GAS", 1, -2, 2, -2, 2, "higher", "goal_rating"),
        ("GBO", 1, 0, 10, 0, 10, "higher", "goal_rating"),
    ],
)
def test_ranges_match_reference(reg, code, n, lo, hi, tmin, tmax, better, kind):
    """Item and total ranges as stated in docs/methods.md#instruments."""
    inst = reg.get(code)
    assert (inst.n_items, inst.item_min, inst.item_max) == (n, lo, hi)
    assert (inst.total_min, inst.total_max) == (tmin, tmax)
    assert (inst.better, inst.kind) == (better, kind)


def test_reference_facts(reg):
    phq9, gad7, core10, core_om = (reg.get(c) for c in ("PHQ-9", "GAD-7", "CORE-10", "CORE-OM"))
    assert (phq9.cutoff.value, phq9.cutoff.clinical) == (10, ">=")
    assert phq9.rc_threshold() == 6 and gad7.rc_threshold() == 4 and core_om.rc_threshold() == 5
    assert phq9.missing.max_missing == 2 and phq9.missing.method == "prorate"
    assert [(r.item, r.min_value) for r in phq9.risk_items] == [(9, 1)]
    assert phq9.loinc["total"] == "44261-6" and gad7.loinc["total"] == "70274-6"
    assert core10.reverse_items == (2, 3) and core10.missing.max_missing == 1
    assert [r.item for r in core10.risk_items] == [6]
    assert core_om.missing.max_missing == 3
    assert set(core_om.reverse_items) == {3, 4, 7, 12, 19, 21, 31, 32}
    domains = {name: set(s.items) for name, s in core_om.subscales.items()}
    assert domains["wellbeing"] == {4, 14, 17, 31}
    assert domains["risk"] == {6, 9, 16, 22, 24, 34}
    assert len(domains["problems"]) == len(domains["functioning"]) == 12
    assert domains["non_risk"] == set(range(1, 35)) - domains["risk"]
    # CST missing rule per domain: wellbeing/risk none, problems/functioning 1, non-risk 3.
    assert {n: s.max_missing for n, s in core_om.subscales.items()} == {
        "wellbeing": 0,
        "problems": 1,
        "functioning": 1,
        "risk": 0,
        "non_risk": 3,
    }
    dass = reg.get("DASS-21")
    assert not dass.has_total
    assert dass.subscales["depression"].items == (3, 5, 10, 13, 16, 17, 21)
    assert dass.subscales["anxiety"].items == (2, 4, 7, 9, 15, 19, 20)
    assert dass.subscales["stress"].items == (1, 6, 8, 11, 12, 14, 18)
    pcl5 = reg.get("PCL-5")
    assert [s.items for s in pcl5.subscales.values()] == [
        (1, 2, 3, 4, 5),
        (6, 7),
        tuple(range(8, 15)),
        tuple(range(15, 21)),
    ]
    ors, srs = reg.get("ORS"), reg.get("SRS")
    assert (ors.cutoff.value, ors.cutoff.clinical) == (25, "<") and not ors.integer_items
    assert (srs.cutoff.value, srs.cutoff.clinical) == (36, "<")


def test_unverified_loinc_codes_are_not_shipped(reg):
    for code in ("PHQ-8", "PCL-5", "CORE-10", "ORS", "WHO-5", "K10", "AUDIT-C"):
        assert "total" not in reg.get(code).loinc


# --- look-up ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("PHQ-9", "PHQ-9"),
        ("phq9", "PHQ-9"),
        ("phq_9", "PHQ-9"),
        ("Phq 9", "PHQ-9"),
        ("P.H.Q.-9", "PHQ-9"),
        ("PHQ8", "PHQ-8"),
        ("gad 7", "GAD-7"),
        ("core10", "CORE-10"),
        ("CORE_OM", "CORE-OM"),
        ("who5", "WHO-5"),
        ("k-10", "K10"),
        ("dass21", "DASS-21"),
        ("auditc", "AUDIT-C"),
        ("Outcome Rating Scale", "ORS"),
        ("goal attainment scaling", "GAS"),
        ("PCL5", "PCL-5"),
    ],
)
def test_get_by_alias(reg, alias, code):
    assert reg.get(alias).code == code
    assert alias in reg


def test_normalise_code():
    assert normalise_code(" Core_O.M ") == "coreom"


@pytest.mark.parametrize("bad", ["PHQ-10", "", "GAD", None, 9])
def test_unknown_instrument(reg, bad):
    with pytest.raises(UnknownInstrumentError) as info:
        reg.get(bad)
    message = str(info.value)
    assert repr(bad) in message and "PHQ-9" in message and "GAD-7" in message
    assert isinstance(info.value, KeyError)
    assert bad not in reg


def test_resolve_is_vectorised_and_keeps_index(reg):
    values = pd.Series(
        ["phq-9", "GAD7", "nope", None, np.nan, "core 10"],
        index=[10, 11, 12, 13, 14, 15],
        dtype=object,
    )
    out = reg.resolve(values)
    assert list(out.index) == list(values.index)
    assert out.iloc[[0, 1, 5]].tolist() == ["PHQ-9", "GAD-7", "CORE-10"]
    assert out.iloc[[2, 3, 4]].isna().all()


def test_contains_and_iteration_order(reg):
    assert reg.get("PHQ-9") in reg
    assert "nope" not in reg and 3 not in reg
    assert [inst.code for inst in reg] == reg.codes == sorted(reg.codes)
    assert "PHQ-9" in repr(reg)


# --- overrides ----------------------------------------------------------------------------------


def test_with_definitions_directory_adds_and_overrides(reg):
    new = reg.with_definitions(DATA / "overrides")
    assert new is not reg
    assert set(new.codes) == set(reg.codes) | {"MOOD-3"}
    strict = new.get("phq_9")
    assert strict.missing.method == "none" and strict.cutoff.value == 12
    assert new.get("phq9 strict") is strict
    # z(0.975) * 5 * sqrt(2 * (1 - 0.84)) = 5.5436..., the same z the RCI methods use
    # (1.959964..., not the rounded 1.96)
    z = statistics.NormalDist().inv_cdf(0.975)
    assert strict.rc_threshold() == pytest.approx(z * 5 * math.sqrt(0.32), rel=1e-12)
    assert strict.origin.endswith("phq9_strict.yaml")
    # the old PHQ-9's extra alias is gone with it; the default registry is untouched
    assert "Patient Health Questionnaire-9" not in new
    assert reg.get("PHQ-9").missing.max_missing == 2
    mood = new.get("Mood Check")
    assert mood.code == "MOOD-3" and mood.total_min == 1 and mood.total_max == 7


def test_with_definitions_single_file(reg):
    new = reg.with_definitions(DATA / "overrides" / "mood3.yaml")
    assert "MOOD-3" in new and new.get("PHQ-9") == reg.get("PHQ-9")


def test_from_directory():
    only = Registry.from_directory(DATA / "overrides")
    assert only.codes == ["MOOD-3", "PHQ-9"]


def test_override_by_constructor_order(reg):
    phq9 = reg.get("PHQ-9")
    again = Registry([*reg, phq9])
    assert again.codes == reg.codes


# --- validation ---------------------------------------------------------------------------------


def _base() -> dict:
    text = Path(__file__).parents[1] / "src/therapy_outcomes/instruments/definitions/phq9.yaml"
    data = yaml.safe_load(text.read_text(encoding="utf-8"))
    data["code"] = "TEST-9"
    data["aliases"] = ["test9x"]
    return data


def _set(data: dict, path: str, value) -> None:
    keys = path.split(".")
    target = data
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    last = keys[-1]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is _DELETE:
        del target[last]
    else:
        target[last] = value


_DELETE = object()

BAD_DEFINITIONS = [
    # (change, field named in the message, words in the message)
    ("code", _DELETE, "code", "required"),
    ("items.count", _DELETE, "items.count", "required"),
    ("better", _DELETE, "better", "required"),
    ("items.count", "nine", "items.count", "whole number"),
    ("items.count", 9.5, "items.count", "whole number"),
    ("items.max", "3", "items.max", "number"),
    ("items.integer", "yes", "items.integer", "true or false"),
    ("aliases", "PHQ", "aliases", "list"),
    ("items.labels", ["a", "b"], "items.labels", "2 labels for 9 items"),
    ("items.min", 3, "items.max", "above items.min"),
    ("items.min", 0.5, "items.min", "whole-number"),
    ("kind", "survey", "kind", "questionnaire, goal_rating"),
    ("better", "up", "better", "lower, higher"),
    ("bands.1.min", 4, "bands[1]", "overlaps"),
    ("bands.1.min", 7, "bands[1]", "gap"),
    ("bands.4.max", 30, "bands[4]", "outside the score range 0-27"),
    ("bands.0.min", -1, "bands[0]", "outside the score range"),
    ("bands.0.min", 1, "bands", "cover the whole range"),
    ("bands.4.max", 26, "bands", "cover the whole range"),
    ("bands.1.max", 3, "bands[1]", "above max"),
    ("bands.2.label", "mild", "bands[2].label", "duplicate"),
    ("bands.2", {"label": "x", "min": 10}, "bands[2].max", "required"),
    ("reverse_items", [10], "reverse_items[0]", "between 1 and 9"),
    ("reverse_items", [0], "reverse_items[0]", "between 1 and 9"),
    ("reverse_items", [2, 2], "reverse_items", "more than once"),
    ("cutoff.clinical", "=>", "cutoff.clinical", ">=, >, <=, <"),
    ("cutoff.clinical", "at least", "cutoff.clinical", "must be one of"),
    ("cutoff.value", 30, "cutoff.value", "outside the total range"),
    ("scoring.rule", "median", "scoring.rule", "sum, mean"),
    ("scoring.multiplier", -1, "scoring.multiplier", "above 0"),
    ("scoring.multiplier", True, "scoring.multiplier", "number"),
    ("missing.method", "impute", "missing.method", "prorate, none"),
    ("missing.max_missing", 9, "missing.max_missing", "between 0 and 8"),
    ("missing", {"method": "none", "max_missing": 2}, "missing.max_missing", "must be 0"),
    ("risk_items.0.item", 12, "risk_items[0].item", "between 1 and 9"),
    ("risk_items.0.min_value", 5, "risk_items[0].min_value", "outside the item range"),
    ("reliable_change", {"sd": 5}, "reliable_change", "both sd and reliability"),
    ("reliable_change", {"sd": 5, "reliability": 1.2}, "reliable_change.reliability", "below 1"),
    ("reliable_change", {"points": 0}, "reliable_change.points", "above 0"),
    ("reverse_item", [1], "reverse_item", "did you mean 'reverse_items'"),
    ("items.lables", ["x"] * 9, "items.lables", "did you mean 'labels'"),
    ("subscales", {"a": {"items": [1, 10]}}, "subscales.a.items[1]", "between 1 and 9"),
    ("subscales", {"a": {"items": []}}, "subscales.a.items", "at least one item"),
    ("subscales", {"a b": {"items": [1]}}, "subscales.a b", "letters, digits"),
    (
        "subscales",
        {"a": {"items": [1, 2], "bands": [{"label": "x", "min": 0, "max": 2}]}},
        "subscales.a.bands",
        "cover the whole range",
    ),
    (
        "subscales",
        {"a": {"items": [1, 2], "max_missing": 2}},
        "subscales.a.max_missing",
        "between 0 and 1",
    ),
    ("scoring.total", False, "bands", "scoring.total is false"),
    ("loinc", "44261-6", "loinc", "mapping"),
    ("loinc.total", 44261, "loinc.total", "text"),
    ("items.answers", {0: "Not at all", 7: "Always"}, "items.answers.7", "outside"),
    ("choices", [{"a": 1}], "choices[0]", "text"),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    BAD_DEFINITIONS,
    ids=[f"{p}=" + ("<deleted>" if v is _DELETE else repr(v))[:40] for p, v, *_ in BAD_DEFINITIONS],
)
def test_bad_definition_names_file_and_field(tmp_path, reg, path, value, field, words):
    data = copy.deepcopy(_base())
    _set(data, path, value)
    file = tmp_path / "my_instrument.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError) as info:
        reg.with_definitions(file)
    message = str(info.value)
    assert str(file) in message
    assert f"field '{field}'" in message
    assert words in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError)


def test_valid_base_definition_loads(tmp_path, reg):
    file = tmp_path / "ok.yaml"
    file.write_text(yaml.safe_dump(_base()), encoding="utf-8")
    assert reg.with_definitions(file).get("test9x").code == "TEST-9"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "must be a mapping"),
        ("code: X\nname: [unclosed\n", "not valid YAML at line"),
        ("code: X\n  name: bad indent\n", "not valid YAML"),
        ("cutoff: {value: 10, clinical: >=}\n", "not valid YAML"),
    ],
)
def test_unparseable_files(tmp_path, reg, text, words):
    file = tmp_path / "broken.yaml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError, match=words) as info:
        reg.with_definitions(file)
    assert str(file) in str(info.value)


def test_bad_fixture_files(reg):
    with pytest.raises(InstrumentDefinitionError, match=r"overlapping_bands\.yaml: field 'bands"):
        reg.with_definitions(DATA / "bad" / "overlapping_bands.yaml")
    with pytest.raises(InstrumentDefinitionError, match=r"malformed\.yaml: not valid YAML"):
        reg.with_definitions(DATA / "bad" / "malformed.yaml")
    with pytest.raises(InstrumentDefinitionError, match=r"bad"):
        Registry.from_directory(DATA / "bad")


def test_alias_collision_names_both_instruments(tmp_path, reg):
    data = _base()
    data["aliases"] = ["GAD7"]
    file = tmp_path / "clash.yaml"
    file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError) as info:
        reg.with_definitions(file)
    message = str(info.value)
    assert str(file) in message and "field 'aliases'" in message and "GAD-7" in message
    assert "gad7.yaml" in message


def test_duplicate_code_in_directory(tmp_path, reg):
    for name in ("one.yaml", "two.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(_base()), encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError, match=r"two\.yaml: field 'code'.*one\.yaml"):
        reg.with_definitions(tmp_path)


def test_missing_path_and_empty_directory(tmp_path, reg):
    with pytest.raises(InstrumentDefinitionError, match="does not exist"):
        reg.with_definitions(tmp_path / "nowhere")
    with pytest.raises(InstrumentDefinitionError, match="no instrument definitions"):
        reg.with_definitions(tmp_path)


def test_instruments_are_frozen_and_hashable(reg):
    inst = reg.get("PHQ-9")
    with pytest.raises(AttributeError):
        inst.code = "X"  # type: ignore[misc]
    assert len({inst, reg.get("phq9")}) == 1
    assert Band("a", 0, 1) == Band("a", 0, 1)
