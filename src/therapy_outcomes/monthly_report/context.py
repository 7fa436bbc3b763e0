"""The tables of the monthly summary: caseload, sessions, completion, outcomes, alerts, goals.

A month is ``YYYY-MM``; a client is *active* in it when their episode (``episode_start``, else
``referred_on``, to ``episode_end``, open when empty) overlaps it, *new* when it started in the
month and *discharged* when it ended in the month. Everything is cut to the scope (a site
and/or a therapist) and to the month's last day (or the dataset's as-of date if earlier).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from therapy_outcomes import __version__
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.loading.dataset import Dataset, load

__all__ = [
    "ALERT_KINDS",
    "MonthlyContext",
    "alert_counts",
    "alert_table",
    "closed_outcomes",
    "example_month",
    "goals_overdue",
    "month_figures",
    "monthly_context",
    "trend_table",
]

#: Alert kinds the monthly summary lists (open alerts for the clinician version).
ALERT_KINDS = ("not_on_track", "reliable_deterioration", "risk_item")


@dataclass
class MonthlyContext:
    """One month of one scope (service, site or therapist)."""

    ds: Dataset = field(repr=False)
    month: pd.Period
    site: str | None
    therapist: str | None
    audience: str
    min_cell: int
    clients: pd.DataFrame
    sessions: pd.DataFrame
    scores: pd.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def month_start(self) -> pd.Timestamp:
        return self.month.start_time.normalize()

    @property
    def month_end(self) -> pd.Timestamp:
        return min(self.month.end_time.normalize(), self.ds.as_of.normalize())


def monthly_context(
    data: str | Path | Dataset,
    month: str,
    *,
    site: str | None = None,
    therapist: str | None = None,
    audience: str = "service",
    min_cell: int = 5,
) -> MonthlyContext:
    """Load the data and cut it to the scope.

    Raises
    ------
    ParameterError
        A bad month or audience, a month after the dataset's as-of date, or an unknown site or
        therapist.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_demo_clinic(folder, n_clients=40, seed=3, as_of="2026-10-31")
    >>> ctx = monthly_context(folder, "2026-10")
    >>> month_figures(ctx)["active"] > 0
    True
    """
    from therapy_outcomes.monthly_report.render import AUDIENCES, check_month

    check_month(month)
    if audience not in AUDIENCES:
        raise ParameterError(f"audience must be one of {', '.join(AUDIENCES)}, not '{audience}'")
    ds = data if isinstance(data, Dataset) else load(data)
    period = pd.Period(month, freq="M")
    if period.start_time > ds.as_of:
        raise ParameterError(f"month {month} is after the dataset's as-of date {ds.as_of.date()}")
    clients = ds.clients
    if site is not None:
        if site not in set(clients["site"]):
            raise ParameterError(f"unknown site '{site}'")
        clients = clients[clients["site"] == site]
    if therapist is not None:
        if therapist not in set(clients["therapist_id"]) | set(ds.sessions["therapist_id"]):
            raise ParameterError(f"unknown therapist '{therapist}'")
        clients = clients[clients["therapist_id"] == therapist]
    ids = set(clients["client_id"])
    sessions = ds.sessions[ds.sessions["client_id"].isin(ids)]
    if therapist is not None:
        sessions = sessions[sessions["therapist_id"] == therapist]
    ctx = MonthlyContext(
        ds=ds,
        month=period,
        site=site,
        therapist=therapist,
        audience=audience,
        min_cell=min_cell,
        clients=clients.reset_index(drop=True),
        sessions=sessions.reset_index(drop=True),
        scores=ds.scores[ds.scores["client_id"].isin(ids)].reset_index(drop=True),
    )
    ctx.provenance = {
        "package": f"therapy-outcomes {__version__}",
        "input_hash": ds.input_hash,
        "validated_on": ds.as_of.date().isoformat(),
        "parameters": {
            "month": month,
            "site": site,
            "therapist": therapist,
            "audience": audience,
            "min_cell": min_cell,
        },
    }
    return ctx


@functools.lru_cache(maxsize=1)
def example_month() -> MonthlyContext:
    """October 2026 of a small synthetic service (40 demo clients), for the examples.

    Examples
    --------
    >>> str(example_month().month)
    '2026-10'
    """
    import tempfile

    from therapy_outcomes.demo import write_demo_clinic

    folder = tempfile.mkdtemp(prefix="to-monthly-example-")
    write_demo_clinic(folder, n_clients=40, seed=3, as_of="2026-10-31")
    return monthly_context(load(folder, as_of="2026-10-31"), "2026-10")


def _month_figures(ctx: MonthlyContext, period: pd.Period) -> dict[str, Any]:
    m0 = period.start_time.normalize()
    m1 = min(period.end_time.normalize(), ctx.ds.as_of.normalize())
    c = ctx.clients
    began = c["episode_start"].fillna(c["referred_on"])
    ended = c["episode_end"]
    active = (began <= m1) & (ended.isna() | (ended >= m0))
    ses = ctx.sessions[(ctx.sessions["session_on"] >= m0) & (ctx.sessions["session_on"] <= m1)]
    attended = ses[ses["attendance"] == "attended"]
    dna = int((ses["attendance"] == "did_not_attend").sum())
    sc = ctx.scores[ctx.scores["valid"].astype(bool)]
    measured = set(sc["session_id"].dropna()) | set(
        zip(sc["client_id"], sc["administered_on"].dt.normalize(), strict=True)
    )
    with_measure = sum(
        1
        for r in attended.itertuples()
        if r.session_id in measured or (r.client_id, r.session_on.normalize()) in measured
    )
    n_att = len(attended)
    return {
        "month": str(period),
        "active": int(active.sum()),
        "new": int(((began >= m0) & (began <= m1)).sum()),
        "discharged": int(((ended >= m0) & (ended <= m1)).sum()),
        "sessions_attended": n_att,
        "did_not_attend": dna,
        "dna_rate": 100 * dna / (n_att + dna) if n_att + dna else np.nan,
        "sessions_with_questionnaire": with_measure,
        "completion_rate": 100 * with_measure / n_att if n_att else np.nan,
    }


def month_figures(ctx: MonthlyContext) -> dict[str, Any]:
    """Caseload (active, new, discharged), sessions attended, DNA and completion rates.

    Examples
    --------
    >>> sorted(month_figures(example_month()))[:3]
    ['active', 'completion_rate', 'did_not_attend']
    """
    return _month_figures(ctx, ctx.month)


def trend_table(ctx: MonthlyContext, months: int = 12) -> pd.DataFrame:
    """:func:`month_figures` of the last ``months`` months up to and including this one.

    Examples
    --------
    >>> trend_table(example_month(), months=3)["month"].tolist()
    ['2026-08', '2026-09', '2026-10']
    """
    periods = pd.period_range(end=ctx.month, periods=months, freq="M")
    return pd.DataFrame([_month_figures(ctx, p) for p in periods])


def closed_outcomes(ctx: MonthlyContext) -> pd.DataFrame:
    """Categories of episodes that closed this month, per instrument (published thresholds).

    Uses :func:`therapy_outcomes.clinical_significance` with the instrument's reliable-change
    points and cut-off (with its inclusive side) on first/last pairs of the discharged clients.

    Examples
    --------
    >>> set(closed_outcomes(example_month()).get("instrument", [])) <= {"PHQ-9", "GAD-7", "CORE-10"}
    True
    """
    from therapy_outcomes.change.pairs import first_last_pairs
    from therapy_outcomes.change.significance import SIGNIFICANCE_CATEGORIES, clinical_significance

    ended = ctx.clients["episode_end"]
    closed = set(
        ctx.clients.loc[(ended >= ctx.month_start) & (ended <= ctx.month_end), "client_id"]
    )
    rows = []
    for code in ("PHQ-9", "GAD-7", "CORE-10"):
        inst = ctx.ds.registry.get(code)
        sc = ctx.scores[ctx.scores["client_id"].isin(closed)]
        pairs = first_last_pairs(sc, code, as_of=ctx.month_end)
        if pairs.empty or inst.cutoff is None or inst.rc_threshold() is None:
            continue
        res = clinical_significance(
            pairs["pre"],
            pairs["post"],
            threshold=inst.rc_threshold(),
            better=inst.better,
            cutoff=inst.cutoff.value,
            clinical_side=inst.cutoff.clinical,
        )
        counts = res["category"].value_counts()
        row: dict[str, Any] = {"instrument": code, "paired": len(pairs)}
        row.update({c: int(counts.get(c, 0)) for c in SIGNIFICANCE_CATEGORIES})
        rows.append(row)
    return pd.DataFrame(rows)


def alert_table(ctx: MonthlyContext) -> pd.DataFrame:
    """Open alerts at the month's end of clients with an open episode, one row per alert.

    ``client_id, kind, date, instrument, explanation``. The service version must not show it:
    use :func:`alert_counts`.

    Examples
    --------
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


