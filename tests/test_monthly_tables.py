"""The published tables, words and charts of the monthly summary (therapy_outcomes.monthly_report).

Each table is checked against the suppression the summary notebook applied before the tables
moved into the package, against the raw measures, and for what the service version must hide.
"""

from __future__ import annotations

import pandas as pd
import pytest

from therapy_outcomes.cohort_report.publish import publish, publish_together
from therapy_outcomes.demo.examples import example_dataset
from therapy_outcomes.monthly_report import figures, tables, wording
from therapy_outcomes.monthly_report.caseload import month_figures, trend_table
from therapy_outcomes.monthly_report.closed_episodes import closed_outcomes
from therapy_outcomes.monthly_report.open_alerts import alert_counts, alert_table
from therapy_outcomes.monthly_report.overdue_goals import goals_overdue
from therapy_outcomes.monthly_report.selection import monthly_context

MONTH = "2026-10"
COUNTS = [
    "active",
    "new",
    "discharged",
    "sessions_attended",
    "did_not_attend",
    "sessions_with_questionnaire",
]
RATES = {
    "dna_rate": ["did_not_attend", "sessions_attended"],
    "completion_rate": ["sessions_with_questionnaire", "sessions_attended"],
}


@pytest.fixture(scope="module")
def service():
    return monthly_context(example_dataset(40), MONTH)


@pytest.fixture(scope="module")
def clinician():
    return monthly_context(example_dataset(40), MONTH, audience="clinician")


@pytest.fixture(scope="module")
def strict():
    """The service version with min_cell 20: most of the month's counts are hidden."""
    return monthly_context(example_dataset(40), MONTH, min_cell=20)


def _small(table: pd.DataFrame, columns: list[str], k: int) -> list[int]:
    return [int(v) for c in columns for v in table[c] if v != "*" and 0 < int(v) < k]


def test_smallest_count_shown_depends_on_the_version(service, clinician):
    assert (service.clinician, service.min_shown) == (False, 5)
    assert (clinician.clinician, clinician.min_shown) == (True, 1)


@pytest.mark.parametrize("audience", ["service", "clinician"])
@pytest.mark.parametrize("min_cell", [5, 20])
def test_tables_match_the_notebooks_former_publish_calls(audience, min_cell):
    ctx = monthly_context(example_dataset(40), MONTH, audience=audience, min_cell=min_cell)
    k = 1 if audience == "clinician" else min_cell
    # issue 12: the twelve months are published together (the caseload identity between
    # consecutive months), and this month is their last row
    year = publish(trend_table(ctx, months=12), k, counts=COUNTS, derived=RATES)
    year = publish_together({"months": year}, tables.caseload_relations(year))["months"]
    for months, got in ((1, tables.this_month(ctx)), (12, tables.last_twelve_months(ctx))):
        expected = year.iloc[-months:].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected)
        alone = publish(trend_table(ctx, months=months), k, counts=COUNTS, derived=RATES)
        hidden_before = alone.eq("*").to_numpy()
        assert got.eq("*").to_numpy()[hidden_before].all()  # never shows what it hid before
    closed = closed_outcomes(ctx)
    counts = [c for c in closed.columns if c != "instrument"]
    pd.testing.assert_frame_equal(
        tables.closed_episodes(ctx), publish(closed, k, counts=counts, total_column="paired")
    )
    rows = alert_table(ctx)
    summary, to_review = tables.open_alerts(ctx)
    pd.testing.assert_frame_equal(summary, publish(alert_counts(rows), k, counts=["clients"]))
    assert (to_review is None) == (audience == "service")
    overdue = goals_overdue(ctx)
    totals = pd.DataFrame([{"clients": len(overdue), "goals": int(overdue["goals"].sum())}])
    goal_summary, _ = tables.overdue_goals(ctx)
    pd.testing.assert_frame_equal(goal_summary, publish(totals, k, counts=["clients", "goals"]))


def test_clinician_version_shows_every_count(clinician):
    figures_now = month_figures(clinician)
    row = tables.this_month(clinician).iloc[0]
    for column in COUNTS:
        assert row[column] == figures_now[column], column
    assert row["dna_rate"] == pytest.approx(figures_now["dna_rate"])
    closed = tables.closed_episodes(clinician)
    assert len(closed)
    categories = ["recovered", "improved", "unchanged", "deteriorated", "harmed"]
    assert (closed[categories].sum(axis=1) == closed["paired"]).all()


