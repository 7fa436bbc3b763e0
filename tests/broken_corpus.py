"""The hostile-input corpus of ``tests/data/broken`` and the two loading invariants.

Shared by :mod:`test_broken_inputs` (the table-driven corpus) and :mod:`test_loading_properties`
(hypothesis): assembling a case's clinic, running ``validate`` as a user would, and checking,
independently of the loader,

(a) every source record is accepted or rejected exactly once (records are counted by reading
    the files here, not by the loader), and
(b) every accepted value equals the text written on its line in the file (a round trip from the
    loaded tables, through :attr:`therapy_outcomes.Dataset.provenance`, back to the file).

Cells are compared after trimming spaces around them (the reader trims every cell); dates must
be written ``YYYY-MM-DD``, values of a fixed list match case-insensitively, and empty optional
cells may take their declared default.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from therapy_outcomes.loading.tables import ID_PATTERN, TABLE_NAMES, Col, spec

BROKEN = Path(__file__).parent / "data" / "broken"
BASE = BROKEN / "_base"
DATA = Path(__file__).parent / "data"
AS_OF = "2026-06-30"
#: Written into free-text fields of the base clinic; it must never be printed.
MARKER = "Marker"
#: How many records each table of the base clinic holds.
BASE_RECORDS = {
    "clients": 3,
    "sessions": 5,
    "goals": 4,
    "goal_ratings": 4,
    "administrations": 4,
    "homework": 1,
    "events": 3,
}


def cases() -> list[dict]:
    """The corpus manifest, ``tests/data/broken/cases.yaml``."""
    return yaml.safe_load((BROKEN / "cases.yaml").read_text(encoding="utf-8"))


@dataclass
class Outcome:
    """What ``validate`` did: exit code, what it printed, and whether it crashed."""

    code: int | None
    stdout: str
    stderr: str
    crash: str | None = None
    rejects: pd.DataFrame | None = field(default=None, repr=False)


def base_tables() -> dict[str, str]:
    """The base clinic's CSV texts."""
    return {n: (BASE / f"{n}.csv").read_text(encoding="utf-8") for n in TABLE_NAMES}


# ---- reading the files independently of the loader


@dataclass
class FileText:
    """A CSV file as read here: its header, separator and physical lines (1 = the header)."""

    header: list[str]
    sep: str
    lines: list[str]

    @functools.cached_property
    def data_lines(self) -> set[int]:
        """Numbers of the non-blank lines after the header."""
        return {n for n, line in enumerate(self.lines, start=1) if n > 1 and line.strip()}

    def record_at(self, number: int) -> tuple[list[str], range]:
        """The CSV record that starts on line ``number``, and the lines it spans."""
        reader = csv.reader((line + "\n" for line in self.lines[number - 1 :]), delimiter=self.sep)
        old = csv.field_size_limit(sys.maxsize)  # the corpus holds a 50 MB cell
        try:
            fields = next(reader, [])
        finally:
            csv.field_size_limit(old)
        return fields, range(number, number + max(reader.line_num, 1))

    def looks_like_record(self, number: int) -> bool:
        """Whether line ``number`` alone is a whole record: the header's fields, an ID first."""
        fields = next(csv.reader([self.lines[number - 1]], delimiter=self.sep), [])
        return len(fields) == len(self.header) and bool(re.fullmatch(ID_PATTERN, fields[0]))


def read_text(data: bytes) -> FileText:
    """Read a CSV file's bytes (UTF-8) without the loader."""
    text = data.decode("utf-8-sig")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    sep = max((",", ";", "\t"), key=lambda s: (lines[0].count(s), s == ","))
    header = [h.strip() for h in next(csv.reader([lines[0]], delimiter=sep))]
    return FileText(header, sep, lines)


