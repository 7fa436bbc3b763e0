"""The marks that make test-fast fast: applied from fixtures, and kept honest by a guard."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from slow_kinds import FIXTURE_MARKS, KINDS, UnmarkedSlowTestError, marks_for, take_violations

TESTS = Path(__file__).parent


def test_an_unmarked_test_may_not_start_a_kernel(request):
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name="python3")
    try:
        with pytest.raises(UnmarkedSlowTestError, match="is not marked 'kernel'"):
            manager.start_kernel()
    finally:
        manager.cleanup_connection_file()
    found = take_violations(request.node)  # cleared, so this test itself passes
    assert len(found) == 1 and "starts a Jupyter kernel" in found[0]


def test_a_kernel_started_in_a_subprocess_of_an_unmarked_test_leaves_a_note(request, tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    argv = [a.replace("{connection_file}", str(tmp_path / "k.json")) for a in spec.argv]
    assert subprocess.run(argv, timeout=60).returncode == 1  # the decoy: it never serves
    found = take_violations(request.node)
    assert len(found) == 1 and "started a Jupyter kernel in a subprocess" in found[0]


@pytest.mark.kernel
def test_a_marked_test_finds_the_real_kernel(request):
    from jupyter_client.kernelspec import KernelSpecManager

    assert "ipykernel" in " ".join(KernelSpecManager().get_kernel_spec("python3").argv)
    assert take_violations(request.node) == []


def test_an_unmarked_test_may_not_launch_a_browser(request):
    from playwright.sync_api import BrowserType

    with pytest.raises(UnmarkedSlowTestError, match="is not marked 'browser'"):
        BrowserType.launch(None)  # type: ignore[arg-type] - refused before it is used
    assert len(take_violations(request.node)) == 1


def test_marks_come_from_fixtures_and_notebooks():
    def item(path: str, *fixtures: str) -> SimpleNamespace:
        return SimpleNamespace(path=Path(path), fixturenames=["tmp_path", *fixtures])

    assert marks_for(item("tests/test_x.py")) == set()
    assert marks_for(item("tests/test_x.py", "clinic", "client_reports")) == {"kernel", "browser"}
    assert marks_for(item("tests/test_x.py", "postgres_url")) == {"postgres"}
    assert marks_for(item("tests/test_x.py", "cluster")) == {"dask", "kernel"}
    assert marks_for(SimpleNamespace(path=Path("notebooks/a.ipynb"))) == {"kernel"}


def test_every_selected_test_carries_the_marks_of_its_fixtures(request):
    """So ``-m "not kernel ..."`` selects no test that uses a fixture which starts a kernel."""
    assert request.session.items
    for item in request.session.items:
        assert marks_for(item) <= {m.name for m in item.iter_markers()}, item.nodeid


def test_marked_fixtures_exist_and_markers_are_registered():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.glob("*.py"))
    for name, kinds in FIXTURE_MARKS.items():
        assert re.search(rf"^def {name}\(", sources, flags=re.M), f"no fixture {name}"
        assert set(kinds) <= set(KINDS)
    pyproject = tomllib.loads((TESTS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    registered = {m.split(":")[0] for m in pyproject["tool"]["pytest"]["ini_options"]["markers"]}
    assert set(KINDS) <= registered
