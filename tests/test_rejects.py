"""Bad input: every bad row is reported with file, line, column, value and reason; none is lost.

Unreadable files stop the load with one message naming the file and the problem.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import AS_OF, TINY, write_dataset
from conftest import with_total_column as _with_total_column
from therapy_outcomes import load
from therapy_outcomes.errors import DatasetReadError


def _load(tmp_path, **changes):
    return load(write_dataset(tmp_path / "ds", dict(TINY, **changes)), as_of=AS_OF)


def _only_reject(ds, table):
    rej = ds.rejects[ds.rejects.table == table]
    assert len(rej) >= 1, ds.rejects.to_string()
    return rej


def _assert_balanced(ds):
    counts = ds.counts
    assert (counts["read"] == counts["accepted"] + counts["rejected"]).all(), counts.to_string()


def _replace_line(text: str, line: int, new: str) -> str:
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("table", "line", "new", "column", "reason_part"),
    [
        ("sessions", 3, "S2,C1,T1,2026-13-45,treatment,attended", "session_on", "not a date"),
        ("sessions", 3, "S2,C1,T1,2026-01-19,treatment,maybe", "attendance", "must be one of"),
        ("sessions", 3, "S2,C1,T1,2027-01-19,treatment,attended", "session_on", "after the as-of"),
        ("sessions", 3, "S2,C9,T1,2026-01-19,treatment,attended", "client_id", "unknown client_id"),
        ("sessions", 3, "S1,C1,T1,2026-01-19,treatment,attended", "session_id", "duplicate"),
        ("sessions", 3, "S2,,T1,2026-01-19,treatment,attended", "client_id", "is required"),
        ("sessions", 3, "../x,C1,T1,2026-01-19,treatment,attended", "session_id", "not a valid ID"),
        (
            "goals",
            2,
            "G1,C1,Swim,feelings,long_term,,GBO,,2,8,,2026-01-12,,,,active,",
            "category",
            "must be one of",
        ),
        ("goal_ratings", 3, "G1,2026-01-19,11,S2,joint", "value", "outside the GBO range"),
        ("goal_ratings", 3, "G1,2026-01-19,4,S5,joint", "session_id", "another client"),
        ("goal_ratings", 5, "G3,2026-02-09,0.5,S5,joint", "value", "whole numbers"),
        ("goal_ratings", 3, "G7,2026-01-19,4,S2,joint", "goal_id", "unknown goal_id"),
        (
            "administrations",
            2,
            "A1,C1,PHQ-9,2026-01-12,S1,self,3,3,2,2,1,1,2,1,4",
            "item_9",
            "answer range",
        ),
        (
            "administrations",
            2,
            "A1,C1,PHQ-9,2026-01-12,S1,self,3,3,2,2,1,x,2,1,1",
            "item_6",
            "not a number",
        ),
        (
            "administrations",
            2,
            "A1,C1,PHQ-9,2026-01-12,S1,self,3,3,2,2,1,1.5,2,1,1",
            "item_6",
            "whole numbers",
        ),
        (
            "administrations",
            4,
            "A3,C1,GAD-7,2026-01-12,S1,self,2,2,2,1,1,1,1,3,",
            "item_8",
            "has 7 items",
        ),
        (
            "administrations",
            2,
            "A1,C1,PHQ-99,2026-01-12,S1,self,3,3,2,2,1,1,2,1,1",
            "instrument",
            "unknown instrument",
        ),
        (
            "administrations",
            2,
            "A1,C1,GAS,2026-01-12,S1,self,1,,,,,,,,",
            "instrument",
            "goal rating scale",
        ),
        (
            "administrations",
            3,
            "A1,C1,PHQ-9,2026-01-19,S2,self,2,2,1,,1,1,1,1,0",
            "administration_id",
            "duplicate administration_id",
        ),
        (
            "administrations",
            3,
            "A2,C1,PHQ-9,2026-01-12,S1,self,2,2,1,,1,1,1,1,0",
            "client_id",
            "same client, instrument, date and rater",
        ),
        (
            "administrations",
            5,
            "A4,C2,PHQ-9,2026-02-02,S1,self,1,1,1,1,1,1,1,1,0",
            "session_id",
            "another client",
        ),
        (
            "administrations",
            5,
            "A4,C2,PHQ-9,2026-02-02,S4,self,,,,,,,,,",
            None,
            "no item answers and no total",
        ),
    ],
)
def test_each_bad_row_is_reported_with_its_place(tmp_path, table, line, new, column, reason_part):
    ds = _load(tmp_path, **{table: _replace_line(TINY[table], line, new)})
    rej = _only_reject(ds, table)
    hit = rej[(rej.line == line) & rej.reason.str.contains(reason_part, regex=False)]
    assert len(hit) == 1, rej.to_string()
    assert hit["file"].iat[0] == f"{table}.csv"
    if column is not None:
        assert hit["column"].iat[0] == column
    _assert_balanced(ds)
    assert ds.counts.set_index("table").loc[table, "rejected"] >= 1


def test_value_is_reported_as_written(tmp_path):
    ds = _load(
        tmp_path, sessions=_replace_line(TINY["sessions"], 3, "S2,C1,T1,19/01/2026,,attended")
    )
    rej = _only_reject(ds, "sessions")
    assert rej["value"].tolist() == ["19/01/2026"]


def test_rejected_client_cascades_with_a_reason_that_points_to_it(tmp_path):
    clients = _replace_line(TINY["clients"], 2, "C1,North,T1,not-a-date,2026-01-12,,")
    ds = _load(tmp_path, clients=clients)
    assert "C1" not in set(ds.clients.client_id)
    sess = _only_reject(ds, "sessions")
    assert set(sess.line) == {2, 3, 4}
    assert sess.reason.str.contains(r"client_id C1 was rejected in clients\.csv \(line 2\)").all()
    # nothing of C1 survives anywhere
    for frame in (ds.sessions, ds.goals, ds.scores, ds.homework, ds.goal_ratings):
        assert "C1" not in set(frame["client_id"].dropna())
    _assert_balanced(ds)


def test_rejected_parent_goal_cascades_to_its_steps_and_ratings(tmp_path):
    goals = _replace_line(
        TINY["goals"],
        2,
        "G1,C1,Go back to swimming,behavioural,long_term,,GBO,,2,8,2026-06-01,2026-01-12,"
        "2026-01-12,health,,unknown_status,",
    )
    ds = _load(tmp_path, goals=goals)
    assert set(ds.goals.goal_id) == {"G3"}
    goal_rejects = _only_reject(ds, "goals").set_index("line")
    assert set(goal_rejects.index) == {2, 3}
    assert "parent_goal_id G1 was rejected in goals.csv (line 2)" in goal_rejects.loc[3, "reason"]
    assert set(_only_reject(ds, "goal_ratings").line) == {2, 3, 4}
    assert set(_only_reject(ds, "homework").line) == {2}
    _assert_balanced(ds)


def test_parent_must_be_long_term_and_same_client(tmp_path):
    goals = TINY["goals"] + (
        "G4,C2,Step,behavioural,short_term,G1,GAS,,,,,2026-02-02,,,,active,\n"
        "G5,C1,Step,behavioural,short_term,G2,GAS,,,,,2026-02-02,,,,active,\n"
    )
    ds = _load(tmp_path, goals=goals)
    rej = _only_reject(ds, "goals").set_index("line")
    assert "another client" in rej.loc[5, "reason"]
    assert "not a long-term goal" in rej.loc[6, "reason"]


def test_date_order_inside_a_row(tmp_path):
    clients = _replace_line(
        TINY["clients"], 3, "C2,South,T2,2026-01-20,2026-02-02,2026-01-01,completed"
    )
    rej = _only_reject(_load(tmp_path, clients=clients), "clients")
    assert rej.column.tolist() == ["episode_end"]
    assert "before episode_start" in rej.reason.iat[0]


def test_total_that_disagrees_with_items_is_rejected(tmp_path):
    text = _with_total_column(TINY["administrations"], first_total="20")
    rej = _only_reject(_load(tmp_path, administrations=text), "administrations")
    assert rej.reason.str.contains("does not match").any()
    assert rej.line.tolist() == [2]


def test_long_layout_bad_answer_rejects_the_whole_administration(tmp_path):
    long = """administration_id,client_id,instrument,administered_on,item,value
