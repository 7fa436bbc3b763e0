"""Tests of the synthetic demo clinic (therapy_outcomes.demo)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from therapy_outcomes.demo import TABLES, generate_demo_clinic, write_demo_clinic
from therapy_outcomes.instruments import default_registry

N = 300
AS_OF = "2026-10-31"
INSTRUMENTS = ("PHQ-9", "GAD-7", "CORE-10", "ORS", "SRS")

COLUMNS = {
    "clients": ["client_id", "site", "therapist_id", "referred_on", "episode_start",
                "episode_end", "end_reason", "modality", "problem", "sex", "birth_year"],
    "sessions": ["session_id", "client_id", "therapist_id", "session_on", "kind", "attendance"],
    "goals": ["goal_id", "client_id", "statement", "category", "horizon", "parent_goal_id",
              "measure", "unit", "baseline", "target", "target_date", "weight", "set_on",
              "agreed_on", "values", "strengths", "status", "revises_goal_id"],
    "goal_ratings": ["goal_id", "client_id", "rated_on", "value", "session_id", "rater"],
    "administrations": ["administration_id", "client_id", "instrument", "administered_on",
                        "session_id", "rater"],
    "homework": ["homework_id", "client_id", "assigned_on", "due_on", "task", "goal_id",
                 "status"],
    "events": ["event_id", "client_id", "occurred_on", "kind", "description", "impact"],
}  # fmt: skip
ALLOWED = {
    ("clients", "end_reason"): {"completed", "dropped_out", "referred_on", "other"},
    ("clients", "sex"): {"female", "male", "other", "unknown"},
    ("sessions", "kind"): {"assessment", "treatment", "review", "follow_up"},
    ("sessions", "attendance"): {"attended", "cancelled", "did_not_attend"},
    ("goals", "category"): {"emotional", "behavioural", "cognitive", "relationships", "coping",
                            "personal_growth", "symptoms"},
    ("goals", "horizon"): {"short_term", "long_term"},
    ("goals", "status"): {"active", "achieved", "revised", "discontinued"},
    ("goals", "measure"): {"GAS", "GBO", "count", *INSTRUMENTS},
    ("goal_ratings", "rater"): {"client", "therapist", "joint"},
    ("administrations", "rater"): {"self", "clinician", "parent"},
    ("administrations", "instrument"): set(INSTRUMENTS),
    ("homework", "status"): {"assigned", "completed", "partial", "not_done"},
    ("events", "kind"): {"life_event", "medication_change", "physical_health", "other"},
    ("events", "impact"): {"positive", "negative", "neutral"},
}  # fmt: skip
DATE_COLUMNS = {
    "clients": ["referred_on", "episode_start", "episode_end"],
    "sessions": ["session_on"],
    "goals": ["target_date", "set_on", "agreed_on"],
    "goal_ratings": ["rated_on"],
    "administrations": ["administered_on"],
    "homework": ["assigned_on", "due_on"],
    "events": ["occurred_on"],
}
ID_COLUMNS = {
    "clients": "client_id",
    "sessions": "session_id",
    "goals": "goal_id",
    "administrations": "administration_id",
    "homework": "homework_id",
    "events": "event_id",
}


@pytest.fixture(scope="module")
def clinic() -> dict[str, pd.DataFrame]:
    return generate_demo_clinic(N, seed=7, as_of=AS_OF)


@pytest.fixture(scope="module")
def registry():
    return default_registry()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("demo")
    return out, write_demo_clinic(out, N, seed=7, as_of=AS_OF)


@pytest.fixture(scope="module")
def phq9_change(clinic: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """First and last complete PHQ-9 total per client with at least three (treated clients)."""
    adm = clinic["administrations"]
    phq = adm[adm["instrument"] == "PHQ-9"].sort_values(["client_id", "administered_on"])
    total = phq[[f"item_{j}" for j in range(1, 10)]].sum(axis=1, min_count=9)
    g = total.dropna().groupby(phq.loc[total.notna(), "client_id"])
    out = pd.DataFrame({"first": g.first(), "last": g.last(), "n": g.size()})
    return out[out["n"] >= 3]


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a = write_demo_clinic(tmp_path / "a", 120, seed=3, as_of=AS_OF)
    b = write_demo_clinic(tmp_path / "b", 120, seed=3, as_of=AS_OF)
    assert a == b
    for name in TABLES:
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (
            tmp_path / "b" / f"{name}.csv"
        ).read_bytes()


def test_different_seeds_differ() -> None:
    a = generate_demo_clinic(80, seed=1)
    b = generate_demo_clinic(80, seed=2)
    assert not a["clients"].equals(b["clients"])
    assert not a["administrations"].equals(b["administrations"])


def test_generate_matches_written_files(clinic: dict[str, pd.DataFrame], folder) -> None:
    out, counts = folder
    for name in TABLES:
        assert counts[name] == len(clinic[name])
        text = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
        assert len(text) == len(clinic[name])
        key = COLUMNS[name][0]
        assert text[key].tolist() == clinic[name][key].tolist()
    sessions = pd.read_csv(out / "sessions.csv", dtype=str)
    expected = clinic["sessions"]["session_on"].dt.strftime("%Y-%m-%d")
    assert sessions["session_on"].tolist() == expected.tolist()


# --- layout and allowed values -------------------------------------------------------------


def test_columns_follow_the_data_dictionary(clinic, registry) -> None:
    k = max(registry.get(code).n_items for code in INSTRUMENTS)
    assert sorted(clinic) == sorted(TABLES)
    for name, columns in COLUMNS.items():
        expected = columns + ([f"item_{j}" for j in range(1, k + 1)]
                              if name == "administrations" else [])  # fmt: skip
        assert list(clinic[name].columns) == expected, name


@pytest.mark.parametrize(("table", "column"), sorted(ALLOWED))
def test_allowed_values(clinic, table: str, column: str) -> None:
    values = set(clinic[table][column].dropna().unique())
    assert values <= ALLOWED[(table, column)]
    assert values


def test_required_columns_are_filled(clinic) -> None:
    required = {
        "clients": ["client_id", "site", "therapist_id", "referred_on"],
        "sessions": ["session_id", "client_id", "therapist_id", "session_on", "attendance"],
        "goals": ["goal_id", "client_id", "statement", "category", "horizon", "measure",
                  "set_on", "status"],
        "goal_ratings": ["goal_id", "rated_on", "value"],
        "administrations": ["administration_id", "client_id", "instrument", "administered_on"],
        "homework": ["homework_id", "client_id", "assigned_on", "task", "status"],
        "events": ["event_id", "client_id", "occurred_on", "kind", "description"],
    }  # fmt: skip
    for name, columns in required.items():
        assert clinic[name][columns].notna().all().all(), name


def test_ids_are_unique_pseudonyms(clinic) -> None:
    for name, column in ID_COLUMNS.items():
        ids = clinic[name][column]
        assert ids.is_unique, name
        assert ids.str.fullmatch(r"[A-Za-z0-9_-]{1,64}").all(), name
    assert clinic["clients"]["client_id"].str.fullmatch(r"C\d{6}").all()
    assert clinic["clients"]["client_id"].iloc[0] == "C000001"


def test_client_ids_are_padded_to_fit_n() -> None:
    ids = generate_demo_clinic(12, seed=1)["clients"]["client_id"]
    assert ids.tolist()[-1] == "C000012"


def test_sites_and_therapists(clinic) -> None:
    clients = clinic["clients"]
    assert clients["site"].nunique() == 4
    per_site = clients.groupby("site")["therapist_id"].nunique()
    assert per_site.between(3, 8).all()
    # therapists belong to one site
    assert (clients.groupby("therapist_id")["site"].nunique() == 1).all()


def test_csv_format(folder) -> None:
    out, counts = folder
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    for name in TABLES:
        lines = (out / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        assert len(lines) == counts[name] + 1
        assert "nan" not in lines[1].lower().split(",")
        body = "\n".join(lines[1:])
        assert not re.search(r"(^|,)(nan|NaN|null|None|NaT)(,|$)", body, re.MULTILINE)
    lines = (out / "administrations.csv").read_text().splitlines()
    assert lines[0].startswith("administration_id,client_id,instrument,administered_on,")
    assert any(",," in line for line in lines[1:])  # blank cells for missing answers
    for line in (out / "sessions.csv").read_text().splitlines()[1:50]:
        assert re.fullmatch(r"S\d+,C\d+,T\d\d,\d{4}-\d\d-\d\d,[a-z_]+,[a-z_]+", line)


def test_csv_quoting_only_when_needed(folder, tmp_path: Path) -> None:
    import pyarrow as pa

    from therapy_outcomes.demo._tables import write_csv

    out, _ = folder
    for name in TABLES:  # the generated texts need no quoting
        assert '"' not in (out / f"{name}.csv").read_text(encoding="utf-8")
    table = pa.table({"task": ["Thought record, three entries", None], "n": [1, None]})
    write_csv(table, str(tmp_path / "t.csv"))
    assert (tmp_path / "t.csv").read_text() == 'task,n\n"Thought record, three entries",1\n,\n'


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        generate_demo_clinic(0)
    with pytest.raises(ValueError):
        generate_demo_clinic(10, as_of="31/10/2026")


# --- references, dates and order ----------------------------------------------------------


def test_referential_integrity(clinic) -> None:
    clients = set(clinic["clients"]["client_id"])
    sessions = clinic["sessions"].set_index("session_id")["client_id"]
    goals = clinic["goals"].set_index("goal_id")
    for name in ("sessions", "goals", "goal_ratings", "administrations", "homework", "events"):
        assert set(clinic[name]["client_id"].dropna()) <= clients, name
    for name in ("goal_ratings", "administrations"):
        frame = clinic[name].dropna(subset=["session_id"])
        assert frame["session_id"].isin(sessions.index).all(), name
        assert (sessions.loc[frame["session_id"]].to_numpy() == frame["client_id"]).all(), name
    ratings = clinic["goal_ratings"]
    assert ratings["goal_id"].isin(goals.index).all()
    assert (goals.loc[ratings["goal_id"], "client_id"].to_numpy() == ratings["client_id"]).all()
    homework = clinic["homework"].dropna(subset=["goal_id"])
    assert (goals.loc[homework["goal_id"], "client_id"].to_numpy() == homework["client_id"]).all()
    # ratings and homework only at attended sessions
    attended = clinic["sessions"].set_index("session_id")["attendance"] == "attended"
    assert attended.loc[ratings["session_id"]].all()
    assert attended.loc[clinic["administrations"]["session_id"].dropna()].all()


def test_one_administration_per_client_instrument_date_rater(clinic) -> None:
    key = ["client_id", "instrument", "administered_on", "rater"]
    assert not clinic["administrations"].duplicated(key).any()
    assert not clinic["sessions"].duplicated(["client_id", "session_on"]).any()


def test_no_date_after_as_of(clinic) -> None:
    as_of = pd.Timestamp(AS_OF)
    for name, columns in DATE_COLUMNS.items():
        for column in columns:
            assert (clinic[name][column].dropna() <= as_of).all(), (name, column)


def test_custom_as_of_moves_the_window() -> None:
    t = generate_demo_clinic(150, seed=2, as_of="2024-06-30")
    referred = t["clients"]["referred_on"]
    assert referred.max() <= pd.Timestamp("2024-06-30")
    assert referred.min() >= pd.Timestamp("2022-12-01")
    assert referred.max() - referred.min() > pd.Timedelta(days=400)
    assert t["administrations"]["administered_on"].max() <= pd.Timestamp("2024-06-30")


def test_episode_and_session_order(clinic) -> None:
    clients = clinic["clients"].set_index("client_id")
    started = clients["episode_start"].notna()
    assert (clients.loc[started, "episode_start"] >= clients.loc[started, "referred_on"]).all()
    ended = clients["episode_end"].notna()
    assert (clients.loc[ended, "episode_end"] >= clients.loc[ended, "episode_start"]).all()
    assert clients.loc[ended, "end_reason"].notna().all()
    assert clients.loc[~ended, "end_reason"].isna().all()
    assert not (ended & ~started).any()

    sessions = clinic["sessions"]
    assert sessions["client_id"].isin(clients.index[started]).all()
    gaps = sessions.groupby("client_id")["session_on"].diff().dropna()
    assert (gaps > pd.Timedelta(0)).all()
    first = sessions.groupby("client_id").first()
    assert (first["kind"] == "assessment").all()
    assert (first["session_on"] == clients.loc[first.index, "episode_start"]).all()
    last = sessions.groupby("client_id")["session_on"].max()
    end = clients.loc[last.index, "episode_end"]
    assert (end.isna() | (end >= last)).all()
    # the first attended session is the assessment; some never attend and drop out
    attended = sessions[sessions["attendance"] == "attended"].groupby("client_id").first()
    assert (attended["kind"] == "assessment").all()
    never = clients.index[started].difference(attended.index)
    assert len(never) > 0
    assert (clients.loc[never, "end_reason"].dropna() == "dropped_out").all()
    assessed_only = sessions.groupby("client_id").size() == 1
    assert assessed_only.sum() > 0


def test_goal_and_homework_dates(clinic) -> None:
    goals = clinic["goals"].set_index("goal_id")
    clients = clinic["clients"].set_index("client_id")
    assert (goals["set_on"] >= clients.loc[goals["client_id"], "episode_start"].to_numpy()).all()
    agreed = goals["agreed_on"].notna()
    assert (goals.loc[agreed, "agreed_on"] >= goals.loc[agreed, "set_on"]).all()
    assert 0.7 < agreed.mean() < 0.98
    target = goals["target_date"].notna()
    assert (goals.loc[target, "target_date"] > goals.loc[target, "set_on"]).all()
    ratings = clinic["goal_ratings"]
    assert (ratings["rated_on"].to_numpy() >= goals.loc[ratings["goal_id"], "set_on"]).all()
    homework = clinic["homework"]
    due = homework["due_on"].notna()
    assert (homework.loc[due, "due_on"] > homework.loc[due, "assigned_on"]).all()


def test_open_episodes_dropouts_and_missed_sessions(clinic) -> None:
    clients = clinic["clients"]
    open_ = clients["episode_start"].notna() & clients["episode_end"].isna()
    assert open_.sum() > 0.05 * N
    assert clients["episode_start"].isna().sum() > 0  # still waiting
    reasons = clients["end_reason"].value_counts(normalize=True)
    assert 0.08 < reasons["dropped_out"] < 0.40
    assert reasons["completed"] > 0.4
    attendance = clinic["sessions"]["attendance"].value_counts(normalize=True)
    assert 0.80 < attendance["attended"] < 0.95
    assert attendance["did_not_attend"] > 0.02 and attendance["cancelled"] > 0.01
    dropouts = clients.loc[clients["end_reason"] == "dropped_out", "client_id"]
    last = clinic["sessions"].groupby("client_id").last()
    assert (last.loc[dropouts, "attendance"] == "did_not_attend").all()


# --- questionnaires ------------------------------------------------------------------------


@pytest.mark.parametrize("code", INSTRUMENTS)
def test_items_within_registry_ranges(clinic, registry, code: str) -> None:
    inst = registry.get(code)
    adm = clinic["administrations"]
    block = adm.loc[adm["instrument"] == code].filter(like="item_")
    assert len(block) > 0
    k = inst.n_items
    assert block.iloc[:, k:].isna().all().all()  # no answers beyond the instrument's items
    values = block.iloc[:, :k].to_numpy()
    answered = values[~np.isnan(values)]
    assert answered.min() >= inst.item_min and answered.max() <= inst.item_max
    if inst.integer_items:
        assert (answered == np.round(answered)).all()
    else:
        assert np.allclose(answered * 10, np.round(answered * 10))
        assert (answered != np.round(answered)).any()  # decimals are used


def test_instrument_schedule(clinic) -> None:
    adm = clinic["administrations"]
    sessions = clinic["sessions"]
    attended = sessions.loc[sessions["attendance"] == "attended", "session_id"]
    at = adm.dropna(subset=["session_id"])
    per = at.groupby("instrument")["session_id"].nunique() / len(attended)
    assert per["SRS"] == 1.0
    assert per["PHQ-9"] > 0.85 and per["GAD-7"] > 0.8
    sites = clinic["clients"].set_index("client_id")["site"]
    site_of = sites.loc[adm["client_id"]].to_numpy()
    core_sites = set(site_of[adm["instrument"] == "CORE-10"])
    ors_sites = set(site_of[adm["instrument"] == "ORS"])
    assert core_sites and ors_sites and not core_sites & ors_sites
    assert adm["session_id"].isna().any()  # screening questionnaires sent with the referral


def test_reverse_items_are_stored_reversed(clinic, registry) -> None:
    inst = registry.get("CORE-10")
    assert tuple(inst.reverse_items) == (2, 3)
    adm = clinic["administrations"]
    block = adm.loc[adm["instrument"] == "CORE-10"].filter(like="item_").iloc[:, :10].dropna()
    forward = block.drop(columns=["item_2", "item_3", "item_6"]).sum(axis=1)
    assert block["item_2"].corr(forward) < -0.3
    assert block["item_3"].corr(forward) < -0.3
    assert block["item_1"].corr(forward) > 0.3


def test_totals_track_latent_improvement(phq9_change: pd.DataFrame) -> None:
    change = phq9_change["last"] - phq9_change["first"]
    assert len(change) > 0.4 * N
    assert change.mean() < -2.5
    assert 0.25 < (change <= -6).mean() < 0.8  # reliable improvement
    intake = phq9_change["first"]
    assert 10 < intake.mean() < 18 and intake.std() > 3


def test_about_a_tenth_deteriorate(phq9_change: pd.DataFrame) -> None:
    worse = (phq9_change["last"] > phq9_change["first"]).mean()
    assert 0.04 < worse < 0.25
    flat_or_worse = (phq9_change["last"] >= phq9_change["first"]).mean()
    assert worse < flat_or_worse < 0.3


def test_some_items_missing(clinic) -> None:
    adm = clinic["administrations"]
    n_items = {code: default_registry().get(code).n_items for code in INSTRUMENTS}
    missing = pd.Series(0, index=adm.index)
    for code, k in n_items.items():
        rows = adm["instrument"] == code
        missing[rows] = adm.loc[rows, [f"item_{j}" for j in range(1, k + 1)]].isna().sum(axis=1)
    share = missing.value_counts(normalize=True)
    assert 0.01 < share.get(1, 0) < 0.08
    many = (missing >= 3).mean()
    assert 0 < many < share.get(1, 0)
    assert (missing < max(n_items.values())).all()


def test_risk_items_sometimes_endorsed(clinic, registry) -> None:
    adm = clinic["administrations"]
    for code in ("PHQ-9", "CORE-10"):
        (risk,) = registry.get(code).risk_items
        column = adm.loc[adm["instrument"] == code, f"item_{risk.item}"].dropna()
        endorsed = (column >= risk.min_value).mean()
        assert 0.005 < endorsed < 0.15, code


# --- goals ---------------------------------------------------------------------------------


def test_goal_categories_horizons_and_measures(clinic) -> None:
    goals = clinic["goals"]
    assert set(goals["category"]) == ALLOWED[("goals", "category")]
    assert set(goals["horizon"]) == {"short_term", "long_term"}
    assert {"GAS", "GBO", "count"} <= set(goals["measure"])
    assert set(goals["measure"]) & set(INSTRUMENTS)
    counts = goals["measure"] == "count"
    assert goals.loc[counts, "unit"].notna().all()
    assert goals.loc[~counts, "unit"].isna().all()
    gas = goals["measure"] == "GAS"
    assert (goals.loc[gas, "weight"].dropna() > 0).all()
    assert goals.loc[~gas, "weight"].isna().all()
    assert goals["values"].notna().mean() > 0.3 and goals["strengths"].notna().mean() > 0.2
    sessions = clinic["sessions"]
    seen = sessions.loc[sessions["attendance"] == "attended", "client_id"].unique()
    original = goals[(goals["horizon"] == "long_term") & goals["revises_goal_id"].isna()]
    long_per_client = original.groupby("client_id").size()
    assert long_per_client.between(1, 3).all()
    assert set(long_per_client.index) == set(seen)


def test_goal_hierarchy(clinic) -> None:
    goals = clinic["goals"].set_index("goal_id")
    steps = goals[goals["parent_goal_id"].notna()]
    assert (steps["horizon"] == "short_term").all()
    assert (goals.loc[goals["horizon"] == "short_term", "parent_goal_id"].notna()).all()
    parents = goals.loc[steps["parent_goal_id"]]
    assert (parents["horizon"] == "long_term").all()
    assert (parents["client_id"].to_numpy() == steps["client_id"]).all()
    assert (parents["set_on"].to_numpy() <= steps["set_on"]).all()
    original = steps[steps["revises_goal_id"].isna()]  # revisions keep their step's parent
    assert original.groupby("parent_goal_id").size().max() <= 2


def test_revisions_chain(clinic) -> None:
    goals = clinic["goals"].set_index("goal_id")
    new = goals[goals["revises_goal_id"].notna()]
    assert len(new) > 5
    assert new["revises_goal_id"].is_unique  # one successor per revised goal
    old = goals.loc[new["revises_goal_id"]]
    assert (old["status"] == "revised").all()
    assert (old["client_id"].to_numpy() == new["client_id"]).all()
    assert (old["set_on"].to_numpy() < new["set_on"]).all()
    assert (old["horizon"].to_numpy() == new["horizon"]).all()
    revised = goals.index[goals["status"] == "revised"]
    assert set(revised) == set(new["revises_goal_id"])
    # an old goal is not rated after its replacement was set
    ratings = clinic["goal_ratings"]
    replaced_on = pd.Series(new["set_on"].to_numpy(), index=new["revises_goal_id"])
    old_ratings = ratings[ratings["goal_id"].isin(replaced_on.index)]
    assert (old_ratings["rated_on"].to_numpy() < replaced_on.loc[old_ratings["goal_id"]]).all()


def test_vague_and_smart_goals(clinic) -> None:
    goals = clinic["goals"]
    vague = goals["statement"].isin(
        ["Feel happier", "Get my life back", "Feel more confident", "Cope better with stress",
         "Stop overthinking everything", "Be a better parent", "Sleep better"]
    )  # fmt: skip
    assert vague.sum() > 0
    assert goals.loc[vague, "target_date"].isna().all()
    smart = goals["statement"].str.contains(r"\d") & goals["target_date"].notna()
    assert smart.sum() > 0.1 * len(goals)
    # a count goal's target appears in its statement
    counts = goals[(goals["measure"] == "count") & goals["statement"].str.contains("times a week")]
    assert all(
        f"{int(t)} times" in s for s, t in zip(counts["statement"], counts["target"], strict=True)
    )


def test_goal_rating_values(clinic) -> None:
    ratings = clinic["goal_ratings"]
    goals = clinic["goals"].set_index("goal_id")
    measure = goals.loc[ratings["goal_id"], "measure"].to_numpy()
    value = ratings["value"].to_numpy()
    assert (value == np.round(value)).all()
    assert ((value[measure == "GAS"] >= -2) & (value[measure == "GAS"] <= 2)).all()
    assert ((value[measure == "GBO"] >= 0) & (value[measure == "GBO"] <= 10)).all()
    assert (value[measure == "count"] >= 0).all()
    assert set(measure) == {"GAS", "GBO", "count"}
    # first rating is the baseline; ratings happen at reviews
    first = ratings.groupby("goal_id").first()
    assert (first["value"] == goals.loc[first.index, "baseline"]).all()
    kinds = clinic["sessions"].set_index("session_id").loc[ratings["session_id"], "kind"]
    assert (kinds == "review").mean() > 0.4


def test_goal_ratings_follow_the_trajectory(clinic, phq9_change) -> None:
    """GBO ratings rise more for clients whose PHQ-9 fell more."""
    ratings = clinic["goal_ratings"]
    goals = clinic["goals"].set_index("goal_id")
    gbo = ratings[goals.loc[ratings["goal_id"], "measure"].to_numpy() == "GBO"]
    by_goal = gbo.groupby("goal_id")["value"]
    gain = (by_goal.last() - by_goal.first()).groupby(goals["client_id"]).mean()
    phq = phq9_change["last"] - phq9_change["first"]
    both = gain.index.intersection(phq.index)
    assert gain.loc[both].corr(phq.loc[both]) < -0.1  # about -0.4 in large samples
    statuses = set(goals["status"])
    assert {"active", "achieved", "revised", "discontinued"} == statuses


# --- homework and events -------------------------------------------------------------------


def test_homework(clinic) -> None:
    homework = clinic["homework"]
    assert len(homework) > 0.5 * len(clinic["sessions"]) * 0.5
    assert set(homework["status"]) == ALLOWED[("homework", "status")]
    assert 0.3 < homework["goal_id"].notna().mean() < 0.9
    sessions = clinic["sessions"]
    attended = sessions[sessions["attendance"] == "attended"]
    key = set(zip(attended["client_id"], attended["session_on"], strict=True))
    assert all(k in key for k in zip(homework["client_id"], homework["assigned_on"], strict=True))


def test_events(clinic) -> None:
    events = clinic["events"]
    assert {"life_event", "medication_change"} <= set(events["kind"])
    assert events["description"].str.len().min() > 3
    meds = events.loc[events["kind"] == "medication_change", "description"]
    assert meds.str.contains(r"\d+ mg|Stopped").all()
    clients = clinic["clients"].set_index("client_id")
    assert (events["occurred_on"].to_numpy()
            >= clients.loc[events["client_id"], "referred_on"].to_numpy()).all()  # fmt: skip
    assert 0.1 < events["client_id"].nunique() / N < 0.5


# --- the project's own validation -------------------------------------------------------


def test_loader_accepts_every_row(folder) -> None:
    from therapy_outcomes import load

    out, counts = folder
    ds = load(out, as_of=AS_OF)
    assert ds.n_rejected == 0, ds.rejects.head(10).to_string()
    read = ds.counts.set_index("table")["read"]
    assert all(read[name] == counts[name] for name in TABLES)
