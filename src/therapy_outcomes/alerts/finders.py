"""The finders of the six alert rules: each reads a :class:`View` and returns alert rows.

One function per rule of the table :data:`therapy_outcomes.alerts.rules.RULES`, in its order. A
finder takes the view and, as keywords, the settings its rule names; it returns rows made with
:func:`~therapy_outcomes.alerts.table.row` (the kind, severity and audience come from the table).
The rules are documented (formula, inclusive side, source) in :mod:`therapy_outcomes.alerts`.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
from pandas.api.typing import NaTType

from therapy_outcomes.alerts.measures import (
    alliance_cutoff,
    is_alliance_measure,
    is_outcome_measure,
)
from therapy_outcomes.alerts.table import row
from therapy_outcomes.alerts.view import View
from therapy_outcomes.alerts.wording import count, fmt_date, fmt_num, measure_name, ordinal
from therapy_outcomes.change.reliable import reliable_change
from therapy_outcomes.instruments import DECIMALS
from therapy_outcomes.outcomes.expected_recovery import score_series

__all__ = [
    "goal_overdue",
    "low_alliance",
    "no_recent_measure",
    "not_on_track",
    "reliable_deterioration",
    "risk_item",
]

#: Goal statuses that never make a goal overdue.
CLOSED_GOAL_STATUSES: tuple[str, ...] = ("achieved", "discontinued", "revised")


def _present(view: View) -> list[str]:
    """Instruments considered that have at least one score in the view, in code order."""
    present = set(view.scores["instrument"].dropna().astype(str))
    return [code for code in view.instruments if code in present]


def _outcome_measures(view: View) -> list[str]:
    return [code for code in _present(view) if is_outcome_measure(view.instrument(code))]


def _latest_and_first(series: pd.DataFrame) -> pd.DataFrame:
    """Per (client, rater): the latest valid score (with the intake in ``intake``)."""
    group = series.groupby(["client_id", "rater"], sort=True)
    return group.tail(1).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# risk_item
# --------------------------------------------------------------------------------------------


def _answer_text(inst: Any, value: float) -> str:
    label = inst.answer_labels.get(float(value)) if inst.answer_labels else None
    return f"{fmt_num(value)} ('{label}')" if label else fmt_num(value)


def risk_item(view: View) -> list[dict[str, Any]]:
    """One alert per administration with a risk item at or above its minimum.

    Examples
    --------
    >>> from therapy_outcomes.alerts.view import example_view
    >>> rows = risk_item(example_view())
    >>> rows[0]["explanation"][:49]
    'CORE-10 item 6 (plans to end own life) answered 1'
    >>> rows[0]["item"], rows[0]["value"], rows[0]["threshold"]
    ('6', 1.0, 1.0)
    """
    rows: list[dict[str, Any]] = []
    resp = view.responses
    if resp.empty:
        return rows
    raters = (
        view.scores.drop_duplicates("administration_id").set_index("administration_id")["rater"]
        if "rater" in view.scores
        else pd.Series(dtype="string")
    )
    for code in view.instruments:
        inst = view.instrument(code)
        if not inst.risk_items:
            continue
        of_inst = resp[(resp["instrument"] == code).fillna(False).astype(bool)]
        if of_inst.empty:
            continue
        hits = []
        for risk in inst.risk_items:
            flagged = of_inst[
                (of_inst["item"] == risk.item).fillna(False).astype(bool)
                & risk.endorsed(of_inst["value"])
            ]
            for rec in flagged.itertuples(index=False):
                hits.append((rec, risk))
        hits.sort(
            key=lambda h: (
                str(h[0].client_id),
                h[0].administered_on,
                str(h[0].administration_id),
                h[1].item,
            )
        )
        by_admin: dict[str, list[tuple[Any, Any]]] = {}
        for rec, risk in hits:
            by_admin.setdefault(str(rec.administration_id), []).append((rec, risk))
        for admin_id, items in by_admin.items():
            first = items[0][0]
            rater = raters.get(admin_id, "self")
            name = measure_name(code, rater)
            on = fmt_date(first.administered_on)
            parts = [
                f"item {risk.item} ({risk.label}) answered {_answer_text(inst, rec.value)}"
                for rec, risk in items
            ]
            rules = "; ".join(
                f"item {risk.item} is flagged at {fmt_num(risk.min_value)} or above"
                for _, risk in items
            )
            text = (
                f"{name} {' and '.join(parts)} on {on}. Risk answer: follow up with the client "
                f"({rules})."
            )
            rows.append(
                row(
                    "risk_item_at_or_above_min",
                    first.client_id,
                    first.administered_on,
                    text,
                    instrument=code,
                    value=max(float(rec.value) for rec, _ in items),
                    threshold=min(float(risk.min_value) for _, risk in items),
                    rater=rater,
                    administration_id=admin_id,
                    item=", ".join(str(risk.item) for _, risk in items),
                )
            )
    return rows


# --------------------------------------------------------------------------------------------
# reliable_deterioration
# --------------------------------------------------------------------------------------------


def reliable_deterioration(view: View) -> list[dict[str, Any]]:
    """Latest vs first valid score, by the instrument's fixed reliable-change threshold.

    Instruments without a threshold are recorded in ``view.skipped``.

    Examples
    --------
    >>> from therapy_outcomes.alerts.view import example_view
    >>> view = example_view()
    >>> [(r["instrument"], r["value"], r["reference"]) for r in reliable_deterioration(view)]
    [('GAD-7', 18.0, 12.0)]
    >>> [s["instrument"] for s in view.skipped]
    ['SRS']
    """
    rows: list[dict[str, Any]] = []
    for code in _present(view):
        inst = view.instrument(code)
        threshold = inst.rc_threshold()
        if threshold is None:
            view.skip(
                "reliable_deterioration",
                code,
                "no reliable-change threshold in the instrument definition",
            )
            continue
        series = score_series(view.scores, code, as_of=view.as_of)
        last = _latest_and_first(series)
        last = last[last["position"] >= 2]
        if last.empty:
            continue
        pre = pd.Series(last["intake"].to_numpy(), index=last.index)
        post = pd.Series(last["total"].to_numpy(), index=last.index)
        res = reliable_change(
            pre.round(DECIMALS), post.round(DECIMALS), threshold=threshold, better=inst.better
        )
        worse = res.index[(res["category"] == "deteriorated").to_numpy()]
        verb = "rose" if inst.better == "lower" else "fell"
        for i in worse:
            rec = last.loc[i]
            diff = abs(float(rec["total"]) - float(rec["intake"]))
            text = (
                f"{measure_name(code, rec['rater'])} {verb} from {fmt_num(rec['intake'])} to "
                f"{fmt_num(rec['total'])} ({count(diff, 'point')} worse) since the first valid "
                f"score on {fmt_date(rec['intake_on'])} (latest on "
                f"{fmt_date(rec['administered_on'])}): at or above the reliable-change threshold "
                f"of {count(threshold, 'point')}, so a reliable deterioration."
            )
            rows.append(
                row(
                    "first_to_latest_at_or_above_threshold",
                    rec["client_id"],
                    rec["administered_on"],
                    text,
                    instrument=code,
                    value=float(rec["total"]),
                    reference=float(rec["intake"]),
                    reference_date=rec["intake_on"],
                    threshold=float(threshold),
                    session_number=float(rec["position"]),
                    rater=rec["rater"],
                    administration_id=rec["administration_id"],
                )
            )
    return rows


# --------------------------------------------------------------------------------------------
# not_on_track
# --------------------------------------------------------------------------------------------


def not_on_track(view: View, *, percentile: float) -> list[dict[str, Any]]:
    """Latest score beyond the expected-recovery bound at its session, in the worse direction.

    The models are the view's (``view.models``, one per instrument judged).

    Examples
    --------
    >>> import dataclasses
    >>> from therapy_outcomes.alerts.view import example_view
    >>> from therapy_outcomes.outcomes.expected_recovery import ExpectedRecoveryModel
    >>> m = ExpectedRecoveryModel("PHQ-9", "lower", 100, 600, 2.0, 0.8, -0.5, -0.15,
    ...                           4.0, 0.5, -0.4, 9.0, pd.Timestamp("2026-10-31"), True)
    >>> view = dataclasses.replace(example_view(), models={"PHQ-9": m})
    >>> rows = not_on_track(view, percentile=90)
    >>> rows[0]["explanation"][:72]
    'PHQ-9 of 14 at session 10 on 2025-12-31 is above the 90th-percentile bou'
    """
    rows: list[dict[str, Any]] = []
    for code, model in view.models.items():
        sessions = view.sessions if model.session_basis == "attended_sessions" else None
        series = score_series(view.scores, code, sessions=sessions, as_of=view.as_of)
        last = _latest_and_first(series)
        last = last[last["position"] >= 2]
        if last.empty:
            continue
        intake = last["intake"].to_numpy(dtype=float)
        session = last["session_number"].to_numpy(dtype=float)
        mean, _ = model.predict(intake, session)
        bound = model.bound(intake, session, percentile)
        observed = last["total"].to_numpy(dtype=float)
        lower_better = model.better == "lower"
        beyond = observed > bound if lower_better else observed < bound
        side = "above" if lower_better else "below"
        rule = "above_upper_bound" if lower_better else "below_lower_bound"
        for k in np.flatnonzero(beyond):
            rec = last.iloc[k]
            s = int(rec["session_number"])
            at = f"session {s}"
            if s > model.max_session:
                at += f" (compared with session {model.max_session}, the last modelled session)"
            text = (
                f"{measure_name(code, rec['rater'])} of {fmt_num(observed[k])} at {at} on "
                f"{fmt_date(rec['administered_on'])} is {side} the {ordinal(percentile)}-"
                f"percentile bound of {fmt_num(bound[k])} for clients who started at "
                f"{fmt_num(intake[k])} (expected {fmt_num(mean[k])}); expected-recovery model "
                f"fitted on {model.n_clients} clients' {code} scores up to "
                f"{fmt_date(model.fit_date)}."
            )
            rows.append(
                row(
                    rule,
                    rec["client_id"],
                    rec["administered_on"],
                    text,
                    instrument=code,
                    value=float(observed[k]),
                    reference=float(bound[k]),
                    reference_date=rec["intake_on"],
                    threshold=float(percentile),
                    session_number=float(s),
                    expected=float(mean[k]),
                    rater=rec["rater"],
                    administration_id=rec["administration_id"],
                )
            )
    return rows


# --------------------------------------------------------------------------------------------
# low_alliance
# --------------------------------------------------------------------------------------------


def low_alliance(
    view: View, *, srs_cutoff: Any, srs_cutoff_side: Any, srs_drop: float | None
) -> list[dict[str, Any]]:
    """Latest SRS below the cut-off, or dropped from the previous SRS by ``srs_drop`` or more.

    Each alliance measure among the view's instruments (``purpose: alliance`` in its definition)
    is judged against its own cut-off unless ``srs_cutoff``/``srs_cutoff_side`` are given
    (:func:`~therapy_outcomes.alerts.settings.alliance_cutoff`); ``None`` switches the cut-off
    or the drop off.

    Examples
    --------
    >>> from therapy_outcomes.alerts.view import example_view
    >>> rows = low_alliance(example_view(), srs_cutoff=35, srs_cutoff_side="<", srs_drop=None)
    >>> sorted({r["rule"] for r in rows})
    ['below_cutoff']
    """
    rows: list[dict[str, Any]] = []
    for code in view.instruments:
        inst = view.instrument(code)
        if is_alliance_measure(inst):
            cutoff, side = alliance_cutoff(srs_cutoff, srs_cutoff_side, inst)
            rows.extend(_low_alliance(view, code, cutoff, side, srs_drop))
    return rows


def _low_alliance(
    view: View, code: str, cutoff: float | None, cutoff_side: str, drop: float | None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    series = score_series(view.scores, code, as_of=view.as_of)
    if series.empty:
        return rows
    series = series.assign(
        previous=series.groupby(["client_id", "rater"])["total"].shift(1),
        previous_on=series.groupby(["client_id", "rater"])["administered_on"].shift(1),
    )
    last = series.groupby(["client_id", "rater"], sort=True).tail(1)
    for rec in last.to_dict("records"):
        total = round(float(rec["total"]), DECIMALS)
        name = measure_name(code, rec["rater"])
        on = fmt_date(rec["administered_on"])
        common = {
            "instrument": code,
            "value": total,
            "session_number": float(rec["position"]),
            "rater": rec["rater"],
            "administration_id": rec["administration_id"],
        }
        if cutoff is not None:
            low = total < cutoff if cutoff_side == "<" else total <= cutoff
            if low:
                words = "below" if cutoff_side == "<" else "at or below"
                text = (
                    f"{name} of {fmt_num(total)} on {on} is {words} the cut-off of "
                    f"{fmt_num(cutoff)}: the client may be dissatisfied with the session "
                    f"(OpenFIT: below {fmt_num(cutoff)} indicates dissatisfaction). Talk about it "
                    "at the next session."
                )
                rows.append(
                    row(
                        "below_cutoff" if cutoff_side == "<" else "at_or_below_cutoff",
                        rec["client_id"],
                        rec["administered_on"],
                        text,
                        reference=float(cutoff),
                        threshold=float(cutoff),
                        **common,
                    )
                )
        if drop is not None and pd.notna(rec["previous"]):
            fall = round(float(rec["previous"]) - total, DECIMALS)
            if fall >= drop:
                text = (
                    f"{name} fell from {fmt_num(rec['previous'])} on "
                    f"{fmt_date(rec['previous_on'])} to {fmt_num(total)} on {on} "
                    f"({count(fall, 'point')}): a drop of {fmt_num(drop)} or more points from "
                    f"the previous session's {code} is flagged (OpenFIT)."
                )
                rows.append(
                    row(
                        "drop_from_previous",
                        rec["client_id"],
                        rec["administered_on"],
                        text,
                        reference=float(rec["previous"]),
                        reference_date=rec["previous_on"],
                        threshold=float(drop),
                        **common,
                    )
                )
    return rows


# --------------------------------------------------------------------------------------------
# no_recent_measure
# --------------------------------------------------------------------------------------------


def no_recent_measure(view: View, *, no_measure_weeks: float | None) -> list[dict[str, Any]]:
    """Open-episode clients with no valid outcome score in the weeks up to as_of (None: off).

    Examples
    --------
    >>> from therapy_outcomes.alerts.view import example_view
    >>> rows = no_recent_measure(example_view(), no_measure_weeks=2)
    >>> rows[0]["explanation"][:60]
    'No valid outcome score in the 2 weeks up to 2026-10-31: the '
    >>> no_recent_measure(example_view(), no_measure_weeks=None)
    []
    """
    rows: list[dict[str, Any]] = []
    if no_measure_weeks is None:
        return rows
    weeks = no_measure_weeks
    open_now = view.open_episodes
    window = pd.Timedelta(days=7 * float(weeks))
    codes = _outcome_measures(view) if not view.scores.empty else []
    valid = view.scores[
        view.scores["instrument"].isin(codes).fillna(False).astype(bool)
        & view.scores["valid"].fillna(False).astype(bool)
        & view.scores["total"].notna()
    ].sort_values(["client_id", "administered_on"], kind="mergesort")
    latest = valid.groupby("client_id").tail(1).set_index("client_id")
    clients = view.clients.set_index(view.clients["client_id"].astype("string"))
    for cid in open_now.index[open_now.to_numpy()]:
        start = cast(pd.Timestamp, clients.at[cid, "episode_start"])  # open: it has a start
        last_on: pd.Timestamp | NaTType = pd.NaT
        code: str | None = None
        if cid in latest.index:
            last_on = cast("pd.Timestamp | NaTType", latest.at[cid, "administered_on"])
            code = str(latest.at[cid, "instrument"])
        ref = start if pd.isna(last_on) or last_on < start else last_on
        gap = view.as_of - ref.normalize()
        if gap <= window:
            continue
        days = int(gap.days)
        if pd.isna(last_on) or last_on < start:
            rule = "none_since_episode_start"
            what = (
                f"no valid outcome score since the episode started on {fmt_date(start)}"
                if pd.isna(last_on)
                else f"no valid outcome score since the episode started on {fmt_date(start)} "
                f"(the last one, {code} on {fmt_date(last_on)}, was before it)"
            )
        else:
            rule = "none_in_window"
            what = f"the latest valid outcome score was {code} on {fmt_date(last_on)}"
        text = (
            f"No valid outcome score in the {count(weeks, 'week')} up to "
            f"{fmt_date(view.as_of)}: {what}, {count(days, 'day')} earlier; the episode is open. "
            "Consider measuring at the next session."
        )
        rows.append(
            row(
                rule,
                cid,
                view.as_of,
                text,
                instrument=code if rule == "none_in_window" else None,
                value=float(days),
                reference=window / pd.Timedelta(days=1),
                reference_date=ref,
                threshold=float(weeks),
            )
        )
    return rows


# --------------------------------------------------------------------------------------------
# goal_overdue
# --------------------------------------------------------------------------------------------


def goal_overdue(view: View) -> list[dict[str, Any]]:
    """Goals past their target date that are not achieved, discontinued or revised.

    Examples
    --------
    >>> from therapy_outcomes.alerts.view import example_view
    >>> rows = goal_overdue(example_view())
    >>> rows[0]["goal_id"], rows[0]["value"]
    ('G00011', 442.0)
    """
    rows: list[dict[str, Any]] = []
    goals = view.goals
    if goals.empty:
        return rows
    status = goals["status"].astype("string").str.strip().str.lower()
    due = goals["target_date"].dt.normalize()
    late = (due < view.as_of).fillna(False).astype(bool) & ~status.isin(
        list(CLOSED_GOAL_STATUSES)
    ).fillna(False).astype(bool)
    for rec in goals[late].sort_values(["client_id", "target_date", "goal_id"]).to_dict("records"):
        days = int((view.as_of - pd.Timestamp(rec["target_date"]).normalize()).days)
        state = rec["status"] if pd.notna(rec["status"]) else "no status"
        text = (
            f'Goal {rec["goal_id"]} ("{rec["statement"]}") passed its target date of '
            f"{fmt_date(rec['target_date'])} {count(days, 'day')} before "
            f"{fmt_date(view.as_of)} and is still {state} (not achieved, discontinued or "
            "revised). Review it with the client."
        )
        rows.append(
            row(
                "past_target_date",
                rec["client_id"],
                rec["target_date"],
                text,
                value=float(days),
                reference_date=rec["target_date"],
                goal_id=rec["goal_id"],
            )
        )
    return rows
