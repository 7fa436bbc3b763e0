"""Goal attainment: GAS T-scores, GBO change, progress of count goals, on-track checks.

References
----------
- Kiresuk, T. J. & Sherman, R. E. (1968). Goal attainment scaling: a general method for
  evaluating comprehensive community mental health programs. *Community Mental Health Journal*
  4, 443-453. T-score formula as given in docs/methods.md#gas-tscore (rho = 0.30).
- Law, D. (2011). *Goals and goal based outcomes (GBOs)*. CORC. Ratings 0-10, outcome =
  movement along the scale from start to end (docs/methods.md#gbo-change). A reliable-change
  value for GBOs is UNVERIFIED (the often-quoted 2.45 was not found in any source seen), so
  :func:`gbo_change` takes it as a parameter with no default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd

from therapy_outcomes.goals._common import goal_frame, prepare_ratings

__all__ = ["count_progress", "gas_tscore", "gas_tscores", "gbo_change", "on_track"]


def gas_tscore(
    levels: Sequence[float] | np.ndarray | pd.Series | pd.DataFrame,
    weights: Sequence[float] | np.ndarray | pd.Series | None = None,
    rho: float = 0.3,
) -> float:
    """Kiresuk-Sherman Goal Attainment Scaling T-score for one client at one time.

    ::

        T = 50 + 10 * sum(w_i x_i) / sqrt( (1 - rho) * sum(w_i^2) + rho * (sum w_i)^2 )

    ``x_i`` is the attainment level of goal *i* (-2 much less than expected ... 0 expected ...
    +2 much more than expected), ``w_i`` its weight (1 when not given) and ``rho`` the assumed
    correlation between goals (0.30 by convention). T = 50 when every goal is met exactly.

    Parameters
    ----------
    levels : array-like or DataFrame
        Attainment levels; missing levels are left out together with their weights. A
        DataFrame (e.g. one client's ratings on one date) supplies ``value`` and, when
        ``weights`` is not given, ``weight``.
    weights : array-like, optional
        Positive weights, same length as ``levels`` (missing weights count as 1).
    rho : float
        Assumed inter-goal correlation, ``0 <= rho < 1``.

    Returns
    -------
    float
        The T-score; NaN when no level is given.

    Notes
    -----
    Kiresuk & Sherman (1968); formula and test vectors: docs/methods.md#gas-tscore.

    Examples
    --------
    >>> round(gas_tscore([-1, -1, -1]), 3)
    36.307
    >>> round(gas_tscore([1, 0, -1], weights=[1, 2, 3]), 3)
    45.593
    >>> rated = pd.DataFrame({"goal_id": ["G1", "G2"], "value": [2, 2], "weight": [1, 3]})
    >>> gas_tscore(rated) > 70
    True
    """
    if isinstance(levels, pd.DataFrame):
        if weights is None and "weight" in levels:
            weights = levels["weight"]
        levels = levels["value"]
    x = pd.to_numeric(pd.Series(list(levels)), errors="coerce").to_numpy(dtype=float)
    if weights is None:
        w = np.ones_like(x)
    else:
        w = pd.to_numeric(pd.Series(list(weights)), errors="coerce").to_numpy(dtype=float)
        if w.shape != x.shape:
            raise ValueError("levels and weights must have the same length")
        w = np.where(np.isnan(w), 1.0, w)
    if not 0 <= rho < 1:
        raise ValueError("rho must be in [0, 1)")
    keep = ~np.isnan(x)
    x, w = x[keep], w[keep]
    if x.size == 0:
        return float("nan")
    if np.any(w <= 0):
        raise ValueError("weights must be positive")
    denom = np.sqrt((1 - rho) * np.sum(w**2) + rho * np.sum(w) ** 2)
    return float(50 + 10 * np.sum(w * x) / denom)


def gas_tscores(
    goal_ratings: pd.DataFrame,
    goals: pd.DataFrame,
    *,
    rho: float = 0.3,
    carry_forward: bool = False,
    rater: str | None = None,
    measure: str = "GAS",
) -> pd.DataFrame:
    """GAS T-score per client and review date.

    Uses the goals whose ``measure`` is ``"GAS"`` and their ratings (levels -2..+2). Weights come
    from ``goals.weight`` (1 when empty).

    - ``carry_forward=False`` (default): at each date a client has GAS ratings, the T-score
      uses the goals rated **on that date** only.
    - ``carry_forward=True``: at each such date, every GAS goal of the client contributes its
      most recent rating on or before the date, until the goal is replaced by a revision (a
      goal stops counting from the ``set_on`` date of the goal that revises it).

    Same-day duplicate ratings of one goal are resolved by rater (joint, client, therapist)
    unless ``rater`` picks one.

    Parameters
    ----------
    goal_ratings, goals : DataFrame
        As loaded (see data/README.md).
    rho : float
        Assumed inter-goal correlation.
    carry_forward : bool
        See above.
    rater : str, optional
        Use only this rater's ratings.
    measure : str
        Measure code of GAS goals.

    Returns
    -------
    DataFrame
        ``client_id, rated_on, n_goals, sum_weights, tscore, goal_ids`` (comma-separated).

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["G1", "G2"], "client_id": ["C1", "C1"],
    ...                       "measure": ["GAS", "GAS"], "weight": [1.0, 2.0]})
    >>> ratings = pd.DataFrame({"goal_id": ["G1", "G2"],
    ...                         "rated_on": pd.to_datetime(["2026-03-02"] * 2),
    ...                         "value": [0.0, 0.0]})
    >>> gas_tscores(ratings, goals)[["client_id", "n_goals", "tscore"]]
      client_id  n_goals  tscore
    0        C1        2    50.0
    """
    g = goal_frame(goals)
    g = g[g["measure"].astype("string").str.upper() == measure.upper()]
    g["weight"] = g["weight"].fillna(1.0)
    r = prepare_ratings(goal_ratings, g, rater=rater)
    r = r.merge(g[["goal_id", "weight"]], on="goal_id", how="left")
    rows = []
    if carry_forward:
        successors = g[g["revises_goal_id"].notna()]
        replaced_on = successors.groupby("revises_goal_id")["set_on"].min()
        for client, cr in r.groupby("client_id", sort=True):
            for day in sorted(cr["rated_on"].unique()):
                upto = cr[cr["rated_on"] <= day].sort_values("rated_on")
                latest = upto.groupby("goal_id").last()
                rep = replaced_on.reindex(latest.index)
                latest = latest[~(rep.notna() & (rep <= day)).to_numpy()]
                rows.append(_row(client, day, latest.index, latest["value"], latest["weight"], rho))
    else:
        for (client_id, rated_on), cr in r.groupby(["client_id", "rated_on"], sort=True):
            day = cast(pd.Timestamp, rated_on)  # the group keys of a date column are Timestamps
            rows.append(_row(client_id, day, cr["goal_id"], cr["value"], cr["weight"], rho))
    return pd.DataFrame(
        rows, columns=["client_id", "rated_on", "n_goals", "sum_weights", "tscore", "goal_ids"]
    )


def _row(
    client: object,
    day: pd.Timestamp | np.datetime64,
    ids: pd.Index | pd.Series,
    values: pd.Series,
    weights: pd.Series,
    rho: float,
) -> dict[str, object]:
    return {
        "client_id": client,
        "rated_on": pd.Timestamp(day),
        "n_goals": len(values),
        "sum_weights": float(np.sum(weights)),
        "tscore": gas_tscore(values.to_numpy(), weights.to_numpy(), rho=rho),
        "goal_ids": ",".join(str(i) for i in sorted(ids)),
    }


def gbo_change(
    goal_ratings: pd.DataFrame,
    goals: pd.DataFrame,
    *,
    reliable_change: float | None = None,
    measure: str = "GBO",
    as_of: pd.Timestamp | str | None = None,
    rater: str | None = None,
) -> pd.DataFrame:
    """Goal-Based Outcome change per goal: first rating, latest rating, difference.

    ``change = latest - first`` on the 0-10 scale (higher = closer to the goal, Law 2011). With
    ``reliable_change`` given, ``reliable_improvement = change >= reliable_change`` and
    ``reliable_deterioration = change <= -reliable_change``; without it (default) both are
    ``<NA>`` because no verified GBO value exists (docs/methods.md#gbo-change; the 2.45 often
    quoted is UNVERIFIED).

    Parameters
    ----------
    goal_ratings, goals : DataFrame
        As loaded.
    reliable_change : float, optional
        Reliable-change value (points).
    measure : str
        Measure code of GBO goals.
    as_of : date-like, optional
        Ignore ratings after this date.
    rater : str, optional
        Use only this rater's ratings.

    Returns
    -------
    DataFrame
        ``goal_id, client_id, n_ratings, first_on, first_value, latest_on, latest_value,
        change, reliable_improvement, reliable_deterioration``. ``change`` is NaN with fewer
        than two ratings. Goals without ratings are listed with ``n_ratings = 0``.

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["G1"], "client_id": ["C1"], "measure": ["GBO"]})
    >>> ratings = pd.DataFrame({"goal_id": ["G1", "G1", "G1"],
    ...     "rated_on": pd.to_datetime(["2026-01-05", "2026-02-02", "2026-03-02"]),
    ...     "value": [2.0, 4.0, 7.0]})
    >>> gbo_change(ratings, goals, reliable_change=3)[["first_value", "latest_value", "change",
    ...                                                "reliable_improvement"]]
       first_value  latest_value  change  reliable_improvement
    0          2.0           7.0     5.0                  True
    """
    g = goal_frame(goals)
    g = g[g["measure"].astype("string").str.upper() == measure.upper()]
    r = prepare_ratings(goal_ratings, g, as_of=as_of, rater=rater)
    grp = r.groupby("goal_id")
    summary = pd.DataFrame(
        {
            "n_ratings": grp.size(),
            "first_on": grp["rated_on"].first(),
            "first_value": grp["value"].first(),
            "latest_on": grp["rated_on"].last(),
            "latest_value": grp["value"].last(),
        }
    )
    out = g[["goal_id", "client_id"]].merge(
        summary, left_on="goal_id", right_index=True, how="left"
    )
    out["n_ratings"] = out["n_ratings"].fillna(0).astype(int)
    out["change"] = (out["latest_value"] - out["first_value"]).where(out["n_ratings"] >= 2)
    if reliable_change is None:
        out["reliable_improvement"] = pd.array([pd.NA] * len(out), dtype="boolean")
        out["reliable_deterioration"] = pd.array([pd.NA] * len(out), dtype="boolean")
    else:
        has = out["change"].notna()
        out["reliable_improvement"] = (
            (out["change"] >= reliable_change).astype("boolean").where(has)
        )
        out["reliable_deterioration"] = (
            (out["change"] <= -reliable_change).astype("boolean").where(has)
        )
    return out.reset_index(drop=True)


def count_progress(
    goals: pd.DataFrame,
    goal_ratings: pd.DataFrame,
    *,
    measures: Sequence[str] = ("count",),
    latest_only: bool = False,
    as_of: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """How far each rating of a behaviour-count goal is from baseline towards target (percent).

    ::

        percent_of_way = 100 * (value - baseline) / (target - baseline)

    0 = still at baseline, 100 = target reached; negative = worse than baseline; above 100 =
    past the target. Works for goals to increase (walks per week 0 -> 3) and to decrease
    (panic attacks per week 10 -> 2) alike. NaN when baseline or target is missing or equal.

    Parameters
    ----------
    goals, goal_ratings : DataFrame
        As loaded.
    measures : sequence of str
        Measures treated this way (``"count"``; instrument codes work too).
    latest_only : bool
        Only the latest rating of each goal.
    as_of : date-like, optional
        Ignore ratings after this date.

    Returns
    -------
    DataFrame
        ``goal_id, client_id, unit, rated_on, value, baseline, target, percent_of_way,
        reached`` (``reached``: the target met or passed).

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["G1"], "client_id": ["C1"], "measure": ["count"],
    ...                       "unit": ["panic attacks per week"],
    ...                       "baseline": [10.0], "target": [2.0]})
    >>> ratings = pd.DataFrame({"goal_id": ["G1"], "rated_on": pd.to_datetime(["2026-03-02"]),
    ...                         "value": [6.0]})
    >>> count_progress(goals, ratings)[["value", "percent_of_way", "reached"]]
       value  percent_of_way  reached
    0    6.0            50.0    False
    """
    g = goal_frame(goals)
    wanted = {m.upper() for m in measures}
    g = g[g["measure"].astype("string").str.upper().isin(wanted).fillna(False)]
    r = prepare_ratings(goal_ratings, g, as_of=as_of)
    if latest_only:
        r = r.groupby("goal_id", as_index=False).last()
    out = r[["goal_id", "client_id", "rated_on", "value"]].merge(
        g[["goal_id", "unit", "baseline", "target"]], on="goal_id", how="left"
    )
    span = out["target"] - out["baseline"]
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100 * (out["value"] - out["baseline"]) / span
    out["percent_of_way"] = pct.where(span.notna() & (span != 0)) + 0.0  # no "-0.0"
    out["reached"] = (
        (out["percent_of_way"] >= 100).astype("boolean").where(out["percent_of_way"].notna())
    )
    cols = ["goal_id", "client_id", "unit", "rated_on", "value", "baseline", "target"]
    return out[[*cols, "percent_of_way", "reached"]]


def on_track(
    goals: pd.DataFrame,
    goal_ratings: pd.DataFrame,
    *,
    tolerance: float = 0.1,
    measures: Sequence[str] | None = None,
    as_of: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """Is each rating on or ahead of a straight line from baseline to target?

    The expected value at a rating date ``t`` lies on the line from ``(set_on, baseline)`` to
    ``(target_date, target)``; after ``target_date`` it stays at the target::

        f        = clip((t - set_on) / (target_date - set_on), 0, 1)
        expected = baseline + f * (target - baseline)
        ahead_by = (value - expected) * sign(target - baseline)     # > 0: ahead of the line
        on_track = ahead_by >= -tolerance * |target - baseline|

    ``tolerance`` is a fraction of the whole planned change (0.1 = a rating may lag the line by
    a tenth of the distance from baseline to target and still count as on track). This is a
    transparent planning line, not a published trajectory model.

    Parameters
    ----------
    goals, goal_ratings : DataFrame
        As loaded.
    tolerance : float
        Allowed lag, as a fraction of ``|target - baseline|``.
    measures : sequence of str, optional
        Limit to these measures (default: every goal with baseline, target, set_on and a
        target_date after set_on).
    as_of : date-like, optional
        Ignore ratings after this date.

    Returns
    -------
    DataFrame
        ``goal_id, client_id, rated_on, value, baseline, target, fraction_of_time, expected,
        ahead_by, on_track`` (``on_track`` ``<NA>`` when the goal lacks what the line needs).

    Examples
    --------
    >>> goals = pd.DataFrame({"goal_id": ["G1"], "client_id": ["C1"], "measure": ["count"],
    ...     "baseline": [0.0], "target": [4.0],
    ...     "set_on": pd.to_datetime(["2026-01-01"]),
    ...     "target_date": pd.to_datetime(["2026-01-29"])})
    >>> ratings = pd.DataFrame({"goal_id": ["G1", "G1"],
    ...     "rated_on": pd.to_datetime(["2026-01-15", "2026-01-22"]), "value": [2.0, 2.0]})
    >>> on_track(goals, ratings)[["expected", "ahead_by", "on_track"]]
       expected  ahead_by  on_track
    0       2.0       0.0      True
    1       3.0      -1.0     False
    """
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    g = goal_frame(goals)
    if measures is not None:
        wanted = {m.upper() for m in measures}
        g = g[g["measure"].astype("string").str.upper().isin(wanted).fillna(False)]
    r = prepare_ratings(goal_ratings, g, as_of=as_of)
    out = r[["goal_id", "client_id", "rated_on", "value"]].merge(
        g[["goal_id", "baseline", "target", "set_on", "target_date"]], on="goal_id", how="left"
    )
    span = out["target"] - out["baseline"]
    total_days = (out["target_date"] - out["set_on"]).dt.days.astype(float)
    elapsed = (out["rated_on"] - out["set_on"]).dt.days.astype(float)
    usable = span.notna() & (span != 0) & (total_days > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (elapsed / total_days).clip(0, 1)
    out["fraction_of_time"] = frac.where(usable)
    out["expected"] = (out["baseline"] + out["fraction_of_time"] * span).where(usable)
    out["ahead_by"] = ((out["value"] - out["expected"]) * np.sign(span)).where(usable)
    ok = out["ahead_by"] >= -tolerance * span.abs() - 1e-12
    out["on_track"] = ok.astype("boolean").where(usable)
    cols = ["goal_id", "client_id", "rated_on", "value", "baseline", "target"]
    return out[[*cols, "fraction_of_time", "expected", "ahead_by", "on_track"]]
