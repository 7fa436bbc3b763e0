"""The REDCap source: a records export plus its data dictionary, mapped by a small YAML file.

``therapy_outcomes.load("redcap.yaml")`` (or a folder holding ``redcap.yaml``) reads the export
and dictionary the mapping names (paths relative to the mapping file) and builds our tables.
The export may be *raw* or *labels* (see :mod:`~therapy_outcomes.sources.redcap_files`), from
a classic or a longitudinal project, with repeating instruments. A commented mapping for a
typical PHQ-9/GAD-7 project is in ``tests/data/redcap/redcap.yaml``; its parts:

``record_id``
    The record-ID field (default ``record_id``); it becomes ``client_id``.
``clients``
    ``event`` (optional) where client fields are kept, and ``columns``: our column -> a field
    name, or ``{const: value}``. ``referred_on`` defaults to the client's first
    administration date. One row per record, placed at the line of the record's first row.
``administrations``
    A list, one entry per instrument: ``instrument`` (registry code), ``form`` (REDCap
    instrument name), ``date`` (field), ``items`` (fields in item order), optional ``total``
    (a calculated field; checked against the items by the loader) and ``scores`` (choice code ->
    item score, when the project does not code answers as their scores). Every export row of the
    form with an answer, a date or a total is one administration, ID
    ``<record>-<event>-<form>-<instance>``.
``sessions``, ``goals``, ``goal_ratings``, ``homework``, ``events``
    Optional; each ``form`` (rows of that form) and ``columns`` as for clients, plus
    ``values``: our column -> {choice code: our value}. Our ID column (``session_id`` ...) is
    generated like an administration's unless mapped. A field of another, non-repeating form
    is looked up on the record (first non-empty value).

Choice fields give their *code* for item answers and totals and their *label* for other
columns (``Female`` -> ``female``) unless ``values`` maps them. A value that is not one of its
field's choices is a reject of that row; an export whose columns are not in the dictionary, or
a mapping naming a field the dictionary lacks, is a
:class:`~therapy_outcomes.errors.DatasetReadError`.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.loading.readers import RawTable
from therapy_outcomes.loading.tables import spec
from therapy_outcomes.sources._cells import raw_table, reject
from therapy_outcomes.sources.base import RawDataset, Source, digest_files
from therapy_outcomes.sources.redcap_files import Export, Field, read_dictionary, read_export

MAPPING_NAME = "redcap.yaml"
ID_COLUMNS = {
    "sessions": "session_id",
    "goals": "goal_id",
    "homework": "homework_id",
    "events": "event_id",
}
GENERIC = ("sessions", "goals", "goal_ratings", "homework", "events")
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")


def matches(location: str) -> bool:
    """A REDCap mapping file, or a folder holding ``redcap.yaml``.

    Examples
    --------
    >>> matches("tests/data/redcap/redcap.yaml"), matches("tests/data/redcap")
    (True, True)
    """
    path = Path(location)
    if path.is_dir():
        return (path / MAPPING_NAME).is_file()
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return False
    if path.name.lower() == MAPPING_NAME:
        return True  # read, so that a broken mapping gets its own message
    head = path.read_text(encoding="utf-8", errors="replace")[:20000]
    return "dictionary:" in head and "records:" in head


def load_mapping(path: Path) -> dict[str, Any]:
    """The mapping file as a dict, with its required keys checked."""
    try:
        mapping = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise DatasetReadError(f"{path.name}: cannot be read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise DatasetReadError(f"{path.name}: not UTF-8 encoded text") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or type(err).__name__
        raise DatasetReadError(
            f"{path.name}: not a readable YAML mapping ({problem}{where})"
        ) from None
    except RecursionError:
        raise DatasetReadError(f"{path.name}: the YAML is nested too deeply to read") from None
    if not isinstance(mapping, dict):
        raise DatasetReadError(f"{path.name}: the mapping must be a YAML mapping")
    for key in ("records", "dictionary", "clients"):
        if key not in mapping:
            raise DatasetReadError(f"{path.name}: the mapping has no '{key}'")
    check_mapping(mapping, path.name)
    return mapping


_SCALAR = (str, int, float)
_OPTIONAL = (str, int, float, type(None))


def _fail(name: str, where: str, what: str) -> DatasetReadError:
    return DatasetReadError(f"{name}: {where} must be {what}")


def _check_columns(columns: Any, table: str, where: str, name: str) -> None:
    if columns is None:
        return
    if not isinstance(columns, dict):
        raise _fail(name, f"{where}.columns", "a mapping of our column: REDCap field")
    known = spec(table).names
    for column, field_spec in columns.items():
        if column not in known:
            raise DatasetReadError(
                f"{name}: {where}.columns: '{column}' is not a column of {table} "
                f"(columns: {', '.join(known)})"
            )
        const = isinstance(field_spec, dict) and set(field_spec) == {"const"}
        if const and not isinstance(field_spec["const"], _OPTIONAL):
            raise _fail(name, f"{where}.columns.{column}.const", "a single value")
        named = isinstance(field_spec, dict) and set(field_spec) == {"field"}
        if named and not isinstance(field_spec["field"], _SCALAR):
            raise _fail(name, f"{where}.columns.{column}.field", "a field name")
        if not (const or named or isinstance(field_spec, _SCALAR)):
            raise _fail(name, f"{where}.columns.{column}", "a field name or {const: value}")


def _check_values(values: Any, where: str, name: str) -> None:
    if values is None:
        return
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise _fail(name, f"{where}.values", "a mapping of our column: {choice code: value}")


def check_mapping(mapping: dict[str, Any], name: str) -> None:
    """Check the shape of a mapping (see the module notes); one line naming the first key that
    is wrong. Whether the fields it names exist is checked against the dictionary later.

    Raises
    ------
    DatasetReadError
        ``redcap.yaml: administrations[1].items must be a list of field names`` and the like.

    Examples
    --------
    >>> check_mapping({"records": "r.csv", "dictionary": "d.csv", "clients": {}}, "m.yaml")
    >>> try:
    ...     check_mapping({"records": "r.csv", "dictionary": "d.csv", "clients": [1]}, "m.yaml")
    ... except DatasetReadError as err:
    ...     print(err)
    m.yaml: clients must be a mapping (event, columns)
    """
    for key in ("records", "dictionary"):
        if not isinstance(mapping[key], str) or not mapping[key].strip():
            raise _fail(name, key, "a file name")
    if not isinstance(mapping.get("record_id", "record_id"), _SCALAR):
        raise _fail(name, "record_id", "a field name")
    labels = mapping.get("event_labels")
    if labels is not None and not isinstance(labels, dict):
        raise _fail(name, "event_labels", "a mapping of event name: event label")
    clients = mapping["clients"]
    if clients is not None and not isinstance(clients, dict):
        raise _fail(name, "clients", "a mapping (event, columns)")
    clients = clients or {}
    if not isinstance(clients.get("event", ""), _OPTIONAL):
        raise _fail(name, "clients.event", "an event name")
    _check_columns(clients.get("columns"), "clients", "clients", name)
    specs = mapping.get("administrations")
    if specs is not None and not isinstance(specs, list):
        raise _fail(name, "administrations", "a list, one entry per questionnaire")
    for number, entry in enumerate(specs or [], start=1):
        where = f"administrations[{number}]"
        if not isinstance(entry, dict):
            raise _fail(name, where, "a mapping (instrument, form, date, items ...)")
        for key in ("instrument", "form"):
            if not isinstance(entry.get(key), _SCALAR):
                raise _fail(name, f"{where}.{key}", "given, as text")
        for key in ("date", "total"):
            if not isinstance(entry.get(key, ""), _OPTIONAL):
                raise _fail(name, f"{where}.{key}", "a field name")
        items = entry.get("items", [])
        if not isinstance(items, list) or not all(isinstance(i, _SCALAR) for i in items):
            raise _fail(name, f"{where}.items", "a list of field names")
        scores = entry.get("scores")
        if scores is not None and not isinstance(scores, dict):
            raise _fail(name, f"{where}.scores", "a mapping of choice code: item score")
    for table in GENERIC:
        part = mapping.get(table)
        if not part:
            continue
        if not isinstance(part, dict):
            raise _fail(name, table, "a mapping (form, columns, values)")
        if not isinstance(part.get("form"), _SCALAR):
            raise _fail(name, f"{table}.form", "given, as text")
        _check_columns(part.get("columns"), table, table, name)
        _check_values(part.get("values"), table, name)


def make_id(*parts: object) -> str:
    """A safe, at most 64-character ID from its parts.

    Examples
    --------
    >>> make_id("101", "baseline_arm_1", "phq9", None)
    '101-baseline_arm_1-phq9'
    """
    text = "-".join(_UNSAFE.sub("_", str(p)) for p in parts if p not in (None, ""))
    if len(text) > 64:
        text = text[:51] + "-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    return text


class _Project:
    """The export, dictionary and mapping, with the look-ups the tables need."""

    def __init__(
        self, mapping: dict[str, Any], fields: dict[str, Field], export: Export, name: str
    ) -> None:
        self.mapping, self.fields, self.export, self.name = mapping, fields, export, name
        self.record_id = str(mapping.get("record_id", "record_id"))
        self.events = {str(k): str(v) for k, v in (mapping.get("event_labels") or {}).items()}
        if export.labels:
            names = {label: name for name, label in self.events.items()}
            for row in export.rows:
                label = row.get("redcap_event_name")
                if label:
                    row["redcap_event_name"] = names.get(label) or event_name(label)
        self.by_record: dict[str, list[int]] = {}
        for i, row in enumerate(export.rows):
            self.by_record.setdefault(str(row.get(self.record_id)), []).append(i)

    def require(self, field: str, where: str) -> None:
        if field not in self.fields:
            raise DatasetReadError(
                f"{self.name}: {where} names field '{field}', which is not in the data dictionary"
            )

    def event_is(self, row: dict, event: str | None) -> bool:
        if event is None:
            return True
        value = row.get("redcap_event_name")
        return value in (event, self.events.get(event))

    def form_rows(self, form: str) -> list[int]:
        """Rows holding ``form``: its repeat rows, or non-repeat rows with its fields filled."""
        own = [f.name for f in self.fields.values() if f.form == form]
        out = []
        for i, row in enumerate(self.export.rows):
            repeat = row.get("redcap_repeat_instrument")
            if repeat and _norm(repeat) != _norm(form):
                continue
            if repeat or any(row.get(f) is not None for f in own):
                out.append(i)
        return out

    def value(self, i: int, spec: Any, form: str | None) -> str | None:
        """A column's value on row ``i``: a field (looked up on the record when on another
        form), or a constant."""
        if isinstance(spec, dict) and "const" in spec:
            return str(spec["const"])
        name = spec["field"] if isinstance(spec, dict) else str(spec)
        row = self.export.rows[i]
        value = row.get(name)
        if value is None and form is not None and self.fields[name].form != form:
            for j in self.by_record.get(str(row.get(self.record_id)), []):
                if self.export.rows[j].get(name) is not None:
                    return self.export.rows[j][name]
        return value

    def row_id(self, i: int, form: str) -> str:
        row = self.export.rows[i]
        return make_id(
            row.get(self.record_id),
            row.get("redcap_event_name"),
            form,
            row.get("redcap_repeat_instance"),
        )


def event_name(label: str) -> str:
    """REDCap's unique event name for an event label of a labels export.

    Examples
    --------
    >>> event_name("Baseline (Arm 1: Arm 1)"), event_name("End of treatment (Arm 2: B)")
    ('baseline_arm_1', 'end_of_treatment_arm_2')
    """
    match = re.match(r"^(.*?)\s*\(Arm (\d+):.*\)\s*$", label)
    name, arm = (match.group(1), match.group(2)) if match else (label, "1")
    slug = re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")
    return f"{slug}_arm_{arm}"


def _ordered(name: str, records: list[dict]) -> list[str]:
    """Columns in the order the table declares them, then any others."""
    keys = list(dict.fromkeys(k for rec in records for k in rec))
    declared = [c for c in spec(name).names if c in keys]
    return declared + [k for k in keys if k not in declared]


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def _field_of(spec: Any) -> str | None:
    if isinstance(spec, dict):
        return spec.get("field")
    return None if spec is None else str(spec)


def _choice(
    project: _Project, field: str, value: str | None, code: bool, values: dict | None
) -> str | None:
    """A field's value as our text: code or label; raises ValueError when not a choice."""
    if value is None:
        return None
    choices = project.fields[field].choices
    if values:
        mapped = {str(k): str(v) for k, v in values.items()}
        if value in mapped:
            return mapped[value]
    if not choices or project.fields[field].type == "calc":
        return value
    if value not in choices:
        raise ValueError(f"'{value}' is not a choice of {field} ({', '.join(choices)})")
    return value if code else choices[value]


