"""Every value is checked against the data dictionary (data/README.md), which is the rule.

Each case breaks one value of the tiny clinic (tests/conftest.py) and expects a reject naming
table, file, line, column and reason, with every other row still loaded and rows read =
accepted + rejected. Column problems make the file unreadable with one message.
"""

from __future__ import annotations

import pytest

from conftest import AS_OF, TINY, write_dataset
from therapy_outcomes import load
from therapy_outcomes.errors import DatasetReadError

ADM_HEADER = TINY["administrations"].splitlines()[0]


def _replace_line(text: str, line: int, new: str) -> str:
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


def _with_line(table: str, line: int, new: str):
    return {table: _replace_line(TINY[table], line, new)}


def _session(date: str) -> str:
    return f"S2,C1,T1,{date},treatment,attended"


def _goal(**fields: str) -> str:
    values = dict(
        goal_id="G2",
        client_id="C1",
        statement="Swim once this week",
        category="behavioural",
        horizon="short_term",
        parent_goal_id="G1",
        measure="count",
        unit="swims per week",
        baseline="0",
        target="1",
        target_date="2026-02-01",
        set_on="2026-01-12",
        agreed_on="2026-01-12",
        values="health",
        strengths="",
        status="active",
        revises_goal_id="",
    )
    values.update(fields)
    return ",".join(values.values())


def _phq9(*answers: str) -> str:
    return "A1,C1,PHQ-9,2026-01-12,S1,self," + ",".join(answers)


AS_OF_DAY = f"is after the as-of date {AS_OF}"

# (id, table, line, new line, column, reason part)
CASES = [
    # dates: real calendar days only, in both read paths (see test_bad_dates_in_a_large_file)
    ("feb-30", "sessions", 3, _session("2026-02-30"), "session_on", "no such day"),
    ("feb-31", "sessions", 3, _session("2026-02-31"), "session_on", "no such day"),
    ("apr-31", "sessions", 3, _session("2026-04-31"), "session_on", "no such day"),
    ("feb-29-2025", "clients", 2, "C1,North,T1,2025-02-29,2026-01-12,,", "referred_on", "no such"),
    # dates: ISO YYYY-MM-DD only
    ("slashes", "sessions", 3, _session("2026/01/19"), "session_on", "expected YYYY-MM-DD"),
    ("compact", "sessions", 3, _session("20260119"), "session_on", "expected YYYY-MM-DD"),
    ("unpadded", "sessions", 3, _session("2026-1-19"), "session_on", "expected YYYY-MM-DD"),
    ("day-first", "sessions", 3, _session("19-01-2026"), "session_on", "expected YYYY-MM-DD"),
    # dates: a time of day or a time zone is not a date (mixed offsets: one reject each)
    ("zone", "sessions", 3, _session("2026-01-19T23:30:00-05:00"), "session_on", "time zone"),
    ("zone-z", "sessions", 3, _session("2026-01-19T00:00:00Z"), "session_on", "time zone"),
    (
        "zone-2",
        "sessions",
        4,
        "S3,C1,T1,2026-01-26T10:00+01:00,treatment,did_not_attend",
        "session_on",
        "time zone",
    ),
    ("time", "sessions", 3, _session("2026-01-19T14:30:00"), "session_on", "time of day"),
    ("time-space", "sessions", 3, _session("2026-01-19 14:30"), "session_on", "time of day"),
    # dates: range (out of pandas' range too)
    ("year-1", "sessions", 3, _session("0001-01-01"), "session_on", "before 1900-01-01"),
    ("year-1899", "sessions", 3, _session("1899-12-31"), "session_on", "before 1900-01-01"),
    ("year-9999", "sessions", 3, _session("9999-12-31"), "session_on", AS_OF_DAY),
    ("target-9999", "goals", 3, _goal(target_date="9999-12-31"), "target_date", "10 years after"),
    ("target-2037", "goals", 3, _goal(target_date="2037-01-01"), "target_date", "10 years after"),
    (
        "due-0001",
        "homework",
        2,
        "H1,C1,2026-01-12,0001-01-01,Look up pool times,G2,completed",
        "due_on",
        "before 1900",
    ),
    # numbers: finite only
    ("baseline-inf", "goals", 3, _goal(baseline="inf"), "baseline", "not a finite number"),
    ("target-neg-inf", "goals", 3, _goal(target="-inf"), "target", "not a finite number"),
    ("target-nan", "goals", 3, _goal(target="NaN"), "target", "not a finite number"),
    ("huge", "goals", 3, _goal(target="1e400"), "target", "not a finite number"),
    ("rating-inf", "goal_ratings", 4, "G2,2026-01-19,inf,S2,client", "value", "not a finite"),
    (
        "item-nan",
        "administrations",
        2,
        _phq9("3", "3", "2", "2", "1", "NaN", "2", "1", "1"),
        "item_6",
        "not a finite number",
    ),
    (
        "item-inf",
        "administrations",
        2,
        _phq9("3", "3", "2", "2", "1", "inf", "2", "1", "1"),
        "item_6",
        "not a finite number",
    ),
    # goals: a count needs a unit; the measure must exist; values on the measure's scale
    ("count-no-unit", "goals", 3, _goal(unit=""), "unit", "required when measure is count"),
    ("measure-foo", "goals", 3, _goal(measure="FOO", target="99999"), "measure", "unknown measure"),
    (
        "gas-target",
        "goals",
        4,
        "G3,C2,Feel happier,emotional,long_term,,GAS,,,3,,2026-02-02,,,,active,",
        "target",
        "outside the GAS range -2 to 2",
    ),
    ("count-negative", "goals", 3, _goal(baseline="-1"), "baseline", "cannot be negative"),
    ("gas-rating", "goal_ratings", 5, "G3,2026-02-09,3,S5,joint", "value", "outside the GAS"),
]


