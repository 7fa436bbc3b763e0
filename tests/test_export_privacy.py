"""The research export's privacy model, attacked: k-anonymity and l-diversity over every
exported quasi-identifier, no free text / ID / input date in any file, scores kept."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest

from therapy_outcomes import load
from therapy_outcomes.export.anonymity import QUASI_IDENTIFIERS, outcome_categories
from therapy_outcomes.export.categories import MODALITIES, PROBLEMS, groups
from therapy_outcomes.export.research import export_research, pseudonym

AS_OF = "2026-10-31"
KEY = b"privacy-test-key-0123456789abcdef"
ATTACKS = {
    "problem": [
        "widowed after husband John Smith died",
        "<b>panic</b> since the fire at 12 Elm Road",
        '=HYPERLINK("http://evil.example","x")',
    ],
    "modality": ["CBT with Dr Jane Roe", "<a href=//127.1:8765>EMDR</a>"],
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo clinic of 80 clients with identifying free text planted in every text column."""
    from therapy_outcomes.demo import write_demo_clinic

    folder = tmp_path_factory.mktemp("privacy") / "clinic"
    write_demo_clinic(folder, n_clients=80, seed=5, as_of=AS_OF)
    clients = pd.read_csv(folder / "clients.csv", dtype=str, keep_default_na=False)
    for col, values in ATTACKS.items():
        for i, value in enumerate(values):
            clients.loc[i * 7 + (col == "modality"), col] = value
    clients.to_csv(folder / "clients.csv", index=False)
    events = pd.read_csv(folder / "events.csv", dtype=str, keep_default_na=False)
    events.loc[0, "description"] = "Mother Mary Smith died on 2026-02-03"
    events.to_csv(folder / "events.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def original(source: Path):
    ds = load(source, as_of=AS_OF)
    assert ds.n_rejected == 0
    return ds


@pytest.fixture(scope="module", params=[(5, 2), (8, 3)], ids=["k5-l2", "k8-l3"])
def exported(original, tmp_path_factory: pytest.TempPathFactory, request):
    k, l = request.param  # noqa: E741
    out = tmp_path_factory.mktemp("privacy-out") / "share"
    result = export_research(original, out, KEY, k=k, l=l)
    return result, load(out, as_of=AS_OF), k, l


def _output_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))


def test_every_combination_of_exported_quasi_identifiers_has_k_clients_and_l_outcomes(
    original, exported
) -> None:
    result, ds, k, l = exported  # noqa: E741
    clients = pd.read_csv(result.folder / "clients.csv", dtype=str, keep_default_na=False)
    qis = [q for q in QUASI_IDENTIFIERS if q in clients]
    assert qis == list(QUASI_IDENTIFIERS)  # every one is exported, and checked
    outcomes = clients["client_id"].map(outcome_categories(ds))
    assert outcomes.notna().any()
    for r in range(1, len(qis) + 1):
        for combo in itertools.combinations(qis, r):
            grouped = clients.groupby(list(combo))
            assert grouped.size().min() >= k, combo
            diverse = outcomes.groupby([clients[c] for c in combo]).nunique()
            held = outcomes.groupby([clients[c] for c in combo]).count()
            assert (diverse[held > 0] >= l).all(), combo
    assert result.smallest_cell >= k and result.smallest_diversity >= l
    # the episode length band is what the exported dates say
    weeks = (ds.clients["episode_end"] - ds.clients["episode_start"]).dt.days / 7
    assert (weeks.dropna() % 1 == 0).all()
    band = ds.clients["episode_length_band"]
    assert set(band[ds.clients["episode_start"].isna()]) <= {"not started", "any"}
    # a client whose site was generalised has no therapist pseudonym to give the site back
    by_pseudonym = original.clients.set_index(
        original.clients["client_id"].map(lambda c: pseudonym(KEY, "client", c))
    )
    mine = ds.clients.set_index("client_id")
    moved = mine["site"] != by_pseudonym.loc[mine.index, "site"]
    assert (mine.loc[moved, "therapist_id"] == "other").all()
    sessions = ds.sessions.merge(mine["therapist_id"], left_on="client_id", right_index=True)
    assert (sessions["therapist_id_x"] == sessions["therapist_id_y"]).all()
    # the report says what was generalised or suppressed, and why
    actions = result.report.loc[result.report["section"] == "generalisation", "action"]
    assert actions.str.contains(f"smaller than {k}").any()
    assert actions.str.contains(f"{result.generalised} clients generalised").any()


def test_no_free_text_id_or_input_date_in_any_file(original, exported) -> None:
    result, _, _, _ = exported
    text = _output_text(result.folder)
    tokens = set(re.findall(r"[A-Za-z0-9_\-]+", text))
    vocabulary = set(PROBLEMS) | set(MODALITIES) | set(groups(PROBLEMS).values())
    vocabulary |= set(groups(MODALITIES).values()) | set(original.registry.codes) | {"count"}
    free = [
        original.clients["problem"],
        original.clients["modality"],
        original.goals["statement"],
        original.goals["unit"],
        original.goals["values"],
        original.goals["strengths"],
        original.goals["measure"],
        original.homework["task"],
        original.events["description"],
    ]
    values = {str(v) for column in free for v in column.dropna()} - vocabulary
    assert {v for vs in ATTACKS.values() for v in vs} <= values
    for value in values:  # as a phrase of its own (a goal's value "health" is in "healthy")
        assert not re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text), value
    for table, cols in (
        ("clients", ("client_id", "therapist_id")),
        ("sessions", ("therapist_id",)),
    ):
        for col in cols:
            ids = set(getattr(original, table)[col].astype(str))
            assert not tokens & ids, (table, col)
    dates = set()
    for table in ("clients", "sessions", "goals", "goal_ratings", "homework", "events"):
        frame = getattr(original, table)
        for col in frame.columns[frame.dtypes.map(lambda d: d.kind == "M")]:
            dates |= {d.strftime("%Y-%m-%d") for d in frame[col].dropna()}
    dates |= {d.strftime("%Y-%m-%d") for d in original.scores["administered_on"].dropna()}
    assert len(dates) > 100
    found = sorted(d for d in dates if d in text)
    assert not found, found[:5]


def test_totals_and_bands_are_exported_and_equal_the_scores(original, exported) -> None:
    result, ds, _, _ = exported
    frame = pd.read_csv(result.folder / "administrations.csv")
    scored = original.scores["total"].notna()
    assert frame["total"].notna().sum() == scored.sum() > 0
    assert "band" in frame and frame["band"].notna().sum() == original.scores["band"].notna().sum()
    mine = ds.scores.set_index("administration_id")["total"]
    ids = original.scores["administration_id"].map(lambda a: pseudonym(KEY, "administration", a))
    pd.testing.assert_series_equal(
        mine.loc[ids].reset_index(drop=True),
        original.scores["total"].reset_index(drop=True),
        check_names=False,
    )
    # item answers only where no total could be scored, unless asked for
    items = [c for c in frame.columns if c.startswith("item_")]
    assert frame.loc[frame["total"].notna(), items].isna().all().all()


def test_item_answers_when_asked(original, tmp_path: Path) -> None:
    export_research(original, tmp_path / "items", KEY, items=True)
    ds = load(tmp_path / "items", as_of=AS_OF)
    assert ds.n_rejected == 0 and len(ds.responses) == len(original.responses)