def goals_overdue(ctx: MonthlyContext) -> pd.DataFrame:
    """Active goals overdue for review at the month's end, per client (``client_id, goals``).

    Examples
    --------
    >>> list(goals_overdue(example_month()).columns)
    ['client_id', 'goals']
    """
    from therapy_outcomes.goals import review_status

    ids = set(ctx.clients["client_id"])
    goals = ctx.ds.goals[ctx.ds.goals["client_id"].isin(ids)]
    goals = goals[goals["set_on"] <= ctx.month_end]
    status = review_status(goals, ctx.ds.goal_ratings, as_of=ctx.month_end)
    c = ctx.clients.set_index("client_id")
    open_ = c["episode_end"].isna() | (c["episode_end"] > ctx.month_end)
    status = status[
        status["overdue"].astype(bool) & status["client_id"].map(open_).fillna(False).astype(bool)
    ]
    out = status.groupby("client_id").size().rename("goals").reset_index()
    return out


def month_rows(this_month: pd.DataFrame) -> pd.DataFrame:
    """One month's published figures as ``measure``/``value`` rows, counts shown as integers.

    Examples
    --------
    >>> month_rows(pd.DataFrame({"month": ["2026-10"], "active": [45.0], "dna_rate": [12.5],
    ...                          "new": ["*"]})).values.tolist()
    [['active', 45], ['dna rate', 12.5], ['new', '*']]
    """
    rows = this_month.drop(columns="month").T.reset_index()
    rows.columns = ["measure", "value"]
    rows["measure"] = rows["measure"].str.replace("_", " ")
    values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in rows["value"]]
    rows["value"] = pd.Series(values, index=rows.index, dtype=object)
    return rows