def _administrations(
    project: _Project, specs: list[dict]
) -> tuple[list[dict], list[int], list[dict], str]:
    """Rows of every instrument; lines made unique when instruments share export rows.

    When two instruments are read from the same export row (a longitudinal event row holds
    every form), the k-th instrument's lines are offset by ``k * M`` (``M`` a power of ten above
    the export's last line) and the file label says so.
    """
    records: list[dict] = []
    lines: list[int] = []
    rejects: list[dict] = []
    file = project.export.file
    step = 10 ** len(str(max(project.export.lines, default=1)))
    offsets: list[str] = []
    for number, entry in enumerate(specs):
        first_reject, first_line = len(rejects), len(lines)
        offsets.append(f"{entry.get('instrument')} +{number * step}")
        form = str(entry["form"])
        items = [str(f) for f in entry.get("items", [])]
        for needed in [*items, entry.get("date"), entry.get("total")]:
            if needed is not None:
                project.require(str(needed), f"administrations ({entry.get('instrument')})")
        scores = {str(k): str(v) for k, v in (entry.get("scores") or {}).items()}
        for i in project.form_rows(form):
            row = project.export.rows[i]
            used = [*items, entry.get("date"), entry.get("total")]
            if all(row.get(f) is None for f in used if f):
                continue  # an empty (not yet done) administration of a repeated form
            record = {
                "administration_id": project.row_id(i, form),
                "client_id": row.get(project.record_id),
                "instrument": entry["instrument"],
                "administered_on": row.get(str(entry["date"])) if entry.get("date") else None,
                "rater": entry.get("rater"),
            }
            try:
                for k, f in enumerate(items, start=1):
                    record[f"item_{k}"] = _choice(project, f, row.get(f), True, scores)
                if entry.get("total"):
                    record["total"] = row.get(entry["total"])
            except ValueError as err:
                rejects.append(
                    reject(
                        "administrations",
                        file,
                        project.export.lines[i],
                        str(err),
                        column=f,
                        value=row.get(f),
                    )
                )
                continue
            records.append(record)
            lines.append(project.export.lines[i])
        lines[first_line:] = [n + number * step for n in lines[first_line:]]
        for rec in rejects[first_reject:]:
            rec["line"] += number * step
    if len(specs) > 1:
        file = f"{file} (lines: {', '.join(offsets)})"
        for rec in rejects:
            rec["file"] = file
    return records, lines, rejects, file


