"""The FHIR source: QuestionnaireResponse and Observation resources as a dataset.

Reads a single resource, a Bundle, an NDJSON bulk-export file, or a folder of them (see
:mod:`~therapy_outcomes.sources.fhir_read`), maps questionnaires of the instrument registry to
``administrations`` (see :mod:`~therapy_outcomes.sources.fhir_map`) and builds ``clients``:

- from ``clients.csv`` when the folder holding the FHIR files has one (the other tables,
  ``sessions.csv`` ..., are read from there too; an encounter reference becomes the
  administration's ``session_id`` only when there is a ``sessions`` table);
- otherwise from the Patient resources: ``client_id`` = the Patient's logical id, ``sex`` =
  ``gender``, ``birth_year`` = year of ``birthDate``, ``site`` = ``managingOrganization``
  (display, else id), ``therapist_id`` = the first ``generalPractitioner`` (id, else display),
  ``referred_on`` = the client's first administration date. Names, addresses and identifiers
  are never read. A subject without a Patient resource gets such a row with ``site`` and
  ``therapist_id`` set to ``unknown``, and so does a missing organisation or practitioner.
  Patients without any administration are left out.

Rejects name the file and the entry number (Bundle, shown as ``file.json#entry``), the NDJSON
line, or 1 for a single resource; when a table's rows come from several files of a folder, the
numbering continues from one file to the next in name order. Other resource types (Encounter,
Condition ...) and Observations whose code is not an instrument's are skipped, not rejected;
the dataset's ``source_report`` (:func:`resource_report`, printed by ``validate`` and
``import``) says how many resources of each type were read, used, rejected and skipped, and
why. Input whose resources all have types FHIR does not have is not FHIR: one
:class:`~therapy_outcomes.errors.DatasetReadError`.

Examples
--------
>>> import json, tempfile, pathlib
>>> from therapy_outcomes import load
>>> qr = {"resourceType": "QuestionnaireResponse", "id": "qr1", "status": "completed",
...       "questionnaire": "http://loinc.org/q/69737-5", "subject": {"reference": "Patient/p1"},
...       "authored": "2026-02-01", "item": [{"linkId": f"/{c}", "answer": [{"valueCoding":
...       {"system": "http://loinc.org", "code": "LA6569-3"}}]} for c in ("69725-0",
...       "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")]}
>>> path = pathlib.Path(tempfile.mkdtemp()) / "qr.json"
>>> _ = path.write_text(json.dumps(qr))
>>> ds = load(path, as_of="2026-06-30")
>>> ds.scores[["client_id", "instrument", "total"]].values.tolist()
[['p1', 'GAD-7', 7.0]]
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pandas as pd

from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.instruments import Registry, default_registry
from therapy_outcomes.loading.readers import RawTable, read_csv_table
from therapy_outcomes.loading.tables import TABLE_NAMES
from therapy_outcomes.sources._cells import raw_table, reject
from therapy_outcomes.sources.base import RawDataset, Source, digest_files
from therapy_outcomes.sources.fhir_map import (
    AdminRow,
    Index,
    MappingProblem,
    as_date,
    clean_id,
    map_response,
    ref_id,
)
from therapy_outcomes.sources.fhir_obs import map_observations
from therapy_outcomes.sources.fhir_read import FHIR_SUFFIXES, Located, ReadResult, read_fhir

log = logging.getLogger(__name__)

HEAD = ["administration_id", "client_id", "instrument", "administered_on", "session_id", "rater"]
UNKNOWN = "unknown"


def _looks_fhir(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'"resourceType"' in head


def matches(location: str) -> bool:
    """A ``.json``/``.ndjson`` file, or a folder of FHIR files without ``administrations.csv``.

    Examples
    --------
    >>> matches("export/QuestionnaireResponse.ndjson"), matches("data/clients.csv")
    (True, False)
    """
    path = Path(location)
    if path.suffix.lower() in FHIR_SUFFIXES and not path.is_dir():
        return True
    if not path.is_dir() or (path / "administrations.csv").exists():
        return False
    return any(
        p.is_file() and p.suffix.lower() in FHIR_SUFFIXES and _looks_fhir(p) for p in path.iterdir()
    )


def registry_for(folder: Path | None) -> Registry:
    """The shipped instruments plus a dataset folder's own ``instruments.yaml``/``instruments/``."""
    reg = default_registry()
    if folder is not None and folder.is_dir():
        for name in ("instruments.yaml", "instruments"):
            if (folder / name).exists():
                reg = reg.with_definitions(folder / name)
    return reg


