"""Expected recovery curves: where should a client be at session *j*, given where they started?

:func:`fit_expected_recovery` fits a linear mixed model of an instrument's score on the log of the
session number, conditioned on the intake score, in the form of Finch, Lambert & Schaalje (2001)
as written in ``docs/methods.md#expected-recovery``. :class:`ExpectedRecoveryModel`
then gives, for a *new* client with a given intake, the expected score at each session and a
one-sided bound in the worse direction; a score beyond the bound is "not on track"
(:func:`therapy_outcomes.alerts.alerts`).

The model as fitted
-------------------
For client *i* with intake score ``I_i`` (the first valid score of the instrument) and each later
valid score ``y_ij`` at session number ``s_ij`` (``2 <= s_ij <= max_session``)::

    y_ij = b0 + b1*I_i + (b2 + b3*I_i)*log(s_ij) + u0_i + u1_i*log(s_ij) + e_ij
    (u0_i, u1_i) ~ N(0, G),  G unstructured 2 x 2;   e_ij ~ N(0, sigma^2)

fitted by REML with statsmodels ``MixedLM``.

*Why the intake is a covariate and not an observation.* Finch et al. condition the curves on
intake severity. If the intake score were also an outcome row (session 1, ``log 1 = 0``) it would
be predicted exactly by its own covariate (``y_i1 = I_i``): the session-1 residual would be zero,
which contradicts the constant residual variance ``sigma^2`` and biases ``G`` and ``sigma^2``.
So the model is fitted to the scores *after* intake, with the intake as a covariate; it answers
"for clients who started at ``I``, what is the distribution of scores at session ``s``?".

Session number
--------------
One rule, used by both the fit and the alerts (the model records it in ``session_basis``):

- ``"scores"`` (``sessions=None``, the default): the administration's position among the client's
  valid scores of that instrument, in date order (1 = intake). Missing or invalid questionnaires
  do not count, so the session number is "number of measured sessions". Works without a sessions
  table and is exact when the measure is given at every session (the Lambert/PCOMS protocol).
- ``"attended_sessions"`` (``sessions=`` the sessions table): the number of the client's attended
  sessions on or before the administration's date (at least 1). Use it when measures are not
  taken every session. The intake is still the first valid score; only post-intake scores with
  ``1 <= s <= max_session`` enter the fit.

Scores are grouped per client *and rater* (``rater`` column, default ``"self"``), so a parent-rated
and a self-rated series are never mixed.

Predictive distribution for a new client
----------------------------------------
With ``L = log(min(s, max_session))`` (the curve is held flat after the last modelled session)::

    mean(I, s) = b0 + b1*I + (b2 + b3*I)*L
    sd(I, s)   = sqrt(G00 + 2*L*G01 + L^2*G11 + sigma^2)
    bound      = mean + z_p * sd   (lower-is-better: the upper bound)
               = mean - z_p * sd   (higher-is-better: the lower bound),  z_p = Phi^-1(p / 100)

The SD is that of a new client's single observation (random effects plus residual), with the
fixed effects treated as known: with 30 or more clients their uncertainty is small next to the
between-client variance. The bound is a percentile of this predictive distribution; Finch et al.
used tolerance intervals whose percentile is not public (docs/methods.md#expected-recovery), so
the percentile is a parameter.

References
----------
Finch, A. E., Lambert, M. J., & Schaalje, B. G. (2001). Psychotherapy quality control: the
statistical generation of expected recovery curves for integration into an early warning system.
*Clinical Psychology & Psychotherapy*, 8(4), 231-242.
Methods: ``docs/methods.md#expected-recovery``.
"""

from __future__ import annotations

import logging
import math
import numbers
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.regression.mixed_linear_model import MixedLM

from therapy_outcomes.caching import ResultCache
from therapy_outcomes.change.reliable import Better
from therapy_outcomes.errors import TherapyOutcomesError
from therapy_outcomes.instruments import Registry, default_registry

