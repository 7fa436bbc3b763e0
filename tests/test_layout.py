"""The package's layout keeps its promises: stage folders, no import cycles, no private reach-ins.

Imports are read from the source with ``ast``, those inside functions included (lazy imports
keep start-up cheap, but they still must not form a cycle or reach another package's private
names).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import therapy_outcomes

PACKAGE = Path(therapy_outcomes.__file__).parent

#: What the package root may hold beside its subpackages: the public API, errors and a few
#: shared helpers.
ROOT_MODULES = {"__init__", "errors", "parameters", "caching", "extras"}

#: The stage folders a newcomer should find.
STAGES = {
    "sources",
    "loading",
    "instruments",
    "change",
    "outcomes",
    "goals",
    "alerts",
    "rendering",
    "client_report",
    "cohort_report",
    "monthly_report",
    "overview",
    "explorer",
    "export",
    "demo",
    "batch",
    "cli",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text()) for p in sorted(PACKAGE.rglob("*.py"))}


def package_of(name: str, is_package: bool) -> str:
    return name if is_package else name.rpartition(".")[0]


def imports(name: str, tree: ast.Module, top_level_only: bool) -> list[tuple[str, list[str]]]:
    """(module imported, names imported from it) for the package's own modules."""
    found = []
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".")
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            if base.startswith("therapy_outcomes"):
                found.append((base, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("therapy_outcomes")]
    return found


def test_the_root_holds_only_the_api_errors_and_shared_helpers():
    root = {p.stem for p in PACKAGE.glob("*.py")}
    assert root <= ROOT_MODULES, root - ROOT_MODULES
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == STAGES


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_every_stage_says_what_it_holds(stage):
    doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text()))
    assert doc and len(doc.split()) >= 5


def test_no_import_cycles_between_modules():
    """Not even through imports inside functions (the old cli <-> cli_data cycle was one)."""
    trees = modules()
    names = set(trees)
    graph: dict[str, set[str]] = {}
    for name, tree in trees.items():
        deps = set()
        for target, imported in imports(name, tree, top_level_only=False):
            # "from pkg import module" depends on the module; "from module import name" on it
            subs = {f"{target}.{n}" for n in imported if f"{target}.{n}" in names}
            deps |= subs or ({target} if target in names else set())
        graph[name] = deps - {name}

    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                # a package importing its own submodules is no cycle unless they import it back
                cycles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_no_module_imports_another_packages_private_names():
    trees = modules()
    offences = []
    for name, tree in trees.items():
        is_pkg = (PACKAGE.parent / Path(*name.split("."))).is_dir()
        home = package_of(name, is_pkg)
        for target, imported in imports(name, tree, top_level_only=False):
            target_is_pkg = (PACKAGE.parent / Path(*target.split("."))).is_dir()
            target_home = package_of(target, target_is_pkg)
            for n in imported:
                if n.startswith("_") and not n.startswith("__") and target_home != home:
                    offences.append(f"{name} imports {n} from {target}")
            private_module = any(part.startswith("_") and part != "__init__"
                                 for part in target.split("."))  # fmt: skip
            if private_module and not target.startswith(home + ".") and target_home != home:
                offences.append(f"{name} imports the private module {target}")
    assert offences == []
