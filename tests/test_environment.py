"""environment.yml mirrors pyproject.toml: same packages, same lower bounds, same Python.

pyproject.toml's ``all`` extra names the other extras (``therapy-outcomes[sql,fhir,...]``);
environment.yml lists what that installs, so the mirror compares the packages behind it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SELF = "therapy-outcomes["


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _extras() -> dict[str, list[str]]:
    return _project()["optional-dependencies"]


def _named_extras(requirement: str) -> list[str]:
    """The extras a self-reference names: ``therapy-outcomes[sql,fhir]`` -> sql, fhir."""
    return requirement.removeprefix(SELF).removesuffix("]").replace(" ", "").split(",")


def _pyproject_requirements() -> set[str]:
    """Every package the core and the extras install (self-references not counted)."""
    reqs = set(_project()["dependencies"])
    for extra in _extras().values():
        reqs.update(r for r in extra if not r.startswith(SELF))
    return {r.replace(" ", "") for r in reqs}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~;]", requirement, maxsplit=1)[0].strip().lower()


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


def test_all_extra_names_every_extra_but_dev():
    extras = _extras()
    (everything,) = extras["all"]
    assert everything.startswith(SELF)
    assert sorted(_named_extras(everything)) == sorted(set(extras) - {"all", "dev"})


def test_only_the_all_extra_refers_to_the_package_itself():
    referring = {name for name, reqs in _extras().items() if any(r.startswith(SELF) for r in reqs)}
    assert referring == {"all"}


def test_dev_duplicates_nothing_all_or_the_core_installs():
    extras = _extras()
    installed = {_name(r) for r in _project()["dependencies"]}
    for name in _named_extras(extras["all"][0]):
        installed |= {_name(r) for r in extras[name]}
    dev = {_name(r) for r in extras["dev"]}
    assert dev and dev.isdisjoint(installed), dev & installed


def test_no_package_is_in_two_places():
    names = [_name(r) for r in _project()["dependencies"]]
    for reqs in _extras().values():
        names += [_name(r) for r in reqs if not r.startswith(SELF)]
    assert len(names) == len(set(names))


def test_make_installs_every_extra_and_the_dev_tools():
    makefile = (ROOT / "Makefile").read_text()
    assert 'pip install --quiet -e ".[all,dev]"' in makefile
