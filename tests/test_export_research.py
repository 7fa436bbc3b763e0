"""De-identified research export: nothing identifying survives, the cohort results do."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from therapy_outcomes import load
from therapy_outcomes.change.pairs import first_last_pairs
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.export.kanon import cell_sizes, generalise
from therapy_outcomes.export.research import (
    KEY_ENV,
    date_offset,
    export_research,
    pseudonym,
    read_key,
)
from therapy_outcomes.outcomes.effect_sizes import effect_sizes
from therapy_outcomes.outcomes.flow import outcome_flow
from therapy_outcomes.outcomes.talking_therapies import talking_therapies_outcomes

AS_OF = "2026-10-31"
KEY = b"test-key-not-a-secret-0123456789"
ID_COLUMNS = (
    "client_id",
    "therapist_id",
    "session_id",
    "goal_id",
    "administration_id",
    "homework_id",
    "event_id",
)


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory):
    from therapy_outcomes.demo import write_demo_clinic

    folder = tmp_path_factory.mktemp("research") / "demo"
    write_demo_clinic(folder, n_clients=120, seed=3, as_of=AS_OF)
    return load(folder, as_of=AS_OF)


@pytest.fixture(scope="module")
def shared(original, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("share") / "export"
    result = export_research(original, out, KEY, k=5)
    return result, load(out, as_of=AS_OF)


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))


def test_export_loads_cleanly_and_keeps_every_row(original, shared) -> None:
    result, ds = shared
    assert ds.n_rejected == 0
    for name in ("clients", "sessions", "goals", "goal_ratings", "homework", "events"):
        assert len(getattr(ds, name)) == len(getattr(original, name)), name
    assert len(ds.scores) == len(original.scores)
    assert {p.name for p in result.folder.iterdir()} >= {
        "clients.csv",
        "README.txt",
        "disclosure_report.csv",
    }


@pytest.fixture(scope="module", params=["weeks", "days"])
def any_intervals(original, tmp_path_factory: pytest.TempPathFactory, request):
    out = tmp_path_factory.mktemp("share") / "export"
    result = export_research(original, out, KEY, k=5, intervals=request.param)
    return result, load(out, as_of=AS_OF), request.param


def test_no_original_id_date_or_free_text_survives(original, any_intervals) -> None:
    result, ds, intervals = any_intervals
    text = _all_text(result.folder)
    tokens = set(re.findall(r"[A-Za-z0-9_\-]+", text))
    for col in ID_COLUMNS:
        for table in ("clients", "sessions", "goals", "administrations", "homework", "events"):
            frame = getattr(original, table)
            if col in frame:
                assert not tokens & set(frame[col].dropna().astype(str)), (table, col)
    free = [
        *original.goals["statement"],
        *original.homework["task"],
        *original.events["description"],
    ]
    for phrase in {str(p) for p in free if len(str(p)) > 12}:
        assert phrase not in text, phrase
    for table, column in (("goals", "statement"), ("homework", "task"), ("events", "description")):
        assert set(getattr(ds, table)[column]) == {"[removed]"}
    assert not {"values", "strengths", "unit"} & set(ds.goals.columns[ds.goals.notna().any()])
    assert "birth_year" not in (result.folder / "clients.csv").read_text().splitlines()[0]
    # every date of every client moved by the same keyed, non-zero number of days
    mapping = {c: pseudonym(KEY, "client", c) for c in original.clients["client_id"]}
    before = original.sessions.assign(client_id=original.sessions["client_id"].map(mapping))
    after = ds.sessions.set_index("session_id")
    before.index = [pseudonym(KEY, "session", s) for s in original.sessions["session_id"]]
    shift = (before["session_on"] - after.loc[before.index, "session_on"]).dt.days
    assert (shift >= 1).all()
    if intervals == "days":  # weeks round each interval, so the shift varies by a few days
        assert shift.groupby(before["client_id"]).nunique().max() == 1
    else:
        assert (shift.groupby(before["client_id"]).agg(lambda s: s.max() - s.min()) <= 6).all()
    assert (before["session_on"] != after.loc[before.index, "session_on"]).all()


def test_key_is_never_written(shared) -> None:
    result, _ = shared
    data = b"".join(p.read_bytes() for p in result.folder.iterdir())
    assert KEY not in data and KEY.hex().encode() not in data


@pytest.fixture(scope="module")
def three(original, tmp_path_factory: pytest.TempPathFactory):
    """An export checked on site, sex and age band only (the others withheld)."""
    out = tmp_path_factory.mktemp("share3") / "export"
    result = export_research(original, out, KEY, k=5, quasi_identifiers=("site", "sex", "age_band"))
    return result, load(out, as_of=AS_OF)


def test_every_quasi_identifier_combination_has_k_clients(three) -> None:
    result, ds = three
    cells = cell_sizes(ds.clients, ["site", "sex", "age_band"])
    assert cells["clients"].min() >= 5 == result.k
    assert result.smallest_cell == cells["clients"].min()
    for subset in (["site"], ["sex"], ["age_band"], ["site", "sex"], ["sex", "age_band"]):
        assert cell_sizes(ds.clients, subset)["clients"].min() >= 5
    report = result.report
    assert set(report["section"]) == {"generalisation", "final cells"}


def test_cohort_analysis_gives_the_same_results(original, shared) -> None:
    _, ds = shared
    flow_a = outcome_flow(original.clients, original.sessions, original.scores, "PHQ-9")
    flow_b = outcome_flow(ds.clients, ds.sessions, ds.scores, "PHQ-9")
    pd.testing.assert_frame_equal(flow_a, flow_b)
    for instrument in ("PHQ-9", "GAD-7"):
        pa_, pb = (
            first_last_pairs(original.scores, instrument),
            first_last_pairs(ds.scores, instrument),
        )
        pa_ = pa_.assign(client_id=[pseudonym(KEY, "client", c) for c in pa_["client_id"]])
        pa_, pb = pa_.sort_values("client_id"), pb.sort_values("client_id")
        pd.testing.assert_frame_equal(
            effect_sizes(pa_["pre"], pa_["post"]), effect_sizes(pb["pre"], pb["post"])
        )
    tt_a = talking_therapies_outcomes(original.scores, original.sessions, clients=original.clients)
    tt_b = talking_therapies_outcomes(ds.scores, ds.sessions, clients=ds.clients)
    tt_a["client_id"] = [pseudonym(KEY, "client", c) for c in tt_a["client_id"]]
    dates = ["first_date", "last_date"]
    tt_a = tt_a.drop(columns=dates).sort_values("client_id").reset_index(drop=True)
    tt_b = tt_b.drop(columns=dates).sort_values("client_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(tt_a, tt_b, check_dtype=False)


def test_same_key_same_export_other_key_other_pseudonyms(original, tmp_path: Path) -> None:
    small = tmp_path / "a"
    export_research(original, small, KEY)
    export_research(original, tmp_path / "b", KEY)
    export_research(original, tmp_path / "c", b"another key, also 16+ bytes")
    assert (small / "clients.csv").read_bytes() == (tmp_path / "b" / "clients.csv").read_bytes()
    a = set(pd.read_csv(small / "clients.csv")["client_id"])
    c = set(pd.read_csv(tmp_path / "c" / "clients.csv")["client_id"])
    assert not a & c
    assert 1 <= date_offset(KEY, "C000001", 30) <= 30


def test_month_coarsening_parquet_and_kept_text(original, tmp_path: Path) -> None:
    out = tmp_path / "monthly"
    export_research(original, out, KEY, fmt="parquet", dates="month", keep=("statement",))
    ds = load(out, as_of=AS_OF)
    assert ds.n_rejected == 0
    assert (ds.clients["referred_on"].dt.day == 1).all()
    months = original.clients["referred_on"].dt.to_period("M")
    assert sorted(ds.clients["referred_on"].dt.to_period("M")) == sorted(months)
    assert not any(out.glob("*.csv")) or {p.name for p in out.glob("*.csv")} == {
        "disclosure_report.csv"
    }
    assert set(ds.goals["statement"]) == set(original.goals["statement"])
    assert "task" in ds.homework and set(ds.homework["task"]) == {"[removed]"}


def test_key_handling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ParameterError, match="no key"):
        read_key()
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(ParameterError, match="at least 16"):
        read_key()
    key_file = tmp_path / "research.key"
    key_file.write_text("0123456789abcdef0123456789abcdef\n")
    assert read_key(key_file) == b"0123456789abcdef0123456789abcdef"
    with pytest.raises(ParameterError, match="cannot be read"):
        read_key(tmp_path / "missing.key")


def test_generalise_reports_and_refuses_too_few_clients() -> None:
    frame = pd.DataFrame({"site": list("AAAAABBBBBC"), "sex": ["female"] * 11})
    result = generalise(frame, ["site", "sex"], k=5)
    assert result.smallest_cell >= 5
    assert result.steps["clients_changed"].sum() >= 1
    with pytest.raises(ParameterError, match="only 3 clients"):
        generalise(frame.head(3), ["site"], k=5)