def _goals_with_weight(weight: str) -> str:
    lines = TINY["goals"].splitlines()
    lines[0] += ",weight"
    lines[1:] = [line + ",1" for line in lines[1:]]
    lines[3] = lines[3][: -len(",1")] + "," + weight
    return "\n".join(lines) + "\n"


def _clients_with_birth_year(year: str) -> str:
    lines = TINY["clients"].splitlines()
    lines[0] += ",birth_year"
    lines[1] += f",{year}"
    lines[2] += ",1980"
    return "\n".join(lines) + "\n"


# cases that add a column: (id, changed tables, table, line, column, reason part)
EXTRA = [
    ("weight-inf", {"goals": _goals_with_weight("inf")}, "goals", 4, "weight", "not a finite"),
    ("weight-zero", {"goals": _goals_with_weight("0")}, "goals", 4, "weight", "at least"),
    (
        "birth-2999",
        {"clients": _clients_with_birth_year("2999")},
        "clients",
        2,
        "birth_year",
        "after the as-of year 2026",
    ),
    (
        "birth-1899",
        {"clients": _clients_with_birth_year("1899")},
        "clients",
        2,
        "birth_year",
        "at least 1900",
    ),
    (
        "birth-inf",
        {"clients": _clients_with_birth_year("inf")},
        "clients",
        2,
        "birth_year",
        "not a finite",
    ),
]

TABLE_CASES = [
    pytest.param(_with_line(t, line, new), t, line, col, why, id=i)
    for i, t, line, new, col, why in CASES
] + [pytest.param(changes, t, line, col, why, id=i) for i, changes, t, line, col, why in EXTRA]


def _load(tmp_path, changes):
    return load(write_dataset(tmp_path / "ds", dict(TINY, **changes)), as_of=AS_OF)