A1,C1,GAD-7,2026-01-12,1,2
A1,C1,GAD-7,2026-01-12,2,9
A1,C1,GAD-7,2026-01-12,3,1
A2,C2,GAD-7,2026-02-02,1,0
A2,C2,GAD-7,2026-02-02,1,1
A3,C2,GAD-7,2026-03-02,1,0
A3,C2,GAD-9,2026-03-02,2,0
"""
    ds = _load(tmp_path, administrations=long)
    rej = ds.rejects[ds.rejects.table == "administrations"]
    assert set(rej.line) == {2, 3, 4, 5, 6, 7, 8}
    assert "another line of this administration was rejected (line 3)" in set(rej.reason)
    hit = rej[rej.line == 3]
    assert hit.column.tolist() == ["value"] and "answer range is 0 to 3" in hit.reason.iat[0]
    assert rej.reason.str.contains("item answered twice").any()
    assert rej.reason.str.contains("differs from the first line").any()
    assert ds.scores.empty
    _assert_balanced(ds)


def test_ragged_rows_blank_lines_and_multiline_cells_keep_true_line_numbers(tmp_path):
    events = (
        "event_id,client_id,occurred_on,kind,description,impact\n"
        'E1,C2,2026-03-01,life_event,"Moved house,\nnew town",negative\n'
        "\n"
        "E2,C2,2026-03-05,life_event,Lost job,negative,extra\n"
        "E3,C2,2026-03-09,bad_kind,Something,neutral\n"
    )
    ds = _load(tmp_path, events=events)
    rej = _only_reject(ds, "events").set_index("line")
    assert "has 7 fields" in rej.loc[5, "reason"]
    assert rej.loc[6, "column"] == "kind"
    assert ds.events.description.tolist() == ["Moved house,\nnew town"]
    counts = ds.counts.set_index("table").loc["events"]
    assert (counts.read, counts.accepted, counts.rejected) == (3, 1, 2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02binary", "not a text (CSV) file"),
        ("client_id,site\nC1,Malm\xf6\n".encode("latin-1"), "not UTF-8 encoded"),
        (b"client_id,site,therapist_id\nC1,North,T1\n", "required column missing: referred_on"),
        (b"client_id,client_id\n", "appears twice"),
    ],
)
def test_unreadable_file_stops_with_one_message(tmp_path, content, message):
    folder = write_dataset(tmp_path / "ds", {k: v for k, v in TINY.items() if k != "clients"})
    (folder / "clients.csv").write_bytes(content)
    with pytest.raises(DatasetReadError) as err:
        load(folder, as_of=AS_OF)
    assert str(err.value).startswith("clients.csv: ")
    assert message in str(err.value)


def test_missing_folder_and_missing_clients_table(tmp_path):
    with pytest.raises(DatasetReadError, match="no such folder"):
        load(tmp_path / "nowhere")
    folder = write_dataset(tmp_path / "ds", {"sessions": TINY["sessions"]})
    with pytest.raises(DatasetReadError, match="clients table is required"):
        load(folder)


def test_rejects_frame_has_the_documented_columns(tmp_path):
    ds = _load(
        tmp_path, sessions=_replace_line(TINY["sessions"], 2, "S1,C1,T1,x,treatment,attended")
    )
    assert list(ds.rejects.columns) == ["table", "file", "line", "column", "value", "reason"]
    assert pd.api.types.is_integer_dtype(ds.rejects["line"])