def _clients(
    project: _Project, spec: dict, first: dict[str, str]
) -> tuple[list[dict], list[int], list]:
    columns = dict(spec.get("columns") or {})
    columns.setdefault("client_id", project.record_id)
    for col, col_spec in columns.items():
        if (f := _field_of(col_spec)) is not None:
            project.require(f, f"clients.{col}")
    event = spec.get("event")
    records, lines, rejects = [], [], []
    for record_id, rows in project.by_record.items():
        here = [i for i in rows if project.event_is(project.export.rows[i], event)] or rows
        record: dict[str, str | None] = {}
        bad = None
        for col, col_spec in columns.items():
            f = _field_of(col_spec)
            value = None
            for i in here:
                value = project.value(i, col_spec, None)
                if value is not None:
                    break
            try:
                record[col] = _choice(project, f, value, False, None) if f else value
            except ValueError as err:
                bad = (col, value, str(err))
        record.setdefault("referred_on", None)
        if record["referred_on"] is None:
            record["referred_on"] = first.get(record_id)
        if bad is not None:
            rejects.append(
                reject(
                    "clients",
                    project.export.file,
                    project.export.lines[here[0]],
                    bad[2],
                    column=bad[0],
                    value=bad[1],
                )
            )
            continue
        records.append(record)
        lines.append(project.export.lines[here[0]])
    return records, lines, rejects


