"""Group FHIR Observations into administrations (panels, totals, loose item Observations).

See :mod:`therapy_outcomes.sources.fhir_map` for the rules; this module only applies them to
a list of Observations and returns rows and rejects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from therapy_outcomes.sources._cells import reject
from therapy_outcomes.sources.fhir_map import (
    OBS_STATUSES,
    AdminRow,
    Index,
    MappingProblem,
    _rater,
    clean_id,
    obs_code,
    obs_date,
    ref_id,
    ref_type,
    value_score,
)
from therapy_outcomes.sources.fhir_read import Located

TABLE = "administrations"


@dataclass
class ObsResult:
    """Rows built from Observations, rejects, and Observations skipped as not ours."""

    rows: list[AdminRow] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    skipped: int = 0


def _head(loc: Located, entry_code: str, full_urls: dict[str, str]) -> dict[str, object]:
    obs = loc.resource
    client = ref_id(obs.subject, full_urls)
    if not client:
        raise MappingProblem("no subject (Patient) reference")
    when = obs_date(obs)
    if when is None:
        raise MappingProblem("no effective date (YYYY-MM-DD)")
    return {
        "administration_id": clean_id(str(obs.id or loc.full_url or f"obs-{loc.line}")),
        "client_id": clean_id(client),
        "instrument": entry_code,
        "administered_on": when,
        "rater": _rater((obs.performer or [None])[0]),
        "_encounter": ref_id(obs.encounter, full_urls),
    }


def map_observations(
    observations: list[Located],
    index: Index,
    full_urls: dict[str, str],
    responses: dict[str, AdminRow],
) -> ObsResult:
    """Turn Observations into administration rows.

    Parameters
    ----------
    observations : list of Located
        Every Observation read.
    index : Index
        Instrument look-up.
    full_urls : dict
        Bundle ``fullUrl`` -> logical id.
    responses : dict
        QuestionnaireResponse id -> its row; a total Observation derived from one of them is
        that response's reported total (set in place).

    Returns
    -------
    ObsResult
    """
    out = ObsResult()
    by_id: dict[str, Located] = {}
    roles: dict[int, tuple] = {}
    for loc in observations:
        role = obs_code(loc.resource, index)
        if role is None:
            out.skipped += 1
            continue
        roles[id(loc)] = role
        if loc.resource.id:
            by_id[str(loc.resource.id)] = loc
        for alias in filter(None, (loc.full_url,)):
            by_id[alias] = loc
    members: set[int] = set()
    for loc in observations:
        role = roles.get(id(loc))
        if role is None or role[0] != "panel":
            continue
        for ref in loc.resource.hasMember or []:
            target = by_id.get(ref.reference or "") or by_id.get(ref_id(ref, full_urls) or "")
            if target is not None:
                members.add(id(target))
    groups: dict[tuple, AdminRow] = {}
    for loc in observations:
        role = roles.get(id(loc))
        if role is None or id(loc) in members:
            continue
        try:
            if loc.resource.status not in OBS_STATUSES:
                raise MappingProblem(
                    f"status '{loc.resource.status}': only final, amended or corrected count"
                )
            if role[0] == "panel":
                out.rows.append(_panel(loc, role[1], by_id, index, full_urls))
            elif role[0] == "total":
                row = _total(loc, role[1], full_urls, responses)
                if row is not None:
                    out.rows.append(row)
            else:
                _loose_item(loc, role, full_urls, responses, groups, out)
        except MappingProblem as err:
            out.rejects.append(
                reject(TABLE, loc.file, loc.line, f"Observation/{loc.resource.id}: {err}")
            )
    return out


def _panel(
    loc: Located, entry, by_id: dict[str, Located], index: Index, full_urls: dict[str, str]
) -> AdminRow:
    record = _head(loc, entry.inst.code, full_urls)
    panel = loc.resource
    if panel.valueInteger is not None or panel.valueQuantity is not None:
        record["total"] = value_score(panel, entry)
    for ref in panel.hasMember or []:
        member = by_id.get(ref.reference or "") or by_id.get(ref_id(ref, full_urls) or "")
        if member is None:
            raise MappingProblem(f"member {ref.reference} is not in the input")
        role = obs_code(member.resource, index)
        if role is None or role[1] is not entry or role[0] == "panel":
            raise MappingProblem(
                f"member {ref.reference} is not an item or total of {entry.inst.code}"
            )
        if member.resource.status not in OBS_STATUSES:
            raise MappingProblem(f"member {ref.reference} has status '{member.resource.status}'")
        column = "total" if role[0] == "total" else f"item_{role[2]}"
        if column in record:
            raise MappingProblem(f"{column} is given twice (member {ref.reference})")
        record[column] = value_score(member.resource, entry)
    return AdminRow(record, loc.file, loc.line, f"Observation/{panel.id}")


def _derived_response(
    loc: Located, full_urls: dict[str, str], responses: dict[str, AdminRow]
) -> AdminRow | None:
    for ref in loc.resource.derivedFrom or []:
        if ref_type(ref) in (None, "QuestionnaireResponse"):
            rid = ref_id(ref, full_urls)
            if rid is not None and clean_id(rid) in responses:
                return responses[clean_id(rid)]
    return None


def _total(
    loc: Located, entry, full_urls: dict[str, str], responses: dict[str, AdminRow]
) -> AdminRow | None:
    value = value_score(loc.resource, entry)
    response = _derived_response(loc, full_urls, responses)
    if response is not None:
        given = response.record.get("total")
        if given is not None and given != value:
            raise MappingProblem(
                f"total {value} differs from the total reported in {response.source} ({given})"
            )
        response.record["total"] = value
        return None
    record = _head(loc, entry.inst.code, full_urls)
    record["total"] = value
    return AdminRow(record, loc.file, loc.line, f"Observation/{loc.resource.id}")


def _loose_item(
    loc: Located,
    role: tuple,
    full_urls: dict[str, str],
    responses: dict[str, AdminRow],
    groups: dict[tuple, AdminRow],
    out: ObsResult,
) -> None:
    if _derived_response(loc, full_urls, responses) is not None:
        return  # the response it came from holds the same answer
    _, entry, k = role
    head = _head(loc, entry.inst.code, full_urls)
    key = (head["client_id"], head["administered_on"], entry.inst.code, head["rater"])
    value = value_score(loc.resource, entry)
    row = groups.get(key)
    if row is None:
        row = AdminRow(head, loc.file, loc.line, f"Observation/{loc.resource.id}")
        groups[key] = row
        out.rows.append(row)
    column = f"item_{k}"
    if column in row.record:
        raise MappingProblem(
            f"{entry.inst.code} item {k} for {head['client_id']} on "
            f"{head['administered_on']} is already in {row.source}"
        )
    row.record[column] = value
