"""Alerts: which clients may be getting worse, or need attention, and why.

:func:`alerts` applies six rules to a :class:`~therapy_outcomes.loading.dataset.Dataset` and
returns one row per alert, each with a plain-language explanation that quotes the numbers behind it;
:func:`alerts_for_client` does the same for one client.

Rules
-----
Only data dated on or before ``as_of`` are used (scores, item answers, sessions; goals set on or
before it). Totals are compared after rounding to 10 decimals (as the registry does), so
floating-point noise cannot move a score across a boundary.

``risk_item`` (severity high, audience **clinician**)
    Any risk item answered at or above its ``min_value`` (``>=``), from the item answers
    (``Dataset.responses``) and the instrument's ``risk_items``: PHQ-9 item 9 >= 1 (thoughts of
    death or self-harm; reference A1, "any score > 0 warrants immediate follow-up", secondary),
    CORE-10 item 6 >= 1 (plans to end one's life; reference A7). One alert per administration
    (every administration up to ``as_of``, also when its total is invalid); several risk items
    of one administration share an alert. An answer of 0 never alerts.
``reliable_deterioration`` (high)
    Per client, instrument and rater: latest valid score vs first valid score. Deteriorated if
    the change in the worse direction is **at least** the instrument's fixed reliable-change
    threshold (``Instrument.rc_threshold()``, e.g. 6 PHQ-9 points, NHS Talking Therapies; the
    inclusive side of :func:`therapy_outcomes.change.reliable.reliable_change` with ``threshold=``).
    Instruments without a threshold are skipped and listed in ``attrs["skipped"]``.
``not_on_track`` (medium)
    Per client, instrument and rater, the latest valid score (not the intake) at session ``s``
    is beyond the one-sided ``percentile`` bound of the expected-recovery model in the worse
    direction, strictly (``score > bound`` when lower is better, ``score < bound`` when higher
    is better); see :mod:`therapy_outcomes.outcomes.expected_recovery` (Finch, Lambert & Schaalje
    2001; reference E1, E3). Without ``model=`` a model is fitted per outcome instrument on the
    dataset itself (all clients, data up to ``as_of``, session number = position among valid
    scores); instruments with too few clients are skipped (``attrs["skipped"]``). The models used,
    their fit date and N are in ``attrs["models"]``. The SRS (an alliance measure) is not modelled.
``low_alliance`` (medium)
    The client's latest valid SRS is below ``srs_cutoff`` (strict ``<``, as OpenFIT: "clients
    who score below 36 are indicating a dissatisfaction with the session"; ``srs_cutoff_side=
    "<="`` gives the other published reading, "at or below 36"), and/or it dropped by
    ``srs_drop`` points or more from the client's previous valid SRS (OpenFIT red alert
    ``SRSChangeFromLast <= -1``; reference A6, E2). Each reason is its own row (``rule``
    ``below_cutoff`` / ``drop_from_previous``). Pass ``None`` to switch either off.
``no_recent_measure`` (low)
    A client whose episode is open on ``as_of`` (``episode_start`` on or before it, no
    ``episode_end`` on or before it) has no valid outcome score (any instrument considered
    except the SRS) dated within ``no_measure_weeks`` weeks before ``as_of``: the alert fires
    when ``as_of - max(latest valid score, episode_start) > 7 * no_measure_weeks`` days (a score
    exactly that many days before still counts as recent). Project rule (no published source).
``goal_overdue`` (low)
    A goal set on or before ``as_of`` whose ``target_date`` is before ``as_of`` and whose status
    is not ``achieved``, ``discontinued`` or ``revised``. The goals table holds the current
    status only, so for an ``as_of`` in the past the status is today's. Project rule.

Severities are a project choice (high: safety or reliable worsening; medium: off the expected
course or alliance; low: housekeeping). Every alert row has ``episode_open`` so reports can show
current clients only.

Columns
-------
``client_id``, ``date`` (the date the alert is about: the score's date; ``as_of`` for
``no_recent_measure``; the target date for ``goal_overdue``), ``kind``, ``rule`` (which branch
of the kind fired), ``severity`` (``high``/``medium``/``low``), ``instrument``, ``audience``
(``clinician`` or ``all``), ``explanation``, and for machine use: ``value`` (the observed
number: the risk answer, the latest score, the days without a measure or past the target),
``reference`` (what it was compared with: first score, model bound, cut-off or previous SRS,
window in days), ``reference_date``, ``threshold`` (risk minimum, reliable-change points,
percentile, cut-off or drop, weeks), ``session_number``, ``expected`` (model mean), ``rater``,
``administration_id``, ``goal_id``, ``item`` and ``episode_open``.

Logging names client IDs and counts only, never item answers or scores.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from therapy_outcomes.alerts import _rules
from therapy_outcomes.alerts._common import (
    ALLIANCE_MEASURES,
    COLUMNS,
    KINDS,
    SEVERITY,
    SEVERITY_ORDER,
    View,
    end_of_day,
    frame,
    open_episodes,
    ordinal,
)
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.instruments import UnknownInstrumentError
from therapy_outcomes.loading.dataset import Dataset
from therapy_outcomes.outcomes.expected_recovery import (
    ExpectedRecoveryModel,
    NotEnoughData,
    _check_percentile,
    fit_expected_recovery,
)

__all__ = ["COLUMNS", "KINDS", "SEVERITY", "alerts", "alerts_for_client"]

log = logging.getLogger(__name__)

Models = ExpectedRecoveryModel | Mapping[str, ExpectedRecoveryModel] | None


def alerts(
    ds: Dataset,
    *,
    as_of: Any = None,
    model: Models = None,
    percentile: float = 90,
    srs_cutoff: float | None = 36,
    srs_cutoff_side: str = "<",
    srs_drop: float | None = 1,
    no_measure_weeks: float | None = 4,
    instruments: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    min_clients: int = 30,
) -> pd.DataFrame:
    """All alerts of a dataset on ``as_of``: one row per alert, each explaining itself.

    See the module documentation for the six rules, their inclusive sides and sources.

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
    percentile : float
        One-sided percentile of the not-on-track bound (default 90; reference E3 leaves the
        choice to the project).
    srs_cutoff : float or None
        SRS cut-off (default 36, OpenFIT); ``None`` switches the cut-off rule off.
    srs_cutoff_side : {"<", "<="}
        ``"<"`` (default, OpenFIT: 36 is not low) or ``"<="`` (36 is low).
    srs_drop : float or None
        Drop from the previous SRS that alerts (default 1 point, inclusive); ``None`` = off.
    no_measure_weeks : float or None
        Weeks without a valid outcome score before an open-episode client alerts (default 4);
        ``None`` switches the rule off.
    instruments : iterable of str, optional
        Instrument codes or aliases to consider (default: all). Applies to every score rule.
    kinds : iterable of str, optional
        Alert kinds to compute (default: all six, see :data:`KINDS`).
    min_clients : int
        Fewest clients needed to fit a not-on-track model on the dataset (default 30).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`, sorted by severity (high first), client, date and kind.
        ``.attrs``: ``as_of``, ``models`` (per instrument: ``model``, ``summary``,
        ``fit_date``, ``n_clients``, ``n_observations``, ``converged``, ``percentile``,
        ``fitted_on``, ``text``: one line for a methods section), ``skipped`` (list of
        ``{kind, instrument, reason}``), ``parameters``, ``kinds``.

    Raises
    ------
    ParameterError
        ``as_of`` after the dataset's as-of date, an unknown instrument or kind, or a bad
        parameter value.

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
    """
    stamp, chosen, wanted = _check(
        ds,
        as_of,
        kinds,
        instruments,
        percentile,
        srs_cutoff,
        srs_cutoff_side,
        srs_drop,
        no_measure_weeks,
    )
    models, model_info = _models(ds, stamp, chosen, wanted, model, percentile, min_clients)
    view = _view(ds, stamp, chosen, None)
    out = _run(
        view, wanted, models, percentile, srs_cutoff, srs_cutoff_side, srs_drop, no_measure_weeks
    )
    out.attrs = _attrs(
        view,
        wanted,
        model_info,
        percentile,
        srs_cutoff,
        srs_cutoff_side,
        srs_drop,
        no_measure_weeks,
        chosen,
    )
    log.info(
        "alerts as of %s: %d alerts for %d clients",
        stamp.date(),
        len(out),
        out["client_id"].nunique(),
    )
    return out


def alerts_for_client(ds: Dataset, client_id: str, **kw: Any) -> pd.DataFrame:
    """The alerts of one client only (same rules and keywords as :func:`alerts`).

    Only this client's rows are read for the rules. The not-on-track model, when not passed
    in ``model=``, is still fitted on the whole dataset (all clients, data up to ``as_of``):
    a recovery curve needs many clients. The result carries no other client's data: its rows
    are this client's, and ``attrs["models"]`` holds only model summaries (coefficients,
    variance components, fit date, N, intake mean and SD). To report many clients, fit the
    models once (:func:`therapy_outcomes.outcomes.expected_recovery.fit_expected_recovery`) and
    pass them in.

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

    Raises
    ------
    ParameterError
        Unknown client, or a bad keyword value.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes import load
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_demo_clinic(folder, n_clients=40, seed=3, as_of="2026-10-31")
    >>> ds = load(folder, as_of="2026-10-31")
    >>> mine = alerts_for_client(ds, "C000001", kinds=["goal_overdue", "risk_item"])
    >>> set(mine["client_id"]) <= {"C000001"}
    True
    """
    unknown = set(kw) - _KEYWORDS
    if unknown:
        raise TypeError(f"alerts_for_client() got unexpected keyword(s) {sorted(unknown)}")
    known = set(ds.clients["client_id"].astype(str))
    if str(client_id) not in known:
        raise ParameterError(f"unknown client {client_id!r}: not in the clients table")
    params = {**_DEFAULTS, **kw}
    stamp, chosen, wanted = _check(
        ds,
        params["as_of"],
        params["kinds"],
        params["instruments"],
        params["percentile"],
        params["srs_cutoff"],
        params["srs_cutoff_side"],
        params["srs_drop"],
        params["no_measure_weeks"],
    )
    models, model_info = _models(
        ds, stamp, chosen, wanted, params["model"], params["percentile"], params["min_clients"]
    )
    view = _view(ds, stamp, chosen, str(client_id))
    out = _run(
        view,
        wanted,
        models,
        params["percentile"],
        params["srs_cutoff"],
        params["srs_cutoff_side"],
        params["srs_drop"],
        params["no_measure_weeks"],
    )
    out.attrs = _attrs(
        view,
        wanted,
        model_info,
        params["percentile"],
        params["srs_cutoff"],
        params["srs_cutoff_side"],
        params["srs_drop"],
        params["no_measure_weeks"],
        chosen,
    )
    out.attrs["client_id"] = str(client_id)
    log.info("alerts for client %s as of %s: %d", client_id, stamp.date(), len(out))
    return out


_DEFAULTS: dict[str, Any] = {
    "as_of": None,
    "model": None,
    "percentile": 90,
    "srs_cutoff": 36,
    "srs_cutoff_side": "<",
    "srs_drop": 1,
    "no_measure_weeks": 4,
    "instruments": None,
    "kinds": None,
    "min_clients": 30,
}
_KEYWORDS = set(_DEFAULTS)


def _check(
    ds: Dataset,
    as_of: Any,
    kinds: Iterable[str] | None,
    instruments: Iterable[str] | None,
    percentile: Any,
    srs_cutoff: Any,
    srs_cutoff_side: str,
    srs_drop: Any,
    no_measure_weeks: Any,
) -> tuple[pd.Timestamp, tuple[str, ...], tuple[str, ...]]:
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
    if kinds is None:
        wanted = KINDS
    else:
        wanted_list = [kinds] if isinstance(kinds, str) else list(kinds)
        bad = [k for k in wanted_list if k not in KINDS]
        if bad:
            raise ParameterError(f"unknown alert kind(s) {bad}; known: {', '.join(KINDS)}")
        wanted = tuple(k for k in KINDS if k in wanted_list)
    if instruments is None:
        chosen = tuple(ds.registry.codes)
    else:
        names = [instruments] if isinstance(instruments, str) else list(instruments)
        try:
            chosen = tuple(sorted({ds.registry.get(n).code for n in names}))
        except UnknownInstrumentError as exc:
            raise ParameterError(str(exc)) from None
    try:
        _check_percentile(percentile)
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    if srs_cutoff is not None and (
        isinstance(srs_cutoff, bool) or not isinstance(srs_cutoff, numbers.Real)
    ):
        raise ParameterError(f"srs_cutoff must be a number or None, not {srs_cutoff!r}")
    if srs_cutoff_side not in ("<", "<="):
        raise ParameterError(f"srs_cutoff_side must be '<' or '<=', not {srs_cutoff_side!r}")
    for name, value in (("srs_drop", srs_drop), ("no_measure_weeks", no_measure_weeks)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0
        ):
            raise ParameterError(f"{name} must be a positive number or None, not {value!r}")
    return stamp, chosen, wanted


def _models(
    ds: Dataset,
    stamp: pd.Timestamp,
    chosen: tuple[str, ...],
    wanted: tuple[str, ...],
    model: Models,
    percentile: float,
    min_clients: int,
) -> tuple[dict[str, ExpectedRecoveryModel], dict[str, Any]]:
    """Models for not_on_track: the given ones, the rest fitted on the whole dataset."""
    models: dict[str, ExpectedRecoveryModel] = {}
    info: dict[str, Any] = {"models": {}, "skipped": []}
    if "not_on_track" not in wanted:
        return models, info
    given: dict[str, ExpectedRecoveryModel] = {}
    if isinstance(model, ExpectedRecoveryModel):
        given[model.instrument] = model
    elif model is not None:
        for key, value in model.items():
            if not isinstance(value, ExpectedRecoveryModel):
                raise ParameterError(f"model[{key!r}] is not an ExpectedRecoveryModel")
            given[value.instrument] = value
    upto = ds.scores[ds.scores["administered_on"] <= end_of_day(stamp)]
    present = set(upto["instrument"].dropna().astype(str))
    for code in chosen:
        inst = ds.registry.get(code)
        if code in ALLIANCE_MEASURES or inst.kind != "questionnaire" or code not in present:
            continue
        if code in given:
            models[code] = given[code]
            fitted_on = "given"
        else:
            try:
                models[code] = fit_expected_recovery(
                    upto,
                    instrument=code,
                    as_of=stamp,
                    registry=ds.registry,
                    min_clients=min_clients,
                    cache=ds.cache,
                )
            except NotEnoughData as exc:
                info["skipped"].append(
                    {"kind": "not_on_track", "instrument": code, "reason": str(exc)}
                )
                log.info("not_on_track skipped for %s: too few clients", code)
                continue
            fitted_on = "this dataset (all clients, data up to as_of)"
        m = models[code]
        info["models"][code] = {
            "model": m,
            "summary": m.describe(),
            "fit_date": m.fit_date,
            "n_clients": m.n_clients,
            "n_observations": m.n_observations,
            "converged": m.converged,
            "percentile": float(percentile),
            "fitted_on": fitted_on,
            "text": (
                f"{code} expected-recovery model ({fitted_on}): {m.n_clients} clients, "
                f"{m.n_observations} post-intake scores up to {m.fit_date.date().isoformat()}, "
                f"{ordinal(percentile)}-percentile bound"
                + ("" if m.converged else "; the fit did not converge cleanly")
            ),
        }
    return models, info


def _view(ds: Dataset, stamp: pd.Timestamp, chosen: tuple[str, ...], client: str | None) -> View:
    """The dataset's tables cut to ``as_of`` and, if given, to one client."""
    last = end_of_day(stamp)

    def cut(df: pd.DataFrame, date_col: str | None) -> pd.DataFrame:
        keep = pd.Series(True, index=df.index)
        if date_col is not None:
            keep &= (df[date_col] <= last).fillna(False).astype(bool)
        if client is not None:
            keep &= (df["client_id"].astype("string") == client).fillna(False).astype(bool)
        return df[keep]

    return View(
        scores=cut(ds.scores, "administered_on"),
        responses=cut(ds.responses, "administered_on"),
        sessions=cut(ds.sessions, "session_on"),
        clients=cut(ds.clients, None),
        goals=cut(ds.goals, "set_on"),
        registry=ds.registry,
        as_of=stamp,
        instruments=chosen,
    )


def _run(
    view: View,
    wanted: tuple[str, ...],
    models: dict[str, ExpectedRecoveryModel],
    percentile: float,
    srs_cutoff: float | None,
    srs_cutoff_side: str,
    srs_drop: float | None,
    no_measure_weeks: float | None,
) -> pd.DataFrame:
    open_now = open_episodes(view.clients, view.as_of)
    rows: list[dict[str, Any]] = []
    for kind in wanted:
        if kind == "risk_item":
            found = _rules.risk_item(view)
        elif kind == "reliable_deterioration":
            found = _rules.reliable_deterioration(view)
        elif kind == "not_on_track":
            found = _rules.not_on_track(view, models, percentile)
        elif kind == "low_alliance":
            found = _rules.low_alliance(
                view, cutoff=srs_cutoff, cutoff_side=srs_cutoff_side, drop=srs_drop
            )
        elif kind == "no_recent_measure":
            found = (
                []
                if no_measure_weeks is None
                else _rules.no_recent_measure(view, no_measure_weeks, open_now)
            )
        else:
            found = _rules.goal_overdue(view)
        log.debug("%s: %d alerts", kind, len(found))
        rows.extend(found)
    out = frame(rows)
    out["episode_open"] = (
        out["client_id"].map(open_now).astype("boolean") if len(out) else out["episode_open"]
    )
    rank = out["severity"].map(SEVERITY_ORDER)
    kind_rank = out["kind"].map({k: i for i, k in enumerate(KINDS)})
    order = (
        pd.DataFrame({"r": rank, "c": out["client_id"], "d": out["date"], "k": kind_rank})
        .sort_values(["r", "c", "d", "k"], kind="mergesort")
        .index
    )
    return out.loc[order].reset_index(drop=True)


def _attrs(
    view: View,
    wanted: tuple[str, ...],
    model_info: dict[str, Any],
    percentile: float,
    srs_cutoff: float | None,
    srs_cutoff_side: str,
    srs_drop: float | None,
    no_measure_weeks: float | None,
    chosen: tuple[str, ...],
) -> dict[str, Any]:
    return {
        "as_of": view.as_of,
        "kinds": list(wanted),
        "models": model_info["models"],
        "skipped": model_info["skipped"] + view.skipped,
        "parameters": {
            "percentile": float(percentile),
            "srs_cutoff": srs_cutoff,
            "srs_cutoff_side": srs_cutoff_side,
            "srs_drop": srs_drop,
            "no_measure_weeks": no_measure_weeks,
            "instruments": list(chosen),
        },
    }