__all__ = [
    "ExpectedRecoveryModel",
    "NotEnoughData",
    "check_percentile",
    "fit_expected_recovery",
    "score_series",
]

log = logging.getLogger(__name__)

SessionBasis = Literal["scores", "attended_sessions"]

#: Optimisers tried in turn by ``MixedLM.fit`` until one converges.
_FIT_METHODS = ("bfgs", "lbfgs", "powell")
_COEF_NAMES = ("intercept", "intake", "log_session", "intake_x_log_session")
_SCORE_COLUMNS = ("client_id", "instrument", "administered_on", "total", "valid")


class NotEnoughData(TherapyOutcomesError, ValueError):
    """Too few clients (or too little spread) to fit an expected-recovery model.

    Examples
    --------
    >>> issubclass(NotEnoughData, ValueError)
    True
    """


def _end_of_day(as_of: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(as_of)
    if stamp.hour == stamp.minute == stamp.second == stamp.microsecond == stamp.nanosecond == 0:
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    return stamp


def score_series(
    scores: pd.DataFrame,
    instrument: str,
    *,
    sessions: pd.DataFrame | None = None,
    as_of: Any = None,
) -> pd.DataFrame:
    """Each client's valid scores of one instrument, numbered by session, with the intake.

    The session-numbering rule shared by :func:`fit_expected_recovery` and the alerts (see the
    module notes): with ``sessions=None`` the session number is the position among the client's
    valid scores of the instrument (1 = intake); with a sessions table it is the number of the
    client's attended sessions dated on or before the administration (at least 1).

    Parameters
    ----------
    scores : pandas.DataFrame
        ``Dataset.scores`` (``client_id``, ``instrument``, ``administered_on``, ``total``,
        ``valid``; ``rater`` and ``administration_id`` when present).
    instrument : str
        Canonical instrument code (as in ``scores["instrument"]``).
    sessions : pandas.DataFrame, optional
        ``Dataset.sessions`` (``client_id``, ``session_on``, ``attendance``).
    as_of : date-like, optional
        Ignore scores (and sessions) after this date (a date includes its whole day).

    Returns
    -------
    pandas.DataFrame
        One row per valid score: ``client_id``, ``rater``, ``administration_id``,
        ``administered_on``, ``total``, ``position`` (1 = first valid score), ``session_number``,
        ``intake``, ``intake_on``; sorted by client, rater and date.

    Examples
    --------
    >>> scores = pd.DataFrame({"client_id": ["A", "A", "A", "B"], "instrument": "PHQ-9",
    ...     "administered_on": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19",
    ...                                        "2026-01-07"]),
    ...     "total": [18.0, None, 12.0, 9.0], "valid": [True, False, True, True]})
    >>> score_series(scores, "PHQ-9")[["client_id", "total", "session_number", "intake"]]
      client_id  total  session_number  intake
    0         A   18.0               1    18.0
    1         A   12.0               2    18.0
    2         B    9.0               1     9.0
    """
    missing = [c for c in _SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ValueError(f"scores table has no column(s) {missing}")
    rows = scores[(scores["instrument"] == instrument).fillna(False).astype(bool)]
    ok = rows["valid"].fillna(False).astype(bool) & rows["total"].notna()
    rows = rows[ok]
    if as_of is not None:
        rows = rows[rows["administered_on"] <= _end_of_day(as_of)]
    out = pd.DataFrame(
        {
            "client_id": rows["client_id"].astype("string"),
            "rater": (
                rows["rater"].astype("string").fillna("self")
                if "rater" in rows
                else pd.Series("self", index=rows.index, dtype="string")
            ),
            "administration_id": (
                rows["administration_id"].astype("string")
                if "administration_id" in rows
                else pd.Series(pd.NA, index=rows.index, dtype="string")
            ),
            "administered_on": rows["administered_on"],
            "total": rows["total"].astype(float),
        }
    )
    out = out.sort_values(
        ["client_id", "rater", "administered_on", "administration_id"], kind="mergesort"
    ).reset_index(drop=True)
    group = out.groupby(["client_id", "rater"], sort=False)
    out["position"] = group.cumcount().astype(int) + 1
    out["intake"] = group["total"].transform("first")
    out["intake_on"] = group["administered_on"].transform("first")
    if sessions is None:
        out["session_number"] = out["position"]
    else:
        out["session_number"] = _attended_before(out, sessions, as_of)
    cols = [
        "client_id",
        "rater",
        "administration_id",
        "administered_on",
        "total",
        "position",
        "session_number",
        "intake",
        "intake_on",
    ]
    return out[cols]


def _attended_before(series: pd.DataFrame, sessions: pd.DataFrame, as_of: Any) -> pd.Series:
    """Number of attended sessions on or before each score's date (at least 1)."""
    need = [c for c in ("client_id", "session_on", "attendance") if c not in sessions.columns]
    if need:
        raise ValueError(f"sessions table has no column(s) {need}")
    attended = sessions[(sessions["attendance"] == "attended").fillna(False).astype(bool)]
    if as_of is not None:
        attended = attended[attended["session_on"] <= _end_of_day(as_of)]
    days = pd.DataFrame(
        {
            "client_id": attended["client_id"].astype("string"),
            "session_day": attended["session_on"].dt.normalize(),
        }
    )
    left = pd.DataFrame(
        {
            "row": np.arange(len(series)),
            "client_id": series["client_id"],
            "day": series["administered_on"].dt.normalize(),
        }
    )
    pairs = left.merge(days, on="client_id", how="left")
    before = (pairs["session_day"] <= pairs["day"]).fillna(False).astype(bool)
    counts = before.groupby(pairs["row"]).sum().reindex(left["row"], fill_value=0)
    return pd.Series(np.maximum(counts.to_numpy(dtype=int), 1), index=series.index)


@dataclass(frozen=True)
class ExpectedRecoveryModel:
    """A fitted expected-recovery curve for one instrument (see the module notes for the model).

    Attributes
    ----------
    instrument : str
        Canonical instrument code.
    better : {"lower", "higher"}
        Which direction of the score is better; the bound is on the other side.
    n_clients, n_observations : int
        Clients and post-intake scores the model was fitted on.
    b0, b1, b2, b3 : float
        Fixed effects: intercept, intake, log(session), intake x log(session).
    var_intercept, var_slope, cov_intercept_slope : float
        Random-effect covariance ``G`` (intercept, log-session slope).
    var_residual : float
        Residual variance ``sigma^2``.
    fit_date : pandas.Timestamp
        The as-of date of the data the model was fitted on (not the wall-clock time), so that
        the same data give the same model.
    converged : bool
        Whether the optimiser converged without a convergence warning.
    max_session : int
        Last modelled session; later sessions are predicted at ``max_session``.
    session_basis : {"scores", "attended_sessions"}
        How session numbers were counted (see :func:`score_series`).
    se : tuple of float
        Standard errors of ``b0 .. b3``.
    intake_mean, intake_sd : float
        Mean and SD of the intakes in the fitting data (aggregates only, so that a model
        summary shown in one client's report carries no other client's score).
    notes : tuple of str
        Warnings raised while fitting.
    source : str
        Where the model comes from (``fit_expected_recovery`` fills it in).

    Examples
    --------
    >>> m = ExpectedRecoveryModel("PHQ-9", "lower", 100, 600, 2.0, 0.8, -0.5, -0.15,
    ...                           4.0, 0.5, -0.4, 9.0, pd.Timestamp("2026-10-31"), True)
    >>> mean, sd = m.predict(15, 5)
    >>> round(mean, 2), round(sd, 2)
    (9.57, 3.61)
    >>> round(m.bound(15, 5, 90), 2)
    14.2
    """

    instrument: str
    better: Better
    n_clients: int
    n_observations: int
    b0: float
    b1: float
    b2: float
    b3: float
    var_intercept: float
    var_slope: float
    cov_intercept_slope: float
    var_residual: float
    fit_date: pd.Timestamp
    converged: bool
    max_session: int = 20
    session_basis: str = "scores"
    se: tuple[float, float, float, float] = (math.nan,) * 4
    intake_mean: float = math.nan
    intake_sd: float = math.nan
    notes: tuple[str, ...] = field(default=(), compare=False)
    source: str = ""

    def __post_init__(self) -> None:
        if self.better not in ("lower", "higher"):
            raise ValueError(f"better must be 'lower' or 'higher', not {self.better!r}")
        if self.session_basis not in ("scores", "attended_sessions"):
            raise ValueError(
                f"session_basis must be 'scores' or 'attended_sessions', not {self.session_basis!r}"
            )
        for name in ("var_intercept", "var_slope", "var_residual"):
            value = getattr(self, name)
            if not value >= 0:
                raise ValueError(f"{name} must be a variance (>= 0), not {value!r}")
        if self.max_session < 2:
            raise ValueError(f"max_session must be at least 2, not {self.max_session!r}")

    @property
    def coefficients(self) -> dict[str, float]:
        """Fixed effects by name: intercept, intake, log_session, intake_x_log_session."""
        return dict(zip(_COEF_NAMES, (self.b0, self.b1, self.b2, self.b3), strict=True))

    @property
    def variance_components(self) -> dict[str, float]:
        """``G`` and ``sigma^2`` by name."""
        return {
            "intercept_var": self.var_intercept,
            "slope_var": self.var_slope,
            "intercept_slope_cov": self.cov_intercept_slope,
            "residual_var": self.var_residual,
        }

    def _log_session(self, session_number: Any) -> np.ndarray:
        s = np.asarray(session_number, dtype=float)
        if np.any(~np.isfinite(s)) or np.any(s < 1):
            raise ValueError("session_number must be 1 or more (1 = intake session)")
        return np.log(np.minimum(s, self.max_session))

    def predict(self, intake: Any, session_number: Any) -> tuple[Any, Any]:
        """Expected score and predictive SD of a new client's score at a session.

        ``mean = b0 + b1*I + (b2 + b3*I)*L`` and
        ``sd = sqrt(G00 + 2*L*G01 + L^2*G11 + sigma^2)`` with ``L = log(min(s, max_session))``.

        Parameters
        ----------
        intake : float or array-like
            Intake score(s).
        session_number : int or array-like
            Session number(s), 1 or more (broadcast against ``intake``).

        Returns
        -------
        (mean, sd) : tuple of float, or of numpy arrays for array input

        Examples
        --------
        >>> m = ExpectedRecoveryModel("PHQ-9", "lower", 100, 600, 2.0, 0.8, -0.5, -0.15,
        ...                           4.0, 0.5, -0.4, 9.0, pd.Timestamp("2026-10-31"), True)
        >>> mean, sd = m.predict([10, 20], 4)
        >>> mean.round(2).tolist(), sd.round(2).tolist()
        ([7.23, 13.15], [3.58, 3.58])
        """
        i = np.asarray(intake, dtype=float)
        lg = self._log_session(session_number)
        mean = self.b0 + self.b1 * i + (self.b2 + self.b3 * i) * lg
        var = (
            self.var_intercept
            + 2.0 * lg * self.cov_intercept_slope
            + lg**2 * self.var_slope
            + self.var_residual
        )
        sd = np.sqrt(np.maximum(var, 0.0)) + np.zeros_like(mean)
        if mean.ndim == 0:
            return float(mean), float(sd)
        return mean, sd

    def bound(self, intake: Any, session_number: Any, percentile: float = 90) -> Any:
        """One-sided bound in the worse direction: ``mean +/- Phi^-1(p/100) * sd``.

        Upper bound (``+``) when lower scores are better, lower bound (``-``) when higher scores
        are better; a score beyond it is worse than ``percentile`` % of clients with the same
        intake at that session are expected to be.

        Parameters
        ----------
        intake, session_number : float or array-like
            As in :meth:`predict`.
        percentile : float
            Strictly between 0 and 100 (e.g. 90).

        Returns
        -------
        float or numpy.ndarray

        Examples
        --------
        >>> m = ExpectedRecoveryModel("ORS", "higher", 100, 600, 10.0, 0.5, 2.0, 0.0,
        ...                           9.0, 1.0, 0.0, 16.0, pd.Timestamp("2026-10-31"), True)
        >>> round(m.bound(20, 1, 90), 2)
        13.59
        """
        p = check_percentile(percentile)
        mean, sd = self.predict(intake, session_number)
        z = float(norm.ppf(p / 100.0))
        sign = 1.0 if self.better == "lower" else -1.0
        return mean + sign * z * sd

    def curve(self, intake: float, percentile: float = 90, sessions: Any = None) -> pd.DataFrame:
        """Expected score and bound at each session for one intake (for charts).

        Returns
        -------
        pandas.DataFrame
            ``session_number, expected, sd, bound`` for sessions 1 .. ``max_session`` (or the
            ``sessions`` given).

        Examples
        --------
        >>> m = ExpectedRecoveryModel("PHQ-9", "lower", 100, 600, 2.0, 0.8, -0.5, -0.15,
        ...                           4.0, 0.5, -0.4, 9.0, pd.Timestamp("2026-10-31"), True)
        >>> m.curve(15, sessions=[2, 3]).round(2)
           session_number  expected    sd  bound
        0               2     12.09  3.56  16.66
        1               3     10.98  3.57  15.55
        """
        s = np.arange(1, self.max_session + 1) if sessions is None else np.asarray(sessions)
        mean, sd = self.predict(np.full(len(s), float(intake)), s)
        return pd.DataFrame(
            {
                "session_number": s,
                "expected": mean,
                "sd": sd,
                "bound": self.bound(np.full(len(s), float(intake)), s, percentile),
            }
        )

    def describe(self) -> dict[str, Any]:
        """Plain summary for reports: no client data, only the model and where it came from.

        Examples
        --------
        >>> m = ExpectedRecoveryModel("PHQ-9", "lower", 100, 600, 2.0, 0.8, -0.5, -0.15,
        ...                           4.0, 0.5, -0.4, 9.0, pd.Timestamp("2026-10-31"), True)
        >>> d = m.describe()
        >>> d["fit_date"], d["n_clients"], d["coefficients"]["intake"]
        ('2026-10-31', 100, 0.8)
        """
        return {
            "instrument": self.instrument,
            "better": self.better,
            "formula": (
                "score = b0 + b1*intake + (b2 + b3*intake)*log(session) "
                "+ u0 + u1*log(session) + e  (sessions 2 to "
                f"{self.max_session}, session numbers from {self.session_basis})"
            ),
            "fit_date": self.fit_date.date().isoformat(),
            "n_clients": self.n_clients,
            "n_observations": self.n_observations,
            "coefficients": self.coefficients,
            "standard_errors": dict(zip(_COEF_NAMES, self.se, strict=True)),
            "variance_components": self.variance_components,
            "converged": self.converged,
            "max_session": self.max_session,
            "session_basis": self.session_basis,
            "intake_mean": self.intake_mean,
            "intake_sd": self.intake_sd,
            "source": self.source,
            "notes": list(self.notes),
        }


def check_percentile(percentile: Any) -> float:
    """A percentile for a one-sided bound, as a float; refuses 0, 100 and anything outside.

    Parameters
    ----------
    percentile : float
        Strictly between 0 and 100 (e.g. 90).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        ``percentile must be a number strictly between 0 and 100, not ...``.

    Examples
    --------
    >>> check_percentile(90), check_percentile(97.5)
    (90.0, 97.5)
    >>> check_percentile(100)
    Traceback (most recent call last):
    ...
    ValueError: percentile must be a number strictly between 0 and 100, not 100
    """
    if (
        isinstance(percentile, bool)
        or not isinstance(percentile, numbers.Real)
        or not 0 < float(percentile) < 100
    ):
        raise ValueError(
            f"percentile must be a number strictly between 0 and 100, not {percentile!r}"
        )
    return float(percentile)


def fit_expected_recovery(
    scores: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    instrument: str = "PHQ-9",
    min_clients: int = 30,
    max_session: int = 20,
    as_of: Any = None,
    registry: Registry | None = None,
    cache: ResultCache | None = None,
) -> ExpectedRecoveryModel:
    """Fit an expected-recovery model (Finch, Lambert & Schaalje 2001 form) to routine data.

    ``y_ij = b0 + b1*I_i + (b2 + b3*I_i)*log(s_ij) + u0_i + u1_i*log(s_ij) + e_ij``, fitted by
    REML (statsmodels ``MixedLM``, random intercept and log-session slope with unstructured
    covariance) to every post-intake valid score with session number ``s_ij`` up to
    ``max_session``; ``I_i`` is the client's first valid score (see the module notes for why the
    intake is a covariate and how sessions are numbered).

    Parameters
    ----------
    scores : pandas.DataFrame
        ``Dataset.scores``.
    sessions : pandas.DataFrame, optional
        ``Dataset.sessions``: number sessions by attended sessions instead of by valid scores.
    instrument : str
        Instrument code or alias (default ``"PHQ-9"``).
    min_clients : int
        Fewest clients with an intake and at least one later score in sessions 2 ..
        ``max_session`` (default 30).
    max_session : int
        Last session used (default 20, as Finch et al.); later scores are left out.
    as_of : date-like, optional
        Use only scores on or before this date and record it as the fit date. Default: the
        date of the latest score used (never the wall clock, so results are reproducible).
    registry : Registry, optional
        Where to look up the instrument (default: the shipped definitions; pass
        ``Dataset.registry``).
    cache : ResultCache, optional
        Reuse a model fitted on the same scores, sessions, options and registry object, and
        keep this one (:mod:`therapy_outcomes.caching`; pass ``Dataset.cache``).

    Returns
    -------
    ExpectedRecoveryModel

    Raises
    ------
    NotEnoughData
        Fewer than ``min_clients`` usable clients, or no spread in the intake scores or
        session numbers.

    References
    ----------
    Finch, A. E., Lambert, M. J., & Schaalje, B. G. (2001). *Clin Psychol Psychother*, 8(4),
    231-242. Methods: ``docs/methods.md#expected-recovery``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rows = []
    >>> for i in range(60):
    ...     intake, u = rng.normal(16, 4), rng.normal(0, 1.5)
    ...     rows.append((f"C{i}", 0, intake))
    ...     for s in range(2, 9):
    ...         y = 1 + 0.9 * intake - 2.5 * np.log(s) + u + rng.normal(0, 1.5)
    ...         rows.append((f"C{i}", s - 1, y))
    >>> scores = pd.DataFrame(rows, columns=["client_id", "week", "total"])
    >>> scores["administered_on"] = pd.Timestamp("2026-01-05") + pd.to_timedelta(
    ...     scores["week"] * 7, unit="D")
    >>> scores["instrument"], scores["valid"] = "PHQ-9", True
    >>> model = fit_expected_recovery(scores, as_of="2026-06-30")
    >>> model.n_clients, model.n_observations, str(model.fit_date.date())
    (60, 420, '2026-06-30')
    >>> bool(abs(model.b1 - 0.9) < 0.15), model.converged
    (True, True)
    >>> mean, sd = model.predict(16, 4)
    >>> bool(model.bound(16, 4, 95) > model.bound(16, 4, 90) > mean)
    True
    """
    if cache is not None:
        return cache.model(
            fit_expected_recovery,
            scores,
            sessions,
            instrument=instrument,
            min_clients=min_clients,
            max_session=max_session,
            as_of=as_of,
            registry=registry,
        )
    if isinstance(min_clients, bool) or not isinstance(min_clients, numbers.Integral):
        raise ValueError(f"min_clients must be a whole number, not {min_clients!r}")
    if min_clients < 3:
        raise ValueError("min_clients must be at least 3 (the random effects need them)")
    if isinstance(max_session, bool) or not isinstance(max_session, numbers.Integral):
        raise ValueError(f"max_session must be a whole number, not {max_session!r}")
    if max_session < 2:
        raise ValueError("max_session must be at least 2 (session 1 is the intake)")
    inst = (registry or default_registry()).get(instrument)
    series = score_series(scores, inst.code, sessions=sessions, as_of=as_of)
    used = series[
        (series["position"] >= 2)
        & (series["session_number"] >= 1)
        & (series["session_number"] <= max_session)
    ]
    n_clients = int(used["client_id"].nunique())
    if n_clients < min_clients:
        raise NotEnoughData(
            f"the {inst.code} expected-recovery model needs at least {min_clients} clients with "
            f"an intake score and at least one later valid score within sessions 2 to "
            f"{max_session}; the data have {n_clients}"
        )
    intakes = used.drop_duplicates(["client_id", "rater"])["intake"]
    if intakes.nunique() < 2:
        raise NotEnoughData(
            f"the {inst.code} intake scores have no spread (all {intakes.iloc[0]:g}): the effect "
            "of the intake cannot be estimated"
        )
    if used["session_number"].nunique() < 2:
        raise NotEnoughData(
            f"all post-intake {inst.code} scores are at the same session number: the change "
            "over sessions cannot be estimated"
        )
    fit_date = (
        pd.Timestamp(as_of).normalize()
        if as_of is not None
        else used["administered_on"].max().normalize()
    )
    intake = used["intake"].to_numpy(dtype=float)
    lg = np.log(used["session_number"].to_numpy(dtype=float))
    exog = np.column_stack([np.ones(len(used)), intake, lg, intake * lg])
    exog_re = np.column_stack([np.ones(len(used)), lg])
    groups = (used["client_id"] + "\x1f" + used["rater"]).to_numpy(dtype=object)
    model = MixedLM(used["total"].to_numpy(dtype=float), exog, groups=groups, exog_re=exog_re)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(reml=True, method=list(_FIT_METHODS))
    notes = tuple(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))
    converged = bool(result.converged) and not any(
        "converge" in str(w.message).lower() for w in caught
    )
    fe = np.asarray(result.fe_params, dtype=float)
    bse = np.asarray(result.bse_fe, dtype=float)
    g = np.asarray(result.cov_re, dtype=float)
    fitted = ExpectedRecoveryModel(
        instrument=inst.code,
        better=inst.better,
        n_clients=n_clients,
        n_observations=len(used),
        b0=float(fe[0]),
        b1=float(fe[1]),
        b2=float(fe[2]),
        b3=float(fe[3]),
        var_intercept=max(float(g[0, 0]), 0.0),
        var_slope=max(float(g[1, 1]), 0.0),
        cov_intercept_slope=float(g[0, 1]),
        var_residual=max(float(result.scale), 0.0),
        fit_date=fit_date,
        converged=converged,
        max_session=int(max_session),
        session_basis="scores" if sessions is None else "attended_sessions",
        se=(float(bse[0]), float(bse[1]), float(bse[2]), float(bse[3])),
        intake_mean=float(intakes.mean()),
        intake_sd=float(intakes.std(ddof=1)),
        notes=notes,
        source=(
            f"fitted on {len(used)} post-intake {inst.code} scores of {n_clients} clients "
            f"up to {fit_date.date().isoformat()}"
        ),
    )
    log.info(
        "fitted %s expected-recovery model: %d clients, %d observations, converged=%s",
        inst.code,
        n_clients,
        len(used),
        converged,
    )
    return fitted
