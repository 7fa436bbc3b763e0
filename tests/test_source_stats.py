"""The SPSS/Stata source: a folder of ``<table>.sav``/``<table>.dta`` files, value labels kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from therapy_outcomes import load
from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.loading.tables import spec

pyreadstat = pytest.importorskip("pyreadstat")

AS_OF = "2026-10-31"
TABLES = [
    "clients",
    "sessions",
    "goals",
    "goal_ratings",
    "administrations",
    "responses",
    "scores",
    "homework",
    "events",
]
SEX = {1.0: "female", 2.0: "male", 3.0: "other", 4.0: "unknown"}
ATTENDANCE = {1.0: "attended", 2.0: "cancelled", 3.0: "did_not_attend"}
ANSWERS = {
    0.0: "Not at all",
    1.0: "Several days",
    2.0: "More than half the days",
    3.0: "Nearly every day",
}


def typed(name: str, path: Path) -> tuple[pd.DataFrame, dict]:
    """A CSV table as typed columns, coded categories with value labels (as SPSS users keep
    them)."""
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    kinds = {c.name: c.kind for c in spec(name).columns}
    out, labels = pd.DataFrame(index=text.index), {}
    for col in text.columns:
        kind = kinds.get(col, "number" if col.startswith("item_") else "text")
        values = text[col].replace("", None)
        if col == "sex":
            out[col] = values.map({v: k for k, v in SEX.items()}).astype("float64")
            labels[col] = SEX
        elif col == "attendance":
            out[col] = values.map({v: k for k, v in ATTENDANCE.items()}).astype("float64")
            labels[col] = ATTENDANCE
        elif kind == "date":
            out[col] = pd.to_datetime(values)
        elif kind in ("number", "integer"):
            out[col] = pd.to_numeric(values).astype("float64")
        else:
            out[col] = values.fillna("").astype(str)
        if col.startswith("item_"):
            labels[col] = ANSWERS
    return out, labels


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from therapy_outcomes.demo import write_demo_clinic

    folder = tmp_path_factory.mktemp("stats") / "demo"
    write_demo_clinic(folder, n_clients=30, seed=11, as_of=AS_OF)
    return folder


def assert_same(a, b) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_demo_clinic_as_spss_or_stata_loads_like_the_csv(
    demo: Path, tmp_path: Path, suffix: str
) -> None:
    folder = tmp_path / "stats"
    folder.mkdir()
    for csv_file in demo.glob("*.csv"):
        frame, labels = typed(csv_file.stem, csv_file)
        target = folder / f"{csv_file.stem}{suffix}"
        if suffix == ".sav":
            pyreadstat.write_sav(frame, target, variable_value_labels=labels)
        else:
            pyreadstat.write_dta(frame, target, variable_value_labels=labels)
    ds = load(folder, as_of=AS_OF)
    assert ds.n_rejected == 0
    assert_same(ds, load(demo, as_of=AS_OF))
    assert ds.counts.set_index("table").loc["clients", "file"] == f"clients{suffix}"


def test_bad_case_is_a_reject_with_its_case_number(tmp_path: Path) -> None:
    clients = pd.DataFrame(
        {
            "client_id": ["C1", "C2", "C3"],
            "site": ["North"] * 3,
            "therapist_id": ["T1"] * 3,
            "referred_on": pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-07"]),
            "sex": [1.0, 5.0, 2.0],
            "birth_year": [1980.0, 1990.5, 1970.0],
        }
    )
    pyreadstat.write_sav(
        clients,
        tmp_path / "clients.sav",
        variable_value_labels={"sex": {1.0: "female", 2.0: "male"}},
    )
    ds = load(tmp_path, as_of=AS_OF)
    assert ds.rejects["line"].tolist() == [2, 2]
    assert set(ds.rejects["column"]) == {"sex", "birth_year"}
    assert ds.clients["sex"].tolist() == ["female", "male"]


def test_unreadable_file_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "clients.sav").write_bytes(b"$FL2 this is not really SPSS")
    with pytest.raises(DatasetReadError, match=r"clients.sav: not a readable sav file"):
        load(tmp_path)
