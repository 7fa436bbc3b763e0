"""The contributor's tools are configured as CONTRIBUTING.md says: make lint, mypy, pre-commit.

pre-commit cannot fetch its hook repositories here, so the config is checked as data (and by
``pre-commit validate-config``, which reads no network), never run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RUFF_HOOKS = "https://github.com/astral-sh/ruff-pre-commit"
HYGIENE_HOOKS = "https://github.com/pre-commit/pre-commit-hooks"


def _pre_commit() -> dict:
    return yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())


def _hooks(repo: str) -> dict[str, dict]:
    (entry,) = [r for r in _pre_commit()["repos"] if r["repo"] == repo]
    return {hook["id"]: hook for hook in entry["hooks"]}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _lower_bound(extra: str, package: str) -> str:
    for requirement in PYPROJECT["project"]["optional-dependencies"][extra]:
        name, _, bound = requirement.partition(">=")
        if name == package:
            return bound
    raise AssertionError(f"{package} is not in the {extra} extra")


def test_pre_commit_runs_ruff_check_then_ruff_format():
    assert list(_hooks(RUFF_HOOKS)) == ["ruff-check", "ruff-format"]


def test_pre_commit_ruff_is_at_least_the_dev_extras_ruff():
    (entry,) = [r for r in _pre_commit()["repos"] if r["repo"] == RUFF_HOOKS]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", entry["rev"])
    assert _version(entry["rev"]) >= _version(_lower_bound("dev", "ruff"))


def test_pre_commit_hygiene_hooks_leave_fixture_data_alone():
    hooks = _hooks(HYGIENE_HOOKS)
    assert set(hooks) == {
        "end-of-file-fixer",
        "trailing-whitespace",
        "check-yaml",
        "check-added-large-files",
    }
    assert hooks["check-added-large-files"]["args"] == ["--maxkb=1024"]
    malformed = "tests/data/instruments/bad/malformed.yaml"  # broken on purpose
    assert (ROOT / malformed).exists()
    assert re.search(hooks["check-yaml"]["exclude"], malformed)
    for hook in ("end-of-file-fixer", "trailing-whitespace"):
        assert re.search(hooks[hook]["exclude"], "tests/data/sources/x.csv")
        assert not re.search(hooks[hook]["exclude"], "src/therapy_outcomes/errors.py")


def test_pre_commit_accepts_the_config(tmp_path):
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path)}  # its cache, not the user's
    out = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_checks_the_package_without_blanket_exceptions():
    mypy = PYPROJECT["tool"]["mypy"]
    assert mypy["files"] == ["src/therapy_outcomes"]
    assert mypy["python_version"] == PYPROJECT["project"]["requires-python"].removeprefix(">=")
    assert not mypy.get("strict", False)
    assert not mypy.get("ignore_missing_imports", False)  # only per untyped library
    for override in mypy.get("overrides", []):
        assert set(override) <= {"module", "ignore_missing_imports"}, override
        assert all(not m.startswith("therapy_outcomes") for m in override["module"])


def test_the_package_says_it_is_typed():
    assert (ROOT / "src" / "therapy_outcomes" / "py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["therapy_outcomes"]


def test_make_lint_runs_ruff_check_ruff_format_and_mypy():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/ruff check $(LINTED)" in recipe
    assert "$(BIN)/ruff format --check $(LINTED)" in recipe
    assert "$(BIN)/mypy" in recipe
    assert "LINTED := src tests benchmarks notebooks" in makefile