def read(location: str) -> RawDataset:
    """Read FHIR resources at ``location`` into raw tables (see the module notes)."""
    path = Path(location)
    folder = path if path.is_dir() else None
    result = read_fhir(path)
    if result.unknown and sum(result.unknown.values()) == sum(result.kinds.values()):
        kinds = ", ".join(f"'{kind[:40]}'" for kind in sorted(result.unknown)[:5])
        raise DatasetReadError(
            f"{path.name or path}: not FHIR: no resource has a FHIR resource type ({kinds})"
        )
    index = Index.build(registry_for(folder))
    full_urls = {
        loc.full_url: clean_id(str(loc.resource.id or loc.full_url.split(":")[-1]))
        for loc in result.resources
        if loc.full_url
    }
    rejects: dict[str, list[dict]] = {"clients": [], "administrations": []}
    rejected: Counter[str] = Counter()
    for file, line, kind, why in result.bad:
        table = "clients" if kind == "Patient" else "administrations"
        rejects[table].append(reject(table, file, line, why))
        rejected[kind] += 1
    resources = _drop_duplicates(result.resources, rejects, rejected)
    responses: dict[str, AdminRow] = {}
    rows: list[AdminRow] = []
    for loc in (r for r in resources if r.type == "QuestionnaireResponse"):
        try:
            row = map_response(loc, index, full_urls)
        except MappingProblem as err:
            rejects["administrations"].append(
                reject(
                    "administrations",
                    loc.file,
                    loc.line,
                    f"QuestionnaireResponse/{loc.resource.id}: {err}",
                )
            )
            rejected["QuestionnaireResponse"] += 1
            continue
        responses[str(row.record["administration_id"])] = row
        rows.append(row)
    observed = map_observations(
        [r for r in resources if r.type == "Observation"], index, full_urls, responses
    )
    rows.extend(observed.rows)
    rejects["administrations"].extend(observed.rejects)
    rejected["Observation"] += len(observed.rejects)
    _log_skipped(result, observed.skipped)
    csv_tables = _csv_tables(folder)
    offsets = _offsets(result)
    tables = dict(csv_tables)
    tables["administrations"] = _administrations(
        rows, rejects["administrations"], "sessions" in csv_tables, offsets
    )
    patients = [r for r in resources if r.type == "Patient"]
    skipped: dict[str, tuple[int, str]] = {}
    if observed.skipped:
        skipped["Observation"] = (observed.skipped, "code of no instrument (LOINC or other)")
    if "clients" not in csv_tables:
        tables["clients"], unused = _clients(patients, rows, rejects["clients"], offsets)
        if unused:
            skipped["Patient"] = (unused, "no administrations")
    else:
        if rejects["clients"]:
            log.info(
                "clients.csv given: %d unreadable Patient resources ignored",
                len(rejects["clients"]),
            )
        ignored = len(patients) + rejected.pop("Patient", 0)
        if ignored:
            skipped["Patient"] = (ignored, "clients.csv read instead")
    report = resource_report(result, rejected, skipped)
    files = list(result.files)
    if folder is not None:
        files += [folder / f"{name}.csv" for name in csv_tables]
    return RawDataset(tables, digest_files(files), location=path, report=report)


