"""CMS159 "Depression Remission at Twelve Months" and MNCM response, per client.

:func:`cms159` follows the narrative specification of CMS159v12 (2024 performance period;
MN Community Measurement steward, CBE 0710e; the same numerator wording appears in v11; the
eCQI pages give the same description for v10-v14): index event date = "the first instance of
elevated PHQ-9 or PHQ-9M greater than nine" in the denominator identification period;
numerator = "the most recent twelve month (+/- 60 days) PHQ-9 or PHQ-9M score of less than
five". Sources seen: ecqi.healthit.gov CMS159v11/v14 pages; Sevocity knowledge base (v12) and
CureMD wiki (v11) copies of the narrative. Older versions (v4-v6) used +/- 30 days.
Response (>= 50 % reduction from the index score) is the companion MNCM measure "Depression
Response at Twelve Months - Progress Towards Remission" (CBE/NQF 1885, endorsement removed 2022).
Not applied: the age bands, diagnosis requirement and denominator exclusions (death, hospice or
palliative care, bipolar, personality, psychotic or pervasive developmental disorder) - the
dataset does not hold them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from therapy_outcomes.outcomes.rates import wilson_interval
from therapy_outcomes.outcomes.valid_scores import valid_scores

__all__ = ["cms159", "cms159_rates"]


def cms159(
    scores: pd.DataFrame,
    *,
    instrument: str | Sequence[str] = ("PHQ-9", "PHQ-9M"),
    index_threshold: float = 9,
    remission_below: float = 5,
    response_reduction: float = 0.5,
    window_days: int = 60,
    months: int = 12,
    followup: Literal["latest", "closest"] = "latest",
    period_start: pd.Timestamp | str | None = None,
    period_end: pd.Timestamp | str | None = None,
    as_of: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """CMS159 depression remission (and MNCM response) at twelve months, per client.

    - **Index event**: the first valid score **greater than** ``index_threshold`` (PHQ-9 > 9)
      dated within ``[period_start, period_end]`` (the denominator identification period;
      whole data when not given).
    - **Assessment window**: ``index date + months`` (calendar months) ``-/+ window_days``,
      inclusive.
    - **Follow-up score**: CMS159v12 takes "the most recent" score in the window
      (``followup="latest"``, default); ``followup="closest"`` takes the score nearest the
      12-month date instead (ties: the later one) - not the CMS wording, offered for analyses
      that prefer it.
    - **Remission**: follow-up score **less than** ``remission_below`` (PHQ-9 < 5).
    - **Response**: follow-up at least ``response_reduction`` (50 %) below the index score,
      i.e. ``(index - followup) / index >= 0.5`` (MNCM NQF 1885).

    A client with no score in the window stays in the denominator and is neither remitted nor
    responded (CMS159 numerator needs the score).

    Parameters
    ----------
    scores : DataFrame
        ``client_id, instrument, administered_on, total, valid``.
    instrument : str or sequence of str
        Codes accepted as PHQ-9 (CMS159 accepts PHQ-9 and PHQ-9M).
    index_threshold, remission_below, response_reduction : float
        As above.
    window_days, months : int
        Window half-width and distance of the window centre from the index date.
    followup : {"latest", "closest"}
        Which score in the window is used.
    period_start, period_end : date-like, optional
        Denominator identification period for the index event.
    as_of : date-like, optional
        Data extraction date; a window ending after it is flagged ``window_open``.

    Returns
    -------
    DataFrame
        One row per client with an index event: ``client_id, index_date, index_score,
        target_date, window_start, window_end, followup_date, followup_score, has_followup,
        remission, response, window_open``.

    Examples
    --------
    >>> s = pd.DataFrame({
    ...     "client_id": ["A", "A", "A", "B"],
    ...     "instrument": ["PHQ-9"] * 4,
    ...     "administered_on": pd.to_datetime(
    ...         ["2025-01-10", "2025-12-20", "2026-02-01", "2025-02-01"]),
    ...     "total": [18.0, 6.0, 4.0, 12.0], "valid": [True] * 4})
    >>> r = cms159(s)
    >>> r[["client_id", "followup_score", "remission", "response"]]
      client_id  followup_score  remission  response
    0         A             4.0       True      True
    1         B             NaN      False     False
    """
    if followup not in ("latest", "closest"):
        raise ValueError(f"followup must be 'latest' or 'closest', got {followup!r}")
    codes = [instrument] if isinstance(instrument, str) else list(instrument)
    sc = valid_scores(scores, codes)
    elig = sc[sc["total"] > index_threshold]
    if period_start is not None:
        elig = elig[elig["_day"] >= pd.Timestamp(period_start)]
    if period_end is not None:
        elig = elig[elig["_day"] <= pd.Timestamp(period_end)]
    idx = (
        elig.sort_values(["_day", "_order"])
        .groupby("client_id", sort=True)
        .first()[["_day", "total"]]
        .rename(columns={"_day": "index_date", "total": "index_score"})
    )
    idx["target_date"] = idx["index_date"] + pd.DateOffset(months=months)
    idx["window_start"] = idx["target_date"] - pd.Timedelta(days=window_days)
    idx["window_end"] = idx["target_date"] + pd.Timedelta(days=window_days)

    cand = sc.merge(idx.reset_index(), on="client_id", how="inner")
    cand = cand[
        (cand["_day"] >= cand["window_start"])
        & (cand["_day"] <= cand["window_end"])
        & (cand["_day"] > cand["index_date"])
    ].copy()
    cand["_dist"] = (cand["_day"] - cand["target_date"]).abs()
    if followup == "latest":  # most recent date; same date: the later row in the input
        order, ascending = ["client_id", "_day", "_order"], [True, False, False]
    else:  # nearest the 12-month date; ties: the later date, then the later row
        order, ascending = ["client_id", "_dist", "_day", "_order"], [True, True, False, False]
    cand = cand.sort_values(order, ascending=ascending)
    fu = cand.groupby("client_id").first()[["_day", "total"]]
    fu = fu.rename(columns={"_day": "followup_date", "total": "followup_score"})

    out = idx.join(fu, how="left")
    out["has_followup"] = out["followup_score"].notna()
    out["remission"] = out["has_followup"] & (out["followup_score"] < remission_below)
    reduction = (out["index_score"] - out["followup_score"]) / out["index_score"]
    out["response"] = out["has_followup"] & (reduction >= response_reduction - 1e-12)
    if as_of is not None:
        out["window_open"] = out["window_end"] > pd.Timestamp(as_of)
    else:
        out["window_open"] = False
    out = out.reset_index()
    return out[
        [
            "client_id",
            "index_date",
            "index_score",
            "target_date",
            "window_start",
            "window_end",
            "followup_date",
            "followup_score",
            "has_followup",
            "remission",
            "response",
            "window_open",
        ]
    ]


def cms159_rates(
    results: pd.DataFrame, *, include_open_windows: bool = False, ci: float = 0.95
) -> pd.DataFrame:
    """Remission and response rates from :func:`cms159`.

    Denominator = clients with an index event (CMS159: "Denominator equals Initial
    Population"), leaving out those whose assessment window is still open at ``as_of`` unless
    ``include_open_windows``. Numerators = ``remission`` / ``response`` True.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`cms159`.
    include_open_windows : bool
        Keep clients whose window has not closed.
    ci : float
        Confidence level of the Wilson interval.

    Returns
    -------
    DataFrame
        ``metric, count, denominator, percent, ci_low, ci_high`` (percent units).

    Examples
    --------
    >>> r = pd.DataFrame({"remission": [True, False, False, True],
    ...                   "response": [True, True, False, True],
    ...                   "window_open": [False, False, False, True]})
    >>> cms159_rates(r)[["metric", "count", "denominator"]]
          metric  count  denominator
    0  remission      1            3
    1   response      2            3
    """
    keep = results if include_open_windows else results[~results["window_open"].astype(bool)]
    n = len(keep)
    rows = []
    for metric in ("remission", "response"):
        count = int(keep[metric].astype(bool).sum())
        low, high = wilson_interval(count, n, ci)
        rows.append(
            {
                "metric": metric,
                "count": count,
                "denominator": n,
                "percent": 100 * count / n if n else np.nan,
                "ci_low": 100 * low,
                "ci_high": 100 * high,
            }
        )
    return pd.DataFrame(rows)
