"""Arrow tables laid out as in ``data/README.md`` from the simulated arrays; CSV writing."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import _text as tx
from ._arrays import NO_DATE, dates, id_width, ids, labels, numbers, strings, take
from ._goals import MEASURES, Goals, Homework, Ratings
from ._measures import Administrations
from ._model import Clinic

TABLES = ("clients", "sessions", "goals", "goal_ratings", "administrations", "homework", "events")


def _ids(prefix: str, n: int, minimum: int) -> pa.Array:
    return ids(prefix, np.arange(1, n + 1), id_width(n, minimum))


def build(
    c: Clinic, adm: Administrations, gl: Goals, rt: Ratings, hw: Homework
) -> dict[str, pa.Table]:
    """One Arrow table per data-dictionary table, columns in the documented order."""
    client_id = _ids("C", c.n, 6)
    therapist_id = _ids("T", int(c.site_therapists.sum()), 2)
    session_id = _ids("S", len(c.s_client), 6)
    goal_id = _ids("G", len(gl.client), 5)
    started = c.start != NO_DATE
    out = {}
    out["clients"] = pa.table(
        {
            "client_id": client_id,
            "site": labels(tx.SITES, c.site),
            "therapist_id": take(therapist_id, c.therapist),
            "referred_on": dates(c.referred),
            "episode_start": dates(c.start),
            "episode_end": dates(c.end),
            "end_reason": labels(tx.END_REASONS, c.end_reason),
            "modality": labels(tx.MODALITIES, np.where(started, c.modality, -1)),
            "problem": labels(tx.PROBLEMS, c.problem),
            "sex": labels(tx.SEXES, c.sex),
            "birth_year": numbers(c.birth_year),
        }
    )
    out["sessions"] = pa.table(
        {
            "session_id": session_id,
            "client_id": take(client_id, c.s_client),
            "therapist_id": take(therapist_id, c.s_therapist),
            "session_on": dates(c.s_date),
            "kind": labels(tx.KINDS, c.s_kind),
            "attendance": labels(tx.ATTENDANCE, c.s_attendance),
        }
    )
    variants = tx.GOAL_VARIANTS
    out["goals"] = pa.table(
        {
            "goal_id": goal_id,
            "client_id": take(client_id, gl.client),
            "statement": take(strings([v.statement for v in variants]), gl.variant),
            "category": labels(tx.CATEGORIES, gl.category),
            "horizon": labels(tx.HORIZONS, gl.horizon),
            "parent_goal_id": take(goal_id, gl.parent),
            "measure": labels(MEASURES, np.array([MEASURES.index(v.measure) for v in variants])[
                gl.variant]),
            "unit": take(strings([v.unit for v in variants]), gl.variant),
            "baseline": numbers(gl.baseline),
            "target": numbers(gl.target),
            "target_date": dates(gl.target_day),
            "weight": numbers(gl.weight),
            "set_on": dates(c.s_date[gl.set_row]),
            "agreed_on": dates(gl.agreed_day),
            "values": labels(tx.VALUES, gl.values),
            "strengths": labels(tx.STRENGTHS, gl.strengths),
            "status": labels(tx.GOAL_STATUSES, gl.status),
            "revises_goal_id": take(goal_id, gl.revises),
        }
    )  # fmt: skip
    out["goal_ratings"] = pa.table(
        {
            "goal_id": take(goal_id, rt.goal),
            "client_id": take(client_id, gl.client[rt.goal]),
            "rated_on": dates(c.s_date[rt.session]),
            "value": numbers(rt.value),
            "session_id": take(session_id, rt.session),
            "rater": labels(tx.RATERS, rt.rater),
        }
    )
    columns = {
        "administration_id": _ids("A", len(adm.client), 7),
        "client_id": take(client_id, adm.client),
        "instrument": labels(adm.codes, adm.instrument),
        "administered_on": dates(adm.day),
        "session_id": take(session_id, adm.session),
        "rater": labels(("self",), np.zeros(len(adm.client), dtype=np.int64)),
    }
    for j in range(adm.items.shape[1]):
        columns[f"item_{j + 1}"] = numbers(adm.items[:, j], integer=False)
    out["administrations"] = pa.table(columns)
    out["homework"] = pa.table(
        {
            "homework_id": _ids("H", len(hw.session), 5),
            "client_id": take(client_id, c.s_client[hw.session]),
            "assigned_on": dates(c.s_date[hw.session]),
            "due_on": dates(hw.due_day),
            "task": take(strings([t for group in tx.HOMEWORK_TASKS for t in group]), hw.task),
            "goal_id": take(goal_id, hw.goal),
            "status": labels(tx.HOMEWORK_STATUSES, hw.status),
        }
    )
    templates = tx.EVENT_TEMPLATES
    impact = np.array([tx.IMPACTS.index(t.impact) for t in templates])[c.e_template]
    out["events"] = pa.table(
        {
            "event_id": _ids("E", len(c.e_client), 5),
            "client_id": take(client_id, c.e_client),
            "occurred_on": dates(c.e_date),
            "kind": labels(tx.EVENT_KINDS, np.array(
                [tx.EVENT_KINDS.index(t.kind) for t in templates])[c.e_template]),
            "description": take(strings([t.description for t in templates]), c.e_template),
            "impact": labels(tx.IMPACTS, np.where(c.e_impact_known, impact, -1)),
        }
    )  # fmt: skip
    return out


def write_csv(table: pa.Table, path: str) -> None:
    """Write ``table`` as UTF-8 CSV: blank cells for nulls, ISO dates, quotes only if needed."""
    needs_quotes = any(
        pc.any(pc.match_substring_regex(col, r'[,"\r\n]')).as_py()
        for col in table.columns
        if pa.types.is_string(col.type)
    )
    options = pacsv.WriteOptions(
        quoting_style="needed" if needs_quotes else "none",
        quoting_header="none",
        batch_size=65536,
    )
    pacsv.write_csv(table, path, options)
