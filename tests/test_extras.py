"""Optional parts are extras: the core never imports their libraries, and using one whose extra
is missing is a one-line error naming the extra (exit code 2), through the command line.

A missing library is simulated in a subprocess by ``sys.modules[name] = None``, which makes
every later ``import name`` fail as if it were not installed.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import AS_OF, TINY, write_dataset
from therapy_outcomes.errors import MissingExtraError, TherapyOutcomesError
from therapy_outcomes.extras import EXTRAS, require

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "therapy_outcomes"
EXTRA_DEPENDENCIES = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
    "optional-dependencies"
]
#: Top-level modules of the optional libraries, by the extra that installs them.
OPTIONAL_MODULES = {
    "sql": ("sqlalchemy", "psycopg"),
    "fhir": ("fhir",),
    "spss": ("pyreadstat",),
    "pdf": ("playwright",),
    "dask": ("dask", "distributed"),
    "lab": ("jupyterlab",),
}
ALL_OPTIONAL = sorted(m for modules in OPTIONAL_MODULES.values() for m in modules)


def hint(extra: str) -> str:
    return f'pip install "therapy-outcomes[{extra}]"'


def run_without(missing: list[str], *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``therapy-outcomes ARGS`` in a subprocess where the ``missing`` modules cannot import."""
    code = (
        "import sys\n"
        f"for name in {missing!r}:\n"
        "    sys.modules[name] = None\n"
        "sys.argv = ['therapy-outcomes', *sys.argv[1:]]\n"
        "from therapy_outcomes.cli.app import main\n"
        "main()\n"
    )
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def assert_one_line(out: subprocess.CompletedProcess, expected: str) -> None:
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.strip() == f"error: {expected}"


# --- the helper and its error ------------------------------------------------------------------


def test_require_returns_the_module_when_installed():
    assert require("json", "sql", "reading x") is sys.modules["json"]


def test_require_turns_a_missing_module_into_the_extra_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    with pytest.raises(MissingExtraError) as info:
        require("sqlalchemy", "sql", "reading sqlite:///clinic.sqlite")
    err = info.value
    assert (
        str(err) == f"reading sqlite:///clinic.sqlite needs the optional SQL support: {hint('sql')}"
    )
    assert (err.extra, err.name, err.exit_code) == ("sql", "sqlalchemy", 2)
    assert isinstance(err, TherapyOutcomesError) and isinstance(err, ImportError)


def test_require_reports_a_missing_submodule_of_the_library(monkeypatch):
    for name in ("fhir", "fhir.resources", "fhir.resources.R4B"):  # even if imported before
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtraError, match=r"FHIR support") as info:
        require("fhir.resources.R4B", "fhir", "reading p.json")
    assert info.value.name == "fhir.resources.R4B"


def test_require_rejects_an_unknown_extra_even_when_the_module_is_there():
    with pytest.raises(KeyError):
        require("json", "sqll", "reading x")


def test_every_extra_has_a_name_and_all_installs_every_one():
    assert set(EXTRAS) == set(EXTRA_DEPENDENCIES) - {"all", "dev"} == set(OPTIONAL_MODULES)
    (everything,) = EXTRA_DEPENDENCIES["all"]
    listed = everything.removeprefix("therapy-outcomes[").removesuffix("]").split(",")
    assert sorted(listed) == sorted(EXTRAS)


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _provided(requirement: str) -> set[str]:
    """The distribution a requirement names, with those its own extras add (one level)."""
    req = Requirement(requirement)
    names = {_normal(req.name)}
    for line in requires(req.name) or []:
        dep = Requirement(line)
        if dep.marker and any(dep.marker.evaluate({"extra": e}) for e in req.extras):
            names.add(_normal(dep.name))
    return names


