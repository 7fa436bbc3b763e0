"""Building the alerts table: one code path from a dataset and its settings to sorted alerts.

:func:`alerts` checks the settings (:class:`AlertSettings`), cuts the dataset to ``as_of`` (and
to one client), gets the expected-recovery models if a chosen rule needs them, runs the chosen
rules of the table :data:`~therapy_outcomes.alerts.rules.RULES` in its order and sorts the rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import pandas as pd

from therapy_outcomes.alerts.measures import FromDefinition, alliance_cutoff, is_alliance_measure
from therapy_outcomes.alerts.models import Models, recovery_models
from therapy_outcomes.alerts.rules import KINDS, RULES, SEVERITIES, Rule
from therapy_outcomes.alerts.settings import AlertSettings, as_names
from therapy_outcomes.alerts.table import frame
from therapy_outcomes.alerts.view import View, cut
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.instruments import Registry, UnknownInstrumentError
from therapy_outcomes.loading.dataset import Dataset

__all__ = ["alerts", "alerts_for_client"]

log = logging.getLogger(__name__)

_DEFAULT = AlertSettings()


def alerts(
    ds: Dataset,
    *,
    as_of: Any = None,
    model: Models = None,
    percentile: float = AlertSettings.percentile,
    srs_cutoff: float | FromDefinition | None = AlertSettings.srs_cutoff,
    srs_cutoff_side: str | FromDefinition = AlertSettings.srs_cutoff_side,
    srs_drop: float | None = AlertSettings.srs_drop,
    no_measure_weeks: float | None = AlertSettings.no_measure_weeks,
    instruments: str | Iterable[str] | None = AlertSettings.instruments,
    kinds: str | Iterable[str] | None = AlertSettings.kinds,
    min_clients: int = AlertSettings.min_clients,
    client: str | None = None,
    settings: AlertSettings | None = None,
) -> pd.DataFrame:
    """All alerts of a dataset on ``as_of`` (or of one client): one row per alert, explained.

    See :mod:`therapy_outcomes.alerts` for the six rules, their inclusive sides and sources.

    Parameters
    ----------
    ds : Dataset
        As loaded by :func:`therapy_outcomes.load`.
    as_of : date-like, optional
        Use only data on or before this date. Default ``ds.as_of``; a later date is refused
        (the dataset cannot know what happened after it was loaded).
    model : ExpectedRecoveryModel or mapping of code to model, optional
        Expected-recovery model(s) for ``not_on_track``. Instruments without a given model get
        one fitted on ``ds`` (all clients, data up to ``as_of``).
    percentile, srs_cutoff, srs_cutoff_side, srs_drop, no_measure_weeks
        The rules' thresholds: meaning, defaults and checks in :class:`AlertSettings`.
    instruments, kinds, min_clients
        Which instruments and rules, and the fewest clients to fit a model on: see
        :class:`AlertSettings`.
    client : str, optional
        A client in ``ds.clients``: only this client's rows are read for the rules, and
        ``attrs["client_id"]`` names it. The not-on-track model, when not passed in ``model=``,
        is still fitted on the whole dataset (a recovery curve needs many clients), but the
        result carries no other client's data: its rows are this client's, and
        ``attrs["models"]`` holds only model summaries (coefficients, variance components, fit
        date, N, intake mean and SD). To report many clients, fit the models once
        (:func:`therapy_outcomes.outcomes.expected_recovery.fit_expected_recovery`) and pass
        them in.
    settings : AlertSettings, optional
        All the settings at once, instead of the keywords above (leave those at their
        defaults).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~therapy_outcomes.alerts.table.COLUMNS`, sorted by severity (high
        first), client, date and the kind's place in the rule table. ``.attrs``: ``as_of``,
        ``models`` (per instrument: ``model``, ``summary``, ``fit_date``, ``n_clients``,
        ``n_observations``, ``converged``, ``percentile``, ``fitted_on``, ``text``: one line
        for a methods section), ``skipped`` (list of ``{kind, instrument, reason}``),
        ``parameters``, ``kinds``, and ``client_id`` for one client.

    Raises
    ------
    ParameterError
        ``as_of`` after the dataset's as-of date, an unknown client, instrument or kind, a bad
        setting, or both ``settings=`` and keyword settings.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes import load
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_demo_clinic(folder, n_clients=40, seed=3, as_of="2026-10-31")
    >>> ds = load(folder, as_of="2026-10-31")
    >>> table = alerts(ds, kinds=["risk_item", "low_alliance"])
    >>> sorted(table["kind"].unique().tolist())
    ['low_alliance', 'risk_item']
    >>> set(table.loc[table["kind"] == "risk_item", "audience"])
    {'clinician'}
    >>> mine = alerts(ds, client="C000001", settings=AlertSettings(kinds="goal_overdue"))
    >>> set(mine["client_id"]) <= {"C000001"}, mine.attrs["client_id"]
    (True, 'C000001')
    """
    keywords = AlertSettings(
        percentile=percentile,
        srs_cutoff=srs_cutoff,
        srs_cutoff_side=srs_cutoff_side,
        srs_drop=srs_drop,
        no_measure_weeks=no_measure_weeks,
        instruments=None if instruments is None else as_names(instruments),
        kinds=KINDS if kinds is None else as_names(kinds),
        min_clients=min_clients,
    )
    settings = _one_settings(settings, keywords)
    stamp = _as_of(ds, as_of)
    who = None if client is None else _client(ds, client)
    codes = _instruments(ds, settings.instruments)
    chosen = tuple(rule for rule in RULES if rule.kind in settings.kinds)
    models: dict[str, Any] = {}
    summaries: dict[str, Any] = {}
    skipped: list[dict[str, str]] = []
    if any("models" in rule.needs for rule in chosen):
        models, summaries, skipped = recovery_models(
            ds,
            stamp,
            codes,
            model,
            percentile=settings.percentile,
            min_clients=settings.min_clients,
        )
    view = cut(ds, stamp, codes, client=who, models=models)
    out = _run(view, chosen, settings)
    out.attrs = {
        "as_of": stamp,
        "kinds": list(settings.kinds),
        "models": summaries,
        "skipped": skipped + view.skipped,
        "parameters": _parameters(settings, codes, ds.registry),
    }
    if who is None:
        log.info(
            "alerts as of %s: %d alerts for %d clients",
            stamp.date(),
            len(out),
            out["client_id"].nunique(),
        )
    else:
        out.attrs["client_id"] = who
        log.info("alerts for client %s as of %s: %d", who, stamp.date(), len(out))
    return out


def alerts_for_client(ds: Dataset, client_id: str, **kw: Any) -> pd.DataFrame:
    """The alerts of one client: ``alerts(ds, client=client_id, **kw)``, see :func:`alerts`.

    Parameters
    ----------
    ds : Dataset
    client_id : str
        A client in ``ds.clients``.
    **kw
        Keywords of :func:`alerts`.

    Returns
    -------
    pandas.DataFrame
        As :func:`alerts`, for this client; ``attrs["client_id"]`` names it.

    Examples
    --------
    >>> from therapy_outcomes.alerts.view import example_dataset
    >>> mine = alerts_for_client(example_dataset(), "C000001", kinds=["goal_overdue"])
    >>> set(mine["client_id"]) <= {"C000001"}
    True
    """
    return alerts(ds, client=client_id, **kw)


def _one_settings(settings: AlertSettings | None, keywords: AlertSettings) -> AlertSettings:
    if settings is None:
        return keywords
    if not isinstance(settings, AlertSettings):
        raise ParameterError(f"settings must be an AlertSettings, not {settings!r}")
    if keywords != _DEFAULT:
        raise ParameterError("pass the alert settings either as settings= or as keywords, not both")
    return settings


def _as_of(ds: Dataset, as_of: Any) -> pd.Timestamp:
    if as_of is None:
        stamp = pd.Timestamp(ds.as_of).normalize()
    else:
        try:
            stamp = pd.Timestamp(as_of).normalize()
        except (TypeError, ValueError):
            raise ParameterError(f"as-of date {as_of!r} is not a date (YYYY-MM-DD)") from None
        if pd.isna(stamp):
            raise ParameterError(f"as-of date {as_of!r} is not a date (YYYY-MM-DD)")
    if stamp > pd.Timestamp(ds.as_of).normalize():
        raise ParameterError(
            f"as_of {stamp.date()} is after the dataset's as-of date {ds.as_of.date()}: the data "
            "cannot show what happened after they were loaded"
        )
    return stamp


def _client(ds: Dataset, client: Any) -> str:
    if str(client) not in set(ds.clients["client_id"].astype(str)):
        raise ParameterError(f"unknown client {client!r}: not in the clients table")
    return str(client)


def _instruments(ds: Dataset, names: tuple[str, ...] | None) -> tuple[str, ...]:
    if names is None:
        return tuple(ds.registry.codes)
    try:
        return tuple(sorted({ds.registry.get(n).code for n in names}))
    except UnknownInstrumentError as exc:
        raise ParameterError(str(exc)) from None


def _parameters(
    settings: AlertSettings, codes: tuple[str, ...], registry: Registry
) -> dict[str, Any]:
    """The settings as ``attrs["parameters"]`` records them (instruments resolved to codes).

    The alliance cut-off is the one used: with one alliance measure (the SRS), its value and
    side; with several, a mapping per measure.
    """
    used = {
        code: alliance_cutoff(settings.srs_cutoff, settings.srs_cutoff_side, registry.get(code))
        for code in codes
        if is_alliance_measure(registry.get(code))
    }
    cutoff: float | FromDefinition | dict[str, float | None] | None
    side: str | FromDefinition | dict[str, str]
    if len(used) == 1:
        cutoff, side = next(iter(used.values()))
    elif used:
        cutoff = {code: value for code, (value, _) in used.items()}
        side = {code: value for code, (_, value) in used.items()}
    else:
        cutoff, side = settings.srs_cutoff, settings.srs_cutoff_side
    return {
        "percentile": float(settings.percentile),
        "srs_cutoff": cutoff,
        "srs_cutoff_side": side,
        "srs_drop": settings.srs_drop,
        "no_measure_weeks": settings.no_measure_weeks,
        "instruments": list(codes),
    }


def _run(view: View, rules: tuple[Rule, ...], settings: AlertSettings) -> pd.DataFrame:
    """The rules' rows in one table, sorted by severity, client, date and table order."""
    rows: list[dict[str, Any]] = []
    for rule in rules:
        found = rule.find(view, **{name: getattr(settings, name) for name in rule.settings})
        log.debug("%s: %d alerts", rule.kind, len(found))
        rows.extend(found)
    out = frame(rows)
    if len(out):
        out["episode_open"] = out["client_id"].map(view.open_episodes).astype("boolean")
    rank = out["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    kind_rank = out["kind"].map({rule.kind: i for i, rule in enumerate(RULES)})
    order = (
        pd.DataFrame({"r": rank, "c": out["client_id"], "d": out["date"], "k": kind_rank})
        .sort_values(["r", "c", "d", "k"], kind="mergesort")
        .index
    )
    return out.loc[order].reset_index(drop=True)
