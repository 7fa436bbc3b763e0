"""The hostile-input corpus (issue 11): ``validate`` on every case of ``tests/data/broken``.

For each case of ``tests/data/broken/cases.yaml``: the exit code; exactly the rejected lines
and the words of their reasons (or of the one-line error); no traceback; nothing printed of the
data's free text; and, for every case that loads, the two invariants of
:mod:`broken_corpus` (every record accepted or rejected exactly once; every accepted value as
written). What cannot be committed (FIFOs, symlinks, a 50 MB cell, other encodings, workbooks,
a FHIR bundle 100,000 levels deep) is built here, by the ``build`` function a case names.
"""

from __future__ import annotations

import io
import json
import os
import random
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from broken_corpus import (
    AS_OF,
    BASE_RECORDS,
    BROKEN,
    MARKER,
    cases,
    check_invariants,
    copy_base,
    folder_references,
    read_text,
    run_validate,
)
from therapy_outcomes.loading.tables import TABLE_NAMES

CASES = cases()


# ---- builders: each changes the assembled folder in place; a workbook builder returns the CSV
# ---- texts it was made from (the reference for the round trip)


def _rewrite(folder: Path, transform, names=None) -> None:
    for path in sorted(folder.glob("*.csv")):
        if names is None or path.name in names:
            path.write_bytes(transform(path.read_bytes()))


def crlf(folder: Path) -> None:
    _rewrite(folder, lambda b: b.replace(b"\n", b"\r\n"))


def mixed_line_endings(folder: Path) -> None:
    def mix(data: bytes) -> bytes:
        lines = data.split(b"\n")
        return b"\n".join(line + (b"\r" if i % 2 else b"") for i, line in enumerate(lines[:-1]))

    _rewrite(folder, lambda b: mix(b) + b"\n", {"sessions.csv"})


def _encode(folder: Path, name: str, encoding: str) -> None:
    path = folder / name
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))


def encode_latin1(folder: Path) -> None:
    _encode(folder, "events.csv", "latin-1")


def encode_cp1252(folder: Path) -> None:
    _encode(folder, "events.csv", "cp1252")


def encode_utf16(folder: Path) -> None:
    _encode(folder, "clients.csv", "utf-16")


def bom(folder: Path) -> None:
    _rewrite(folder, lambda b: b"\xef\xbb\xbf" + b)


def double_bom(folder: Path) -> None:
    _rewrite(folder, lambda b: b"\xef\xbb\xbf\xef\xbb\xbf" + b, {"clients.csv"})


def nul_in_cell(folder: Path) -> None:
    _rewrite(folder, lambda b: b.replace(b"Started sertraline", b"Started\x00sertraline"), None)


def binary_clients(folder: Path) -> None:
    (folder / "clients.csv").write_bytes(random.Random(11).randbytes(2048))


def invalid_utf8_late(folder: Path) -> None:
    path = folder / "events.csv"
    lines = path.read_bytes().splitlines(keepends=True)
    filler = b"".join(
        b"E%d,C1,2026-02-11,other,a quiet week,neutral\n" % n for n in range(100, 1800)
    )
    path.write_bytes(b"".join(lines[:2]) + filler + lines[2].replace(b"mg", b"m\xe9g") + lines[3])


def _add_columns(path: Path, n: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    extra = [f"extra_column_{k:05d}" for k in range(n)]
    body = [lines[0] + "," + ",".join(extra)]
    body += [line + "," + ",".join(str(k % 10) for k in range(n)) for line in lines[1:]]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")


def header_over_64k(folder: Path) -> None:
    _add_columns(folder / "events.csv", 4000)


def _separate(folder: Path, sep: str) -> None:
    import csv

    for path in folder.glob("*.csv"):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        out = io.StringIO()
        csv.writer(out, delimiter=sep, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")


def semicolons(folder: Path) -> None:
    _separate(folder, ";")


def tabs(folder: Path) -> None:
    _separate(folder, "\t")


def semicolons_commas(folder: Path) -> None:
    _separate(folder, ";")
    path = folder / "events.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Moved house with", "Moved, house, with"),
        encoding="utf-8",
    )


def cell_50mb(folder: Path) -> None:
    path = folder / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace("Started sertraline 50 mg", "Jane Marker " + "x" * 50_000_000)
    path.write_text("".join(lines), encoding="utf-8")


def fifo(folder: Path) -> None:
    (folder / "events.csv").unlink()
    os.mkfifo(folder / "events.csv")


def symlink_loop(folder: Path) -> None:
    (folder / "events.csv").unlink()
    (folder / "events.csv").symlink_to(folder / "loop.csv")
    (folder / "loop.csv").symlink_to(folder / "events.csv")