def test_service_version_hides_small_counts_and_their_rates(strict):
    k = strict.min_cell
    for table in (tables.this_month(strict), tables.last_twelve_months(strict)):
        assert _small(table, COUNTS, k) == []
        assert (table == "*").any().any()
        for rate, sources in RATES.items():
            hidden = table[sources].eq("*").any(axis=1)
            assert (table.loc[hidden, rate] == "*").all(), rate
    closed = tables.closed_episodes(strict)
    assert _small(closed, [c for c in closed.columns if c != "instrument"], k) == []
    summary, _ = tables.open_alerts(strict)
    assert _small(summary, ["clients"], k) == []
    goal_summary, _ = tables.overdue_goals(strict)
    assert _small(goal_summary, ["clients", "goals"], k) == []


def test_twelve_months_end_with_this_month(service):
    trend = tables.last_twelve_months(service)
    assert len(trend) == 12
    assert trend["month"].iloc[-1] == MONTH
    assert trend.iloc[-1].to_dict() == tables.this_month(service).iloc[0].to_dict()


def test_clients_are_named_in_the_clinician_version_only(service, clinician):
    summary, to_review = tables.open_alerts(service)
    assert to_review is None
    _, by_client = tables.overdue_goals(service)
    assert by_client is None
    summary, to_review = tables.open_alerts(clinician)
    rows = alert_table(clinician)
    assert to_review["client_id"].tolist() == rows["client_id"].tolist()
    assert to_review["date"].tolist() == [d.strftime("%d %b %Y") for d in rows["date"]]
    assert tables.alert_clients(summary) == {
        kind: rows.loc[rows["kind"] == kind, "client_id"].nunique() for kind in summary["alert"]
    }
    goal_summary, by_client = tables.overdue_goals(clinician)
    overdue = goals_overdue(clinician)
    if len(overdue):
        pd.testing.assert_frame_equal(by_client, overdue)
    else:
        assert by_client is None
    assert goal_summary.iloc[0].to_dict() == {
        "clients": len(overdue),
        "goals": int(overdue["goals"].sum()),
    }


def test_display_helpers():
    published = pd.DataFrame(
        {"month": [MONTH], "active": [45], "sessions_attended": [63], "dna_rate": [12.5]}
    )
    assert list(tables.short_headings(published)) == ["month", "active", "attended", "DNA %"]
    assert tables.month_rows(published).values.tolist() == [
        ["active", 45],
        ["sessions attended", 63],
        ["dna rate", 12.5],
    ]


def test_header_names_scope_and_version(service, clinician):
    assert wording.header(service) == (
        "<h1>Monthly summary 2026-10</h1><p>whole service; service version. "
        "Counts below 5 are shown as *.</p>"
    )
    assert wording.header(clinician) == (
        "<h1>Monthly summary 2026-10</h1><p>whole service; clinician version. </p>"
    )
    ds = example_dataset(40)
    site = str(ds.clients["site"].iloc[0])
    therapist = str(ds.clients.loc[ds.clients["site"] == site, "therapist_id"].iloc[0])
    both = monthly_context(ds, MONTH, site=site, therapist=therapist)
    assert wording.scope_words(both) == f"site {site}, therapist {therapist}"
    assert f"<p>site {site}, therapist {therapist}; service version." in wording.header(both)


def test_methods_give_provenance_and_definitions(service):
    text = wording.methods(service)
    p = service.provenance
    assert text.startswith("<h2>Methods and provenance</h2><p>therapy-outcomes ")
    assert f"input data SHA-256 {p['input_hash'][:16]}\u2026; validated on " in text
    assert "parameters {'month': '2026-10', 'site': None" in text
    assert "DNA rate = did-not-attend / (attended + did-not-attend)" in text


def test_trend_charts_draw_the_published_columns(service):
    trend = tables.last_twelve_months(service)
    caseload = figures.caseload_figure(trend)
    assert [d.name for d in caseload.data] == ["active", "new", "discharged"]
    assert list(caseload.data[0].x) == trend["month"].tolist()
    rates = figures.attendance_figure(trend)
    assert [d.name for d in rates.data] == ["dna rate", "completion rate"]
    assert rates.layout.title.text == "DNA and completion (%)"
