"""The published tables of the monthly summary, one function per table, ready to display.

Every table goes through :func:`therapy_outcomes.cohort_report.publish.publish` with the
context's :attr:`~therapy_outcomes.monthly_report.selection.MonthlyContext.min_shown`: counts
below ``min_cell`` (and rates that would give them away) are ``*`` in the service version, and
every count is shown in the clinician version. Lists that name clients are returned for the
clinician version only (``None`` in the service version).
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

from therapy_outcomes.cohort_report.publish import Cell, publish, publish_together
from therapy_outcomes.monthly_report.caseload import trend_table
from therapy_outcomes.monthly_report.closed_episodes import closed_outcomes
from therapy_outcomes.monthly_report.open_alerts import alert_counts, alert_table
from therapy_outcomes.monthly_report.overdue_goals import goals_overdue
from therapy_outcomes.monthly_report.selection import MonthlyContext

__all__ = [
    "MONTH_COUNTS",
    "MONTH_RATES",
    "SHORT_HEADINGS",
    "alert_clients",
    "caseload_relations",
    "closed_episodes",
    "last_twelve_months",
    "month_rows",
    "open_alerts",
    "overdue_goals",
    "short_headings",
    "this_month",
]

#: Count columns of a month's figures (``caseload.month_figures``).
MONTH_COUNTS = [
    "active",
    "new",
    "discharged",
    "sessions_attended",
    "did_not_attend",
    "sessions_with_questionnaire",
]
#: The rates of a month's figures and the counts each is computed from.
MONTH_RATES = {
    "dna_rate": ["did_not_attend", "sessions_attended"],
    "completion_rate": ["sessions_with_questionnaire", "sessions_attended"],
}
#: Column headings of the twelve-month table (the others keep their names).
SHORT_HEADINGS = {
    "sessions_attended": "attended",
    "did_not_attend": "DNA",
    "dna_rate": "DNA %",
    "sessions_with_questionnaire": "with questionnaire",
    "completion_rate": "completion %",
}


def caseload_relations(months: pd.DataFrame, name: str = "months") -> list[dict[Cell, float]]:
    """The identity a reader can use between consecutive months: a client active this month
    was active last month and not discharged then, or is new this month, so
    ``active[m] = active[m-1] - discharged[m-1] + new[m]``.

    Examples
    --------
    >>> caseload_relations(pd.DataFrame({"month": ["2026-09", "2026-10"]}))[0][("months", 1, "new")]
    -1.0
    """
    out: list[dict[Cell, float]] = []
    for m in range(1, len(months)):
        out.append(
            {
                (name, m, "active"): 1.0,
                (name, m - 1, "active"): -1.0,
                (name, m - 1, "discharged"): 1.0,
                (name, m, "new"): -1.0,
            }
        )
    return out


def _months(ctx: MonthlyContext, months: int) -> pd.DataFrame:
    """The last twelve months published together (so this month's row is the same in every
    table), then the last ``months`` of them."""
    table = publish(
        trend_table(ctx, months=12), ctx.min_shown, counts=MONTH_COUNTS, derived=MONTH_RATES
    )
    table = publish_together({"months": table}, caseload_relations(table))["months"]
    out = table.iloc[-months:].reset_index(drop=True)
    out.attrs = {}
    return out


def this_month(ctx: MonthlyContext) -> pd.DataFrame:
    """The month's caseload, sessions, DNA and completion: one row (display it with
    :func:`month_rows`).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> this_month(example_month())["month"].tolist()
    ['2026-10']
    """
    return _months(ctx, 1)


def last_twelve_months(ctx: MonthlyContext) -> pd.DataFrame:
    """The figures of :func:`this_month` for the twelve months up to and including this one.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> months = last_twelve_months(example_month())["month"]
    >>> len(months), months.iloc[-1]
    (12, '2026-10')
    """
    return _months(ctx, 12)


def month_rows(published_month: pd.DataFrame) -> pd.DataFrame:
    """One month's published figures as ``measure``/``value`` rows, counts shown as integers.

    Examples
    --------
    >>> month_rows(pd.DataFrame({"month": ["2026-10"], "active": [45.0], "dna_rate": [12.5],
    ...                          "new": ["*"]})).values.tolist()
    [['active', 45], ['dna rate', 12.5], ['new', '*']]
    """
    rows = published_month.drop(columns="month").T.reset_index()
    rows.columns = ["measure", "value"]
    rows["measure"] = rows["measure"].str.replace("_", " ")
    values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in rows["value"]]
    rows["value"] = pd.Series(values, index=rows.index, dtype=object)
    return rows


def short_headings(published_months: pd.DataFrame) -> pd.DataFrame:
    """The twelve-month table with the :data:`SHORT_HEADINGS`, for display.

    Examples
    --------
    >>> list(short_headings(pd.DataFrame(columns=["month", "did_not_attend", "dna_rate"])))
    ['month', 'DNA', 'DNA %']
    """
    return published_months.rename(columns=SHORT_HEADINGS)


def closed_episodes(ctx: MonthlyContext) -> pd.DataFrame:
    """Categories of the episodes that closed this month, per instrument (empty when none).

    Each category is a count; ``paired`` is the row's total, so a hidden count cannot be found
    by subtraction.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> list(closed_episodes(example_month()).columns)[:3]
    ['instrument', 'paired', 'recovered']
    """
    closed = closed_outcomes(ctx)
    counts = [c for c in closed.columns if c != "instrument"]
    return publish(closed, ctx.min_shown, counts=counts, total_column="paired")


def open_alerts(ctx: MonthlyContext) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Clients with each kind of open alert, and (clinician version) the alerts to review.

    Returns
    -------
    (summary, to_review) : DataFrame, DataFrame or None
        ``alert, clients`` published; ``client_id, kind, date, instrument, explanation`` with
        dates as ``31 Oct 2026`` in the clinician version, ``None`` in the service version.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> summary, to_review = open_alerts(example_month())
    >>> summary["alert"].tolist(), to_review
    (['not_on_track', 'reliable_deterioration', 'risk_item'], None)
    """
    rows = alert_table(ctx)
    summary = publish(alert_counts(rows), ctx.min_shown, counts=["clients"])
    if not ctx.clinician:
        return summary, None
    return summary, rows.assign(date=rows["date"].dt.strftime("%d %b %Y"))


def overdue_goals(ctx: MonthlyContext) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Clients with goals overdue for review and those goals, and (clinician version) per client.

    Returns
    -------
    (summary, by_client) : DataFrame, DataFrame or None
        ``clients, goals`` published (one row); ``client_id, goals`` in the clinician version
        when some are overdue, else ``None``.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> summary, by_client = overdue_goals(example_month())
    >>> list(summary.columns), by_client
    (['clients', 'goals'], None)
    """
    overdue = goals_overdue(ctx)
    totals = pd.DataFrame([{"clients": len(overdue), "goals": int(overdue["goals"].sum())}])
    summary = publish(totals, ctx.min_shown, counts=["clients", "goals"])
    return summary, overdue if ctx.clinician and len(overdue) else None


def alert_clients(summary: pd.DataFrame) -> dict[str, Any]:
    """Alert kind -> clients, from the summary of :func:`open_alerts` (what the report glues).

    Examples
    --------
    >>> alert_clients(pd.DataFrame({"alert": ["risk_item"], "clients": ["*"]}))
    {'risk_item': '*'}
    """
    return cast(dict[str, Any], summary.set_index("alert")["clients"].to_dict())  # kinds: names
