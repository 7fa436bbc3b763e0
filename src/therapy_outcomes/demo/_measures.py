"""Questionnaire administrations with item answers that track the latent severity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _text as tx
from ._model import ASSESSMENT, ATTENDED, REVIEW, SESSION_NOISE, TREATMENT, Clinic

RISK_SCALE = 0.5  # risk item propensity = client risk * RISK_SCALE * severity^2
P_ONE_MISSING = 0.035  # administrations with exactly one item left blank
P_MANY_MISSING = 0.008  # administrations with three or more items blank (invalid)
P_SCREENING = 0.4  # clients who filled in PHQ-9 and GAD-7 with their referral


@dataclass(frozen=True)
class Plan:
    """When an instrument is given and which latent quantity drives its answers."""

    code: str
    scale: str  # depression, anxiety, distress, wellbeing or alliance
    site_outcome: str | None  # only at sites whose SITE_OUTCOME is this; None = everywhere
    p_assessment: float
    p_review: float
    p_treatment: float
    item_noise: float  # sd of item-level noise around the propensity (fraction of item range)
    item_offset_sd: float  # sd of the fixed per-item offsets (item "difficulty")
    screening: bool = False


PLANS: tuple[Plan, ...] = (
    Plan("PHQ-9", "depression", None, 1.0, 0.95, 0.92, 0.17, 0.07, screening=True),
    Plan("GAD-7", "anxiety", None, 1.0, 0.94, 0.90, 0.17, 0.07, screening=True),
    Plan("CORE-10", "distress", "CORE-10", 1.0, 0.92, 0.50, 0.17, 0.07),
    Plan("ORS", "wellbeing", "ORS", 0.97, 0.96, 0.95, 0.10, 0.04),
    Plan("SRS", "alliance", None, 1.0, 1.0, 1.0, 0.05, 0.015),
)


@dataclass
class Administrations:
    """Administrations sorted by client, date and instrument."""

    codes: tuple[str, ...]
    client: np.ndarray
    session: np.ndarray  # row in the sessions arrays, -1 = not at a session
    day: np.ndarray
    instrument: np.ndarray  # index into ``codes``
    items: np.ndarray  # float, one column per item number, NaN = missing or not asked
    totals: dict[str, np.ndarray]  # per code: sum of scored items, NaN if incomplete or other


def item_numbers(spec: Any) -> list[int]:
    """1-based item numbers from a registry attribute: numbers or objects with ``.item``."""
    if spec is None:
        return []
    if isinstance(spec, dict):
        spec = spec.keys()
    return sorted(int(getattr(i, "item", i)) for i in spec)


def administrations(c: Clinic, rng: np.random.Generator, registry: Any) -> Administrations:
    """Draw every administration and its item answers."""
    instruments = [registry.get(p.code) for p in PLANS]
    k_max = max(int(i.n_items) for i in instruments)
    site_outcome = np.array(tx.SITE_OUTCOME)[c.site]
    attended = c.s_attendance == ATTENDED
    screened = np.flatnonzero(rng.random(c.n) < P_SCREENING)
    theta_referral = np.clip(
        c.theta0[screened] + rng.normal(0.0, SESSION_NOISE, len(screened)), 0.01, 0.99
    )

    parts = []
    for code_index, (plan, inst) in enumerate(zip(PLANS, instruments, strict=True)):
        p = np.select(
            [c.s_kind == ASSESSMENT, c.s_kind == TREATMENT, c.s_kind == REVIEW],
            [plan.p_assessment, plan.p_treatment, plan.p_review],
            plan.p_review,  # follow-up
        )
        ok = attended & (rng.random(len(p)) < p)
        if plan.site_outcome is not None:
            ok &= site_outcome[c.s_client] == plan.site_outcome
        rows = np.flatnonzero(ok)
        client, theta = c.s_client[rows], c.s_theta[rows]
        session, day = rows, c.s_date[rows]
        done = c.s_done[rows]
        if plan.screening:
            client = np.concatenate([screened, client])
            theta = np.concatenate([theta_referral, theta])
            session = np.concatenate([np.full(len(screened), -1), session])
            day = np.concatenate([c.referred[screened], day])
            done = np.concatenate([np.zeros(len(screened), dtype=np.int64), done])
        prop = _propensity(plan.scale, c, client, theta, done, rng)
        items = _items(inst, prop, plan, c.risk[client], rng)
        parts.append((client, session, day, np.full(len(client), code_index), items))

    client, session, day, instrument = (np.concatenate([p[i] for p in parts]) for i in range(4))
    items = np.full((len(client), k_max), np.nan)
    at = 0
    for part in parts:
        block = part[4]
        items[at : at + len(block), : block.shape[1]] = block
        at += len(block)
    order = np.lexsort((instrument, day, client))
    instrument, items = instrument[order], items[order]
    totals = {}
    for code_index, inst in enumerate(instruments):
        rows = np.flatnonzero(instrument == code_index)
        block = items[rows, : int(inst.n_items)]
        lo, hi = float(inst.item_min), float(inst.item_max)
        for j in item_numbers(getattr(inst, "reverse_items", None)):
            block[:, j - 1] = lo + hi - block[:, j - 1]
        total = np.full(len(instrument), np.nan)
        total[rows] = block.sum(axis=1)  # NaN when any item is missing
        totals[PLANS[code_index].code] = total
    return Administrations(
        tuple(p.code for p in PLANS),
        client[order],
        session[order],
        day[order],
        instrument,
        items,
        totals,
    )


def _propensity(
    scale: str,
    c: Clinic,
    client: np.ndarray,
    theta: np.ndarray,
    done: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Expected answer as a fraction of the item range (before item noise)."""
    if scale == "depression":
        return theta + c.dep_shift[client]
    if scale == "anxiety":
        return theta + c.anx_shift[client]
    if scale == "distress":
        return theta + c.gen_shift[client]
    if scale == "wellbeing":
        return 1.0 - theta - c.gen_shift[client]
    if scale == "alliance":  # rises a little over the first sessions
        alliance = c.alliance[client] + 0.05 * np.minimum(done, 10)
        return alliance / 10.0 + rng.normal(0.0, 0.03, len(client))
    raise ValueError(f"unknown scale {scale!r}")


