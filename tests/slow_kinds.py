"""The slow kinds of test, marked so that ``make test-fast`` can leave them out.

Four markers (registered in pyproject.toml): ``kernel`` starts a Jupyter kernel (papermill
renders, batches, the notebooks under nbval, JupyterLab), ``browser`` starts Chromium through
Playwright (browser tests, PDFs), ``postgres`` starts a PostgreSQL server and ``dask`` a Dask
cluster. ``make test-fast`` runs ``pytest -m "not kernel and not browser and not postgres and
not dask"``; ``make test`` runs everything.

Marks come from the fixtures a test uses, directly or through other fixtures
(:data:`FIXTURE_MARKS`); every notebook cell is ``kernel``; a test that starts a kernel or a
browser in its own body carries the marker itself (``@pytest.mark.kernel``).

A guard keeps the marks honest, in every run: a test that is not marked ``kernel`` but starts
a Jupyter kernel (in this process, or in a subprocess, where the ``python3`` kernel it finds
only leaves a note and exits), or that is not marked ``browser`` but launches a browser
through Playwright, fails and says which marker it lacks. ``tests/conftest.py`` plugs the
hooks below in.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path

import pytest

#: The markers, in the order ``make test-fast`` names them.
KINDS = ("kernel", "browser", "postgres", "dask")

#: Fixtures that need a slow kind of resource, and the markers of every test that uses them.
FIXTURE_MARKS: dict[str, tuple[str, ...]] = {
    # tests/conftest.py
    "client_reports": ("kernel", "browser"),  # one of them has a PDF
    "chromium": ("browser",),
    "browser": ("browser",),
    # fixtures of one module each
    "rendered": ("kernel",),  # test_render, test_cohort_report, test_monthly_summary
    "exact": ("kernel",),  # test_cohort_report
    "figure_reports": ("kernel",),  # test_browser
    "pdf_report": ("kernel", "browser"),  # test_pdf
    "killed_then_resumed": ("kernel",),  # test_batch
    "probe_notebook": ("kernel",),  # test_batch_engine: the tests run it in warm kernels
    "lab": ("kernel", "browser"),  # test_explorer_lab: JupyterLab, driven by Chromium
    "postgres_url": ("postgres",),  # test_source_sql
    "cluster": ("dask", "kernel"),  # test_batch_dask: the workers render
}


class UnmarkedSlowTestError(RuntimeError):
    """A test started a kernel or a browser without the marker that says so."""


_items: dict[str, pytest.Item] = {}
_violations: dict[str, list[str]] = {}
_patch = pytest.MonkeyPatch()
_decoy: Path | None = None  # JUPYTER_PATH entry with a python3 kernel that only leaves a note


def marks_for(item: pytest.Item) -> set[str]:
    """The slow kinds ``item`` needs, from its fixtures (and notebook cells: ``kernel``)."""
    kinds = {"kernel"} if item.path.suffix == ".ipynb" else set()
    for name in getattr(item, "fixturenames", ()):
        kinds.update(FIXTURE_MARKS.get(name, ()))
    return kinds


def _current() -> pytest.Item | None:
    running = os.environ.get("PYTEST_CURRENT_TEST", "")  # "<nodeid> (<phase>)", set by pytest
    return _items.get(running.rsplit(" (", 1)[0])


def refuse_unless_marked(kind: str, what: str) -> None:
    """Record and raise :class:`UnmarkedSlowTestError` when the running test is not ``kind``."""
    item = _current()
    if item is None or item.get_closest_marker(kind) is not None:
        return
    message = f"{item.nodeid} {what} but is not marked '{kind}' (see tests/slow_kinds.py)"
    _violations.setdefault(item.nodeid, []).append(message)
    raise UnmarkedSlowTestError(message)


def take_violations(item: pytest.Item) -> list[str]:
    """What ``item`` did without its marker (in this process or a subprocess); cleared."""
    found = _violations.pop(item.nodeid, [])
    if _decoy is not None:
        for note in sorted((_decoy / "started").iterdir()):
            found.append(
                f"{item.nodeid} started a Jupyter kernel in a subprocess but is not "
                "marked 'kernel' (see tests/slow_kinds.py)"
            )
            note.unlink()
    return found


def _write_decoy() -> Path:
    """A Jupyter data folder whose ``python3`` kernel leaves a note in ``started/`` and exits."""
    root = Path(tempfile.mkdtemp(prefix="to-test-decoy-"))
    (root / "started").mkdir()
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    code = (
        "import os, pathlib, sys; pathlib.Path(sys.argv[1], str(os.getpid())).touch(); sys.exit(1)"
    )
    kernel = {
        "argv": [sys.executable, "-c", code, str(root / "started"), "{connection_file}"],
        "display_name": "decoy for tests not marked kernel",
        "language": "python",
    }
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return root


def install_guards() -> None:
    """Route kernel and Playwright browser launches through :func:`refuse_unless_marked`."""
    global _decoy
    _decoy = _write_decoy()
    try:
        from jupyter_client.provisioning import LocalProvisioner
    except ImportError:  # pragma: no cover - jupyter_client is a dependency
        pass
    else:
        launch_kernel = LocalProvisioner.launch_kernel

        async def guarded_launch_kernel(self, cmd, **kwargs):
            refuse_unless_marked("kernel", "starts a Jupyter kernel")
            return await launch_kernel(self, cmd, **kwargs)

        _patch.setattr(LocalProvisioner, "launch_kernel", guarded_launch_kernel)
    try:
        from playwright.sync_api import BrowserType
    except ImportError:  # pragma: no cover - playwright is a dependency
        return
    for name in ("launch", "launch_persistent_context"):
        original = getattr(BrowserType, name)

        def guarded(self, *args, _original=original, **kwargs):
            refuse_unless_marked("browser", "launches a browser")
            return _original(self, *args, **kwargs)

        _patch.setattr(BrowserType, name, guarded)


def remove_guards() -> None:
    """Undo :func:`install_guards`."""
    _patch.undo()
    if _decoy is not None:
        shutil.rmtree(_decoy, ignore_errors=True)


# Hooks, imported into tests/conftest.py.


def pytest_configure(config: pytest.Config) -> None:
    install_guards()


def pytest_unconfigure(config: pytest.Config) -> None:
    remove_guards()


@pytest.hookimpl(tryfirst=True)  # before -m deselects by these marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for kind in sorted(marks_for(item)):
            item.add_marker(kind)
        _items[item.nodeid] = item


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator:
    """Tests not marked ``kernel`` find the decoy ``python3`` kernel first (in subprocesses)."""
    if item.get_closest_marker("kernel") is not None or _decoy is None:
        return (yield)
    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(_decoy), *([before] if before else [])])
    try:
        return (yield)
    finally:
        if before is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = before


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    found = take_violations(item)
    if found:
        pytest.fail("; ".join(found), pytrace=False)
