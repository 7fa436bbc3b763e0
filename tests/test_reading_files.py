"""Reading files before any value is checked: records counted apart from the parser, odd files
as one-line errors, and printed output without free text (issue 11).

Every test builds its small input in ``tmp_path`` from the tiny dataset and checks that nothing
is lost: rows read = accepted + rejected for every table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from conftest import AS_OF, TINY, write_dataset
from therapy_outcomes import load
from therapy_outcomes.errors import DatasetReadError

CLI = [sys.executable, "-m", "therapy_outcomes.cli.app"]
EVENTS_HEADER = "event_id,client_id,occurred_on,kind,description,impact\n"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def _folder(tmp_path: Path, **tables: str) -> Path:
    return write_dataset(tmp_path / "ds", {**TINY, **tables})


def _nothing_lost(ds) -> None:
    counts = ds.counts
    assert (counts["read"] == counts["accepted"] + counts["rejected"]).all()


def _events(ds) -> pd.Series:
    return ds.counts.set_index("table").loc["events"]


def _one_line_error(out: subprocess.CompletedProcess, code: int, *phrases: str) -> None:
    assert out.returncode == code, out.stdout + out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert out.stderr.startswith("error: ")
    for phrase in phrases:
        assert phrase in out.stderr


# --- records counted independently of the parser ----------------------------------------------

STRAY_QUOTE = (
    EVENTS_HEADER
    + 'E1,C1,2026-03-01,life_event,"Moved in with Ana Smith,negative\n'
    + 'E2,C2,2026-03-05,life_event,Lost "job",negative\n'
    + "E3,C2,2026-03-09,life_event,Started a course,positive\n"
)


def test_a_stray_quote_rejects_its_line_and_keeps_the_next_clients_event(tmp_path):
    ds = load(_folder(tmp_path, events=STRAY_QUOTE), as_of=AS_OF)
    rejects = ds.rejects[ds.rejects["table"] == "events"]
    assert rejects["line"].tolist() == [2]
    assert rejects["reason"].tolist() == ["a quote opened on line 2 closes on line 3"]
    # the second client's event is read as its own record, its text exactly as written
    assert ds.events["event_id"].tolist() == ["E2", "E3"]
    assert ds.events.loc[0, "description"] == 'Lost "job"'
    assert ds.events.loc[0, "client_id"] == "C2"
    events = _events(ds)
    assert (events.lines, events.read, events.accepted, events.rejected) == (3, 3, 2, 1)
    _nothing_lost(ds)


def test_a_quoted_line_break_that_swallows_no_record_still_loads(tmp_path):
    events = EVENTS_HEADER + 'E1,C2,2026-03-01,life_event,"Moved house\nto a new town",negative\n'
    ds = load(_folder(tmp_path, events=events), as_of=AS_OF)
    assert ds.rejects.empty
    assert ds.events["description"].tolist() == ["Moved house\nto a new town"]
    events_count = _events(ds)
    assert (events_count.lines, events_count.read, events_count.accepted) == (2, 1, 1)
    _nothing_lost(ds)


def test_a_quote_never_closed_on_the_last_line_is_rejected(tmp_path):
    events = EVENTS_HEADER + 'E1,C2,2026-03-01,life_event,Moved,negative\nE2,C2,2026-03-02,x,"Lo'
    ds = load(_folder(tmp_path, events=events), as_of=AS_OF)
    rejects = ds.rejects[ds.rejects["table"] == "events"]
    assert rejects[["line", "reason"]].values.tolist() == [
        [3, "a quote opened on line 3 is never closed"]
    ]
    assert ds.events["event_id"].tolist() == ["E1"]
    _nothing_lost(ds)


def test_a_quote_never_closed_that_swallows_records_keeps_them(tmp_path):
    events = (
        EVENTS_HEADER
        + 'E1,C2,2026-03-01,life_event,"Moved,negative\n'
        + "E2,C2,2026-03-02,life_event,Lost job,negative\n"
    )
    ds = load(_folder(tmp_path, events=events), as_of=AS_OF)
    rejects = ds.rejects[ds.rejects["table"] == "events"]
    assert rejects["reason"].tolist() == ["a quote opened on line 2 is never closed"]
    assert ds.events["event_id"].tolist() == ["E2"]
    _nothing_lost(ds)


def test_text_after_a_closing_quote_is_rejected_not_merged(tmp_path):
    events = EVENTS_HEADER + 'E1,C2,2026-03-01,life_event,"Moved" house,negative\n'
    ds = load(_folder(tmp_path, events=events), as_of=AS_OF)
    assert ds.rejects["reason"].tolist() == ["text follows a closing quote on line 2"]
    assert ds.events.empty
    _nothing_lost(ds)


def test_counts_show_lines_beside_records_and_validate_prints_them(tmp_path):
    folder = _folder(tmp_path, events=STRAY_QUOTE.replace("\nE3", "\n\nE3"))
    ds = load(folder, as_of=AS_OF)
    assert list(ds.counts.columns) == [
        "table",
        "file",
        "present",
        "lines",
        "read",
        "accepted",
        "rejected",
    ]
    assert (_events(ds).lines, _events(ds).read) == (4, 3)
    out = run("validate", str(folder), "--as-of", AS_OF, cwd=tmp_path)
    assert out.returncode == 1
    assert "┃ lines ┃" in out.stdout
    clean = run("validate", str(write_dataset(tmp_path / "clean", TINY)), "--as-of", AS_OF)
    assert clean.returncode == 0 and "┃ lines ┃" not in clean.stdout


# --- printed output never holds free text ------------------------------------------------------


def test_validate_never_prints_the_text_of_an_unreadable_line(tmp_path):
    ragged = EVENTS_HEADER + "E9,C2,2026-03-01,life_event,Met Ana Smith,negative,extra\n"
    folder = _folder(tmp_path, events=STRAY_QUOTE + ragged.split("\n", 1)[1])
    out = run("validate", str(folder), "--as-of", AS_OF, cwd=tmp_path)
    assert out.returncode == 1
    assert "a quote opened on line 2 closes on line 3" in out.stdout
    assert "has 7 fields, the header has 6" in out.stdout
    for text in ("Ana Smith", "Moved in", "Lost"):
        assert text not in out.stdout + out.stderr
    written = pd.read_csv(tmp_path / "ds-rejects.csv", dtype=str)
    assert written["value"].isna().all()  # an unreadable line has no value; its text stays put
    assert written["line"].tolist() == ["2", "5"]


def test_printed_values_of_free_text_columns_are_hidden(tmp_path):
    sessions = TINY["sessions"] + "S9,Ana Smith,T1,2026-02-30,treatment,attended\n"
    out = run("validate", str(_folder(tmp_path, sessions=sessions)), "--as-of", AS_OF, cwd=tmp_path)
    assert out.returncode == 1
    assert "Ana Smith" not in out.stdout
    assert "(not shown)" in out.stdout


# --- odd files ----------------------------------------------------------------------------------


def test_a_fifo_named_like_a_table_is_refused_without_opening_it(tmp_path):
    folder = _folder(tmp_path)
    (folder / "events.csv").unlink()
    os.mkfifo(folder / "events.csv")
    out = run("validate", str(folder), "--as-of", AS_OF)  # would hang if the FIFO were opened
    _one_line_error(out, 2, "events.csv", "not a regular file")


def test_a_symlink_loop_is_named_not_shown_as_absent(tmp_path):
    folder = _folder(tmp_path)
    (folder / "events.csv").unlink()
    (folder / "events.csv").symlink_to(folder / "events.csv")
    out = run("validate", str(folder), "--as-of", AS_OF)
    _one_line_error(out, 2, "events.csv", "symlink loop")
    assert "(absent)" not in out.stdout


def test_a_broken_symlink_and_a_folder_where_a_file_should_be(tmp_path):
    folder = _folder(tmp_path)
    (folder / "events.csv").unlink()
    (folder / "events.csv").symlink_to(folder / "nowhere.csv")
    with pytest.raises(DatasetReadError, match=r"events\.csv: broken symlink"):
        load(folder, as_of=AS_OF)
    (folder / "events.csv").unlink()
    (folder / "events.csv").mkdir()
    out = run("validate", str(folder), "--as-of", AS_OF)
    _one_line_error(out, 2, "events.csv: is a folder, not a file")


def test_a_header_longer_than_64_kib_with_9000_columns_is_read_whole(tmp_path):
    lines = TINY["clients"].splitlines()
    extra = [f"extra_column_{i}" for i in range(9000)]
    wide = [lines[0] + "," + ",".join(extra)] + [row + "," * len(extra) for row in lines[1:]]
    assert len(wide[0]) > 65536
    ds = load(_folder(tmp_path, clients="\n".join(wide) + "\n"), as_of=AS_OF)
    assert ds.rejects.empty
    assert ds.clients["client_id"].tolist() == ["C1", "C2"]
    _nothing_lost(ds)


@pytest.mark.parametrize("size", [200_000, 17_000_000], ids=["above-csv-limit", "above-block"])
def test_a_cell_larger_than_the_csv_field_limit_is_read(tmp_path, size):
    long = "x" * size
    events = EVENTS_HEADER + f'E1,C2,2026-03-01,life_event,"{long}\nend",negative\n'
    ds = load(_folder(tmp_path, events=events), as_of=AS_OF)
    assert len(ds.events.loc[0, "description"]) == size + 4
    _nothing_lost(ds)


def test_undecodable_bytes_name_the_line(tmp_path):
    folder = _folder(tmp_path)
    body = TINY["events"] + "E2,C2,2026-03-02,life_event,Malm\xf6,negative\n"
    (folder / "events.csv").write_bytes(body.encode("latin-1"))
    out = run("validate", str(folder), "--as-of", AS_OF)
    _one_line_error(out, 2, "events.csv", "not UTF-8 encoded", "on line 3")


def test_a_utf8_bom_is_accepted_with_commas(tmp_path):
    folder = write_dataset(tmp_path / "ds", TINY, bom=True)
    ds = load(folder, as_of=AS_OF)
    assert ds.rejects.empty
    assert ds.clients["client_id"].tolist() == ["C1", "C2"]


def test_a_utf16_file_is_a_clear_error(tmp_path):
    folder = _folder(tmp_path)
    (folder / "events.csv").write_bytes(TINY["events"].encode("utf-16"))
    out = run("validate", str(folder), "--as-of", AS_OF)
    _one_line_error(out, 2, "events.csv", "UTF-16", "save the file as UTF-8")


def test_a_nul_byte_names_its_line(tmp_path):
    folder = _folder(tmp_path)
    body = TINY["events"] + "E2,C2,2026-03-02,life_event,Lost\x00job,negative\n"
    (folder / "events.csv").write_bytes(body.encode())
    with pytest.raises(DatasetReadError, match=r"events.csv: .*NUL byte on line 3"):
        load(folder, as_of=AS_OF)


@pytest.mark.parametrize("ending", ["\r\n", "\r"], ids=["crlf", "lone-cr"])
def test_crlf_and_lone_cr_line_endings_give_the_same_dataset(tmp_path, ending):
    plain = load(write_dataset(tmp_path / "lf", TINY), as_of=AS_OF)
    other = {name: text.replace("\n", ending) for name, text in TINY.items()}
    ds = load(write_dataset(tmp_path / "other", other), as_of=AS_OF)
    assert ds.rejects.empty
    pd.testing.assert_frame_equal(plain.scores, ds.scores)
    pd.testing.assert_frame_equal(plain.sessions, ds.sessions)
    pd.testing.assert_frame_equal(plain.counts, ds.counts)


def test_lone_cr_line_numbers_are_physical_lines(tmp_path):
    events = EVENTS_HEADER + "E1,C2,2026-03-01,life_event,Moved,negative\n" + "E2,C2,x,,,\n"
    ds = load(_folder(tmp_path, events=events.replace("\n", "\r")), as_of=AS_OF)
    assert set(ds.rejects.loc[ds.rejects["table"] == "events", "line"]) == {3}


def test_a_truncated_last_line_without_a_line_break_is_one_record(tmp_path):
    events = EVENTS_HEADER + "E1,C2,2026-03-01,life_event,Moved,negative\nE2,C2,2026-03-0"
    ds = load(_folder(tmp_path, events=events), as_of=AS_OF)
    events_count = _events(ds)
    assert (events_count.lines, events_count.read) == (2, 2)
    assert ds.rejects.loc[ds.rejects["table"] == "events", "line"].tolist() == [3]
    _nothing_lost(ds)


def test_an_empty_file_is_an_error_and_a_header_only_file_an_empty_table(tmp_path):
    folder = _folder(tmp_path, events="")
    out = run("validate", str(folder), "--as-of", AS_OF)
    _one_line_error(out, 2, "events.csv: the file is empty")
    (folder / "events.csv").write_text(EVENTS_HEADER)
    ds = load(folder, as_of=AS_OF)
    assert ds.events.empty and ds.rejects.empty
    assert tuple(_events(ds)[["lines", "read", "accepted"]]) == (0, 0, 0)


def test_a_duplicated_header_name_is_a_clear_error(tmp_path):
    events = EVENTS_HEADER.replace("impact", "kind") + "E1,C2,2026-03-01,life_event,x,other\n"
    out = run("validate", str(_folder(tmp_path, events=events)), "--as-of", AS_OF)
    _one_line_error(out, 2, "events.csv: the column 'kind' appears twice")


def test_tab_separated_files_are_a_clear_error_and_semicolons_are_read(tmp_path):
    out = run("validate", str(write_dataset(tmp_path / "tabs", TINY, sep="\t")), "--as-of", AS_OF)
    _one_line_error(out, 2, "clients.csv: expected comma-separated columns", "tabs")
    semi = load(write_dataset(tmp_path / "semi", TINY, sep=";"), as_of=AS_OF)
    assert semi.rejects.empty  # semicolons are in the data dictionary


def test_a_pipe_separated_file_is_a_clear_error(tmp_path):
    folder = write_dataset(tmp_path / "ds", {"clients": TINY["clients"].replace(",", "|")})
    with pytest.raises(DatasetReadError, match=r"clients\.csv: expected comma-separated"):
        load(folder, as_of=AS_OF)


def _workbook(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    with pd.ExcelWriter(path) as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def test_corrupt_and_fake_workbooks_are_one_line_errors(tmp_path):
    real = _workbook(
        tmp_path / "real.xlsx", {"clients": pd.read_csv(pd.io.common.StringIO(TINY["clients"]))}
    )
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(real.read_bytes()[:2000])
    fake = tmp_path / "fake.xlsx"
    fake.write_text(TINY["clients"])
    for path in (corrupt, fake):
        out = run("validate", str(path), "--as-of", AS_OF)
        _one_line_error(out, 2, f"{path.name}: not")
    with zipfile.ZipFile(tmp_path / "other.xlsx", "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    _one_line_error(run("validate", str(tmp_path / "other.xlsx")), 2, "other.xlsx: not")


def test_a_duplicated_header_in_a_workbook_is_seen_not_renamed(tmp_path):
    clients = pd.read_csv(pd.io.common.StringIO(TINY["clients"]), dtype=str)
    clients.insert(1, "copy", clients["site"])
    clients = clients.rename(columns={"copy": "site"})
    book = _workbook(tmp_path / "book.xlsx", {"clients": clients})
    with pytest.raises(DatasetReadError, match=r"book.xlsx\[clients\]: the column 'site' appears"):
        load(book, as_of=AS_OF)


def test_a_workbook_keeps_its_line_numbers(tmp_path):
    clients = pd.read_csv(pd.io.common.StringIO(TINY["clients"]), dtype=str)
    clients.loc[1, "referred_on"] = "2026-13-01"
    ds = load(_workbook(tmp_path / "book.xlsx", {"clients": clients}), as_of=AS_OF)
    assert ds.rejects[["line", "column"]].values.tolist() == [[3, "referred_on"]]
    _nothing_lost(ds)


def test_a_corrupt_parquet_file_is_a_one_line_error(tmp_path):
    folder = tmp_path / "pq"
    folder.mkdir()
    (folder / "clients.parquet").write_bytes(b"PAR1 this is not really parquet PAR1")
    out = run("validate", str(folder), "--as-of", AS_OF)
    _one_line_error(out, 2, "clients.parquet: not a readable Parquet file")


def test_a_fifo_named_like_a_parquet_table_is_refused(tmp_path):
    folder = tmp_path / "pq"
    folder.mkdir()
    pd.read_csv(pd.io.common.StringIO(TINY["clients"]), dtype=str).to_parquet(
        folder / "clients.parquet"
    )
    os.mkfifo(folder / "events.parquet")
    out = run("validate", str(folder), "--as-of", AS_OF)
    _one_line_error(out, 2, "events.parquet", "not a regular file")
