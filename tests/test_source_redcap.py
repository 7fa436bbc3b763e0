"""The REDCap source: records export (raw or labels) + data dictionary + mapping file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from therapy_outcomes import load
from therapy_outcomes.errors import DatasetReadError

DATA = Path(__file__).parent / "data" / "redcap"
AS_OF = "2026-06-30"
FRAMES = ["clients", "sessions", "administrations", "responses", "scores"]


def assert_same(a, b) -> None:
    for name in FRAMES:
        x, y = getattr(a, name), getattr(b, name)
        keys = list(x.columns[:2])
        pd.testing.assert_frame_equal(
            x.sort_values(keys).reset_index(drop=True),
            y.sort_values(keys).reset_index(drop=True),
            obj=name,
        )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the example project."""
    folder = tmp_path / "project"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("expected"))
    return folder


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def test_raw_export_loads_like_the_csv_original() -> None:
    ds = load(DATA / "redcap.yaml", as_of=AS_OF)
    assert ds.n_rejected == 0
    assert_same(ds, load(DATA / "expected", as_of=AS_OF))
    assert ds.counts.set_index("table")["read"].to_dict() == {
        "clients": 2,
        "sessions": 3,
        "goals": 0,
        "goal_ratings": 0,
        "administrations": 6,
        "homework": 0,
        "events": 0,
    }


def test_labels_export_and_folder_location(project: Path) -> None:
    edit(project / "redcap.yaml", "records: records.csv", "records: records_labels.csv")
    ds = load(project, as_of=AS_OF)
    assert ds.n_rejected == 0
    assert_same(ds, load(DATA / "expected", as_of=AS_OF))


def test_value_not_a_choice_is_a_reject_with_its_line(project: Path) -> None:
    edit(
        project / "records.csv", "2026-03-02,1,1,1,0,1,0,1,0,0,5", "2026-03-02,1,1,7,0,1,0,1,0,0,5"
    )
    edit(project / "records.csv", "2026-01-26,3,2", "2026-01-26,9,2")
    ds = load(project, as_of=AS_OF)
    rejects = ds.rejects.set_index("table")
    admin = rejects.loc["administrations"]
    assert admin["line"] == 5 and admin["column"] == "phq9_3"
    assert admin["reason"] == "'7' is not a choice of phq9_3 (0, 1, 2, 3)"
    assert "PHQ-9 +0, GAD-7 +10" in admin["file"]
    session = rejects.loc["sessions"]
    assert session["line"] == 4 and "'9' is not a choice of session_attendance" in session["reason"]


def test_reported_total_is_checked_not_trusted(project: Path) -> None:
    edit(project / "records.csv", "1,1,1,0,1,0,1,0,0,5,", "1,1,1,0,1,0,1,0,0,12,")
    ds = load(project, as_of=AS_OF)
    (reason,) = ds.rejects["reason"]
    assert reason == "total 12 does not match the score of the item answers (5)"
    assert "101-end_arm_1-phq9" not in set(ds.scores["administration_id"])


def test_export_that_does_not_match_its_dictionary(project: Path) -> None:
    edit(project / "records.csv", "birth_year,", "year_of_birth,")
    with pytest.raises(DatasetReadError, match="columns not in the data dictionary: year_of_birth"):
        load(project)


def test_labels_export_that_does_not_match_its_dictionary(project: Path) -> None:
    edit(project / "redcap.yaml", "records: records.csv", "records: records_labels.csv")
    edit(project / "records_labels.csv", "Year of birth", "Birth year")
    with pytest.raises(DatasetReadError, match="labels not in the data dictionary: Birth year"):
        load(project)


def test_mapping_names_a_field_the_dictionary_lacks(project: Path) -> None:
    edit(project / "redcap.yaml", "date: gad7_date", "date: gad7_when")
    with pytest.raises(DatasetReadError, match="names field 'gad7_when'"):
        load(project)


def test_missing_files_and_broken_mapping(project: Path) -> None:
    (project / "dictionary.csv").unlink()
    with pytest.raises(DatasetReadError, match=r"dictionary\.csv not found"):
        load(project)
    (project / "redcap.yaml").write_text("records: [unclosed\ndictionary: x\n")
    with pytest.raises(DatasetReadError, match="not a readable YAML mapping"):
        load(project / "redcap.yaml")


def test_answer_codes_that_are_not_scores(project: Path) -> None:
    """A project coding answers 1..4 maps them with ``scores``."""
    dictionary = project / "dictionary.csv"
    edit(
        dictionary,
        "0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day",
        "1, Not at all | 2, Several days | 3, More than half the days | 4, Nearly every day",
        count=-1,
    )
    records = project / "records.csv"
    lines = records.read_text().splitlines()
    header = lines[0].split(",")
    items = [
        i for i, h in enumerate(header) if h.startswith(("phq9_", "gad7_")) and h[5:].isdigit()
    ]
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        for i in items:
            if cells[i]:
                cells[i] = str(int(cells[i]) + 1)
        out.append(",".join(cells))
    records.write_text("\n".join(out) + "\n")
    edit(
        project / "redcap.yaml",
        "    # scores: {1: 0, 2: 1, 3: 2, 4: 3}",
        "    scores: {1: 0, 2: 1, 3: 2, 4: 3}",
    )
    edit(
        project / "redcap.yaml",
        "    total: gad7_total",
        "    total: gad7_total\n    scores: {1: 0, 2: 1, 3: 2, 4: 3}",
    )
    ds = load(project, as_of=AS_OF)
    assert ds.n_rejected == 0
    assert_same(ds, load(DATA / "expected", as_of=AS_OF))
