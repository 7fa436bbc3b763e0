"""Shared fixtures: a tiny hand-written dataset whose every number can be checked by hand, the
demo clinic, the client reports rendered from it (once per run), and a browser.

The hooks that mark the slow kinds of test (``kernel``, ``browser``, ``postgres``, ``dask``)
and check those marks come from :mod:`slow_kinds`.
"""

from __future__ import annotations

import gc
import io
import os
from pathlib import Path

import pytest

from slow_kinds import (  # noqa: F401 - pytest hooks
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_runtest_protocol,
    pytest_runtest_teardown,
    pytest_unconfigure,
)
from therapy_outcomes.rendering.display import skip_slow_optional_imports

# As in every report kernel: no 1.5-2.5 s Lark grammar for a jsonschema string format nothing
# here checks. It only works while jsonschema is not imported yet: make test-fast runs without
# nbval, which imports it before this file; make test is unchanged.
skip_slow_optional_imports()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the collected modules and tests out of every later garbage collection.

    They live until the run ends anyway; frozen, the collector no longer walks them again and
    again (about half of the time garbage collection takes in a run).
    """
    gc.freeze()


AS_OF = "2026-06-30"

TINY = {
    "clients": """client_id,site,therapist_id,referred_on,episode_start,episode_end,end_reason
C1,North,T1,2026-01-05,2026-01-12,,
C2,South,T2,2026-01-20,2026-02-02,2026-05-25,completed
""",
    "sessions": """session_id,client_id,therapist_id,session_on,kind,attendance
S1,C1,T1,2026-01-12,assessment,attended
S2,C1,T1,2026-01-19,treatment,attended
S3,C1,T1,2026-01-26,treatment,did_not_attend
S4,C2,T2,2026-02-02,assessment,attended
S5,C2,T2,2026-02-09,treatment,attended
""",
    "goals": """goal_id,client_id,statement,category,horizon,parent_goal_id,measure,unit,baseline,target,target_date,set_on,agreed_on,values,strengths,status,revises_goal_id
G1,C1,Go back to swimming weekly,behavioural,long_term,,GBO,,2,8,2026-06-01,2026-01-12,2026-01-12,health,determined,active,
G2,C1,Swim once this week,behavioural,short_term,G1,count,swims per week,0,1,2026-02-01,2026-01-12,2026-01-12,health,,active,
G3,C2,Feel happier,emotional,long_term,,GAS,,,,,2026-02-02,,,,active,
""",
    "goal_ratings": """goal_id,rated_on,value,session_id,rater
G1,2026-01-12,2,S1,joint
G1,2026-01-19,4,S2,joint
G2,2026-01-19,1,S2,client
G3,2026-02-09,-1,S5,joint
""",
    "administrations": """administration_id,client_id,instrument,administered_on,session_id,rater,item_1,item_2,item_3,item_4,item_5,item_6,item_7,item_8,item_9
A1,C1,PHQ-9,2026-01-12,S1,self,3,3,2,2,1,1,2,1,1
A2,C1,phq9,2026-01-19,S2,self,2,2,1,,1,1,1,1,0
A3,C1,GAD-7,2026-01-12,S1,self,2,2,2,1,1,1,1,,
A4,C2,PHQ-9,2026-02-02,S4,self,1,1,1,1,1,1,1,1,0
""",
    "homework": """homework_id,client_id,assigned_on,due_on,task,goal_id,status
H1,C1,2026-01-12,2026-01-19,Look up pool times,G2,completed
""",
    "events": """event_id,client_id,occurred_on,kind,description,impact
