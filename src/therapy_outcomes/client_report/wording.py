"""The report's words: HTML blocks for each section, in a clinician and a client version.

Every function takes a :class:`ClientContext` and returns an HTML fragment; user text (goal
statements, event descriptions) is always escaped. The client version avoids severity labels,
risk items and comparisons with other people; the clinician version is denser and quotes the
thresholds.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from therapy_outcomes.client_report.context import ClientContext
from therapy_outcomes.client_report.plain import fmt_date, plain_name
from therapy_outcomes.client_report.wins import NO_RULE, small_wins
from therapy_outcomes.instruments import Registry

SMART_LETTERS = (
    ("specific", "S", "Specific"),
    ("measurable", "M", "Measurable"),
    ("achievable", "A", "Achievable"),
    ("relevant", "R", "Relevant"),
    ("time_bound", "T", "Time-bound"),
)

CATEGORY_WORDS = {
    "recovered": "recovered: reliable improvement and now on the non-clinical side of the cut-off",
    "improved": "reliably improved",
    "unchanged": "no reliable change",
    "deteriorated": "reliably deteriorated",
    "harmed": "reliably deteriorated into the clinical range",
    "one score": "only one score so far",
    "no threshold": NO_RULE,
}


def _esc(value: object) -> str:
    return (
        "" if value is None or (isinstance(value, float) and pd.isna(value)) else escape(str(value))
    )


def header(ctx: ClientContext) -> str:
    """Pseudonym, therapist, episode start, sessions attended of offered, as-of date."""
    c = ctx.client
    att = ctx.attendance
    start = c.get("episode_start")
    title = "Your progress" if ctx.audience == "client" else "Progress report"
    facts = [
        ("Client", ctx.client_id),
        ("Therapist", c.get("therapist_id")),
        ("Started", fmt_date(start if start is not None and pd.notna(start) else c["referred_on"])),
        ("Sessions", f"{att['attended']} attended of {att['offered']} offered"),
        ("As of", fmt_date(ctx.as_of)),
    ]
    if ctx.audience == "clinician":
        facts.insert(2, ("Site", c.get("site")))
        end = c.get("episode_end")
        if end is not None and pd.notna(end) and end <= ctx.as_of:
            facts.append(("Ended", f"{fmt_date(end)} ({_esc(c.get('end_reason'))})"))
    items = "".join(f"<div><dt>{k}</dt><dd>{_esc(v)}</dd></div>" for k, v in facts)
    version = "Client version" if ctx.audience == "client" else "Clinician version"
    return (
        f'<header class="to-header"><h1>{title}</h1><p class="to-version">{version}</p>'
        f'<dl class="to-facts">{items}</dl></header>'
    )


def _smart_badges(ctx: ClientContext, goal_id: str) -> str:
    row = ctx.smart[ctx.smart["goal_id"] == goal_id]
    if row.empty:
        return ""
    r = row.iloc[0]
    badges = []
    for key, letter, word in SMART_LETTERS:
        value = r.get(key)
        state = "unknown" if value is None or pd.isna(value) else ("pass" if value else "fail")
        reason = _esc(r.get(f"{key}_reason"))
        badges.append(f'<span class="to-badge to-{state}" title="{word}: {reason}">{letter}</span>')
    details = "".join(
        f"<li><b>{word}</b>: {_esc(r.get(f'{key}_reason'))}</li>" for key, _, word in SMART_LETTERS
    )
    return (
        f'<span class="to-badges">{"".join(badges)}</span>'
        f'<details class="to-why"><summary>why</summary><ul>{details}</ul></details>'
    )


def goal_card(ctx: ClientContext, goal_id: str) -> str:
    """One goal: statement, category, horizon, values, status, SMART badges, review state."""
    goal = ctx.goals[ctx.goals["goal_id"] == goal_id].iloc[0]
    review = ctx.reviews[ctx.reviews["goal_id"] == goal["goal_id"]]
    bits = [
        f"{_esc(goal['category']).replace('_', ' ')}",
        "long-term goal" if goal["horizon"] == "long_term" else "short-term step",
    ]
    if pd.notna(goal.get("target_date")):
        bits.append(f"target date {fmt_date(goal['target_date'])}")
    bits.append(_esc(goal["status"]))
    notes = []
    end = ctx.client.get("episode_end")
    closed = end is not None and pd.notna(end) and end <= ctx.as_of
    if len(review) and not closed:  # reviews stop when the episode has ended
        rv = review.iloc[0]
        if bool(rv.get("overdue")):
            notes.append(f"review overdue by {int(rv['days_overdue'])} days")
        if bool(rv.get("target_past_due")):
            notes.append("target date has passed")
    values = goal.get("values")
    strengths = goal.get("strengths")
    extra = ""
    if pd.notna(values):
        extra += f"<p class='to-values'>Matters because: {_esc(values)}</p>"
    if pd.notna(strengths):
        extra += f"<p class='to-values'>Strengths: {_esc(strengths)}</p>"
    badges = _smart_badges(ctx, goal["goal_id"]) if ctx.audience == "clinician" else ""
    note = (
        f"<p class='to-note'>{'; '.join(notes)}</p>"
        if notes and ctx.audience == "clinician"
        else ""
    )
    cls = "to-goal to-step" if goal["horizon"] == "short_term" else "to-goal"
    meta = " \u00b7 ".join(bits)
    return (
        f'<div class="{cls}"><p class="to-statement">\u201c{_esc(goal["statement"])}\u201d</p>'
        f'<p class="to-meta">{meta}</p>{badges}{extra}{note}</div>'
    )


def goal_order(ctx: ClientContext) -> list[str]:
    """Goal IDs with each long-term goal followed by its short-term steps; revised goals last."""
    goals = ctx.goals.sort_values(["set_on", "goal_id"])
    current = goals[goals["status"] != "revised"]
    order: list[str] = []
    for goal in current[current["horizon"] == "long_term"].itertuples():
        order.append(str(goal.goal_id))
        steps = current[current["parent_goal_id"] == goal.goal_id]
        order += steps["goal_id"].tolist()
    order += [g for g in current["goal_id"] if g not in order]
    return order


def revision_history(ctx: ClientContext) -> str:
    """Goals that were revised, shown as history (old wording, date, what replaced it)."""
    revised = ctx.goals[ctx.goals["status"] == "revised"]
    if revised.empty:
        return ""
    by_revises = ctx.goals.dropna(subset=["revises_goal_id"]).set_index("revises_goal_id")
    items = []
    for goal in revised.itertuples():
        new = by_revises["statement"].get(goal.goal_id) if len(by_revises) else None
        new_text = f" \u2192 now \u201c{_esc(new)}\u201d" if new is not None else ""
        items.append(
            f"<li>Set {fmt_date(goal.set_on)}: \u201c{_esc(goal.statement)}\u201d{new_text}</li>"
        )
    return f"<h3>Earlier versions of goals</h3><ul class='to-history'>{''.join(items)}</ul>"


def measure_summary(ctx: ClientContext, instrument: str) -> str:
    """Latest against first score in words, with the reliable-change verdict."""
    row = ctx.progress[ctx.progress["instrument"] == instrument]
    if row.empty:
        return ""
    p = row.iloc[0]
    if ctx.audience == "client":
        return f"<p class='to-summary'>{client_sentence(p, ctx.registry)}</p>"
    category = (
        p["significance_category"] if pd.notna(p["significance_category"]) else p["change_category"]
    )
    words = CATEGORY_WORDS.get(str(category), str(category))
    threshold = (
        "" if pd.isna(p["rc_threshold"]) else f" (reliable change: {p['rc_threshold']:g} points)"
    )
    lead = f"<p class='to-summary'><b>{instrument}</b>: "
    if p["n_scores"] < 2:
        return (
            f"{lead}{p['latest']:g} ({_esc(p['latest_band'])}) "
            f"on {fmt_date(p['latest_on'])}; only one score so far.</p>"
        )
    return (
        f"{lead}{p['baseline']:g} ({_esc(p['baseline_band'])}) "
        f"on {fmt_date(p['baseline_on'])} \u2192 {p['latest']:g} ({_esc(p['latest_band'])}) on "
        f"{fmt_date(p['latest_on'])}, change {p['change']:+g}{threshold}: <b>{words}</b>. "
        f"{int(p['n_scores'])} scores.</p>"
    )


def client_sentence(p: pd.Series, registry: Registry | None = None) -> str:
    """A plain sentence about one questionnaire for the client version.

    Examples
    --------
    >>> p = pd.Series({"instrument": "PHQ-9", "baseline": 16.0, "latest": 8.0, "n_scores": 5,
    ...                "baseline_on": pd.Timestamp("2026-01-05"), "change_category": "improved",
    ...                "better": "lower"})
    >>> client_sentence(p)
    'Your low mood score went from 16 on 5 Jan 2026 to 8: a real improvement.'
    """
    name = plain_name(str(p["instrument"]), registry)
    if p["n_scores"] < 2:
        return f"Your first {name} score was {p['latest']:g}. We will see how it changes."
    verdict = {
        "improved": "a real improvement",
        "deteriorated": "things have been harder lately; this is worth talking about together",
        "unchanged": "about the same, within the usual ups and downs",
    }.get(str(p["change_category"]), "we will keep watching how it changes")
    return (
        f"Your {name} score went from {p['baseline']:g} on {fmt_date(p['baseline_on'])} "
        f"to {p['latest']:g}: {verdict}."
    )


def alerts_block(ctx: ClientContext) -> str:
    """The alerts with their explanations (the client version only holds non-clinical ones)."""
    if ctx.alerts.empty:
        return "<p class='to-none'>No alerts.</p>"
    rows = "".join(
        f"<li class='to-alert to-{_esc(a.severity)}'><b>{_esc(a.kind).replace('_', ' ')}</b> "
        f"({fmt_date(a.date)}): {_esc(a.explanation)}</li>"
        for a in ctx.alerts.sort_values("date", ascending=False).itertuples()
    )
    return f"<ul class='to-alerts'>{rows}</ul>"


def wins_block(ctx: ClientContext) -> str:
    """Small wins as a list, in the audience's words."""
    wins = small_wins(ctx)
    if wins.empty:
        return "<p class='to-none'>Nothing to list yet; keep going.</p>"
    column = "client_text" if ctx.audience == "client" else "clinician_text"
    return "<ul class='to-wins'>" + "".join(f"<li>{_esc(t)}</li>" for t in wins[column]) + "</ul>"


