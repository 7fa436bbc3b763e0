"""Choosing which scores form a client's pre/post pair.

Routine-practice data hold many administrations per client; reliable change needs one pair.

- :func:`first_last_pairs`: first and last **valid** score per client (the NHS Talking Therapies
  convention, "the difference between their first and last scores"); clients with a single valid
  score are excluded and counted.
- :func:`baseline_latest`: where each client stands now: baseline (first valid score) and latest
  valid score on or before a date; a client with one score has baseline == latest.
- :func:`pairs_by_label`: study data with explicit time labels ("pre"/"post", 1/4), as in the
  ``clinicalsignificance`` datasets.

The scores table is long, one row per administration, with columns ``client_id``,
``instrument``, ``administered_on`` (datetime64), ``total`` and ``valid`` (bool). Rows with
``valid`` False or a missing total are ignored. Ties on ``administered_on`` keep the table's row
order (stable sort).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd

__all__ = ["baseline_latest", "first_last_pairs", "pairs_by_label"]

_SCORE_COLUMNS = ("client_id", "instrument", "administered_on", "total", "valid")


def _valid_scores(
    scores: pd.DataFrame, instrument: str, as_of: pd.Timestamp | str | None
) -> tuple[pd.DataFrame, dict[Hashable, Any]]:
    """The instrument's valid scores up to ``as_of``, sorted, and the entries for ``.attrs``."""
    missing = [c for c in _SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ValueError(f"scores table has no column(s) {missing}")
    if not pd.api.types.is_datetime64_any_dtype(scores["administered_on"]):
        raise ValueError("administered_on must be datetime64 (parse dates first)")
    of_instrument = scores[scores["instrument"] == instrument]
    valid = of_instrument["valid"].fillna(False).astype(bool) & of_instrument["total"].notna()
    kept = of_instrument[valid]
    cutoff = None
    if as_of is not None:
        cutoff = pd.Timestamp(as_of)
        on = kept["administered_on"]
        if cutoff.tzinfo is None and getattr(on.dt, "tz", None) is not None:
            cutoff = cutoff.tz_localize(on.dt.tz)
        if cutoff.hour == cutoff.minute == cutoff.second == cutoff.microsecond == 0:
            # a date means the whole day: "on or before 2026-10-31" includes 31 October
            cutoff = cutoff + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        kept = kept[on <= cutoff]
    kept = kept.sort_values(["client_id", "administered_on"], kind="mergesort")
    info: dict[Hashable, Any] = {
        "instrument": instrument,
        "as_of": None if as_of is None else pd.Timestamp(as_of),
        "n_invalid_ignored": int((~valid).sum()),
    }
    return kept, info


def _ends(kept: pd.DataFrame) -> pd.DataFrame:
    g = kept.groupby("client_id", sort=True)
    first = g.head(1).set_index("client_id")
    last = g.tail(1).set_index("client_id")
    return pd.DataFrame(
        {
            "first": first["total"].astype(float),
            "last": last["total"].astype(float),
            "first_on": first["administered_on"],
            "last_on": last["administered_on"],
            "n_scores": g.size(),
        }
    )


def first_last_pairs(
    scores: pd.DataFrame,
    instrument: str,
    *,
    min_days_apart: float = 0,
    as_of: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """First and last valid score of each client on one instrument.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long scores table (``client_id``, ``instrument``, ``administered_on``, ``total``,
        ``valid``).
    instrument : str
        Instrument code to select (e.g. ``"PHQ-9"``).
    min_days_apart : float
        Pairs whose last score is fewer than this many days after the first are excluded
        (counted in ``attrs["n_too_close"]``).
    as_of : date-like, optional
        Ignore scores administered after this date (a date without a time includes that whole
        day).

    Returns
    -------
    pandas.DataFrame
        One row per client with a pair: ``client_id, pre, post, pre_on, post_on, n_scores``
        (``n_scores`` = valid scores considered). ``.attrs``: ``instrument``, ``as_of``,
        ``n_clients`` (with at least one valid score), ``n_pairs``, ``n_single_score``,
        ``n_too_close``, ``n_invalid_ignored``, ``min_days_apart``.

    Examples
    --------
    >>> scores = pd.DataFrame({
    ...     "client_id": ["A", "A", "A", "B", "C", "C"],
    ...     "instrument": "PHQ-9",
    ...     "administered_on": pd.to_datetime(["2026-01-05", "2026-02-02", "2026-03-02",
    ...                                        "2026-01-10", "2026-01-12", "2026-02-09"]),
    ...     "total": [18, 12, 7, 15, 20, None],
    ...     "valid": [True, True, True, True, True, False]})
    >>> pairs = first_last_pairs(scores, "PHQ-9")
    >>> pairs[["client_id", "pre", "post", "n_scores"]].to_dict("records")
    [{'client_id': 'A', 'pre': 18.0, 'post': 7.0, 'n_scores': 3}]
    >>> pairs.attrs["n_single_score"]
    2
    """
    kept, info = _valid_scores(scores, instrument, as_of)
    ends = _ends(kept)
    single = ends["n_scores"] < 2
    gap_days = (ends["last_on"] - ends["first_on"]).dt.total_seconds() / 86400.0
    too_close = ~single & (gap_days < float(min_days_apart))
    pairs = ends[~single & ~too_close]
    out = pd.DataFrame(
        {
            "client_id": pairs.index.to_numpy(),
            "pre": pairs["first"].to_numpy(),
            "post": pairs["last"].to_numpy(),
            "pre_on": pairs["first_on"].to_numpy(),
            "post_on": pairs["last_on"].to_numpy(),
            "n_scores": pairs["n_scores"].to_numpy(dtype=int),
        }
    )
    out.attrs = {
        **info,
        "n_clients": len(ends),
        "n_pairs": len(out),
        "n_single_score": int(single.sum()),
        "n_too_close": int(too_close.sum()),
        "min_days_apart": float(min_days_apart),
    }
    return out


def baseline_latest(
    scores: pd.DataFrame, instrument: str, as_of: pd.Timestamp | str
) -> pd.DataFrame:
    """Baseline (first valid score) and latest valid score on or before ``as_of``, per client.

    Unlike :func:`first_last_pairs`, clients with a single valid score are kept (baseline and
    latest are then the same administration, ``n_scores`` = 1), so that a report can show every
    active client.

    Returns
    -------
    pandas.DataFrame
        ``client_id, baseline, latest, baseline_on, latest_on, n_scores``; ``.attrs``:
        ``instrument``, ``as_of``, ``n_clients``, ``n_single_score``, ``n_invalid_ignored``.

    Examples
    --------
    >>> scores = pd.DataFrame({
    ...     "client_id": ["A", "A", "A", "B"],
    ...     "instrument": "GAD-7",
    ...     "administered_on": pd.to_datetime(["2026-01-05", "2026-02-02", "2026-03-02",
    ...                                        "2026-01-10"]),
    ...     "total": [15, 11, 6, 9],
    ...     "valid": True})
    >>> now = baseline_latest(scores, "GAD-7", as_of="2026-02-02")
    >>> now[["client_id", "baseline", "latest", "n_scores"]].to_dict("records")
    [{'client_id': 'A', 'baseline': 15.0, 'latest': 11.0, 'n_scores': 2}, \
{'client_id': 'B', 'baseline': 9.0, 'latest': 9.0, 'n_scores': 1}]
    """
    if as_of is None:
        raise ValueError("as_of is required (the date the report is for)")
    kept, info = _valid_scores(scores, instrument, as_of)
    ends = _ends(kept)
    out = pd.DataFrame(
        {
            "client_id": ends.index.to_numpy(),
            "baseline": ends["first"].to_numpy(),
            "latest": ends["last"].to_numpy(),
            "baseline_on": ends["first_on"].to_numpy(),
            "latest_on": ends["last_on"].to_numpy(),
            "n_scores": ends["n_scores"].to_numpy(dtype=int),
        }
    )
    out.attrs = {
        **info,
        "n_clients": len(out),
        "n_single_score": int((ends["n_scores"] == 1).sum()),
    }
    return out


def pairs_by_label(
    long_df: pd.DataFrame,
    id: str,
    time: str,
    outcome: str,
    pre: object,
    post: object,
) -> pd.DataFrame:
    """Wide pre/post pairs from study data with explicit time labels.

    Every id in ``long_df`` gets a row; a missing measurement stays missing (NaN), so that
    :func:`therapy_outcomes.change.reliable.reliable_change` drops and counts it (the R package's "N
    (original)" vs "N (used)").

    Parameters
    ----------
    long_df : pandas.DataFrame
        Long data, one row per id and time label.
    id, time, outcome : str
        Column names.
    pre, post : scalar
        The time labels of the pre and post measurement (e.g. ``"pre"``/``"post"`` or 1/4).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``id`` with float columns ``pre`` and ``post``.

    Raises
    ------
    ValueError
        Missing columns, a label absent from the data, or an id with two rows for one label.

    Examples
    --------
    >>> long = pd.DataFrame({"id": [1, 1, 2, 2, 3], "time": [1, 4, 1, 4, 1],
    ...                      "bdi": [30, 12, 25, None, 28]})
    >>> wide = pairs_by_label(long, "id", "time", "bdi", pre=1, post=4)
    >>> wide["pre"].tolist(), wide["post"].tolist()
    ([30.0, 25.0, 28.0], [12.0, nan, nan])
    """
    missing = [c for c in (id, time, outcome) if c not in long_df.columns]
    if missing:
        raise ValueError(f"long_df has no column(s) {missing}")
    labels = set(long_df[time].dropna().unique().tolist())
    for name, label in (("pre", pre), ("post", post)):
        if label not in labels:
            raise ValueError(f"{name} label {label!r} not found in column {time!r}")
    sub = long_df[long_df[time].isin([pre, post])]
    dup = sub.duplicated([id, time])
    if dup.any():
        first = sub.loc[dup, [id, time]].iloc[0].tolist()
        raise ValueError(f"more than one row for {id}={first[0]!r}, {time}={first[1]!r}")
    ids = pd.Index(long_df[id].dropna().unique(), name=id)
    values = pd.to_numeric(sub[outcome], errors="raise").astype(float)
    wide = pd.Series(values.to_numpy(), index=pd.MultiIndex.from_frame(sub[[id, time]]))
    out = pd.DataFrame(
        {
            "pre": wide.xs(pre, level=1).reindex(ids),
            "post": wide.xs(post, level=1).reindex(ids),
        },
        index=ids,
    ).astype(float)
    return out
