"""The explorer notebook in real JupyterLab: run all cells, the widgets and figures draw.

Starts ``jupyter lab`` on a free loopback port (a token of the test's own, ``--allow-root``
as root) in a temporary root holding a copy of ``notebooks/explore.ipynb`` and a small demo
dataset at ``data/demo``, where the notebook's default ``data = "../data/demo"`` points. Headless
Chromium (Debian's, through Playwright) opens the notebook, runs all cells and waits for an
ipywidgets control and a plotly figure's SVG; it then picks a grouping in the page and waits
for the kernel's update to redraw the trajectory. Every request that does not go to the
server is aborted and recorded: the widgets' front-end code must come from the server (the
installed lab extensions and the kernel), not from a CDN.

Needs JupyterLab, anywidget, Playwright and Chromium: fails when one is missing and ``CI`` is
set, is skipped otherwise. The server is always stopped (its whole process group, kernels too).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.rendering.pdf import CHROMIUM_ARGS

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore.ipynb"
HOST = "127.0.0.1"
SERVER_START_S = 45
WIDGETS_S = 60_000  # ms: kernel start, imports, data load, three FigureWidgets
REDRAW_S = 20_000  # ms


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require_lab() -> str:
    """Chromium's path, once JupyterLab, anywidget and Playwright import; else fail/skip."""
    from therapy_outcomes.rendering.pdf import ChromiumNotFoundError, chromium_path

    for module in ("jupyterlab", "anywidget", "playwright.sync_api"):
        try:
            __import__(module)
        except ImportError as exc:
            _missing(f"the JupyterLab explorer test needs {module}: {exc}")
    try:
        return chromium_path()
    except ChromiumNotFoundError as exc:
        _missing(f"the JupyterLab explorer test needs Chromium: {exc}")
    raise AssertionError("unreachable")  # pragma: no cover


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server and its kernels: the process group this test started."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):  # kernels left behind, if any
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[dict]:
    """A running JupyterLab on the copied notebook; yields its base URL, token and log."""
    require_lab()
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy2(NOTEBOOK, root / "notebooks" / NOTEBOOK.name)
    write_demo_clinic(root / "data" / "demo", n_clients=60, seed=7, as_of="2026-10-31")
    home = base / "home"
    env = dict(os.environ)
    env.update(
        {  # no user settings, workspaces or runtime files leak in or out
            "HOME": str(home),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
            "IPYTHONDIR": str(home / "ipython"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    notification = home / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)  # no "Jupyter news?" toast over the outputs
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log_path = base / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited ({proc.returncode}):\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab not up in {SERVER_START_S} s:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield {"url": url, "token": token, "log": log_path}
    finally:
        _stop(proc)


RUN_ALL = """async () => {
    const app = window.jupyterapp;
    let panel = app.shell.currentWidget;
    for (let i = 0; i < 100 && !(panel && panel.sessionContext); i++) {
        await new Promise((r) => setTimeout(r, 100));
        panel = app.shell.currentWidget;
    }
    await panel.context.ready;
    await panel.sessionContext.ready;
    await app.commands.execute("notebook:run-all-cells");
    return panel.context.path;
}"""
TRACES = """() => {
    const plot = document.querySelector(".jp-OutputArea .js-plotly-plot");
    return plot ? plot.querySelectorAll(".scatterlayer .trace").length : -1;
}"""


def test_explorer_renders_in_jupyterlab(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    executable = require_lab()
    local = f"{lab['url']}/"
    requests: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []

    def route(route):
        requests.append(route.request.url)
        if route.request.url.startswith(local) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), headless=True, timeout=30_000
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.set_default_timeout(30_000)
            context.route("**/*", route)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            try:
                page.goto(
                    f"{lab['url']}/lab/tree/notebooks/explore.ipynb?token={lab['token']}",
                    wait_until="domcontentloaded",
                    timeout=30_000,
                )
                page.wait_for_function(
                    "() => window.jupyterapp && window.jupyterapp.shell", timeout=30_000
                )
                page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=30_000)
                assert page.evaluate(RUN_ALL) == "notebooks/explore.ipynb"
                # an ipywidgets control and plotly figures, drawn by the widgets' front ends
                page.wait_for_selector(".jp-OutputArea .widget-dropdown select", timeout=WIDGETS_S)
                page.wait_for_function(
                    """() => document.querySelectorAll(
                        ".jp-OutputArea .js-plotly-plot .main-svg").length >= 3""",
                    timeout=WIDGETS_S,
                )
                assert page.locator(".jp-OutputArea .widget-datepicker").count() == 2
                assert page.locator(".jp-OutputArea .js-plotly-plot").count() == 3
                one = page.evaluate(TRACES)
                assert one == 1
                # a control changed in the page: the kernel recomputes, the figure redraws
                group = page.locator(".jp-OutputArea .widget-dropdown select").nth(1)
                group.select_option("site")
                page.wait_for_function(f"() => ({TRACES})() > 1", timeout=REDRAW_S)
            except Exception:
                page.screenshot(path=str(tmp_path / "lab.png"), full_page=True)
                print(
                    f"screenshot: {tmp_path / 'lab.png'}\nserver log:\n"
                    f"{lab['log'].read_text(errors='replace')[-4000:]}\nerrors: {errors}"
                )
                raise
            finally:
                context.close()
        finally:
            browser.close()
    assert requests, "the page made no requests"
    offsite = [u for u in blocked if u.endswith((".js", ".mjs", ".css")) or "cdn" in u]
    assert offsite == [], f"front-end code requested from outside the server: {offsite}"
    assert blocked == [], f"requests outside the server: {blocked}"
    widget_errors = [e for e in errors if "widget" in e.lower() or "plotly" in e.lower()]
    assert widget_errors == [], widget_errors
