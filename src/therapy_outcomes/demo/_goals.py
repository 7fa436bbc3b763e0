"""Goals (with steps and revisions), goal ratings at reviews, and homework."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _text as tx
from ._arrays import NO_DATE, choose, expand, offsets, pick_in_groups
from ._measures import Administrations
from ._model import ASSESSMENT, ATTENDED, COMPLETED, FOLLOW_UP, REVIEW, Clinic

LONG, SHORT = tx.HORIZONS.index("long_term"), tx.HORIZONS.index("short_term")
MEASURES = tuple(dict.fromkeys(v.measure for v in tx.GOAL_VARIANTS))
RATED = tuple(MEASURES.index(m) for m in ("GAS", "GBO", "count"))
ACTIVE, ACHIEVED, REVISED, DISCONTINUED = (tx.GOAL_STATUSES.index(s) for s in tx.GOAL_STATUSES)
NEVER = np.iinfo(np.int64).max
P_VAGUE = {LONG: 0.25, SHORT: 0.08}
P_REVISE_VAGUE, P_REVISE_SMART, P_REVISE_AGAIN = 0.45, 0.06, 0.10


@dataclass
class Goals:
    """Goal rows in final (client, set_on) order; ``parent`` and ``revises`` are row indices."""

    client: np.ndarray
    horizon: np.ndarray
    category: np.ndarray
    variant: np.ndarray
    parent: np.ndarray
    revises: np.ndarray
    set_row: np.ndarray  # session row where the goal was set
    end_day: np.ndarray  # day it was revised, NEVER if not
    baseline: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    target_day: np.ndarray
    agreed_day: np.ndarray
    values: np.ndarray
    strengths: np.ndarray
    status: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass
class Ratings:
    """Goal ratings sorted by goal, then date."""

    goal: np.ndarray
    session: np.ndarray
    value: np.ndarray
    rater: np.ndarray


@dataclass
class Homework:
    """Homework rows sorted by client, then date."""

    session: np.ndarray
    due_day: np.ndarray
    task: np.ndarray
    goal: np.ndarray
    status: np.ndarray


class _Attended:
    """Lookup of the j-th attended session of a client (clamped to the last one)."""

    def __init__(self, c: Clinic) -> None:
        self.rows = np.flatnonzero(c.s_attendance == ATTENDED)
        self.start, self.count = offsets(c.s_client[self.rows], c.n)

    def row(self, client: np.ndarray, j: np.ndarray) -> np.ndarray:
        return self.rows[self.start[client] + np.minimum(j, self.count[client] - 1)]


def _variant_groups() -> tuple[list[list[int]], list[list[int]]]:
    """Templates per (category, horizon, vague) group, and variants per template.

    Empty vague groups fall back to the SMART templates of the same category and horizon.
    """
    templates: dict[tuple[str, str, bool, str], list[int]] = {}
    for i, v in enumerate(tx.GOAL_VARIANTS):
        templates.setdefault((v.category, v.horizon, v.vague, v.template), []).append(i)
    keys = list(templates)
    groups: list[list[int]] = []
    for cat in tx.CATEGORIES:
        for hor in tx.HORIZONS:
            smart = [j for j, k in enumerate(keys) if k[:3] == (cat, hor, False)]
            vague = [j for j, k in enumerate(keys) if k[:3] == (cat, hor, True)]
            groups += [smart, vague or smart]
    return groups, list(templates.values())


def _draw(
    rng: np.random.Generator,
    c: Clinic,
    att: _Attended,
    first_total: dict[str, np.ndarray],
    cols: dict[str, np.ndarray],
    p_vague: float | np.ndarray,
) -> dict[str, np.ndarray]:
    """Pick a variant for each new goal and draw its scale, dates, values and strengths."""
    m = len(cols["client"])
    vague = rng.random(m) < p_vague
    group = (cols["category"] * 2 + cols["horizon"]) * 2 + vague
    groups, templates = _variant_groups()
    variant = pick_in_groups(rng, templates, pick_in_groups(rng, groups, group))
    var = tx.GOAL_VARIANTS
    b_lo, b_hi = np.array([v.baseline for v in var]).T
    t_lo, t_hi = np.array([v.target for v in var]).T
    baseline = rng.integers(b_lo[variant], b_hi[variant] + 1).astype(float)
    target = rng.integers(t_lo[variant], t_hi[variant] + 1).astype(float)
    measure = np.array([MEASURES.index(v.measure) for v in var])[variant]
    for code in ("PHQ-9", "GAD-7"):
        is_code = measure == MEASURES.index(code)
        baseline[is_code] = first_total[code][cols["client"][is_code]]
    is_gas = measure == MEASURES.index("GAS")
    weight = np.where(is_gas & (rng.random(m) < 0.8), rng.integers(1, 4, m), np.nan)

    set_row = att.row(cols["client"], cols["set_j"])
    set_day = c.s_date[set_row]
    weeks = np.where(cols["horizon"] == LONG, rng.integers(8, 17, m), rng.integers(2, 7, m))
    target_day = set_day + 7 * weeks
    is_vague = np.array([v.vague for v in var])[variant]
    target_day[is_vague | (target_day > c.as_of)] = NO_DATE
    next_day = c.s_date[att.row(cols["client"], cols["set_j"] + 1)]
    agreed = np.where(rng.random(m) < 0.8, set_day, next_day)
    agreed[rng.random(m) < 0.13] = NO_DATE
    long = cols["horizon"] == LONG
    values = np.where(
        rng.random(m) < np.where(long, 0.8, 0.15), rng.integers(0, len(tx.VALUES), m), -1
    )
    strengths = np.where(
        rng.random(m) < np.where(long, 0.65, 0.1), rng.integers(0, len(tx.STRENGTHS), m), -1
    )
    return {
        **cols,
        "variant": variant,
        "baseline": baseline,
        "target": target,
        "weight": weight,
        "set_row": set_row,
        "target_day": target_day,
        "agreed_day": agreed,
        "values": values,
        "strengths": strengths,
    }


def goals(c: Clinic, adm: Administrations, rng: np.random.Generator) -> tuple[Goals, _Attended]:
    """Long-term goals, their short-term steps and revisions of some of them."""
    att = _Attended(c)
    first_total = {}
    for code in ("PHQ-9", "GAD-7"):
        total = adm.totals[code]
        ok = np.flatnonzero(~np.isnan(total))
        clients, first = np.unique(adm.client[ok], return_index=True)
        first_total[code] = np.full(c.n, np.nan)
        first_total[code][clients] = total[ok[first]]

    started = np.flatnonzero(att.count > 0)  # goals are set at an attended session
    l_client = np.repeat(started, 1 + choose(rng, (0.35, 0.45, 0.20), len(started)))
    n_long = len(l_client)
    l_cols = {
        "client": l_client,
        "horizon": np.full(n_long, LONG),
        "category": choose(rng, tx.CATEGORY_WEIGHTS, n_long),
        "set_j": (rng.random(n_long) < 0.25).astype(np.int64),
        "parent": np.full(n_long, -1),
        "revises": np.full(n_long, -1),
    }
    n_steps = choose(rng, (0.35, 0.40, 0.25), n_long)
    parent, step = expand(n_steps)
    n_short = len(parent)
    own_category = rng.random(n_short) < 0.7
    s_cols = {
        "client": l_client[parent],
        "horizon": np.full(n_short, SHORT),
        "category": np.where(
            own_category, l_cols["category"][parent], choose(rng, tx.CATEGORY_WEIGHTS, n_short)
        ),
        "set_j": l_cols["set_j"][parent] + 1 + step + rng.poisson(0.7, n_short),
        "parent": parent,
        "revises": np.full(n_short, -1),
    }
    batches = [
        _draw(rng, c, att, first_total, l_cols, P_VAGUE[LONG]),
        _draw(rng, c, att, first_total, s_cols, P_VAGUE[SHORT]),
    ]
    childless = np.concatenate([n_steps == 0, np.ones(n_short, dtype=bool)])

    # revisions: a new row replaces a childless goal at a later attended session
    g = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
    end_j = np.full(len(g["client"]), NEVER)
    candidates = np.flatnonzero(childless)
    is_vague = np.array([v.vague for v in tx.GOAL_VARIANTS])
    p_revise = np.where(is_vague[g["variant"][candidates]], P_REVISE_VAGUE, P_REVISE_SMART)
    instrument = ~np.isin(g["variant"][candidates], _rated_variants())
    p_revise[instrument] = 0.0
    for _round in range(2):
        rev_j = g["set_j"][candidates] + 2 + rng.poisson(1.0, len(candidates))
        go = (rng.random(len(candidates)) < p_revise) & (rev_j < att.count[g["client"][candidates]])
        old, rev_j = candidates[go], rev_j[go]
        if len(old) == 0:
            break
        cols = {k: g[k][old] for k in ("client", "horizon", "category", "parent")}
        new = _draw(rng, c, att, first_total, {**cols, "set_j": rev_j, "revises": old}, 0.0)
        new["values"], new["strengths"] = g["values"][old], g["strengths"][old]
        end_j[old] = rev_j
        start = len(g["client"])
        g = {k: np.concatenate([g[k], new[k]]) for k in g}
        end_j = np.concatenate([end_j, np.full(len(old), NEVER)])
        candidates = start + np.flatnonzero(np.isin(new["variant"], _rated_variants()))
        p_revise = np.full(len(candidates), P_REVISE_AGAIN)

    end_day = np.full(len(end_j), NEVER)
    revised = end_j != NEVER
    end_day[revised] = c.s_date[att.row(g["client"][revised], end_j[revised])]

    set_day = c.s_date[g["set_row"]]
    order = np.lexsort((np.arange(len(set_day)), set_day, g["client"]))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))

    def remap(ref: np.ndarray) -> np.ndarray:
        return np.where(ref >= 0, rank[np.maximum(ref, 0)], -1)

    return Goals(
        client=g["client"][order],
        horizon=g["horizon"][order],
        category=g["category"][order],
        variant=g["variant"][order],
        parent=remap(g["parent"][order]),
        revises=remap(g["revises"][order]),
        set_row=g["set_row"][order],
        end_day=end_day[order],
        baseline=g["baseline"][order],
        target=g["target"][order],
        weight=g["weight"][order],
        target_day=g["target_day"][order],
        agreed_day=g["agreed_day"][order],
        values=g["values"][order],
        strengths=g["strengths"][order],
    ), att


def _rated_variants() -> np.ndarray:
    return np.array(
        [i for i, v in enumerate(tx.GOAL_VARIANTS) if MEASURES.index(v.measure) in RATED]
    )


def ratings(c: Clinic, gl: Goals, adm: Administrations, rng: np.random.Generator) -> Ratings:
    """Ratings at the set session and at later attended reviews; also sets ``gl.status``."""
    measure = np.array([MEASURES.index(v.measure) for v in tx.GOAL_VARIANTS])[gl.variant]
    rated = np.flatnonzero(np.isin(measure, RATED))
    review_rows = np.flatnonzero(
        (c.s_attendance == ATTENDED) & np.isin(c.s_kind, (REVIEW, FOLLOW_UP))
    )
    r_start, r_count = offsets(c.s_client[review_rows], c.n)
    owner, pos = expand(r_count[gl.client[rated]])
    goal = rated[owner]
    row = review_rows[r_start[gl.client[goal]] + pos]
    day = c.s_date[row]
    keep = (day > c.s_date[gl.set_row[goal]]) & (day < gl.end_day[goal])
    goal = np.concatenate([rated, goal[keep]])
    row = np.concatenate([gl.set_row[rated], row[keep]])
    first = np.zeros(len(goal), dtype=bool)
    first[: len(rated)] = True
    order = np.lexsort((c.s_date[row], goal))
    goal, row, first = goal[order], row[order], first[order]

    client = gl.client[goal]
    response = np.exp(rng.normal(0.0, 0.35, len(gl.client)))[goal]
    progress = (c.s_theta[gl.set_row[goal]] - c.s_theta[row]) / (0.6 * c.theta0[client])
    progress *= response
    b, t, m = gl.baseline[goal], gl.target[goal], measure[goal]
    noise = np.where(first, 0.0, rng.normal(0.0, 1.0, len(goal)))
    gas = np.clip(np.round(b + (2.0 - b) * 0.75 * progress + 0.45 * noise), -2, 2)
    gbo = np.clip(np.round(b + (t - b) * progress + 0.7 * noise), 0, 10)
    count = np.maximum(0, np.round(b + (t - b) * 1.1 * progress + (0.4 + 0.1 * abs(t - b)) * noise))
    value = np.select([m == MEASURES.index("GAS"), m == MEASURES.index("GBO")], [gas, gbo], count)
    rater = choose(rng, (0.15, 0.10, 0.75), len(goal))

    achieved = np.zeros(len(gl.client), dtype=bool)
    g_start, g_count = offsets(goal, len(gl.client))
    has = g_count > 0
    last = value[(g_start + g_count - 1)[has]]
    up = gl.target[has] >= gl.baseline[has]
    achieved[has] = np.where(up, last >= gl.target[has], last <= gl.target[has])
    for code in ("PHQ-9", "GAD-7"):
        total = adm.totals[code]
        ok = np.flatnonzero(~np.isnan(total))
        rev = ok[::-1]
        clients, idx = np.unique(adm.client[rev], return_index=True)
        last_total = np.full(c.n, np.nan)
        last_day = np.full(c.n, NO_DATE)
        last_total[clients], last_day[clients] = total[rev[idx]], adm.day[rev[idx]]
        sel = measure == MEASURES.index(code)
        k = gl.client[sel]
        achieved[sel] = (last_total[k] <= gl.target[sel]) & (
            last_day[k] > c.s_date[gl.set_row[sel]]
        )
    ended_early = (c.end_reason != -1) & (c.end_reason != COMPLETED)
    gl.status = np.select(
        [
            gl.end_day != NEVER,
            achieved,
            ended_early[gl.client] | (rng.random(len(gl.client)) < 0.03),
        ],
        [REVISED, ACHIEVED, DISCONTINUED],
        ACTIVE,
    )
    return Ratings(goal, row, value, rater)


def homework(c: Clinic, gl: Goals, att: _Attended, rng: np.random.Generator) -> Homework:
    """Homework set at attended sessions, reviewed at the next attended one."""
    m = len(c.s_client)
    candidates = np.flatnonzero((c.s_attendance == ATTENDED) & (c.s_kind != FOLLOW_UP))
    k = c.s_client[candidates]
    p = np.where(c.s_kind[candidates] == ASSESSMENT, 0.3, 0.45 + 0.4 * c.engagement[k])
    rows = candidates[rng.random(len(candidates)) < p]
    client, day = c.s_client[rows], c.s_date[rows]
    n = len(rows)

    nxt = np.minimum(rows + 1, m - 1)
    has_next = (rows + 1 < m) & (c.s_client[nxt] == client)
    due = np.where(has_next, c.s_date[nxt], day + 7)
    due[(due > c.as_of) | (rng.random(n) < 0.08)] = NO_DATE

    pos = np.searchsorted(att.rows, rows)
    nxt_att = att.rows[np.minimum(pos + 1, len(att.rows) - 1)]
    reviewed = (pos + 1 < len(att.rows)) & (c.s_client[nxt_att] == client)
    p_done = 0.2 + 0.65 * c.engagement[client]
    u = rng.random(n)
    status = np.select(
        [~reviewed, u < p_done, u < p_done + (1 - p_done) / 2], [0, 1, 2], 3
    )  # HOMEWORK_STATUSES order: assigned, completed, partial, not_done

    g_start, g_count = offsets(gl.client, c.n)
    goal = g_start[client] + np.floor(rng.random(n) * g_count[client]).astype(np.int64)
    goal = np.minimum(goal, len(gl.client) - 1)
    ok = (
        (g_count[client] > 0)
        & (c.s_date[gl.set_row[goal]] <= day)
        & (gl.end_day[goal] > day)
        & (rng.random(n) < 0.7)
    )
    goal = np.where(ok, goal, -1)
    group = np.where(ok, gl.category[np.maximum(goal, 0)], len(tx.HOMEWORK_TASKS) - 1)
    sizes = [len(t) for t in tx.HOMEWORK_TASKS]
    first = np.cumsum(sizes) - sizes
    members = [list(range(f, f + s)) for f, s in zip(first, sizes, strict=True)]
    task = pick_in_groups(rng, members, group)
    return Homework(rows, due, task, goal, status)
