"""Open alerts at the month's end: one row per alert (clinician version) and counts of clients."""

from __future__ import annotations

import pandas as pd

from therapy_outcomes.monthly_report.selection import MonthlyContext

__all__ = ["ALERT_KINDS", "alert_counts", "alert_table"]


#: Alert kinds the monthly summary lists (open alerts for the clinician version).
ALERT_KINDS = ("not_on_track", "reliable_deterioration", "risk_item")


def alert_table(ctx: MonthlyContext) -> pd.DataFrame:
    """Open alerts at the month's end of clients with an open episode, one row per alert.

    ``client_id, kind, date, instrument, explanation``. The service version must not show it:
    use :func:`alert_counts`.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> list(alert_table(example_month()).columns)
    ['client_id', 'kind', 'date', 'instrument', 'explanation']
    """
    from therapy_outcomes.alerts import alerts

    found = alerts(ctx.ds, as_of=ctx.month_end, kinds=list(ALERT_KINDS))
    found = found[found["client_id"].isin(set(ctx.clients["client_id"]))]
    if "episode_open" in found:
        found = found[found["episode_open"].fillna(True).astype(bool)]
    found = found[found["date"] >= ctx.month_end - pd.Timedelta(days=90)]
    cols = ["client_id", "kind", "date", "instrument", "explanation"]
    return found[cols].reset_index(drop=True)


def alert_counts(alert_rows: pd.DataFrame) -> pd.DataFrame:
    """Clients with each kind of open alert (counts only).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> alert_counts(alert_table(example_month()))["alert"].tolist()
    ['not_on_track', 'reliable_deterioration', 'risk_item']
    """
    return pd.DataFrame(
        [
            {
                "alert": k,
                "clients": int(alert_rows.loc[alert_rows["kind"] == k, "client_id"].nunique()),
            }
            for k in ALERT_KINDS
        ]
    )
