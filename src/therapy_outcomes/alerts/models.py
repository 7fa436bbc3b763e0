"""The expected-recovery models ``not_on_track`` compares with: given, or fitted on the dataset."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from therapy_outcomes.alerts.measures import is_outcome_measure
from therapy_outcomes.alerts.view import end_of_day
from therapy_outcomes.alerts.wording import ordinal
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.loading.dataset import Dataset
from therapy_outcomes.outcomes.expected_recovery import (
    ExpectedRecoveryModel,
    NotEnoughData,
    fit_expected_recovery,
)

__all__ = ["Models", "recovery_models"]

log = logging.getLogger(__name__)

#: What ``alerts(model=...)`` accepts: one model, models by instrument, or none.
Models = ExpectedRecoveryModel | Mapping[str, ExpectedRecoveryModel] | None


def recovery_models(
    ds: Dataset,
    as_of: pd.Timestamp,
    instruments: tuple[str, ...],
    model: Models,
    *,
    percentile: float,
    min_clients: int,
) -> tuple[dict[str, ExpectedRecoveryModel], dict[str, Any], list[dict[str, str]]]:
    """One model per outcome questionnaire with scores: the given ones, the rest fitted.

    A model not given is fitted on the whole dataset (all clients, data up to ``as_of``), also
    when the alerts are for one client: a recovery curve needs many clients.

    Parameters
    ----------
    ds : Dataset
    as_of : pandas.Timestamp
    instruments : tuple of str
        Instrument codes considered; alliance measures and goal ratings get no model.
    model : ExpectedRecoveryModel or mapping of code to model, optional
        Models to use as they are.
    percentile : float
        The bound's percentile (for the summaries).
    min_clients : int
        Fewest clients to fit a model on the dataset.

    Returns
    -------
    models : dict of str to ExpectedRecoveryModel
    summaries : dict of str to dict
        Per instrument: ``model``, ``summary``, ``fit_date``, ``n_clients``,
        ``n_observations``, ``converged``, ``percentile``, ``fitted_on``, ``text``.
    skipped : list of dict
        ``{kind, instrument, reason}`` of the instruments with too few clients.

    Raises
    ------
    ParameterError
        A value of ``model`` that is not an ``ExpectedRecoveryModel``.

    Examples
    --------
    >>> from therapy_outcomes.alerts.view import example_dataset
    >>> ds = example_dataset()
    >>> models, summaries, skipped = recovery_models(
    ...     ds, ds.as_of, ("PHQ-9", "SRS"), None, percentile=90, min_clients=30)
    >>> sorted(models), summaries["PHQ-9"]["fitted_on"]
    (['PHQ-9'], 'this dataset (all clients, data up to as_of)')
    """
    given: dict[str, ExpectedRecoveryModel] = {}
    if isinstance(model, ExpectedRecoveryModel):
        given[model.instrument] = model
    elif model is not None:
        for key, value in model.items():
            if not isinstance(value, ExpectedRecoveryModel):
                raise ParameterError(f"model[{key!r}] is not an ExpectedRecoveryModel")
            given[value.instrument] = value
    models: dict[str, ExpectedRecoveryModel] = {}
    summaries: dict[str, Any] = {}
    skipped: list[dict[str, str]] = []
    upto = ds.scores[ds.scores["administered_on"] <= end_of_day(as_of)]
    present = set(upto["instrument"].dropna().astype(str))
    for code in instruments:
        if not is_outcome_measure(ds.registry.get(code)) or code not in present:
            continue
        if code in given:
            models[code] = given[code]
            fitted_on = "given"
        else:
            try:
                models[code] = fit_expected_recovery(
                    upto,
                    instrument=code,
                    as_of=as_of,
                    registry=ds.registry,
                    min_clients=min_clients,
                    cache=ds.cache,
                )
            except NotEnoughData as exc:
                skipped.append({"kind": "not_on_track", "instrument": code, "reason": str(exc)})
                log.info("not_on_track skipped for %s: too few clients", code)
                continue
            fitted_on = "this dataset (all clients, data up to as_of)"
        summaries[code] = _summary(models[code], code, fitted_on, percentile)
    return models, summaries, skipped


def _summary(
    m: ExpectedRecoveryModel, code: str, fitted_on: str, percentile: float
) -> dict[str, Any]:
    return {
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