def resource_report(
    result: ReadResult, rejected: Counter[str], skipped: dict[str, tuple[int, str]]
) -> pd.DataFrame:
    """Resources per type: read, used, rejected, skipped, and why those were skipped.

    Parameters
    ----------
    result : ReadResult
        What :func:`~therapy_outcomes.sources.fhir_read.read_fhir` read.
    rejected : collections.Counter
        Rejected resources per type (``""`` for records that are not resources).
    skipped : dict
        Resource type -> (how many were skipped, why), for the mapped types.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``resource``; read = used + rejected + skipped in every row.

    Examples
    --------
    >>> result = ReadResult(kinds={"Patient": 2, "Encounter": 1, "Bundel": 1},
    ...                     skipped={"Encounter": 1}, unknown={"Bundel": 1})
    >>> resource_report(result, Counter(), {"Patient": (1, "no administrations")}).to_dict("index")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'Patient': {'read': 2, 'used': 1, 'rejected': 0, 'skipped': 1, 'why': 'no administrations'},
     'Encounter': {'read': 1, 'used': 0, 'rejected': 0, 'skipped': 1,
                   'why': 'resource type not read'},
     'Bundel': {'read': 1, 'used': 0, 'rejected': 0, 'skipped': 1,
                'why': 'not a FHIR resource type'}}
    """
    rows = []
    for kind, n in result.kinds.items():
        if kind in result.unknown:
            rows.append((kind, n, 0, 0, n, "not a FHIR resource type"))
        elif kind in result.skipped:
            rows.append((kind, n, 0, 0, n, "resource type not read"))
        else:
            bad = rejected.get(kind, 0)
            out, why = skipped.get(kind, (0, ""))
            rows.append((kind, n, n - bad - out, bad, out, why))
    if rejected.get(""):
        n = rejected[""]
        rows.append(("(not a resource)", n, 0, n, 0, ""))
    columns = ["resource", "read", "used", "rejected", "skipped", "why"]
    return pd.DataFrame(rows, columns=columns).set_index("resource")


def _drop_duplicates(
    resources: list[Located], rejects: dict[str, list[dict]], rejected: Counter[str]
) -> list[Located]:
    seen: dict[tuple[str, str], Located] = {}
    kept = []
    for loc in resources:
        rid = loc.resource.id or loc.full_url
        key = (loc.type, str(rid))
        if rid is not None and key in seen:
            first = seen[key]
            table = "clients" if loc.type == "Patient" else "administrations"
            rejects[table].append(
                reject(
                    table,
                    loc.file,
                    loc.line,
                    f"duplicate resource {loc.type}/{rid} "
                    f"(first at {first.file} line {first.line})",
                )
            )
            rejected[loc.type] += 1
            continue
        if rid is not None:
            seen[key] = loc
        kept.append(loc)
    return kept


def _log_skipped(result: ReadResult, observations: int) -> None:
    skipped = Counter(result.skipped)
    if observations:
        skipped["Observation (not an instrument code)"] += observations
    if skipped:
        log.info(
            "FHIR resources skipped: %s",
            ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items())),
        )


def _csv_tables(folder: Path | None) -> dict[str, RawTable]:
    if folder is None:
        return {}
    return {
        name: read_csv_table(folder / f"{name}.csv", name)
        for name in TABLE_NAMES
        if name != "administrations" and (folder / f"{name}.csv").exists()
    }


def _offsets(result: ReadResult) -> dict[str, int]:
    """Line offset of each file label, so that lines stay unique across the files of a folder."""
    offsets: dict[str, int] = {}
    total = 0
    for label in result.extent:
        offsets[label] = total
        total += result.extent[label]
    return offsets


