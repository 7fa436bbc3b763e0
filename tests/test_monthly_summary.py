"""The monthly summary: glued figures against a recomputation, service version privacy."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from conftest import open_page
from therapy_outcomes.monthly_report.open_alerts import alert_table
from therapy_outcomes.monthly_report.render import render_monthly_summary
from therapy_outcomes.monthly_report.selection import monthly_context

AS_OF = "2026-10-31"
MONTH = "2026-10"


@pytest.fixture(scope="module")
def rendered(clinic, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return {
        a: render_monthly_summary(clinic, MONTH, out, audience=a) for a in ("service", "clinician")
    }


def test_paths(rendered):
    assert rendered["service"].html.as_posix().endswith("monthly/2026-10/service.html")
    assert rendered["clinician"].html.as_posix().endswith("monthly/2026-10/service-clinician.html")


def test_caseload_and_sessions_match_a_recount(rendered, dataset):
    c = dataset.clients
    began = c["episode_start"].fillna(c["referred_on"])
    m0, m1 = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-31")
    ended = c["episode_end"]
    active = int(((began <= m1) & (ended.isna() | (ended >= m0))).sum())
    ses = dataset.sessions[dataset.sessions["session_on"].between(m0, m1)]
    glued = rendered["clinician"].glue["month_figures"]
    assert glued["active"] == active
    assert glued["new"] == int(began.between(m0, m1).sum())
    assert glued["discharged"] == int(ended.between(m0, m1).sum())
    assert glued["sessions_attended"] == int((ses["attendance"] == "attended").sum())


def test_service_version_shows_no_small_count_and_no_client(rendered, dataset):
    result = rendered["service"]
    html = result.html.read_text()
    ids = set(dataset.clients["client_id"])
    for path in (result.html, result.notebook):
        text = path.read_text()
        assert not [i for i in ids if i in text], path.name
    for table in re.findall(r"<table.*?</table>", html, flags=re.S):
        header = re.findall(r"<th>(.*?)</th>", table)
        rate_cols = {i for i, h in enumerate(header) if "rate" in h or h == "month"}
        for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
            cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
            for i, cell in enumerate(cells):
                if i not in rate_cols and re.fullmatch(r"\d+", cell.strip()):
                    assert not 0 < int(cell) < 5, (header, cells)


def test_clinician_version_lists_alerted_clients(rendered, dataset):
    ctx = monthly_context(dataset, MONTH, audience="clinician")
    alerted = set(alert_table(ctx)["client_id"])
    html = rendered["clinician"].html.read_text()
    assert alerted and all(a in html for a in alerted)


def test_cli_one_line_error(clinic, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "therapy_outcomes.cli.reports",
            "monthly",
            "--data",
            str(clinic),
            "--out",
            str(tmp_path),
            "--month",
            "2026-13",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "is not a month" in done.stderr and "Traceback" not in done.stderr


def test_site_and_therapist_scopes(dataset, tmp_path):
    from therapy_outcomes.errors import ParameterError
    from therapy_outcomes.monthly_report.render import monthly_report_path

    site = str(dataset.clients["site"].iloc[0])
    ctx = monthly_context(dataset, MONTH, site=site)
    assert set(ctx.clients["site"]) == {site}
    therapist = str(ctx.clients["therapist_id"].iloc[0])
    ctx_t = monthly_context(dataset, MONTH, therapist=therapist)
    assert set(ctx_t.sessions["therapist_id"]) <= {therapist}
    assert monthly_report_path(tmp_path, MONTH, therapist=therapist).name == (
        f"therapist-{therapist}.html"
    )
    with pytest.raises(ParameterError, match="unknown site"):
        monthly_context(dataset, MONTH, site="Atlantis")
    with pytest.raises(ParameterError, match="not allowed"):
        monthly_report_path(tmp_path, MONTH, site="../etc")
    with pytest.raises(ParameterError, match="after the dataset"):
        monthly_context(dataset, "2027-01")


@pytest.mark.parametrize("audience", ["service", "clinician"])
def test_monthly_summary_in_a_real_browser(browser, rendered, audience, tmp_path):
    """Every chart draws, nothing leaves file://, no console error."""
    html = rendered[audience].html
    page, requests, errors = open_page(
        browser, html.as_uri(), width=1000, screenshot=tmp_path / f"{audience}.png"
    )
    try:
        assert errors == []
        assert requests == [html.as_uri()]
        assert page.locator("figure.to-figure .main-svg").count() >= 2
    finally:
        page.context.close()