def _generic(project: _Project, name: str, spec: dict) -> tuple[list[dict], list[int], list]:
    form = str(spec["form"])
    columns = dict(spec.get("columns") or {})
    values = spec.get("values") or {}
    for col, col_spec in columns.items():
        if (f := _field_of(col_spec)) is not None:
            project.require(f, f"{name}.{col}")
    records, lines, rejects = [], [], []
    for i in project.form_rows(form):
        row = project.export.rows[i]
        record: dict[str, str | None] = {"client_id": row.get(project.record_id)}
        if name in ID_COLUMNS and ID_COLUMNS[name] not in columns:
            record[ID_COLUMNS[name]] = project.row_id(i, form)
        try:
            for col, col_spec in columns.items():
                f = _field_of(col_spec)
                value = project.value(i, col_spec, form)
                record[col] = _choice(project, f, value, False, values.get(col)) if f else value
        except ValueError as err:
            rejects.append(
                reject(
                    name,
                    project.export.file,
                    project.export.lines[i],
                    str(err),
                    column=col,
                    value=value,
                )
            )
            continue
        records.append(record)
        lines.append(project.export.lines[i])
    return records, lines, rejects


def read(location: str) -> RawDataset:
    """Read a REDCap export through its mapping (see the module notes)."""
    path = Path(location)
    mapping_path = path / MAPPING_NAME if path.is_dir() else path
    mapping = load_mapping(mapping_path)
    base = mapping_path.parent
    dictionary = base / str(mapping["dictionary"])
    records_path = base / str(mapping["records"])
    for p in (dictionary, records_path):
        if not p.is_file():
            raise DatasetReadError(f"{mapping_path.name}: {p.name} not found in {base}")
    fields = read_dictionary(dictionary)
    record_id = str(mapping.get("record_id", "record_id"))
    if record_id not in fields:
        raise DatasetReadError(f"{dictionary.name}: no record-ID field '{record_id}'")
    project = _Project(
        mapping, fields, read_export(records_path, fields, record_id), mapping_path.name
    )
    file = project.export.file
    tables: dict[str, RawTable] = {}
    specs = mapping.get("administrations") or []
    records, lines, rejects, admin_file = _administrations(project, specs)
    first: dict[str, str] = {}
    for rec in records:
        cid, when = str(rec["client_id"]), rec["administered_on"]
        if when and (cid not in first or str(when) < first[cid]):
            first[cid] = str(when)
    if specs:
        tables["administrations"] = raw_table(
            "administrations", admin_file, records, lines, unreadable=rejects
        )
    records, lines, rejects = _clients(project, mapping["clients"] or {}, first)
    tables["clients"] = raw_table(
        "clients", file, records, lines, unreadable=rejects, columns=_ordered("clients", records)
    )
    for name in GENERIC:
        if mapping.get(name):
            records, lines, rejects = _generic(project, name, mapping[name])
            tables[name] = raw_table(
                name, file, records, lines, unreadable=rejects, columns=_ordered(name, records)
            )
    digest = digest_files([mapping_path, dictionary, records_path])
    return RawDataset(tables, digest, location=path)


REDCAP = Source("redcap", matches, read)
