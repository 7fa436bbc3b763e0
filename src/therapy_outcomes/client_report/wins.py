"""Small wins: positive changes worth naming to the client.

Each rule reads the client's context and returns rows with the date of the win and a sentence
for each audience. Rules: a reliable improvement on a questionnaire, a move into a better band,
a goal rating that moved towards its target, a goal achieved, a run of completed practice tasks,
and a run of attended sessions.
"""

from __future__ import annotations

from typing import cast

import pandas as pd

from therapy_outcomes.client_report.context import ClientContext
from therapy_outcomes.client_report.plain import fmt_date, plain_name

WIN_COLUMNS = ["kind", "date", "client_text", "clinician_text"]
NO_RULE = "no published reliable-change rule for this questionnaire: change not judged"
"""What the clinician copy says of a change when the instrument has no reliable-change rule."""


def longest_run(flags: pd.Series) -> int:
    """Length of the longest run of True values.

    Examples
    --------
    >>> longest_run(pd.Series([True, True, False, True, True, True]))
    3
    >>> longest_run(pd.Series([], dtype=bool))
    0
    """
    if flags.empty:
        return 0
    flags = flags.fillna(False).astype("bool")
    groups = (~flags).cumsum()
    return int(flags.groupby(groups).sum().max())


def trailing_run(flags: pd.Series) -> int:
    """Length of the run of True values at the end.

    Examples
    --------
    >>> trailing_run(pd.Series([False, True, True]))
    2
    """
    count = 0
    for flag in reversed(flags.tolist()):
        if not flag:
            break
        count += 1
    return count


def small_wins(
    ctx: ClientContext, *, min_homework_run: int = 3, min_attendance_run: int = 4
) -> pd.DataFrame:
    """Positive changes for the "small wins" section, newest first.

    Parameters
    ----------
    ctx : ClientContext
    min_homework_run, min_attendance_run : int
        Shortest run of completed practice tasks / attended sessions worth naming.

    Returns
    -------
    pandas.DataFrame
        ``kind``, ``date``, ``client_text``, ``clinician_text``.
    """
    rows: list[dict] = []
    for p in ctx.progress.itertuples():
        code = str(p.instrument)
        name = plain_name(code, ctx.registry)
        moved = f"from {p.baseline:g} to {p.latest:g}"
        if p.change_category == "improved":
            rows.append(
                {
                    "kind": "reliable_improvement",
                    "date": p.latest_on,
                    "client_text": f"Your {name} score has changed {moved} since "
                    f"{fmt_date(p.baseline_on)}: a real improvement, bigger than the "
                    "usual ups and downs.",
                    "clinician_text": f"{p.instrument} reliably improved {moved} "
                    f"(threshold {p.rc_threshold:g} points).",
                }
            )
        elif cast(int, p.n_scores) > 1 and _better_band(ctx, code, p.baseline_band, p.latest_band):
            verdict = NO_RULE if p.change_category == "no threshold" else "not yet reliable change"
            rows.append(
                {
                    "kind": "better_band",
                    "date": p.latest_on,
                    "client_text": f"Your {name} score has moved {moved} into a calmer range.",
                    "clinician_text": f"{p.instrument} moved from {p.baseline_band} to "
                    f"{p.latest_band} ({moved}; {verdict}).",
                }
            )
    rows += _goal_wins(ctx)
    hw = ctx.homework.sort_values("assigned_on")
    run = longest_run(hw["status"] == "completed")
    if run >= min_homework_run:
        rows.append(
            {
                "kind": "homework_run",
                "date": hw["assigned_on"].max(),
                "client_text": f"You completed {run} practice tasks in a row.",
                "clinician_text": f"Longest run of completed homework: {run}.",
            }
        )
    sessions = ctx.sessions.sort_values("session_on")
    streak = trailing_run(sessions["attendance"] == "attended")
    if streak >= min_attendance_run:
        rows.append(
            {
                "kind": "attendance_run",
                "date": sessions["session_on"].max(),
                "client_text": f"You have come to your last {streak} sessions.",
                "clinician_text": f"Attended the last {streak} sessions in a row.",
            }
        )
    out = pd.DataFrame(rows, columns=WIN_COLUMNS)
    return out.sort_values("date", ascending=False, kind="stable").reset_index(drop=True)


def _better_band(ctx: ClientContext, code: str, baseline_band: object, latest_band: object) -> bool:
    labels = [b.label for b in ctx.registry.get(code).bands]
    if baseline_band not in labels or latest_band not in labels:
        return False
    step = labels.index(str(latest_band)) - labels.index(str(baseline_band))
    better = ctx.registry.get(code).better
    return step < 0 if better == "lower" else step > 0


def _goal_wins(ctx: ClientContext) -> list[dict]:
    rows = []
    ratings = ctx.goal_ratings.sort_values("rated_on")
    for goal in ctx.goals.itertuples():
        statement = str(goal.statement)
        if goal.status == "achieved":
            rows.append(
                {
                    "kind": "goal_achieved",
                    "date": goal.set_on,
                    "client_text": f"You reached your goal: \u201c{statement}\u201d.",
                    "clinician_text": f"Goal {goal.goal_id} achieved.",
                }
            )
            continue
        r = ratings[ratings["goal_id"] == goal.goal_id]
        if len(r) < 2:
            continue
        values = r["value"].to_numpy(dtype=float)
        first, last = float(values[0]), float(values[-1])
        baseline, target = cast(float, goal.baseline), cast(float, goal.target)  # NaN: none
        down_is_better = pd.notna(baseline) and pd.notna(target) and target < baseline
        gained = (first - last) if down_is_better else (last - first)
        if gained > 0:
            rows.append(
                {
                    "kind": "goal_progress",
                    "date": r["rated_on"].iat[-1],
                    "client_text": f"Your goal \u201c{statement}\u201d moved from {first:g} to "
                    f"{last:g}.",
                    "clinician_text": f"Goal {goal.goal_id} ({goal.measure}) moved {first:g} to "
                    f"{last:g}.",
                }
            )
    return rows
