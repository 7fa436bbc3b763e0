"""Everything one client's progress report shows, and nothing of any other client.

:func:`client_context` loads (or takes) a dataset, checks the report's parameters, and cuts
every table down to one client and the as-of date. The only things in it that were computed
from other clients are aggregate: the expected-recovery model's summary (N, fit date) behind
not-on-track alerts and the percentile behind the SMART "achievable" check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

import pandas as pd

from therapy_outcomes import __version__
from therapy_outcomes.caching import ResultCache
from therapy_outcomes.client_report.progress import instrument_progress
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.goals import gas_tscores, review_status, revision_chains, smart_audit
from therapy_outcomes.instruments import Registry
from therapy_outcomes.loading.administrations import responses_long
from therapy_outcomes.loading.dataset import Dataset, load
from therapy_outcomes.parameters import parse_date_parameter

AUDIENCES = ("clinician", "client")

#: Tables cut down to the client, with the date column that the as-of date applies to.
CLIENT_TABLES = {
    "sessions": "session_on",
    "goals": "set_on",
    "goal_ratings": "rated_on",
    "scores": "administered_on",
    "answers": "administered_on",
    "homework": "assigned_on",
    "events": "occurred_on",
}


@dataclass
class ClientContext:
    """One client's data as of a date, with what the report derives from it.

    Attributes
    ----------
    client_id, audience : str
        The client and who the report is for (``clinician`` or ``client``).
    as_of : pandas.Timestamp
        Nothing after this date is included.
    client : dict
        The client's row of ``clients``.
    sessions, goals, goal_ratings, scores, responses, homework, events : pandas.DataFrame
        The client's rows only, on or before ``as_of``.
    progress : pandas.DataFrame
        Baseline against latest per instrument (:func:`instrument_progress`).
    smart, reviews, chains, gas : pandas.DataFrame
        SMART audit, review status, revision chains and GAS T-scores of the client's goals.
    alerts : pandas.DataFrame
        The client's alerts, already filtered for the audience.
    registry : Registry
        The instrument definitions used.
    provenance : dict
        Package version, input hash, parameters, instruments and models, for the methods block.
    """

    client_id: str
    audience: str
    as_of: pd.Timestamp
    client: dict[str, Any]
    sessions: pd.DataFrame
    goals: pd.DataFrame
    goal_ratings: pd.DataFrame
    scores: pd.DataFrame
    responses: pd.DataFrame
    homework: pd.DataFrame
    events: pd.DataFrame
    progress: pd.DataFrame
    smart: pd.DataFrame
    reviews: pd.DataFrame
    chains: pd.DataFrame
    gas: pd.DataFrame
    alerts: pd.DataFrame
    registry: Registry = field(repr=False)
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def attendance(self) -> dict[str, int]:
        """Sessions by attendance: attended, did_not_attend, cancelled, offered (all three)."""
        counts = self.sessions["attendance"].value_counts()
        out = {k: int(counts.get(k, 0)) for k in ("attended", "did_not_attend", "cancelled")}
        out["offered"] = sum(out.values())
        return out


def report_as_of(value: str | date | pd.Timestamp | None) -> pd.Timestamp:
    """Parse a report's as-of date (default today) with a one-line error.

    Examples
    --------
    >>> report_as_of("2026-03-01")
    Timestamp('2026-03-01 00:00:00')
    """
    return parse_date_parameter(value, "as_of", default_today=True)


def find_client(clients: pd.DataFrame, client_id: str, as_of: pd.Timestamp) -> dict[str, Any]:
    """The client's row of ``clients``, for a report as of ``as_of``.

    Raises
    ------
    ParameterError
        An unknown client, or ``as_of`` before the client was referred.

    Examples
    --------
    >>> clients = pd.DataFrame({"client_id": ["C1"], "referred_on": [pd.Timestamp("2026-01-05")]})
    >>> find_client(clients, "C1", pd.Timestamp("2026-03-01"))["referred_on"]
    Timestamp('2026-01-05 00:00:00')
    >>> try:
    ...     find_client(clients, "C9", pd.Timestamp("2026-03-01"))
    ... except ParameterError as error:
    ...     print(error)
    unknown client 'C9': not among the accepted clients
    """
    rows = clients[clients["client_id"] == client_id]
    if rows.empty:
        raise ParameterError(f"unknown client '{client_id}': not among the accepted clients")
    client = cast(dict[str, Any], rows.iloc[0].to_dict())  # keyed by column name
    if as_of < client["referred_on"]:
        raise ParameterError(
            f"as_of {as_of.date()} is before client '{client_id}' was referred "
            f"({client['referred_on'].date()})"
        )
    return client


def client_context(
    data: str | Path | Dataset,
    client_id: str,
    *,
    as_of: str | date | pd.Timestamp | None = None,
    audience: str = "clinician",
    alert_options: dict[str, Any] | None = None,
    cache: ResultCache | None = None,
) -> ClientContext:
    """Build one client's report context.

    Parameters
    ----------
    data : str, pathlib.Path or Dataset
        A dataset location (loaded and validated as of today) or an already loaded Dataset.
    client_id : str
        The client.
    as_of : date-like, optional
        The review date; later records are left out. Default: today.
    audience : {"clinician", "client"}
        The client version leaves out risk alerts and anything clinician-only.
    alert_options : dict, optional
        Keyword arguments for :func:`therapy_outcomes.alerts.alerts_for_client`.
    cache : ResultCache, optional
        Load ``data`` with this cache (:func:`therapy_outcomes.loading.dataset.load`); the
        alerts' models then use it too. A Dataset passed as ``data`` brings its own.

    Returns
    -------
    ClientContext

    Raises
    ------
    ParameterError
        Unknown client, a client with no data by ``as_of``, ``as_of`` before the client was
        referred, an unknown audience, or a parameter of the wrong type (one-line messages).

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=40, seed=3)
    >>> ctx = client_context(folder, "C000001", as_of="2026-10-31")
    >>> set(ctx.scores["client_id"]) <= {"C000001"}
    True
    """
    from therapy_outcomes.rendering.paths import safe_id

    if not isinstance(client_id, str):
        raise ParameterError(f"client_id must be text, not {type(client_id).__name__}")
    safe_id(client_id)
    if audience not in AUDIENCES:
        raise ParameterError(f"audience must be one of {', '.join(AUDIENCES)}, not '{audience}'")
    stamp = report_as_of(as_of)
    ds = data if isinstance(data, Dataset) else load(data, cache=cache)
    client = find_client(ds.clients, client_id, stamp)
    tables = {
        name: _mine(getattr(ds, name), client_id, column, stamp)
        for name, column in CLIENT_TABLES.items()
    }
    tables["responses"] = responses_long(tables.pop("answers"))
    if tables["sessions"].empty and tables["scores"].empty and tables["goals"].empty:
        raise ParameterError(
            f"client '{client_id}' has no sessions, scores or goals on or before {stamp.date()}"
        )
    goals = tables["goals"]
    smart_all = smart_audit(ds.goals, ds.goal_ratings, ds.scores, as_of=stamp, registry=ds.registry)
    smart = smart_all[smart_all["goal_id"].isin(goals["goal_id"])].reset_index(drop=True)
    alerts = _alerts(ds, client_id, stamp, audience, alert_options or {})
    progress = instrument_progress(tables["scores"], ds.registry, stamp)
    used = sorted(set(progress["instrument"]) | set(goals["measure"].dropna()))
    ctx = ClientContext(
        client_id=client_id,
        audience=audience,
        as_of=stamp,
        client=client,
        progress=progress,
        smart=smart,
        reviews=review_status(goals, tables["goal_ratings"], as_of=stamp),
        chains=revision_chains(goals),
        gas=gas_tscores(tables["goal_ratings"], goals),
        alerts=alerts,
        registry=ds.registry,
        provenance={},
        **tables,
    )
    ctx.provenance = provenance(ds, ctx, used, alerts.attrs.get("models", {}))
    return ctx


def _mine(frame: pd.DataFrame, client_id: str, column: str, as_of: pd.Timestamp) -> pd.DataFrame:
    if "client_id" not in frame:
        return frame.iloc[0:0]
    mine = frame[frame["client_id"] == client_id]
    return mine[~(mine[column] > as_of)].reset_index(drop=True)


def _alerts(
    ds: Dataset, client_id: str, as_of: pd.Timestamp, audience: str, options: dict[str, Any]
) -> pd.DataFrame:
    from therapy_outcomes.alerts import alerts_for_client

    found = alerts_for_client(ds, client_id, as_of=as_of, **options)
    models = found.attrs.get("models", {})
    if "episode_open" in found and len(found):
        # once an episode has ended, overdue reviews and missing measures are not actionable
        closed = ~found["episode_open"].fillna(True).astype(bool)
        found = found[~(closed & found["kind"].isin(["goal_overdue", "no_recent_measure"]))]
    if audience == "client":
        found = found[found["audience"] != "clinician"]
    found = found.reset_index(drop=True)
    found.attrs["models"] = models
    return found


def provenance(
    ds: Dataset, ctx: ClientContext, instruments: list[str], models: dict[str, Any]
) -> dict[str, Any]:
    """The methods-and-provenance block: versions, input hash, parameters, sources, models."""
    rows = []
    for code in instruments:
        if code not in ds.registry:
            continue
        inst = ds.registry.get(code)
        cutoff = "" if inst.cutoff is None else f"{inst.cutoff.clinical} {inst.cutoff.value:g}"
        threshold = inst.rc_threshold()
        rows.append(
            {
                "instrument": code,
                "name": inst.name,
                "cut-off": cutoff,
                "reliable change (points)": "" if threshold is None else f"{threshold:g}",
                "missing items allowed": inst.missing.max_missing,
                "source": inst.source,
                "licence": inst.licence,
                "choices": " ".join(inst.choices),
            }
        )
    return {
        "package": f"therapy-outcomes {__version__}",
        "input_hash": ds.input_hash,
        "as_of": ctx.as_of.date().isoformat(),
        "audience": ctx.audience,
        "client_id": ctx.client_id,
        "validated_on": ds.as_of.date().isoformat(),
        "rows_rejected_in_dataset": ds.n_rejected,
        "instruments": pd.DataFrame(rows),
        "models": models,
    }
