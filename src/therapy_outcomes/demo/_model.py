"""Clients, their session schedules, life events and the latent severity trajectory.

All arrays are numpy; dates are int64 days since 1970-01-01 (:data:`NO_DATE` = missing).
Session arrays are sorted by client, then date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from . import _text as tx
from ._arrays import NO_DATE, choose, choose_rows, expand, group_cumsum, pick_in_groups

WINDOW_DAYS = 548  # referrals spread over the 18 months before as_of

# trajectory classes: fast, moderate, slow responders, flat or worse
TRAJECTORY_WEIGHTS = (0.28, 0.37, 0.25, 0.10)
ASYMPTOTE_FRACTION = ((0.15, 0.45), (0.30, 0.60), (0.40, 0.70), (0.95, 1.50))
RATE = ((1.2, 2.2), (0.6, 1.2), (0.3, 0.7), (0.4, 1.0))
FLAT_OR_WORSE = 3
# care paths of clients who start: never attend, assessment only, treatment
PATH_WEIGHTS = (0.12, 0.15, 0.73)
NEVER_ATTENDED, ASSESSMENT_ONLY, TREATED = range(3)

COMPLETED, DROPPED_OUT, REFERRED_ON, OTHER = range(4)
ASSESSMENT, TREATMENT, REVIEW, FOLLOW_UP = range(4)
ATTENDED, CANCELLED, DID_NOT_ATTEND = range(3)

SESSION_NOISE = 0.05  # session-to-session wobble of latent severity
EVENT_FADE_DAYS = 35.0  # life events fade with this time constant
MEDICATION_RAMP_DAYS = 21.0  # medication effects build up with this time constant


def to_days(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - date(1970, 1, 1)).days


def _empty(dtype: type = np.int64) -> np.ndarray:
    return np.zeros(0, dtype=dtype)


@dataclass
class Clinic:
    """Internal arrays of one simulated clinic (one element per client, session or event)."""

    as_of: int
    n: int
    site_therapists: np.ndarray
    # clients
    referred: np.ndarray
    site: np.ndarray
    therapist: np.ndarray
    problem: np.ndarray
    modality: np.ndarray
    sex: np.ndarray
    birth_year: np.ndarray
    start: np.ndarray
    theta0: np.ndarray
    asymptote: np.ndarray
    rate: np.ndarray
    trajectory: np.ndarray
    alliance: np.ndarray
    engagement: np.ndarray
    risk: np.ndarray
    dep_shift: np.ndarray
    anx_shift: np.ndarray
    gen_shift: np.ndarray
    end: np.ndarray = field(default_factory=_empty)
    end_reason: np.ndarray = field(default_factory=_empty)
    # sessions
    s_client: np.ndarray = field(default_factory=_empty)
    s_date: np.ndarray = field(default_factory=_empty)
    s_kind: np.ndarray = field(default_factory=_empty)
    s_attendance: np.ndarray = field(default_factory=_empty)
    s_therapist: np.ndarray = field(default_factory=_empty)
    s_done: np.ndarray = field(default_factory=_empty)
    s_theta: np.ndarray = field(default_factory=lambda: _empty(float))
    # events
    e_client: np.ndarray = field(default_factory=_empty)
    e_date: np.ndarray = field(default_factory=_empty)
    e_template: np.ndarray = field(default_factory=_empty)
    e_impact_known: np.ndarray = field(default_factory=lambda: _empty(bool))


def simulate(n: int, streams: list[np.random.Generator], as_of: int) -> Clinic:
    """Draw clients, schedules, events and latent severity for ``n`` clients."""
    c = _clients(n, streams[0], as_of)
    _sessions(c, streams[1])
    _events(c, streams[2])
    _latent(c, streams[3])
    return c


def _clients(n: int, rng: np.random.Generator, as_of: int) -> Clinic:
    referred = as_of - rng.integers(0, WINDOW_DAYS, n)
    weekday = (referred + 3) % 7  # Monday = 0
    referred = np.sort(referred - np.maximum(weekday - 4, 0))  # weekend -> Friday

    site = choose(rng, tx.SITE_WEIGHTS, n)
    base = int(np.clip(round(np.sqrt(n) / 4), 3, 8))
    site_therapists = np.clip(base + rng.integers(-1, 2, len(tx.SITES)), 3, 8)
    first = np.cumsum(site_therapists) - site_therapists
    therapist = first[site] + np.floor(rng.random(n) * site_therapists[site]).astype(np.int64)
    therapist_effect = np.exp(rng.normal(0.0, 0.15, site_therapists.sum()))

    problem = choose(rng, tx.PROBLEM_WEIGHTS, n)
    modality = choose_rows(rng, np.array(tx.MODALITY_BY_PROBLEM), problem)
    sex = choose(rng, tx.SEX_WEIGHTS, n)
    as_of_year = (np.datetime64(0, "D") + as_of).astype(object).year
    age = np.clip(rng.normal(37.0, 13.0, n), 18, 80).astype(np.int64)
    birth_year = (as_of_year - age - (rng.random(n) < 0.5)).astype(float)
    birth_year[rng.random(n) < 0.015] = np.nan

    wait_weeks = 1 + rng.poisson(3.5, n)
    start = referred + 7 * wait_weeks
    start = np.where(start <= as_of, start, NO_DATE)

    theta0 = np.clip(rng.beta(3.3, 2.7, n), 0.05, 0.97)
    trajectory = choose(rng, TRAJECTORY_WEIGHTS, n)
    lo, hi = np.array(ASYMPTOTE_FRACTION).T
    asymptote = theta0 * rng.uniform(lo[trajectory], hi[trajectory])
    engagement = rng.beta(4.0, 2.5, n)
    lo, hi = np.array(RATE).T
    rate = rng.uniform(lo[trajectory], hi[trajectory])
    rate *= therapist_effect[therapist] * (0.7 + 0.6 * engagement)
    alliance = np.clip(10.0 - rng.gamma(1.2, 0.45, n), 3.0, 10.0)
    risk = np.where(rng.random(n) < 0.25, rng.uniform(0.3, 1.0, n), 0.0)
    dep_shift = np.array(tx.PROBLEM_DEP_SHIFT)[problem] + rng.normal(0, 0.06, n)
    anx_shift = np.array(tx.PROBLEM_ANX_SHIFT)[problem] + rng.normal(0, 0.06, n)
    gen_shift = rng.normal(0, 0.04, n)

    return Clinic(
        as_of=as_of,
        n=n,
        site_therapists=site_therapists,
        referred=referred,
        site=site,
        therapist=therapist,
        problem=problem,
        modality=modality,
        sex=sex,
        birth_year=birth_year,
        start=start,
        theta0=theta0,
        asymptote=asymptote,
        rate=rate,
        trajectory=trajectory,
        alliance=alliance,
        engagement=engagement,
        risk=risk,
        dep_shift=dep_shift,
        anx_shift=anx_shift,
        gen_shift=gen_shift,
    )


def _sessions(c: Clinic, rng: np.random.Generator) -> None:
    n = c.n
    started = c.start != NO_DATE
    extra = np.array(tx.MODALITY_SESSIONS)[c.modality] - 2.0
    planned = np.clip(2 + rng.negative_binomial(4, 4.0 / (4.0 + extra)), 3, 28)

    p_drop = np.clip(
        0.14 + 0.12 * (9.45 - c.alliance) + 0.10 * (c.trajectory == FLAT_OR_WORSE)
        - 0.15 * (c.engagement - 0.6), 0.04, 0.65,
    )  # fmt: skip
    p_refer = 0.03 + 0.12 * (c.trajectory == FLAT_OR_WORSE)
    u = rng.random(n)
    outcome = np.select(
        [u < p_drop, u < p_drop + p_refer, u < p_drop + p_refer + 0.04],
        [DROPPED_OUT, REFERRED_ON, OTHER],
        COMPLETED,
    )
    stop = 1 + np.floor((planned - 1) * rng.random(n) ** 1.6).astype(np.int64)
    n_treat = np.where(outcome == COMPLETED, planned, np.minimum(stop, planned - 2) + 1)
    # some never attend (one or two assessment appointments missed), some are assessed only
    path = choose(rng, PATH_WEIGHTS, n)
    never = path == NEVER_ATTENDED
    n_treat[never] = 1 + (rng.random(never.sum()) < 0.4)
    outcome[never] = DROPPED_OUT
    assessed_only = path == ASSESSMENT_ONLY
    n_treat[assessed_only] = 1
    outcome[assessed_only] = np.where(rng.random(assessed_only.sum()) < 0.55, REFERRED_ON, OTHER)
    follow_up = (outcome == COMPLETED) & (rng.random(n) < 0.3)
    counts = np.where(started, n_treat + follow_up, 0)

    owner, pos = expand(counts)
    m = len(owner)
    gap = np.array([7, 14, 21])[choose(rng, (0.80, 0.15, 0.05), m)]
    gap[pos == 0] = 0
    fu_row = follow_up[owner] & (pos == n_treat[owner])
    gap[fu_row] = 7 * rng.integers(4, 13, fu_row.sum())
    day = c.start[owner] + group_cumsum(gap, owner, n)

    last_treatment = pos == n_treat[owner] - 1
    kind = np.full(m, TREATMENT)
    kind[pos % 4 == 0] = REVIEW
    kind[last_treatment & (outcome[owner] == COMPLETED)] = REVIEW
    kind[(pos == 0) | never[owner]] = ASSESSMENT
    kind[fu_row] = FOLLOW_UP

    miss = rng.beta(1.5, 12.0, n)
    missed = (rng.random(m) < miss[owner]) & (pos > 0)
    att = np.where(missed, np.where(rng.random(m) < 0.55, DID_NOT_ATTEND, CANCELLED), ATTENDED)
    tail = 1 + (rng.random(n) < 0.5)
    dna_tail = (outcome[owner] == DROPPED_OUT) & (pos >= n_treat[owner] - tail[owner]) & (pos > 0)
    att[dna_tail] = DID_NOT_ATTEND
    att[last_treatment & (outcome[owner] != DROPPED_OUT)] = ATTENDED
    att[fu_row] = np.where(rng.random(fu_row.sum()) < 0.85, ATTENDED, DID_NOT_ATTEND)
    no_show = never[owner]
    att[no_show] = np.where(
        last_treatment[no_show] | (rng.random(no_show.sum()) < 0.5), DID_NOT_ATTEND, CANCELLED
    )

    therapist = c.therapist[owner]
    cover = rng.random(m) < 0.05
    site = c.site[owner[cover]]
    first = (np.cumsum(c.site_therapists) - c.site_therapists)[site]
    size = c.site_therapists[site]
    step = 1 + np.floor(rng.random(cover.sum()) * (size - 1)).astype(np.int64)
    therapist[cover] = first + (therapist[cover] - first + step) % size

    last_day = np.full(n, NO_DATE)
    has = counts > 0
    last_day[has] = day[(np.cumsum(counts) - 1)[has]]  # rows are in date order
    ended = started & (last_day <= c.as_of)
    c.end = np.where(ended, last_day, NO_DATE)
    c.end_reason = np.where(ended, outcome, -1)

    keep = day <= c.as_of
    c.s_client, c.s_date, c.s_kind = owner[keep], day[keep], kind[keep]
    c.s_attendance, c.s_therapist = att[keep], therapist[keep]
    attended = (c.s_attendance == ATTENDED).astype(np.int64)
    c.s_done = group_cumsum(attended, c.s_client, n) - attended


def _events(c: Clinic, rng: np.random.Generator) -> None:
    n = c.n
    started = c.start != NO_DATE
    count = (rng.random(n) < np.where(started, 0.35, 0.12)) * (1 + (rng.random(n) < 0.2))
    client, _ = expand(count)
    lo = c.referred[client]
    hi = np.where(c.end != NO_DATE, np.minimum(c.end + 30, c.as_of), c.as_of)[client]
    day = lo + np.floor(rng.random(len(client)) * (hi - lo + 1)).astype(np.int64)
    kind = choose(rng, tx.EVENT_KIND_WEIGHTS, len(client))
    members = [[i for i, t in enumerate(tx.EVENT_TEMPLATES) if t.kind == k] for k in tx.EVENT_KINDS]
    template = pick_in_groups(rng, members, kind)
    known = rng.random(len(client)) < 0.9
    order = np.lexsort((day, client))
    c.e_client, c.e_date = client[order], day[order]
    c.e_template, c.e_impact_known = template[order], known[order]


def _latent(c: Clinic, rng: np.random.Generator) -> None:
    k = c.s_client
    traj = c.asymptote[k] + (c.theta0[k] - c.asymptote[k]) * (1.0 + c.s_done) ** -c.rate[k]
    bump = np.zeros(len(k))
    effect = np.array([t.effect for t in tx.EVENT_TEMPLATES])
    persistent = np.array([t.persistent for t in tx.EVENT_TEMPLATES])
    _, slot = expand(np.bincount(c.e_client, minlength=c.n))
    for s in range(int(slot.max(initial=-1)) + 1):  # at most two events per client
        sel = slot == s
        when = np.full(c.n, NO_DATE)
        when[c.e_client[sel]] = c.e_date[sel]
        tmpl = np.zeros(c.n, dtype=np.int64)
        tmpl[c.e_client[sel]] = c.e_template[sel]
        has = when[k] != NO_DATE
        dt = np.where(has, c.s_date - np.where(has, when[k], 0), -1).astype(float)
        shape = np.where(
            persistent[tmpl[k]],
            1.0 - np.exp(-dt / MEDICATION_RAMP_DAYS),
            np.exp(-dt / EVENT_FADE_DAYS),
        )
        bump += np.where(dt >= 0, effect[tmpl[k]] * shape, 0.0)
    noise = rng.normal(0.0, SESSION_NOISE, len(k))
    c.s_theta = np.clip(traj + bump + noise, 0.01, 0.99)