@pytest.mark.parametrize(("changes", "table", "line", "column", "reason"), TABLE_CASES)
def test_a_bad_value_is_rejected_and_the_rest_loads(tmp_path, changes, table, line, column, reason):
    ds = _load(tmp_path, changes)
    rejects = ds.rejects[ds.rejects["table"] == table]
    hit = rejects[(rejects["line"] == line) & rejects["reason"].str.contains(reason, regex=False)]
    assert len(hit) == 1, rejects.to_string()
    assert hit["file"].iat[0] == f"{table}.csv"
    assert hit["column"].iat[0] == column
    counts = ds.counts.set_index("table")
    assert (counts["read"] == counts["accepted"] + counts["rejected"]).all(), counts
    # only the broken line is rejected in its table; the rest of the file loads
    assert set(rejects["line"]) == {line}, rejects.to_string()
    n_lines = len(dict(TINY, **changes)[table].splitlines()) - 1
    assert counts.loc[table, "accepted"] == n_lines - 1


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2026-01-19", "2026-01-19"),
        ("2026-01-19T00:00:00", "2026-01-19"),  # midnight, as databases export a date
        ("2026-01-19 00:00", "2026-01-19"),
        ("2024-02-29", "2024-02-29"),  # a leap day
    ],
)
def test_the_accepted_date_forms(tmp_path, text, stored):
    sessions = _replace_line(TINY["sessions"], 3, f"S2,C1,T1,{text},treatment,attended")
    clients = TINY["clients"].replace("2026-01-05", "2024-01-05")
    ds = _load(tmp_path, {"sessions": sessions, "clients": clients})
    assert ds.n_rejected == 0, ds.rejects.to_string()
    got = ds.sessions.set_index("session_id").loc["S2", "session_on"]
    assert got.strftime("%Y-%m-%d") == stored


def test_a_target_date_may_lie_ahead_up_to_ten_years(tmp_path):
    ds = _load(tmp_path, _with_line("goals", 3, _goal(target_date="2036-06-30")))
    assert ds.n_rejected == 0, ds.rejects.to_string()


def test_bad_dates_in_a_large_file_take_the_same_rules(tmp_path):
    """The fast (arrow) read path of a clean file applies the same date rules."""
    rows = [f"S{i},C1,T1,2026-01-{1 + i % 28:02d},treatment,attended" for i in range(10, 3000)]
    bad = ["S1,C1,T1,2026-02-30,treatment,attended", "S2,C1,T1,0001-01-01,treatment,attended"]
    text = "session_id,client_id,therapist_id,session_on,kind,attendance\n"
    text += "\n".join([*bad, *rows]) + "\n"
    clients = TINY["clients"].replace("2026-01-05", "2025-12-01")
    ds = _load(tmp_path, {"sessions": text, "clients": clients})
    rejects = ds.rejects[ds.rejects["table"] == "sessions"]
    assert rejects.set_index("line")["reason"].str[:10].to_dict() == {
        2: "not a date",
        3: "is before ",
    }
    assert len(ds.sessions) == len(rows)
    counts = ds.counts.set_index("table")
    assert counts.loc["sessions", "read"] == len(rows) + 2


def test_an_item_answer_written_nan_is_not_a_missing_answer(tmp_path):
    """Before, NaN became a missing answer and the total was prorated without a reject."""
    adm = _replace_line(
        TINY["administrations"], 2, _phq9("3", "3", "2", "2", "1", "NaN", "2", "1", "1")
    )
    ds = _load(tmp_path, {"administrations": adm})
    assert "A1" not in set(ds.scores["administration_id"])
    assert set(ds.scores["administration_id"]) == {"A2", "A3", "A4"}
    reject = ds.rejects[ds.rejects["table"] == "administrations"]
    assert reject[["line", "column"]].values.tolist() == [[2, "item_6"]]


def test_long_layout_value_must_be_finite(tmp_path):
    long = (
        "administration_id,client_id,instrument,administered_on,item,value\n"
        + "".join(f"A1,C1,GAD-7,2026-01-12,{k},1\n" for k in range(1, 8))
        + "".join(f"A2,C1,GAD-7,2026-01-19,{k},{'inf' if k == 3 else 2}\n" for k in range(1, 8))
    )
    ds = _load(tmp_path, {"administrations": long})
    rejects = ds.rejects[ds.rejects["table"] == "administrations"]
    line = rejects[rejects["line"] == 11]
    assert line[["column", "reason"]].values.tolist() == [
        ["value", "not a finite number (NaN and inf are not values)"]
    ]
    assert set(ds.scores["administration_id"]) == {"A1"}
    counts = ds.counts.set_index("table")
    assert counts.loc["administrations", "rejected"] == 7