def same_value(col: Col | None, loaded: object, text: str) -> bool:
    """Whether a loaded cell is the value ``text`` written in the file."""
    written = text.strip()
    missing = loaded is None or (not isinstance(loaded, str) and pd.isna(loaded))
    if written == "":
        return missing or (col is not None and col.default is not None and loaded == col.default)
    if missing:
        return False
    kind = "text" if col is None else col.kind
    if kind == "date":
        return pd.Timestamp(loaded).strftime("%Y-%m-%d") == written
    if kind in ("number", "integer"):
        try:
            number = float(written.replace(",", "."))  # a decimal comma is documented
        except ValueError:
            return False
        return math.isfinite(number) and float(loaded) == number  # type: ignore[arg-type]
    if col is not None and col.allowed is not None:
        return loaded in col.allowed and str(loaded).lower() == written.lower()
    return str(loaded) == written


def check_invariants(ds, references: dict[str, FileText]) -> None:
    """Invariants (a) and (b) for every table whose file was read here.

    (a) Every non-blank line of the file belongs to exactly one accepted or rejected record.
    An accepted record may span lines (a quoted line break) but never swallow a line that is a
    whole record on its own; a rejected record covers its first line and the continuation
    lines that are not whole records. (b) :func:`round_trip`.
    """
    problems: list[str] = []
    counts = ds.counts.set_index("table")
    for name, file in references.items():
        rejected = set(ds.rejects.loc[ds.rejects["table"] == name, "line"].astype(int))
        prov = ds.provenance.get(name)
        accepted = [] if prov is None else [int(n) for n in prov["line"]]
        if name == "administrations":
            accepted = list(dict.fromkeys(accepted))  # the long layout: lines, not IDs
        if len(set(accepted)) != len(accepted):
            problems.append(f"{name}: a line accepted twice")
        if set(accepted) & rejected:
            problems.append(f"{name}: lines accepted and rejected: {set(accepted) & rejected}")
        covered: set[int] = set()
        for number in sorted(set(accepted) | rejected):
            if number not in file.data_lines:
                problems.append(f"{name}: line {number} is not a line of the file")
                continue
            _, span = file.record_at(number)
            rest = [n for n in span[1:] if n in file.data_lines]
            swallowed = [n for n in rest if file.looks_like_record(n)]
            if number in rejected:
                rest = [n for n in rest if n not in swallowed]
            elif swallowed:
                problems.append(f"{name}: the record on line {number} swallowed lines {swallowed}")
            covered |= {number, *rest}
        lost = sorted(file.data_lines - covered)
        if lost:
            problems.append(f"{name}: lines {lost} were neither accepted nor rejected")
        read, n_ok, n_bad = (int(counts.loc[name, c]) for c in ("read", "accepted", "rejected"))
        if (read, n_bad) != (n_ok + n_bad, len(rejected)):
            problems.append(f"{name}: read {read}, accepted {n_ok}, rejected {n_bad} lines")
        problems += round_trip(ds, name, file)
    assert not problems, "\n".join(problems)


def round_trip(ds, name: str, file: FileText) -> list[str]:
    """Every accepted value of table ``name`` against the text of its record in the file."""
    prov = ds.provenance.get(name)
    if prov is None:
        return []
    header = file.header
    declared = {c.name: c for c in spec(name).columns}
    problems = []
    if name == "administrations":
        heads = ds.administrations.set_index("administration_id")
        answers = ds.answers.set_index("administration_id")
    else:
        frame = getattr(ds, name)
        assert len(frame) == len(prov), f"{name}: provenance does not match the table"
    for i, line in enumerate(prov["line"].astype(int)):
        record = file.record_at(line)[0] if line in file.data_lines else None
        if record is None or len(record) != len(header):
            problems.append(f"{name} line {line}: accepted, but it is not one record of the file")
            continue
        written = dict(zip(header, record, strict=True))
        if name == "administrations":
            loaded = _administration(ds, heads, answers, prov["administration_id"].iat[i])
        else:
            loaded = frame.iloc[i].to_dict()
        for column, text in written.items():
            if column not in loaded:
                if column.startswith("item") and text.strip():
                    problems.append(f"{name} line {line}: {column} {text!r} was not loaded")
                continue
            if name == "goal_ratings" and column == "client_id" and not text.strip():
                continue  # filled in from the goal
            value = loaded[column]
            if column == "instrument":
                code = ds.registry.resolve(pd.Series([text.strip()])).iat[0]
                ok = value == code
            else:
                ok = same_value(declared.get(column, _answer_column(name, column)), value, text)
            if not ok:
                problems.append(f"{name} line {line}, {column}: wrote {text!r}, loaded {value!r}")
    return problems