def engagement_block(ctx: ClientContext) -> str:
    """Attendance and homework in one sentence each."""
    att = ctx.attendance
    hw = ctx.homework["status"].value_counts()
    assigned = len(ctx.homework)
    done = int(hw.get("completed", 0))
    return (
        f"<p>Sessions: {att['attended']} attended, {att['did_not_attend']} missed, "
        f"{att['cancelled']} cancelled.</p><p>Practice between sessions: {done} of "
        f"{assigned} tasks completed, {int(hw.get('partial', 0))} partly.</p>"
    )


def provenance_block(ctx: ClientContext) -> str:
    """Methods and provenance: version, input hash, parameters, instruments, models."""
    p = ctx.provenance
    facts = [
        ("Software", p["package"]),
        ("Input data (SHA-256)", p["input_hash"][:16] + "\u2026"),
        ("Report as of", p["as_of"]),
        ("Audience", p["audience"]),
        ("Data validated on", p["validated_on"]),
        ("Rows rejected in the dataset", p["rows_rejected_in_dataset"]),
    ]
    dl = "".join(f"<div><dt>{k}</dt><dd>{_esc(v)}</dd></div>" for k, v in facts)
    instruments = p["instruments"]
    columns = ["instrument", "cut-off", "reliable change (points)", "missing items allowed"]
    table = (
        instruments[columns].to_html(index=False, classes="to-table", border=0, escape=True)
        if len(instruments)
        else ""
    )
    sources = "".join(
        f"<details class='to-source'><summary>{_esc(r['instrument'])}: {_esc(r['name'])}"
        f"</summary><p><b>Sources.</b> {_esc(r['source'])}</p><p><b>Licence.</b> "
        f"{_esc(r['licence'])}</p><p><b>Choices made.</b> {_esc(r['choices'])}</p></details>"
        for _, r in instruments.iterrows()
    )
    models = ""
    for code, model in (p.get("models") or {}).items():
        text = model.get("text", "") if isinstance(model, dict) else str(model)
        models += f"<li>Not-on-track model for {_esc(code)}: {_esc(text)}</li>"
    method = (
        "<p>Change is judged against each questionnaire's published reliable-change "
        "threshold (a change at least that large is unlikely to be measurement noise) and "
        "its clinical cut-off, with the inclusive side stated in the instrument "
        "definition. Categories follow Jacobson &amp; Truax (1991).</p>"
    )
    if ctx.audience == "client":
        names = ", ".join(
            f"{plain_name(code, ctx.registry)} ({_esc(code)})"
            for code in instruments.get("instrument", [])
        )
        plain = (
            "<p>Each questionnaire score is compared with your first one. A change only counts "
            "as real when it is bigger than the everyday ups and downs that questionnaire is "
            f"known to have.</p><p>Questionnaires used: {names or 'none yet'}.</p>"
        )
        return f"<dl class='to-facts'>{dl}</dl>{plain}"
    return f"<dl class='to-facts'>{dl}</dl>{method}{table}{sources}" + (
        f"<ul>{models}</ul>" if models else ""
    )