def test_a_measure_foo_rating_is_rejected_with_its_goal(tmp_path):
    goals = _replace_line(TINY["goals"], 3, _goal(measure="FOO"))
    ratings = _replace_line(TINY["goal_ratings"], 4, "G2,2026-01-19,99999,S2,client")
    ds = _load(tmp_path, {"goals": goals, "goal_ratings": ratings})
    assert "G2" not in set(ds.goals["goal_id"])
    assert 99999 not in set(ds.goal_ratings["value"])
    rating = ds.rejects[(ds.rejects["table"] == "goal_ratings") & (ds.rejects["line"] == 4)]
    assert rating["reason"].str.contains("was rejected").any(), rating.to_string()


def _adm_with_columns(extra_header: str, extra_cells: str, rows=(2, 3, 4, 5)) -> str:
    lines = TINY["administrations"].splitlines()
    lines[0] += "," + extra_header
    for i in range(1, len(lines)):
        empty = "," * extra_cells.count(",")
        lines[i] += "," + (extra_cells if i + 1 in rows else empty)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("table", "text", "message"),
    [
        pytest.param(
            "administrations",
            _adm_with_columns("item_01", "0"),
            "columns item_1 and item_01 are both item 1",
            id="item_01-beside-item_1",
        ),
        pytest.param(
            "administrations",
            _adm_with_columns("item_0", "1"),
            "column item_0: items are numbered from 1",
            id="item_0",
        ),
        pytest.param(
            "administrations",
            _adm_with_columns("item_10,item_11", "0,1", rows=(2,)),
            "column item_10 is beyond the items of every instrument in the file (the longest, "
            "PHQ-9, has 9 items)",
            id="item_10-on-9-items",
        ),
        pytest.param(
            "administrations",
            TINY["administrations"].replace("item_3", "Item_3"),
            "column Item_3 looks like an item answer",
            id="Item_3",
        ),
        pytest.param(
            "administrations",
            TINY["administrations"].replace("item_3", "item3"),
            "column item3 looks like an item answer",
            id="item3",
        ),
        pytest.param(
            "clients",
            _clients_with_birth_year("1980").replace("birth_year", "Birth_Year"),
            "column 'Birth_Year' is spelt differently from the dictionary's 'birth_year'",
            id="Birth_Year",
        ),
        pytest.param(
            "goals",
            TINY["goals"].replace(",unit,", ",Unit,"),
            "column 'Unit' is spelt differently from the dictionary's 'unit'",
            id="Unit",
        ),
    ],
)
def test_column_problems_make_the_file_unreadable(tmp_path, table, text, message):
    with pytest.raises(DatasetReadError) as err:
        _load(tmp_path, {table: text})
    assert str(err.value).startswith(f"{table}.csv: {message}"), str(err.value)
    assert "\n" not in str(err.value)
    assert err.value.exit_code == 2


def test_item_columns_with_leading_zeros_alone_are_read_as_items(tmp_path):
    header = ADM_HEADER.replace("item_", "item_0")
    adm = TINY["administrations"].replace(ADM_HEADER, header)
    plain = _load(tmp_path / "a", {})
    zeros = _load(tmp_path / "b", {"administrations": adm})
    assert zeros.n_rejected == 0
    assert zeros.scores["total"].tolist() == plain.scores["total"].tolist()


def test_an_empty_spare_item_column_is_ignored(tmp_path):
    adm = _adm_with_columns("item_10,item_11", ",")
    ds = _load(tmp_path, {"administrations": adm})
    assert ds.n_rejected == 0, ds.rejects.to_string()
    assert len(ds.scores) == 4


def test_the_demo_clinic_still_loads_without_rejects(dataset):
    assert dataset.n_rejected == 0, dataset.rejects.head().to_string()
