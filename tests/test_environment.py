"""environment.yml mirrors pyproject.toml: same packages, same lower bounds, same Python."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs.update(extra)
    return {r.replace(" ", "") for r in reqs}


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_pip_section_matches_pyproject():
    deps = _environment()["dependencies"]
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    mirrored = {r.replace(" ", "") for r in pip if not r.startswith("-e")}
    assert mirrored == _pyproject_requirements()


def test_environment_python_matches_requires_python():
    deps = _environment()["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python"))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python.split("=")[-1] == requires.removeprefix(">=")


def test_every_dependency_has_a_lower_bound():
    assert all(">=" in r for r in _pyproject_requirements())