def _place(items: list[tuple[str, int]], offsets: dict[str, int]) -> tuple[str, list[int]]:
    """File label and lines of a table built from ``(file, line)`` positions."""
    labels = list(dict.fromkeys(f for f, _ in items))
    if len(labels) <= 1:
        return (labels[0] if labels else "fhir"), [line for _, line in items]
    ordered = sorted(labels, key=lambda f: offsets.get(f, 0))
    file = ", ".join(ordered) + " (lines numbered on through the files in this order)"
    return file, [offsets.get(f, 0) + line for f, line in items]


def _relabel(records: list[dict], file: str, offsets: dict[str, int], single: bool) -> None:
    for rec in records:
        if not single:
            rec["line"] = offsets.get(rec["file"], 0) + rec["line"]
        rec["file"] = file


def _administrations(
    rows: list[AdminRow], rejects: list[dict], with_sessions: bool, offsets: dict[str, int]
) -> RawTable:
    positions = [(r.file, r.line) for r in rows] + [(x["file"], x["line"]) for x in rejects]
    file, lines = _place(positions, offsets)
    single = len({f for f, _ in positions}) <= 1
    _relabel(rejects, file, offsets, single)
    width = max((int(k[5:]) for r in rows for k in r.record if k.startswith("item_")), default=0)
    columns = HEAD + [f"item_{k}" for k in range(1, width + 1)] + ["total"]
    records = []
    for row in rows:
        record = dict(row.record)
        encounter = record.pop("_encounter", None)
        record["session_id"] = clean_id(str(encounter)) if with_sessions and encounter else None
        records.append(record)
    return raw_table(
        "administrations", file, records, lines[: len(rows)], columns=columns, unreadable=rejects
    )


def _therapist(gp: object) -> str:
    if gp is None:
        return UNKNOWN
    found = ref_id(gp, {})
    return clean_id(found) if found else (getattr(gp, "display", None) or UNKNOWN)


def _clients(
    patients: list[Located], rows: list[AdminRow], rejects: list[dict], offsets: dict[str, int]
) -> tuple[RawTable, int]:
    """The clients table built from Patients, and how many Patients were left out (no
    administrations)."""
    first: dict[str, str] = {}
    first_row: dict[str, AdminRow] = {}
    for row in rows:
        cid, when = str(row.record["client_id"]), str(row.record["administered_on"])
        if cid not in first or when < first[cid]:
            first[cid] = when
        first_row.setdefault(cid, row)
    records: list[dict] = []
    positions: list[tuple[str, int]] = []
    seen: set[str] = set()
    unused = 0
    for loc in patients:
        patient = loc.resource
        cid = clean_id(str(patient.id or (loc.full_url or "").split(":")[-1]))
        if cid not in first:
            unused += 1
            continue
        seen.add(cid)
        org = patient.managingOrganization
        gp = (patient.generalPractitioner or [None])[0]
        birth = as_date(patient.birthDate) or (str(patient.birthDate) if patient.birthDate else "")
        records.append(
            {
                "client_id": cid,
                "site": (getattr(org, "display", None) or ref_id(org, {})) if org else UNKNOWN,
                "therapist_id": _therapist(gp),
                "referred_on": first[cid],
                "sex": patient.gender,
                "birth_year": birth[:4] or None,
            }
        )
        positions.append((loc.file, loc.line))
    if unused:
        log.info("%d Patient resources without administrations left out", unused)
    for cid, row in first_row.items():
        if cid in seen:
            continue
        records.append(
            {"client_id": cid, "site": UNKNOWN, "therapist_id": UNKNOWN, "referred_on": first[cid]}
        )
        positions.append((row.file, row.line))
    all_positions = positions + [(x["file"], x["line"]) for x in rejects]
    file, lines = _place(all_positions, offsets)
    _relabel(rejects, file, offsets, len({f for f, _ in all_positions}) <= 1)
    columns = ["client_id", "site", "therapist_id", "referred_on", "sex", "birth_year"]
    table = raw_table(
        "clients", file, records, lines[: len(records)], columns=columns, unreadable=rejects
    )
    return table, unused


FHIR = Source("fhir", matches, read)
