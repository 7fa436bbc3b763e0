"""load(): layouts, parsing, and the accepted + rejected = read guarantee on good data."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from conftest import AS_OF, TINY, write_dataset
from conftest import with_total_column as _with_total_column
from therapy_outcomes import load


def _scores(ds):
    return ds.scores.set_index("administration_id")


def test_tiny_dataset_loads_without_rejects(tiny):
    ds = load(tiny, as_of=AS_OF)
    assert ds.rejects.empty, ds.rejects.to_string()
    counts = ds.counts.set_index("table")
    assert counts.loc["clients", "accepted"] == 2
    assert counts.loc["sessions", "accepted"] == 5
    assert counts.loc["administrations", "accepted"] == 4
    assert (counts["read"] == counts["accepted"] + counts["rejected"]).all()


def test_scores_are_hand_checked(tiny):
    s = _scores(load(tiny, as_of=AS_OF))
    # A1: 3+3+2+2+1+1+2+1+1 = 16, PHQ-9 band 15-19, item 9 endorsed
    assert s.loc["A1", "total"] == 16
    assert bool(s.loc["A1", "risk"]) is True
    assert bool(s.loc["A1", "prorated"]) is False
    # A2 ('phq9' alias): item 4 missing; 8 answers sum to 9 -> 9/8 * 9 = 10.125 mean-imputed
    assert s.loc["A2", "instrument"] == "PHQ-9"
    assert bool(s.loc["A2", "prorated"]) is True
    assert s.loc["A2", "n_missing"] == 1
    assert s.loc["A2", "total"] == pytest.approx(10.125, abs=0.5)
    # A3 GAD-7: 2+2+2+1+1+1+1 = 10 (item_8 and item_9 columns empty: not GAD-7 items)
    assert s.loc["A3", "total"] == 10
    assert s.loc["A4", "total"] == 8
    assert bool(s.loc["A4", "risk"]) is False


def test_bands_follow_the_registry(tiny):
    ds = load(tiny, as_of=AS_OF)
    s = _scores(ds)
    phq9 = ds.registry.get("PHQ-9")
    for admin in ("A1", "A4"):
        expected = phq9.band_of(pd.Series([s.loc[admin, "total"]])).iat[0]
        assert s.loc[admin, "band"] == expected
    assert s.loc["A1", "band"] != s.loc["A4", "band"]


def test_types_are_parsed(tiny):
    ds = load(tiny, as_of=AS_OF)
    assert pd.api.types.is_datetime64_any_dtype(ds.clients["referred_on"])
    assert pd.api.types.is_datetime64_any_dtype(ds.scores["administered_on"])
    assert ds.goals["baseline"].dtype == "float64"
    assert ds.clients.loc[ds.clients.client_id == "C1", "episode_end"].isna().all()


def test_responses_are_long_one_row_per_answer(tiny):
    r = load(tiny, as_of=AS_OF).responses
    # 9 + 8 + 7 + 9 answered items
    assert len(r) == 33
    a1 = r[r.administration_id == "A1"].sort_values("item")
    assert a1["item"].tolist() == list(range(1, 10))
    assert a1["value"].tolist() == [3, 3, 2, 2, 1, 1, 2, 1, 1]


def test_semicolon_and_bom_give_the_same_dataset(tmp_path, tiny):
    plain = load(tiny, as_of=AS_OF)
    excel_style = load(write_dataset(tmp_path / "semi", TINY, sep=";", bom=True), as_of=AS_OF)
    assert excel_style.rejects.empty
    pd.testing.assert_frame_equal(plain.scores, excel_style.scores)
    pd.testing.assert_frame_equal(plain.goals, excel_style.goals)


def _long_layout(wide_csv: str) -> str:
    frame = pd.read_csv(pd.io.common.StringIO(wide_csv), dtype=str)
    items = [c for c in frame if c.startswith("item_")]
    long = frame.melt(
        id_vars=[c for c in frame if c not in items], value_vars=items, var_name="item"
    ).dropna(subset=["value"])
    long["item"] = long["item"].str.slice(5)
    long = long.sort_values(["administration_id", "item"], key=lambda s: s.map(str))
    return long.to_csv(index=False)


def test_long_layout_loads_to_the_same_scores(tmp_path, tiny):
    wide = load(tiny, as_of=AS_OF)
    tables = dict(TINY, administrations=_long_layout(TINY["administrations"]))
    long = load(write_dataset(tmp_path / "long", tables), as_of=AS_OF)
    assert long.rejects.empty, long.rejects.to_string()
    cols = ["administration_id", "instrument", "total", "band", "n_missing", "valid", "risk"]
    pd.testing.assert_frame_equal(
        wide.scores[cols].sort_values("administration_id").reset_index(drop=True),
        long.scores[cols].sort_values("administration_id").reset_index(drop=True),
    )
    key = ["administration_id", "item"]
    pd.testing.assert_frame_equal(
        wide.responses.sort_values(key).reset_index(drop=True)[[*key, "value"]],
        long.responses.sort_values(key).reset_index(drop=True)[[*key, "value"]],
    )
    counts = long.counts.set_index("table")
    assert counts.loc["administrations", "read"] == 33  # one line per answer


def test_totals_only_layout(tmp_path):
    tables = dict(
        TINY,
        administrations="""administration_id,client_id,instrument,administered_on,total
