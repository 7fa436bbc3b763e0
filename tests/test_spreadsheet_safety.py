"""Every file the package writes for spreadsheets is safe to open (issue 12, point 3).

A cell beginning with ``=``, ``+``, ``-``, ``@``, tab or carriage return is neutralised by the
OWASP rule (:mod:`therapy_outcomes.export.spreadsheet`). Two kinds of test: one reads the
package's source and finds every CSV/Excel writer, so a new writer that bypasses the rule
fails here; the other feeds formula payloads through each command and reads the cells back.
"""

from __future__ import annotations

import ast
import csv
import io
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pandas as pd
import pytest

import therapy_outcomes
from therapy_outcomes.batch.manifest import MANIFEST_COLUMNS, write_manifest
from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.export.spreadsheet import TRIGGERS, safe_cell, safe_cells

PACKAGE = Path(therapy_outcomes.__file__).parent
CLI = [sys.executable, "-m", "therapy_outcomes.cli.app"]
AS_OF = "2026-10-31"
PAYLOADS = ('=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "\t=tab", "\r=cr")
#: Writers this test cannot follow: a new one must be routed through the rule and taught here.
UNCHECKED = ("ExcelWriter", "Workbook", "write_csv", "xlsxwriter")
#: Writers that write no file: (module, method) -> why they need no rule.
NOT_FILES = {("sources/sql.py", "to_csv"): "hashes the rows of a table, writes nothing"}
#: Writers of text the package made itself: (module, name) -> why, and the test that checks it.
OWN_TEXT = {
    ("demo/_tables.py", "write_csv"): "the synthetic demo tables (test_demo_clinic_is_safe)",
    ("demo/__init__.py", "write_csv"): "calls the demo writer above",
}
#: Code that writes CSV or Excel (in the package's tokens, strings and comments left out).
WRITER_TEXT = re.compile(
    r"\.\s*to_csv\b|\.\s*to_excel\b|\bcsv\s*\.\s*(writer|DictWriter)\b|\bExcelWriter\b"
    r"|\bwrite_csv\b|\bWorkbook\b|\bxlsxwriter\b|\bfrom\s+csv\s+import\b|\bimport\s+csv\s+as\b"
)


# --- every writer in the package goes through the rule ------------------------------------------


def _called(node: ast.AST | None, names: tuple[str, ...]) -> bool:
    """``node`` is a call of a function named one of ``names`` (``f(...)`` or ``m.f(...)``)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id in names) or (
        isinstance(func, ast.Attribute) and func.attr in names
    )


def _code(source: str) -> str:
    """The source's tokens without strings (docstrings, doctests) and comments."""
    skip = (tokenize.STRING, tokenize.COMMENT)
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return " ".join(t.string for t in tokens if t.type not in skip)


def _writes_file(call: ast.Call) -> bool:
    return bool(call.args) or any(k.arg in ("path_or_buf", "excel_writer") for k in call.keywords)


def unsafe_writers(source: str, module: str) -> list[str]:
    """Every CSV/Excel writer in ``source`` that does not go through the rule, as
    ``module:line: what``, and a problem when the code names more writers than were checked."""
    tree = ast.parse(source)
    problems, seen = [], 0
    calls = {id(n.func): n for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        name = getattr(node, "id", None) or getattr(node, "name", None)  # a name, def, import
        if isinstance(node, (ast.Name, ast.alias, ast.FunctionDef)) and name in UNCHECKED:
            seen += 1
            if (module, name) not in OWN_TEXT:
                problems.append(f"{module}:{node.lineno}: {name}, a writer not checked here")
        if not isinstance(node, ast.Attribute):
            continue
        attr, owner, call = node.attr, node.value, calls.get(id(node))
        where = f"{module}:{node.lineno}"
        if attr in ("to_csv", "to_excel"):
            seen += 1
            if call is None:
                problems.append(f"{where}: {attr} passed around, not called on a safe table")
            elif (module, attr) in NOT_FILES and not _writes_file(call):
                continue
            elif not _called(owner, ("safe_cells",)):
                problems.append(f"{where}: {attr} of a table not made safe by safe_cells(...)")
        elif attr in ("writer", "DictWriter") and isinstance(owner, ast.Name) and owner.id == "csv":
            seen += 1
        elif attr in UNCHECKED:
            seen += 1
            if (module, attr) not in OWN_TEXT:
                problems.append(f"{where}: {attr}, a writer not checked here")
        elif attr in ("writerow", "writerows") and call is not None:
            arg = call.args[0] if call.args else None
            if attr == "writerows" and isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
                arg = arg.elt
            if not _called(arg, ("safe_row",)):
                problems.append(f"{where}: {attr} of a row not made safe by safe_row(...)")
    named = len(WRITER_TEXT.findall(_code(source)))
    if named != seen:
        problems.append(f"{module}: the code names {named} writers, {seen} were checked")
    return problems


def _package_sources() -> dict[str, str]:
    return {
        path.relative_to(PACKAGE).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_every_csv_and_excel_writer_of_the_package_makes_its_cells_safe():
    sources = _package_sources()
    problems = [p for module, text in sources.items() for p in unsafe_writers(text, module)]
    assert problems == []
    writers = {m for m, text in sources.items() if WRITER_TEXT.search(text)}
    # the writers the issue names are all found (the check is not looking at nothing)
    assert {
        "cli/output.py",
        "export/tables_out.py",
        "export/research.py",
        "batch/manifest.py",
    } <= writers


@pytest.mark.parametrize(
    "source",
    [
        "def f(frame, path):\n    frame.to_csv(path, index=False)\n",
        "def f(frame, path):\n    frame.to_excel(path)\n",
        "import csv\ndef f(h, row):\n    w = csv.writer(h)\n    w.writerow(row)\n",
        "import csv\ndef f(h, rows):\n    csv.DictWriter(h, ['a']).writerows(r for r in rows)\n",
        "import pandas as pd\ndef f(frame, p):\n    with pd.ExcelWriter(p) as w:\n        pass\n",
        "from csv import writer\ndef f(h):\n    writer(h)\n",
        "def f(frame):\n    return frame.to_csv\n",
    ],
)
def test_a_writer_without_the_rule_is_found(source):
    assert unsafe_writers(source, "new.py")


def test_the_checked_forms_pass_the_check():
    good = (
        "import csv\n"
        "def f(frame, path, h, row, rows):\n"
        "    safe_cells(frame).to_csv(path, index=False)\n"
        "    w = csv.DictWriter(h, ['a'])\n"
        "    w.writeheader()\n"
        "    w.writerow(safe_row(row))\n"
        "    w.writerows(safe_row(r) for r in rows)\n"
    )
    assert unsafe_writers(good, "new.py") == []
    hashing = "def f(frame):\n    return frame.to_csv(index=False).encode()\n"
    assert unsafe_writers(hashing, "sources/sql.py") == []
    assert unsafe_writers(hashing, "other.py")  # allowed only where it is known to hash


def test_demo_clinic_is_safe(tmp_path):
    write_demo_clinic(tmp_path, n_clients=60, seed=5, as_of=AS_OF)
    for path in sorted(tmp_path.glob("*.csv")):
        _assert_safe(path)


# --- the rule ---------------------------------------------------------------------------------


def test_text_cells_are_neutralised_and_numbers_stay_numbers():
    frame = pd.DataFrame(
        {
            "text": pd.Series([*PAYLOADS, "North", None, "-3"], dtype="string"),
            "object": [*PAYLOADS, "North", None, "-3"],
            "score": [-3, -0.5, 1, 2, 3, 4, 5, 6, 7],
            "category": pd.Categorical(["-x", "y", "-x", "y", "y", "y", "y", "y", "y"]),
            "when": pd.to_datetime(["2026-01-05"] * 9),
        }
    )
    out = safe_cells(frame)
    expected = [f"'{p}" for p in PAYLOADS] + ["North", None, "'-3"]
    for col in ("text", "object"):
        got = [None if pd.isna(v) else v for v in out[col]]
        assert got == expected
    assert out["score"].tolist() == frame["score"].tolist()
    assert out["category"].astype(str).tolist()[:2] == ["'-x", "y"]
    kinds = [str(d) if c != "category" else "category" for c, d in out.dtypes.items()]
    assert kinds == [str(d) if c != "category" else "category" for c, d in frame.dtypes.items()]
    assert frame["text"].iloc[0] == PAYLOADS[0]  # the input is not changed
    assert safe_cells(pd.DataFrame({"=cmd": [1]})).columns.tolist() == ["'=cmd"]
    assert [safe_cell(v) for v in (-3, 2.5, True, None)] == [-3, 2.5, True, None]


# --- payloads through each command ------------------------------------------------------------


def _cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _assert_safe(path: Path) -> list[str]:
    cells = _cells(path)
    bad = [c for c in cells if c.startswith(TRIGGERS) and not _is_number(c)]
    assert bad == [], path.name
    return cells


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    # every cell quoted, so a tab or carriage return inside a value stays in its cell
    frame.to_csv(folder / f"{name}.csv", index=False, quoting=csv.QUOTE_ALL)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory) -> Path:
    """A demo clinic with formula payloads in client IDs, goal statements and the site."""
    folder = tmp_path_factory.mktemp("attacked") / "clinic"
    write_demo_clinic(folder, n_clients=12, seed=3, as_of=AS_OF)

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)

    clients = read("clients")
    clients["site"] = PAYLOADS[0]  # every client: the site survives k-anonymity
    bad = pd.DataFrame([clients.iloc[0].to_dict()] * len(PAYLOADS))
    bad["client_id"] = PAYLOADS  # rejected (not an ID), echoed by the rejects file
    bad["sex"] = PAYLOADS  # rejected too (not an allowed value)
    _write(folder, "clients", pd.concat([clients, bad], ignore_index=True))
    goals = read("goals")
    goals.loc[: len(PAYLOADS) - 1, "statement"] = PAYLOADS
    _write(folder, "goals", goals)
    return folder


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "THERAPY_OUTCOMES_RESEARCH_KEY": "k" * 32}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_validate_rejects_file_neutralises_echoed_values(attacked, tmp_path):
    target = tmp_path / "rejects.csv"
    out = _run("validate", str(attacked), "--as-of", AS_OF, "--rejects", str(target), cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    cells = _assert_safe(target)
    for text in ('\'=HYPERLINK("http://x")', "'+1", "'-cmd", "'@SUM(A1)"):
        assert text in cells
    rejects = pd.read_csv(target, dtype=str, keep_default_na=False)
    ids = rejects.loc[(rejects["table"] == "clients") & (rejects["column"] == "client_id")]
    assert len(ids) >= len(PAYLOADS) - 1  # tab and CR are stripped: two IDs are "=..."


def test_import_output_is_safe_and_loads_back(attacked, tmp_path):
    out = tmp_path / "imported"
    result = _run("import", str(attacked), "--out", str(out), "--as-of", AS_OF, cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # the payload clients are rejected
    cells = []
    for path in sorted(out.glob("*.csv")):
        cells += _assert_safe(path)
    _assert_safe(tmp_path / "imported-rejects.csv")
    for text in ('\'=HYPERLINK("http://x")', "'+1", "'-cmd", "'@SUM(A1)", "'=tab", "'=cr"):
        assert text in cells
    # numbers stay numbers: negative goal ratings are written bare and read back as numbers
    ratings = pd.read_csv(out / "goal_ratings.csv")
    assert (ratings["value"] < 0).any() and ratings["value"].dtype.kind in "if"
    from therapy_outcomes import load

    again = load(out, as_of=AS_OF)
    assert again.n_rejected == 0
    assert set(again.clients["site"]) == {'\'=HYPERLINK("http://x")'}


def test_research_export_and_disclosure_report_are_safe(attacked, tmp_path):
    out = tmp_path / "share"
    result = _run(
        "export", "research", "--data", str(attacked), "--out", str(out), "--as-of", AS_OF,
        "--quasi-identifiers", "site", "--l", "1",  # only the site: it is the same for all
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    cells = []
    for path in sorted(out.glob("*.csv")):
        cells += _assert_safe(path)
    assert any(c.startswith('\'=HYPERLINK("http://x")') for c in _cells(out / "clients.csv"))
    report = _cells(out / "disclosure_report.csv")
    assert any(c.startswith('\'=HYPERLINK("http://x")') for c in report)


def test_batch_manifest_cells_are_safe(tmp_path):
    row = {name: "" for name in MANIFEST_COLUMNS}
    row.update(
        job_id="client/C1/client", kind="+1", status="failed", seconds=-1.5,
        error='=HYPERLINK("http://x")', parameters="@SUM(A1)", html="-cmd", key="\tx",
    )  # fmt: skip
    path = write_manifest(tmp_path, [row])
    cells = _assert_safe(path)
    assert '\'=HYPERLINK("http://x")' in cells and "'+1" in cells and "'\tx" in cells
    assert "-1.5" in cells  # a number stays a number
