"""The flow of a cohort from referral to paired scores: how many clients reach each step."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["outcome_flow"]


def _as_day(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.normalize()


def outcome_flow(
    clients: pd.DataFrame,
    sessions: pd.DataFrame,
    scores: pd.DataFrame,
    instrument: str,
    *,
    treatment_kinds: Sequence[str] = ("treatment",),
    min_treatment_sessions: int = 2,
) -> pd.DataFrame:
    """Flow of clients from referral to a usable pre-post pair on one instrument.

    Steps are **cumulative**: each step counts the clients who meet its rule *and* every earlier
    step, so the counts never rise and ``lost`` is the drop from the step before.

    1. ``referred`` - every client in ``clients``.
    2. ``assessed_at_baseline`` - a valid score on ``instrument`` dated on or before the client's
       first attended treatment session (any valid score if the client has no attended treatment
       session).
    3. ``two_or_more_scores`` - at least two valid scores on the instrument.
    4. ``finished_course`` - at least ``min_treatment_sessions`` attended sessions whose ``kind``
       is in ``treatment_kinds`` (NHS Talking Therapies: "finished a course of treatment" = at
       least two attended treatment appointments; NHS Digital glossary).
    5. ``paired_scores`` - the baseline score (the first valid score, from step 2) and a last
       valid score dated **after** it, so pre and post are different administrations.

    Parameters
    ----------
    clients, sessions, scores : DataFrame
        As loaded (``scores`` one row per administration with ``valid`` and ``total``).
    instrument : str
        Canonical instrument code, e.g. ``"PHQ-9"``.
    treatment_kinds : sequence of str
        Session kinds counted as treatment.
    min_treatment_sessions : int
        Attended treatment sessions needed for step 4.

    Returns
    -------
    DataFrame
        ``step, description, count, lost, percent_of_referred`` in order.

    Examples
    --------
    >>> clients = pd.DataFrame({"client_id": ["A", "B"]})
    >>> sessions = pd.DataFrame({
    ...     "session_id": ["s1", "s2"], "client_id": ["A", "A"],
    ...     "session_on": pd.to_datetime(["2026-01-05", "2026-01-12"]),
    ...     "kind": ["treatment", "treatment"], "attendance": ["attended", "attended"]})
    >>> scores = pd.DataFrame({
    ...     "client_id": ["A", "A"], "instrument": ["PHQ-9", "PHQ-9"],
    ...     "administered_on": pd.to_datetime(["2026-01-05", "2026-01-12"]),
    ...     "total": [15.0, 8.0], "valid": [True, True]})
    >>> outcome_flow(clients, sessions, scores, "PHQ-9")[["step", "count"]]
                       step  count
    0              referred      2
    1  assessed_at_baseline      1
    2    two_or_more_scores      1
    3       finished_course      1
    4         paired_scores      1
    """
    ids = pd.Index(clients["client_id"].dropna().unique())
    ses = sessions[sessions["client_id"].isin(ids)].copy()
    kind = ses["kind"] if "kind" in ses else pd.Series("treatment", index=ses.index)
    kind = kind.fillna("treatment")
    treat = ses[(ses["attendance"] == "attended") & kind.isin(list(treatment_kinds))]
    first_treat = _as_day(treat["session_on"]).groupby(treat["client_id"]).min()
    n_treat = treat.groupby("client_id").size()

    sc = scores[
        (scores["client_id"].isin(ids))
        & (scores["instrument"] == instrument)
        & (scores["valid"].fillna(False).astype(bool))
        & scores["total"].notna()
    ].copy()
    sc["day"] = _as_day(sc["administered_on"])
    first_score = sc.groupby("client_id")["day"].min()
    last_score = sc.groupby("client_id")["day"].max()
    n_scores = sc.groupby("client_id").size()

    ft = first_treat.reindex(ids)
    fs = first_score.reindex(ids)
    baseline = fs.notna() & (ft.isna() | (fs <= ft))
    two = n_scores.reindex(ids).fillna(0) >= 2
    finished = n_treat.reindex(ids).fillna(0) >= min_treatment_sessions
    paired = baseline & (last_score.reindex(ids) > fs)

    steps = [
        ("referred", "Referred (clients in the dataset)", pd.Series(True, index=ids)),
        (
            "assessed_at_baseline",
            f"Valid {instrument} score at or before the first attended treatment session",
            baseline,
        ),
        ("two_or_more_scores", f"Two or more valid {instrument} scores", two),
        (
            "finished_course",
            f"Finished a course: {min_treatment_sessions}+ attended treatment sessions",
            finished,
        ),
        ("paired_scores", f"First and last {instrument} scores on different dates", paired),
    ]
    rows = []
    cumulative = pd.Series(True, index=ids)
    previous = None
    n_ref = len(ids)
    for step, desc, rule in steps:
        cumulative = cumulative & rule.fillna(False).astype(bool)
        count = int(cumulative.sum())
        rows.append(
            {
                "step": step,
                "description": desc,
                "count": count,
                "lost": 0 if previous is None else previous - count,
                "percent_of_referred": 100 * count / n_ref if n_ref else np.nan,
            }
        )
        previous = count
    return pd.DataFrame(rows)