@pytest.mark.parametrize("extra", sorted(OPTIONAL_MODULES))
def test_optional_modules_come_from_their_extra_and_not_from_the_core(extra):
    """Each optional module is installed by a distribution its extra lists, not a core one."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {_normal(Requirement(r).name) for r in project["dependencies"]}
    listed = set().union(*(_provided(r) for r in EXTRA_DEPENDENCIES[extra]))
    owners = packages_distributions()
    for module in OPTIONAL_MODULES[extra]:
        dists = {_normal(d) for d in owners.get(module, [])}
        assert dists, f"{module} is not installed in the test environment"
        assert dists & listed, (module, dists, listed)
        assert not dists & core, (module, dists)


def _module_level_imports(tree: ast.Module) -> list[str]:
    """Modules imported at module level (not inside functions, not under TYPE_CHECKING)."""
    found: list[str] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody
            todo += [stmt for handler in node.handlers for stmt in handler.body]
    return found


def test_no_module_imports_an_optional_library_at_module_level():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for module in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module.split(".")[0] in ALL_OPTIONAL:
                offenders.append(f"{path.relative_to(PACKAGE)}: {module}")
    assert offenders == []


# --- the core without the optional libraries ---------------------------------------------------


def test_import_and_loading_a_csv_folder_import_no_optional_library(tiny):
    code = (
        "import sys\n"
        "import therapy_outcomes as to\n"
        "to.load(sys.argv[1], as_of=sys.argv[2])\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tiny), AS_OF], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    loaded = set(out.stdout.split())
    assert "pandas" in loaded  # the check can see modules at all
    assert loaded.isdisjoint(ALL_OPTIONAL), loaded & set(ALL_OPTIONAL)


def test_validate_and_summary_of_a_csv_folder_work_without_any_optional_library(tiny, tmp_path):
    out = run_without(ALL_OPTIONAL, "validate", str(tiny), "--as-of", AS_OF, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "All rows accepted" in out.stdout
    out = run_without(ALL_OPTIONAL, "summary", str(tiny), "--as-of", AS_OF, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Caseload" in out.stdout


# --- each extra missing, through the command line ----------------------------------------------


@pytest.mark.parametrize("command", ["validate", "import"])
def test_a_database_without_the_sql_extra(command, tmp_path):
    url = f"sqlite:///{tmp_path}/clinic.sqlite"
    args = [command, url] + (["--out", str(tmp_path / "out")] if command == "import" else [])
    out = run_without(["sqlalchemy"], *args, cwd=tmp_path)
    assert_one_line(out, f"reading {url} needs the optional SQL support: {hint('sql')}")
    assert not (tmp_path / "clinic.sqlite").exists() and not (tmp_path / "out").exists()


def test_the_message_without_sqlalchemy_never_shows_the_password(tmp_path):
    url = "postgresql://ann:s3cret@db.example:5432/clinic?schema=outcomes"
    out = run_without(["sqlalchemy"], "validate", url, cwd=tmp_path)
    shown = "postgresql://db.example:5432/clinic"
    assert_one_line(out, f"reading {shown} needs the optional SQL support: {hint('sql')}")


def test_postgresql_without_its_driver_names_the_sql_extra(tmp_path):
    out = run_without(
        ["psycopg"], "validate", "postgresql://ann:s3cret@127.0.0.1:9/x", cwd=tmp_path
    )
    shown = "postgresql://ann@127.0.0.1:9/x"
    assert_one_line(out, f"reading {shown} needs the optional SQL support: {hint('sql')}")


def test_a_fhir_file_without_the_fhir_extra(tmp_path):
    path = tmp_path / "export.ndjson"
    path.write_text('{"resourceType": "Patient", "id": "p1"}\n', encoding="utf-8")
    out = run_without(["fhir"], "import", str(path), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert_one_line(out, f"reading export.ndjson needs the optional FHIR support: {hint('fhir')}")


def test_a_fhir_export_without_the_fhir_extra(tiny, tmp_path):
    target = tmp_path / "obs.ndjson"
    args = ["export", "fhir", "--data", str(tiny), "--out", str(target), "--as-of", AS_OF]
    out = run_without(["fhir"], *args, cwd=tmp_path)
    assert_one_line(out, f"writing obs.ndjson needs the optional FHIR support: {hint('fhir')}")
    assert not target.exists()


def test_spss_files_without_the_spss_extra(tmp_path):
    folder = tmp_path / "spss"
    folder.mkdir()
    (folder / "clients.sav").write_bytes(b"")  # never opened: the library is checked first
    out = run_without(["pyreadstat"], "validate", str(folder), cwd=tmp_path)
    assert_one_line(
        out, f"reading clients.sav needs the optional SPSS/Stata support: {hint('spss')}"
    )


@pytest.mark.kernel
@pytest.mark.slow
def test_a_pdf_report_without_the_pdf_extra(tiny, tmp_path):
    out_dir = tmp_path / "reports"
    args = ["report", "client", "C1", "--data", str(tiny), "--out", str(out_dir)]
    out = run_without(["playwright"], *args, "--as-of", AS_OF, "--pdf", cwd=tmp_path)
    assert_one_line(out, f"printing a PDF needs the optional PDF support: {hint('pdf')}")
    assert not out_dir.exists() or not any(out_dir.rglob("*.pdf"))


@pytest.mark.slow
def test_a_dask_batch_without_the_dask_extra(tmp_path):
    folder = write_dataset(tmp_path / "tiny", TINY)
    args = ["batch", "--data", str(folder), "--month", "2026-02", "--out", str(tmp_path / "b")]
    args += ["--scheduler", "tcp://127.0.0.1:9", "--quiet"]
    out = run_without(["distributed"], *args, cwd=tmp_path)
    assert_one_line(out, f"--scheduler needs the optional Dask support: {hint('dask')}")