def _answer_column(table: str, column: str) -> Col | None:
    """Item answers and totals are numbers (not declared one by one in the schema)."""
    if table == "administrations" and (re.fullmatch(r"item_\d+", column) or column == "total"):
        return Col(column, "number", required=False)
    return None


def _administration(ds, heads, answers, admin_id) -> dict:
    loaded = heads.loc[admin_id].to_dict()
    loaded["administration_id"] = admin_id
    if admin_id in answers.index:
        row = answers.loc[admin_id]
        loaded.update({c: row[c] for c in answers.columns if c.startswith("item_")})
    else:
        loaded.update({f"item_{k}": float("nan") for k in range(1, 100)})
    return loaded


def folder_references(folder: Path) -> dict[str, FileText]:
    """Independent readings of every CSV table file of a dataset folder."""
    out = {}
    for name in TABLE_NAMES:
        path = folder / f"{name}.csv"
        if path.is_file():  # a symlink to a file included
            out[name] = read_text(path.read_bytes())
    return out


# ---- running the command line


def run_validate(target: Path, rejects: Path, *, in_process: bool = True) -> Outcome:
    """``therapy-outcomes validate TARGET --as-of AS_OF --rejects REJECTS``, as a user runs it.

    In process (fast) through the same entry point as the console script; a child process with
    a timeout for inputs that might hang.
    """
    args = ["validate", str(target), "--as-of", AS_OF, "--rejects", str(rejects)]
    if not in_process:
        env = {**os.environ, "COLUMNS": "1000"}
        cmd = [sys.executable, "-m", "therapy_outcomes.cli.app", *args]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=30)
        except subprocess.TimeoutExpired:
            return Outcome(None, "", "", crash="validate did not finish within 30 s")
        crash = done.stderr if "Traceback" in done.stderr else None
        return _with_rejects(Outcome(done.returncode, done.stdout, done.stderr, crash), rejects)
    import contextlib
    import traceback

    from therapy_outcomes.cli import app as cli_app
    from therapy_outcomes.cli import output
    from therapy_outcomes.cli.errors import run

    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    crash = None
    saved = [(c, c._file, c._width) for c in (output.console, output.err_console)]
    try:
        output.console._file, output.err_console._file = out, err
        for console, *_ in saved:
            console._width = 1000  # wide enough that nothing is wrapped
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            run(cli_app.app, args)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # any other exception is a traceback for the user
        crash = traceback.format_exc()
    finally:
        for console, file, width in saved:
            console._file, console._width = file, width
    return _with_rejects(Outcome(code, out.getvalue(), err.getvalue(), crash), rejects)


def _with_rejects(outcome: Outcome, rejects: Path) -> Outcome:
    if rejects.is_file():
        outcome.rejects = pd.read_csv(rejects, dtype={"column": "string", "reason": "string"})
    return outcome


def copy_base(kind: str, folder: Path) -> None:
    """The base of a case: the tiny clinic, the FHIR bundle or the REDCap project."""
    if kind == "tiny":
        shutil.copytree(BASE, folder)
    elif kind == "fhir":
        folder.mkdir(parents=True)
        shutil.copy(DATA / "fhir" / "tiny_bundle.json", folder)
    elif kind == "redcap":
        shutil.copytree(DATA / "redcap", folder, ignore=shutil.ignore_patterns("expected"))
    else:
        raise ValueError(kind)