E1,C2,2026-03-01,life_event,Moved house,negative
""",
}


def write_dataset(
    folder: Path, tables: dict[str, str], *, sep: str = ",", bom: bool = False
) -> Path:
    """Write ``tables`` (name -> CSV text) into ``folder`` as UTF-8 files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        body = text if sep == "," else text.replace(",", sep)
        (folder / f"{name}.csv").write_text(body, encoding="utf-8-sig" if bom else "utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """The tiny dataset as a folder of CSV files."""
    return write_dataset(tmp_path / "tiny", TINY)


@pytest.fixture
def tiny_tables() -> dict[str, str]:
    """A fresh copy of the tiny dataset's CSV texts, to break on purpose."""
    return dict(TINY)


def with_total_column(text: str, first_total: str) -> str:
    """Add a ``total`` column: ``first_total`` on the first data row, empty on the others."""
    lines = text.splitlines()
    out = [lines[0] + ",total", lines[1] + "," + first_total] + [line + "," for line in lines[2:]]
    return "\n".join(out) + "\n"


#: The project's shared public data (published trials, NHANES, national figures) lives beside
#: the repository, in ../shared/external; THERAPY_OUTCOMES_EXTERNAL points elsewhere.
EXTERNAL = Path(
    os.environ.get(
        "THERAPY_OUTCOMES_EXTERNAL", Path(__file__).resolve().parents[2] / "shared" / "external"
    )
)


def external(*parts: str) -> Path:
    """Path of a shared external data file; missing data fails in CI and skips elsewhere."""
    path = EXTERNAL.joinpath(*parts)
    if not path.exists():
        message = f"shared external data not found: {path} (set THERAPY_OUTCOMES_EXTERNAL)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


#: The demo clinic the report tests share: 200 clients, seed 7, data up to this date.
DEMO_AS_OF = "2026-10-31"


@pytest.fixture(scope="session")
def clinic(tmp_path_factory) -> Path:
    """The demo clinic written once per test session (tests must not modify it)."""
    from therapy_outcomes.demo import write_demo_clinic

    folder = tmp_path_factory.mktemp("clinic")
    write_demo_clinic(folder, n_clients=200, seed=7, as_of=DEMO_AS_OF)
    return folder


@pytest.fixture(scope="session")
def dataset(clinic):
    """The demo clinic loaded once per test session (tests must not modify it)."""
    from therapy_outcomes import load

    return load(clinic, as_of=DEMO_AS_OF)


@pytest.fixture(scope="session")
def client_cases(dataset) -> dict[str, str]:
    """One demo client for each situation the client report must handle."""
    from therapy_outcomes import alerts_for_dataset

    alerts = alerts_for_dataset(dataset, as_of=DEMO_AS_OF)
    deteriorating = alerts.loc[alerts["kind"] == "reliable_deterioration", "client_id"]
    prorated = dataset.scores.loc[dataset.scores["prorated"].astype(bool), "client_id"]
    with_sessions = set(dataset.sessions["client_id"])
    no_goals = sorted(with_sessions - set(dataset.goals["client_id"]))
    assert len(deteriorating) and len(prorated) and no_goals, "demo lacks a needed case"
    return {
        "deteriorating": str(deteriorating.iat[0]),
        "missing_items": str(prorated.iat[0]),
        "no_goals": no_goals[0],
    }


@pytest.fixture(scope="session")
def client_reports(clinic, client_cases, tmp_path_factory) -> dict[tuple[str, str], object]:
    """The clinician report of every case and the client version (with a PDF) of one, rendered
    once per test run: ``(case, audience)`` -> RenderResult."""
    from therapy_outcomes.client_report.render import render_client_report

    out = tmp_path_factory.mktemp("client-reports")
    results = {}
    for case, client_id in client_cases.items():
        results[(case, "clinician")] = render_client_report(
            client_id, data=clinic, out=out, as_of=DEMO_AS_OF, audience="clinician"
        )
    results[("deteriorating", "client")] = render_client_report(
        client_cases["deteriorating"],
        data=clinic,
        out=out,
        as_of=DEMO_AS_OF,
        audience="client",
        pdf=True,
    )
    return results


@pytest.fixture(scope="session")
def chromium() -> str:
    """Chromium's path; fail in CI, skip elsewhere, when it or Playwright is missing."""
    from therapy_outcomes.rendering.pdf import ChromiumNotFoundError, chromium_path

    try:
        import playwright.sync_api  # noqa: F401

        return chromium_path()
    except (ImportError, ChromiumNotFoundError) as exc:
        message = f"browser and PDF tests need Chromium and Playwright: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


# Module scope, not session: while Playwright's sync API is open it marks an asyncio loop as
# running in this thread, which would change how every later test runs its kernels.
@pytest.fixture(scope="module")
def browser(chromium):
    """A headless Chromium (Playwright) for the tests of one module."""
    from playwright.sync_api import sync_playwright

    from therapy_outcomes.rendering.pdf import CHROMIUM_ARGS

    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=chromium, args=list(CHROMIUM_ARGS), headless=True
        )
        yield launched
        launched.close()


#: True once every report figure on the page has drawn its SVG.
DRAWN = """() => [...document.querySelectorAll("figure.to-figure")].every(
    (f) => f.querySelector(".main-svg") !== null)"""


def open_page(browser, url: str, *, width: int, screenshot: Path | None = None):
    """Open ``url``; return (page, requests, errors) once every figure has drawn."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    requests: list[str] = []
    errors: list[str] = []

    def route(route):
        requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda req: errors.append(f"failed: {req.url}"))
    page.goto(url, wait_until="load")
    page.wait_for_function(DRAWN, timeout=15_000)
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    return page, requests, errors


#: An A4 page in PDF points.
A4 = (595.0, 842.0)


def pdf_pages(data: bytes) -> list[str]:
    """The text of every page of a PDF whose pages are A4 and hold no pictures."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4[0]) < 2 and abs(height - A4[1]) < 2
        assert list(page.images) == []  # charts are vector graphics, not pictures
    return [page.extract_text() for page in reader.pages]
