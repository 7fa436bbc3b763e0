"""Reliable change from all of a client's measurements: the HLM (growth-curve) method.

A linear mixed model (Raudenbush & Bryk 2002) ``outcome ~ time`` with a random intercept and a
random slope per client is fitted by REML (statsmodels ``MixedLM``). Each client's empirical-Bayes
(EB) slope is divided by its conditional SD; the ratio is treated as an RCI with the two-sided
critical value ``z(1 - alpha/2)``.

Which slope
-----------
- ``slope="total"`` (default): the client's own EB slope, fixed slope plus the client's random
  slope (``gamma_10 + u_1j``). The test asks whether *this client's* scores moved over time, which
  is what reliable change means for one client.
- ``slope="deviation"``: the random slope ``u_1j`` alone, i.e. whether the client's slope differs
  from the average client's. This is what ``clinicalsignificance`` (R, versions 1.x to 3.x,
  ``rci_method = "HLM"``: ``lme4::ranef(condVar = TRUE)``, ``condval / condsd``) computes; use it to
  reproduce that package's counts.

In both cases the conditional SD is that of ``u_1j`` given the data at the REML estimates (the
fixed effects are treated as known, as ``lme4``'s ``condVar`` and statsmodels'
``random_effects_cov`` do).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from therapy_outcomes.change.reliable import CHANGE_CATEGORIES, classify_rci

__all__ = ["reliable_change_hlm"]


def reliable_change_hlm(
    data: pd.DataFrame,
    *,
    id: str = "client_id",
    time: str = "time",
    outcome: str = "score",
    better: Literal["lower", "higher"] = "lower",
    alpha: float = 0.05,
    min_measurements: int = 3,
    slope: Literal["total", "deviation"] = "total",
) -> pd.DataFrame:
    """Reliable change per client from a random-slope growth model (HLM method).

    Model (REML): ``y_ti = gamma_00 + gamma_10 * time_ti + u_0i + u_1i * time_ti + e_ti`` with
    ``(u_0i, u_1i)`` bivariate normal (unstructured covariance). Per client, ``rci = b_i / sd_i``
    where ``b_i`` is the EB slope (``gamma_10 + u_1i`` for ``slope="total"``, ``u_1i`` for
    ``slope="deviation"``) and ``sd_i`` the conditional SD of ``u_1i``. Improved if
    ``direction * rci > z(1 - alpha/2)``, deteriorated if ``< -z(1 - alpha/2)`` (strict), with
    ``direction`` +1 if higher is better, -1 if lower is better.

    Clients with fewer than ``min_measurements`` non-missing scores are not used to fit the model;
    they are kept in the output with ``excluded=True`` and a missing category, and counted in
    ``attrs["n_excluded"]``.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per measurement.
    id, time, outcome : str
        Column names of the client identifier, the numeric time (e.g. session number, weeks; not
        datetimes: convert to days or weeks since a common origin first) and the score.
    better : {"lower", "higher"}
        Which direction is better.
    alpha : float
        Two-sided significance level.
    min_measurements : int
        Minimum number of measurements per client (default 3, as in ``clinicalsignificance``).
    slope : {"total", "deviation"}
        Which EB slope is tested (see the module notes).

    Returns
    -------
    pandas.DataFrame
        Indexed by client id: ``n_obs``, ``excluded``, ``fixed_slope``, ``random_slope``
        (``u_1i``), ``slope`` (the tested EB slope), ``slope_sd``, ``rci``, ``category``
        (improved, unchanged, deteriorated; missing for excluded clients). ``.attrs``: ``method``
        ("HLM"), ``slope``, ``critical_value``, ``better``, ``alpha``, ``n_clients`` (used),
        ``n_obs`` (used), ``n_excluded``, ``excluded_ids``, ``n_dropped_missing`` (rows with a
        missing time or score), ``fixed_effects`` and ``fixed_effects_se`` (``intercept``,
        ``time``), ``variance_components`` (``intercept_var``, ``slope_var``,
        ``intercept_slope_cov``, ``residual_var``), ``reml``, ``log_likelihood``, ``converged``.

    References
    ----------
    Raudenbush, S. W., & Bryk, A. S. (2002). *Hierarchical linear models* (2nd ed.), Sage, ch. 3
    (empirical Bayes estimates of level-1 coefficients). Claus, B. B., Wager, J., & Bonnet, U.
    (2024). clinicalsignificance. *J Stat Softw*, 111(1).

    Examples
    --------
    >>> noise = [1.0, -1.5, 0.5, 0.0]
    >>> clients = [("a", 22, -3.0), ("b", 18, -0.3), ("c", 25, 2.0), ("d", 20, -1.0),
    ...            ("e", 24, -2.5), ("f", 19, 0.0)]
    >>> rows = [(c, t, b0 + b1 * t + noise[(t + k) % 4])
    ...         for k, (c, b0, b1) in enumerate(clients) for t in range(5)]
    >>> rows.append(("g", 0, 30.0))  # a single measurement: excluded, not dropped
    >>> long = pd.DataFrame(rows, columns=["client_id", "time", "score"])
    >>> res = reliable_change_hlm(long)
    >>> res["category"].tolist()
    ['improved', 'unchanged', 'deteriorated', 'improved', 'improved', 'unchanged', nan]
    >>> res.attrs["n_clients"], res.attrs["n_excluded"], res.attrs["excluded_ids"]
    (6, 1, ['g'])
    """
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', not {better!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number strictly between 0 and 1, not {alpha!r}")
    if slope not in ("total", "deviation"):
        raise ValueError(f"slope must be 'total' or 'deviation', not {slope!r}")
    if isinstance(min_measurements, bool) or not isinstance(min_measurements, numbers.Integral):
        raise ValueError(f"min_measurements must be an integer, not {min_measurements!r}")
    if min_measurements < 2:
        raise ValueError("min_measurements must be at least 2 (a slope needs two points)")
    missing = [c for c in (id, time, outcome) if c not in data.columns]
    if missing:
        raise ValueError(f"data has no column(s) {missing}; pass id=, time=, outcome=")
    if not pd.api.types.is_numeric_dtype(data[time]) or pd.api.types.is_bool_dtype(data[time]):
        raise ValueError(
            f"time column {time!r} must be numeric (session number, days or weeks); convert "
            "dates first, e.g. (date - first_date).dt.days / 7"
        )

    df = data[[id, time, outcome]].copy()
    df[outcome] = pd.to_numeric(df[outcome], errors="raise").astype(float)
    df[time] = df[time].astype(float)
    complete = df[time].notna() & df[outcome].notna() & df[id].notna()
    n_missing = int((~complete).sum())
    df = df[complete]
    all_ids = pd.Index(data[id].dropna().unique(), name=id)
    n_obs = df.groupby(id, sort=False).size().reindex(all_ids, fill_value=0)
    used_ids = n_obs.index[n_obs >= min_measurements]
    excluded_ids = n_obs.index[n_obs < min_measurements]
    used = df[df[id].isin(used_ids)]
    if len(used_ids) < 3:
        raise ValueError(
            f"the HLM method needs at least 3 clients with {min_measurements} or more "
            f"measurements to estimate the random slope variance ({len(used_ids)} found)"
        )

    exog = np.column_stack([np.ones(len(used)), used[time].to_numpy()])
    model = MixedLM(used[outcome].to_numpy(), exog, groups=used[id].to_numpy(), exog_re=exog.copy())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        fit = model.fit(reml=True)
    converged = bool(fit.converged) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught
    )
    if not converged:
        warnings.warn(
            "the HLM model did not converge cleanly; check attrs['variance_components'] (a "
            "random slope variance near zero makes the conditional SDs unreliable)",
            UserWarning,
            stacklevel=2,
        )

    fixed_slope = float(fit.fe_params[1])
    rows = {}
    for gid, re in fit.random_effects.items():
        u1 = float(np.asarray(re)[1])
        var = float(np.asarray(fit.random_effects_cov[gid])[1, 1])
        rows[gid] = (u1, math.sqrt(var) if var > 0 else math.nan)
    out = pd.DataFrame(index=all_ids)
    out["n_obs"] = n_obs.astype(int)
    out["excluded"] = out.index.isin(excluded_ids)
    out["fixed_slope"] = np.where(out["excluded"], np.nan, fixed_slope)
    out["random_slope"] = pd.Series({k: v[0] for k, v in rows.items()}, dtype=float)
    out["slope"] = out["random_slope"] + (out["fixed_slope"] if slope == "total" else 0.0)
    out["slope_sd"] = pd.Series({k: v[1] for k, v in rows.items()}, dtype=float)
    out["rci"] = out["slope"] / out["slope_sd"]
    crit = float(norm.ppf(1 - alpha / 2))
    out["category"] = classify_rci(out["rci"], crit, better).astype(
        pd.CategoricalDtype(list(CHANGE_CATEGORIES))
    )

    cov_re = np.asarray(fit.cov_re)
    bse = np.asarray(fit.bse_fe)
    out.attrs = {
        "method": "HLM",
        "slope": slope,
        "critical_value": crit,
        "better": better,
        "alpha": float(alpha),
        "min_measurements": int(min_measurements),
        "n_clients": len(used_ids),
        "n_obs": len(used),
        "n_excluded": len(excluded_ids),
        "excluded_ids": excluded_ids.tolist(),
        "n_dropped_missing": n_missing,
        "fixed_effects": {"intercept": float(fit.fe_params[0]), "time": fixed_slope},
        "fixed_effects_se": {"intercept": float(bse[0]), "time": float(bse[1])},
        "variance_components": {
            "intercept_var": float(cov_re[0, 0]),
            "slope_var": float(cov_re[1, 1]),
            "intercept_slope_cov": float(cov_re[0, 1]),
            "residual_var": float(fit.scale),
        },
        "reml": True,
        "log_likelihood": float(fit.llf),
        "converged": converged,
    }
    return out