def _items(
    inst: Any, prop: np.ndarray, plan: Plan, risk: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Item answers (as on the paper form) for one instrument, with some left blank.

    The answer is the propensity plus item offset plus noise, scaled to the item range and
    rounded (to whole numbers, or to one decimal for decimal items). Risk items are
    ``Binomial(range, risk * RISK_SCALE * prop**2)``, so clients without risk never endorse them.
    """
    m, k = len(prop), int(inst.n_items)
    lo, hi = float(inst.item_min), float(inst.item_max)
    span = hi - lo
    offsets = rng.normal(0.0, plan.item_offset_sd, k)
    noise = rng.normal(0.0, plan.item_noise, (m, k))
    p = np.clip(prop[:, None] + offsets[None, :] + noise, 0.0, 1.0)
    integer = bool(getattr(inst, "integer_items", True))
    values = lo + (np.round(span * p) if integer else np.round(span * p, 1))
    for j in item_numbers(getattr(inst, "risk_items", None)):
        p_risk = risk * RISK_SCALE * np.clip(prop, 0.0, 1.0) ** 2
        values[:, j - 1] = lo + rng.binomial(round(span), np.clip(p_risk, 0.0, 1.0))
    for j in item_numbers(getattr(inst, "reverse_items", None)):
        values[:, j - 1] = lo + hi - values[:, j - 1]

    u = rng.random(m)
    one = np.flatnonzero(u < P_ONE_MISSING)
    values[one, rng.integers(0, k, len(one))] = np.nan
    many = np.flatnonzero(u >= 1.0 - P_MANY_MISSING)
    n_missing = np.minimum(3 + rng.integers(0, 3, len(many)), k - 1)
    rank = np.argsort(np.argsort(rng.random((len(many), k)), axis=1), axis=1)
    block = values[many]
    block[rank < n_missing[:, None]] = np.nan
    values[many] = block
    return values