def dangling_symlink(folder: Path) -> None:
    (folder / "events.csv").unlink()
    (folder / "events.csv").symlink_to(folder / "nowhere" / "events.csv")


def directory_as_file(folder: Path) -> None:
    (folder / "events.csv").unlink()
    (folder / "events.csv").mkdir()


def symlink_to_file(folder: Path) -> None:
    elsewhere = folder.parent / "elsewhere.csv"
    (folder / "events.csv").rename(elsewhere)
    (folder / "events.csv").symlink_to(elsewhere)


def _workbook(folder: Path, path: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Write the folder's CSV tables as one workbook (ISO dates as date cells); remove them."""
    texts = {}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name in TABLE_NAMES:
            csv_path = folder / f"{name}.csv"
            texts[name] = csv_path.read_text(encoding="utf-8")
            csv_path.unlink()
            if name in skip:
                continue
            frame = pd.read_csv(io.StringIO(texts[name]), dtype=str, keep_default_na=False)
            for col in frame.columns:
                if col.endswith("_on") or col.startswith("episode_") or col == "target_date":
                    frame[col] = frame[col].map(_date_cell)
            frame.to_excel(writer, sheet_name=name, index=False)
    return texts


def _date_cell(text: str) -> object:
    try:
        return pd.Timestamp(text).to_pydatetime() if len(text) == 10 else text or None
    except ValueError:
        return text  # not a real date: keep it as the text written


def xlsx_valid(folder: Path) -> dict[str, str]:
    return _workbook(folder, folder / "dataset.xlsx")


def xlsx_no_clients_sheet(folder: Path) -> None:
    _workbook(folder, folder / "dataset.xlsx", skip=("clients",))


def xlsx_corrupt(folder: Path) -> None:
    for path in folder.glob("*.csv"):
        path.unlink()
    (folder / "dataset.xlsx").write_bytes(random.Random(5).randbytes(4096))


def xlsx_truncated(folder: Path) -> None:
    _workbook(folder, folder / "dataset.xlsx")
    data = (folder / "dataset.xlsx").read_bytes()
    (folder / "dataset.xlsx").write_bytes(data[: len(data) // 2])


def xlsx_not_a_workbook(folder: Path) -> None:
    for path in folder.glob("*.csv"):
        path.unlink()
    with zipfile.ZipFile(folder / "dataset.xlsx", "w") as archive:
        archive.writestr("notes.txt", "Jane Marker's notes")


def xlsx_is_csv(folder: Path) -> None:
    (folder / "clients.csv").rename(folder / "clinic.xlsx")


def _bundle(folder: Path) -> dict:
    return json.loads((folder / "tiny_bundle.json").read_text(encoding="utf-8"))


def _write_bundle(folder: Path, text: str) -> None:
    (folder / "tiny_bundle.json").write_text(text, encoding="utf-8")


def fhir_misspelt(folder: Path) -> None:
    _write_bundle(folder, json.dumps(_bundle(folder) | {"resourceType": "Bundel"}))


def fhir_deep(folder: Path) -> None:
    depth = 100_000
    _write_bundle(folder, '{"resourceType": "Bundle", "entry": ' + "[" * depth + "]" * depth + "}")


def fhir_truncated(folder: Path) -> None:
    text = (folder / "tiny_bundle.json").read_text(encoding="utf-8")
    _write_bundle(folder, text[: len(text) // 2])


def fhir_not_fhir(folder: Path) -> None:
    _write_bundle(folder, json.dumps({"patients": [{"name": "Jane Marker"}]}))


def fhir_empty(folder: Path) -> None:
    _write_bundle(folder, json.dumps(_bundle(folder) | {"entry": []}))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def redcap_empty_records(folder: Path) -> None:
    (folder / "records.csv").write_text("", encoding="utf-8")


def redcap_unknown_field(folder: Path) -> None:
    _edit(folder / "redcap.yaml", "phq9_8, phq9_9]", "phq9_8, phq9_99]")


def redcap_malformed_yaml(folder: Path) -> None:
    _edit(folder / "redcap.yaml", "record_id: record_id", "record_id: [record_id")


def redcap_stray_quote(folder: Path) -> None:
    old = "101,treatment_arm_1,session,1,"
    _edit(folder / "records.csv", old, old.replace(",session", ',"session'))


# ---- assembling and running a case


def assemble(case: dict, tmp_path: Path) -> tuple[Path, Callable[[], dict]]:
    """The case's clinic in ``tmp_path``: its base, its own files, then its builder.

    Returns the location to validate and a function giving the independent readings of its
    tables (the CSV texts a workbook was made from, or the files themselves), read only once
    the case has loaded.
    """
    folder = tmp_path / case["name"]
    copy_base(case.get("base", "tiny"), folder)
    for name in case.get("delete", []):
        (folder / name).unlink()
    own = BROKEN / case["name"]
    if own.is_dir():
        for path in own.iterdir():
            (folder / path.name).write_bytes(path.read_bytes())
    texts = globals()[case["build"]](folder) if "build" in case else None
    target = folder / case["target"] if "target" in case else folder

    def references() -> dict:
        if isinstance(texts, dict):
            return {n: read_text(t.encode("utf-8")) for n, t in texts.items()}
        if case.get("base", "tiny") == "tiny" and folder.is_dir():
            return folder_references(folder)
        return {}

    return target, references


def _exits(case: dict) -> list[int]:
    return case["exit"] if isinstance(case["exit"], list) else [case["exit"]]


def test_the_corpus_is_large_and_every_case_breaks_something_its_own_way():
    names = [c["name"] for c in CASES]
    assert len(names) >= 80 and len(set(names)) == len(names)
    folders = {p.name for p in BROKEN.iterdir() if p.is_dir()} - {"_base"}
    assert folders <= set(names), folders - set(names)  # no folder without its manifest entry
    for case in CASES:
        assert case["breaks"] and set(_exits(case)) <= {0, 1, 2}, case["name"]
        assert "build" in case or (BROKEN / case["name"]).is_dir() or case.get("delete")
        if 1 in _exits(case):
            assert case.get("rejects"), f"{case['name']}: which lines must be rejected?"
        if 2 in _exits(case):
            assert case.get("error"), f"{case['name']}: which words must the error hold?"


def test_the_base_clinic_loads_whole_and_holds_the_marker(tmp_path):
    target, read_references = assemble({"name": "base"}, tmp_path)
    references = read_references()
    outcome = run_validate(target, tmp_path / "rejects.csv")
    assert outcome.code == 0 and outcome.crash is None, outcome
    assert {n: len(r.data_lines) for n, r in references.items()} == BASE_RECORDS
    assert sum(MARKER in (target / f"{n}.csv").read_text() for n in TABLE_NAMES) >= 4

    from therapy_outcomes import load

    check_invariants(load(target, as_of=AS_OF), references)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_broken_input(case, tmp_path):
    target, references = assemble(case, tmp_path)
    rejects_file = tmp_path / "rejects.csv"
    outcome = run_validate(target, rejects_file, in_process=not case.get("subprocess"))
    printed = outcome.stdout + outcome.stderr
    assert outcome.crash is None, f"a traceback instead of one line:\n{outcome.crash[-3000:]}"
    assert "Traceback" not in printed
    assert MARKER not in printed, "free text from the data was printed"
    assert outcome.code in _exits(case), f"exit {outcome.code}, expected {case['exit']}\n{printed}"
    if outcome.code == 2:
        _check_error(case, outcome.stderr)
        return
    if outcome.code == 1:
        assert outcome.rejects is not None, "rows rejected but no rejects file written"
        _check_rejects(case, outcome.rejects)
    else:
        assert "All rows accepted" in outcome.stdout

    from therapy_outcomes import load

    ds = load(target, as_of=AS_OF)
    assert len(ds.rejects) == (0 if outcome.rejects is None else len(outcome.rejects))
    check_invariants(ds, references())


def _check_error(case: dict, stderr: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for word in case["error"]:
        assert word.lower() in lines[0].lower(), f"{word!r} not in {lines[0]!r}"


def _check_rejects(case: dict, rejects: pd.DataFrame) -> None:
    got = {(str(t), int(n)) for t, n in zip(rejects["table"], rejects["line"], strict=True)}
    expected = {(r["table"], r["line"]) for r in case["rejects"]}
    maybe = {(m["table"], m["line"]) for m in case.get("maybe", [])}
    assert expected <= got, f"not rejected: {sorted(expected - got)}\n{rejects}"
    assert got <= expected | maybe, f"rejected as well: {sorted(got - expected - maybe)}"
    for want in case["rejects"]:
        rows = rejects[(rejects["table"] == want["table"]) & (rejects["line"] == want["line"])]
        if want.get("column"):
            assert want["column"] in set(rows["column"].dropna()), (want, rows)
            rows = rows[rows["column"] == want["column"]]
        reasons = " / ".join(rows["reason"].fillna("")).lower()
        for word in want.get("words", []):
            assert word.lower() in reasons, f"{want['table']} line {want['line']}: {reasons!r}"