A1,C1,PHQ-9,2026-01-12,16
A2,C2,GAD-7,2026-02-02,3
""",
    )
    ds = load(write_dataset(tmp_path / "totals", tables), as_of=AS_OF)
    assert ds.rejects.empty, ds.rejects.to_string()
    s = _scores(ds)
    assert s.loc["A1", "total"] == 16 and bool(s.loc["A1", "valid"])
    assert s.loc["A2", "total"] == 3
    assert ds.responses.empty


def test_matching_total_beside_items_is_accepted(tmp_path):
    text = _with_total_column(TINY["administrations"], first_total="16")
    ds = load(write_dataset(tmp_path / "t", dict(TINY, administrations=text)), as_of=AS_OF)
    assert ds.rejects.empty, ds.rejects.to_string()


def test_optional_tables_may_be_absent(tmp_path):
    ds = load(write_dataset(tmp_path / "only", {"clients": TINY["clients"]}), as_of=AS_OF)
    assert ds.rejects.empty
    assert ds.scores.empty and ds.goals.empty
    counts = ds.counts.set_index("table")
    assert not counts.loc["sessions", "present"]
    assert list(ds.goals.columns)[:2] == ["goal_id", "client_id"]


def test_excel_workbook_with_date_cells(tmp_path, tiny):
    csv_ds = load(tiny, as_of=AS_OF)
    book = tmp_path / "clinic.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name in TINY:
            frame = pd.read_csv(tiny / f"{name}.csv", dtype=str)
            for col in frame:
                if col.endswith("_on") or col in ("referred_on", "episode_start", "episode_end"):
                    frame[col] = pd.to_datetime(frame[col])  # real Excel date cells
                elif col.startswith("item_") or col in ("value", "baseline", "target"):
                    frame[col] = pd.to_numeric(frame[col])
            frame.to_excel(writer, sheet_name=name, index=False)
    xl = load(book, as_of=AS_OF)
    assert xl.rejects.empty, xl.rejects.to_string()
    pd.testing.assert_frame_equal(
        csv_ds.scores.reset_index(drop=True), xl.scores.reset_index(drop=True)
    )
    assert xl.counts.set_index("table").loc["goals", "file"] == "clinic.xlsx[goals]"


def test_excel_time_of_day_cells_are_kept_as_text(tmp_path, tiny):
    # Excel's time-of-day cells come back from openpyxl as datetime.time: text, not a crash
    import openpyxl

    book = tmp_path / "clinic.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name in TINY:
            pd.read_csv(tiny / f"{name}.csv", dtype=str).to_excel(
                writer, sheet_name=name, index=False
            )
    workbook = openpyxl.load_workbook(book)
    sessions = workbook["sessions"]
    column = sessions.max_column + 1
    sessions.cell(row=1, column=column, value="start_time")
    for row in range(2, sessions.max_row + 1):
        sessions.cell(row=row, column=column, value=datetime.time(9, 28 + row))
    workbook.save(book)
    xl = load(book, as_of=AS_OF)
    assert xl.rejects.empty, xl.rejects.to_string()
    assert xl.sessions["start_time"].tolist()[:2] == ["09:30:00", "09:31:00"]


def test_input_hash_changes_with_the_data(tmp_path, tiny):
    first = load(tiny, as_of=AS_OF).input_hash
    (tiny / "events.csv").write_text(TINY["events"].replace("Moved", "Changed"))
    assert load(tiny, as_of=AS_OF).input_hash != first
    assert len(first) == 64
