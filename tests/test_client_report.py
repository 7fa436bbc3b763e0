"""The per-client report end to end: papermill runs, glued values, privacy, errors.

Renders real reports of demo clients chosen by what they show (a reliable deterioration,
missing items, no goals) and checks the numbers the notebook recorded against the package,
and that no output holds anything of any other client.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from conftest import TINY, open_page, pdf_pages, write_dataset
from therapy_outcomes import load
from therapy_outcomes.client_report import render
from therapy_outcomes.client_report.context import client_context
from therapy_outcomes.loading.dataset import accepted_clients
from therapy_outcomes.rendering.html import find_remote_references

AS_OF = "2026-10-31"


def test_reports_land_where_documented(client_reports, client_cases):
    result = client_reports[("deteriorating", "clinician")]
    assert result.html.as_posix().endswith(
        f"clients/{client_cases['deteriorating']}/{AS_OF}-clinician.html"
    )
    assert result.notebook.exists() and result.html.exists()


def test_glued_progress_matches_the_package(client_reports, client_cases, dataset):
    for case in client_cases:
        result = client_reports[(case, "clinician")]
        ctx = client_context(dataset, client_cases[case], as_of=AS_OF)
        glued = {row["instrument"]: row for row in result.glue["progress"]}
        expected = ctx.progress.set_index("instrument")
        assert set(glued) == set(expected.index)
        for code, row in glued.items():
            assert row["latest"] == pytest.approx(expected.loc[code, "latest"])
            assert row["change_category"] == expected.loc[code, "change_category"]
        assert result.glue["attendance"] == ctx.attendance
        assert result.glue["alert_kinds"] == sorted(set(ctx.alerts["kind"]))


def test_deteriorating_client_is_flagged(client_reports):
    glue = client_reports[("deteriorating", "clinician")].glue
    assert "reliable_deterioration" in glue["alert_kinds"]
    assert any(row["change_category"] == "deteriorated" for row in glue["progress"])


def test_client_without_goals_still_renders(client_reports):
    glue = client_reports[("no_goals", "clinician")].glue
    assert glue["n_goals"] == 0
    html = client_reports[("no_goals", "clinician")].html.read_text()
    assert "No goals recorded yet" in html


def test_client_version_leaves_out_risk_and_jargon(client_reports):
    result = client_reports[("deteriorating", "client")]
    assert "risk_item" not in result.glue["alert_kinds"]
    html = result.html.read_text()
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    for word in ("risk item", "clinical cut-off", "moderately severe", "Clinician version"):
        assert word not in text, word
    assert "Client version" in text


def _other_clients_text(dataset, client_id: str) -> dict[str, set[str]]:
    """IDs, goal statements and event texts of every other client that this one lacks."""
    mine_goals = set(dataset.goals.loc[dataset.goals["client_id"] == client_id, "statement"])
    mine_events = set(dataset.events.loc[dataset.events["client_id"] == client_id, "description"])
    others = dataset.goals["client_id"] != client_id
    other_events = dataset.events["client_id"] != client_id
    return {
        "ids": set(dataset.clients["client_id"]) - {client_id},
        "statements": set(dataset.goals.loc[others, "statement"]) - mine_goals,
        "events": set(dataset.events.loc[other_events, "description"]) - mine_events,
    }


def test_no_report_holds_another_clients_data(client_reports, client_cases, dataset):
    assert client_reports, "nothing rendered"
    for (case, _audience), result in client_reports.items():
        client_id = client_cases[case]
        forbidden = _other_clients_text(dataset, client_id)
        for path in (result.html, result.notebook):
            text = path.read_text()
            assert client_id in text
            for kind, values in forbidden.items():
                leaked = [v for v in values if v in text]
                assert leaked == [], f"{path.name} holds other clients' {kind}: {leaked[:3]}"
        metadata = json.loads(result.notebook.read_text())["metadata"]
        for other in forbidden["ids"]:
            assert other not in json.dumps(metadata)


def test_reports_are_offline_and_hold_no_machine_paths(client_reports):
    for result in client_reports.values():
        html = result.html.read_text()
        # plotly.js itself mentions plotly.com in strings; what matters is what the page loads
        tags_only = re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", html, flags=re.S)
        assert find_remote_references(tags_only) == []
        assert "Content-Security-Policy" in html
        for path in (result.html, result.notebook):
            text = path.read_text()
            for marker in ("/tmp/", "/root/", "/home/", "/work/", str(Path.cwd())):
                assert marker not in text, (path.name, marker)


def _main(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run the ``therapy-outcomes`` command in this process: exit code and standard error.

    Nothing may be rendered: every error here is found before papermill starts a kernel.
    """
    from therapy_outcomes.cli.app import main

    def no_render(*args, **kwargs):
        raise AssertionError("render_notebook ran: the error was not found before the kernel")

    monkeypatch.setattr(render, "render_notebook", no_render)
    monkeypatch.setattr(sys, "argv", ["therapy-outcomes", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr().err


def _assert_one_line_error(code: int, stderr: str, message: str) -> None:
    assert code == 2, stderr
    assert message in stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("client_id", "extra", "message"),
    [
        ("C999999", [], "unknown client 'C999999'"),
        ("../C000001", [], "not allowed"),
        ("C000001", ["--audience", "family"], "audience must be one of"),
        ("C000001", ["--as-of", "2020-01-01"], "before client 'C000001' was referred"),
        ("C000001", ["--as-of", "soon"], "is not a date"),
    ],
)
def test_bad_requests_are_one_line_errors_and_write_nothing(
    clinic, tmp_path, monkeypatch, capsys, client_id, extra, message
):
    out = tmp_path / "out"
    args = ("report", "client", client_id, "--data", str(clinic), "--out", str(out), *extra)
    _assert_one_line_error(*_main(monkeypatch, capsys, *args), message)
    assert not out.exists() or not any(out.rglob("*.*"))


def test_an_output_folder_that_cannot_be_written_is_a_one_line_error(
    clinic, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "out"
    out.write_text("a file, not a folder")
    args = ("report", "client", "C000001", "--data", str(clinic), "--out", str(out))
    _assert_one_line_error(*_main(monkeypatch, capsys, *args), f"{out} is not a folder")
    assert out.read_text() == "a file, not a folder"


def test_an_unreadable_dataset_is_a_one_line_error_before_the_kernel(tmp_path, monkeypatch, capsys):
    data = write_dataset(tmp_path / "data", {"sessions": TINY["sessions"]})
    args = ("report", "client", "C1", "--data", str(data), "--out", str(tmp_path / "out"))
    _assert_one_line_error(*_main(monkeypatch, capsys, *args), "the clients table is required")
    assert not (tmp_path / "out").exists()


def test_the_clients_checked_first_are_the_clients_load_accepts(tmp_path):
    clients = TINY["clients"] + (
        "C3,North,T1,not a date,,,\n"  # unparseable referral
        "C1,South,T2,2026-01-06,,,\n"  # duplicate ID
        "C4,North,T1,2099-01-01,,,\n"  # referred after today
        "C5,North,T1,2026-03-01,2026-02-01,,\n"  # episode before referral
        "C6,North,T1,2026-03-01\n"  # a row that does not split into the columns
    )
    data = write_dataset(tmp_path / "data", {**TINY, "clients": clients})
    loaded = load(data)
    assert loaded.n_rejected  # the rows above are rejected: the comparison means something
    assert accepted_clients(data).equals(loaded.clients)


@pytest.mark.parametrize("width", [1000, 390])
def test_report_in_a_real_browser(browser, client_reports, width, tmp_path):
    """Every chart draws, nothing leaves file://, no console error, no sideways scroll."""
    for key in (("deteriorating", "clinician"), ("deteriorating", "client")):
        html = client_reports[key].html
        shot = tmp_path / f"{key[1]}-{width}.png"
        page, requests, errors = open_page(browser, html.as_uri(), width=width, screenshot=shot)
        try:
            assert errors == []
            assert requests == [html.as_uri()]
            figures = page.locator("figure.to-figure")
            assert figures.count() >= 3
            assert page.locator("figure.to-figure .main-svg").count() >= figures.count()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert shot.stat().st_size > 20_000
        finally:
            page.context.close()


def test_pdf_has_the_client_on_every_page(client_reports, client_cases):
    result = client_reports[("deteriorating", "client")]
    pages = pdf_pages(result.pdf.read_bytes())
    assert 2 <= len(pages) <= 40
    for number, text in enumerate(pages, start=1):
        assert client_cases["deteriorating"] in text
        assert f"Page {number} of {len(pages)}" in text
