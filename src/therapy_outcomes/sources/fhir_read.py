"""Read FHIR JSON into validated resources, each with the place it came from.

A location is one JSON resource, a ``Bundle`` (each entry read on its own), an NDJSON file (a
FHIR bulk-data export: one resource a line) or a folder of such files. Every resource is
validated with the R4B models of ``fhir.resources`` (R4B is wire-compatible with R4 for
Patient, QuestionnaireResponse and Observation; ``fhir.resources`` 7 and later ship R5, R4B and
STU3, not R4 itself), which come with the ``fhir`` extra (``pip install
"therapy-outcomes[fhir]"``).

Positions: ``line`` is the entry number in a Bundle (file shown as ``name.json#entry``), the line
number in an NDJSON file and 1 for a single resource. A file that is not FHIR at all is a
:class:`~therapy_outcomes.errors.DatasetReadError`: not JSON, JSON without a ``resourceType``,
a ``resourceType`` that FHIR does not have (a misspelt ``Bundel``) or JSON nested too deeply to
read; in an NDJSON file a bad line is only that line's reject. :attr:`ReadResult.kinds` counts
every resource read per type, and :attr:`ReadResult.skipped` those of types not mapped.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.extras import require

#: Resource types the connector maps; any other type is skipped.
MAPPED_TYPES = ("Patient", "QuestionnaireResponse", "Observation")

FHIR_SUFFIXES = (".json", ".ndjson", ".jsonl")


@dataclass
class Located:
    """One validated resource and where it came from.

    Attributes
    ----------
    resource : fhir.resources model
        The validated R4B resource.
    file : str
        File label shown in rejects.
    line : int
        Entry number (Bundle), line number (NDJSON) or 1.
    full_url : str, optional
        The Bundle entry's ``fullUrl`` (resolves ``urn:uuid:`` references).
    """

    resource: Any
    file: str
    line: int
    full_url: str | None = None

    @property
    def type(self) -> str:
        """The resource type."""
        return str(self.resource.get_resource_type())


@dataclass
class ReadResult:
    """Resources read, records that could not be read, and what was skipped."""

    resources: list[Located] = field(default_factory=list)
    bad: list[tuple[str, int, str, str]] = field(default_factory=list)  # file, line, type, why
    skipped: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)  # types FHIR does not have
    kinds: dict[str, int] = field(default_factory=dict)  # every resource read, per type
    files: list[Path] = field(default_factory=list)
    extent: dict[str, int] = field(default_factory=dict)  # file label -> entries or lines


def _model(resource_type: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource_type)


@functools.lru_cache(maxsize=256)
def is_fhir_type(resource_type: str) -> bool:
    """Whether FHIR R4B has a resource of this type.

    Examples
    --------
    >>> is_fhir_type("Encounter"), is_fhir_type("Bundel")
    (True, False)
    """
    try:
        _model(resource_type)
    except Exception:  # fhir.resources raises KeyError or ValueError for an unknown type
        return False
    return True


def _why(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"not a valid FHIR resource: {where}: {first.get('msg', 'invalid')}"[:200]


def _validate(
    data: object, result: ReadResult, file: str, line: int, full_url: str | None = None
) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        result.bad.append((file, line, "", "not a FHIR resource (no resourceType)"))
        return
    kind = data["resourceType"]
    result.kinds[kind] = result.kinds.get(kind, 0) + 1
    if kind not in MAPPED_TYPES:
        counts = result.skipped if is_fhir_type(kind) else result.unknown
        counts[kind] = counts.get(kind, 0) + 1
        return
    try:
        resource = _model(kind).model_validate(data)
    except ValidationError as err:
        result.bad.append((file, line, kind, _why(err)))
        return
    except RecursionError:
        result.bad.append((file, line, kind, "not a valid FHIR resource: nested too deeply"))
        return
    result.resources.append(Located(resource, file, line, full_url))


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise DatasetReadError(f"{path.name}: cannot be read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise DatasetReadError(f"{path.name}: not UTF-8 encoded JSON") from None


def _read_json(path: Path, result: ReadResult) -> None:
    text = _read_text(path)
    if not text.strip():
        raise DatasetReadError(f"{path.name}: the file is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise DatasetReadError(
            f"{path.name}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
            "; a truncated or damaged file cannot be read"
        ) from None
    except RecursionError:
        raise DatasetReadError(f"{path.name}: the JSON is nested too deeply to read") from None
    kind = data.get("resourceType") if isinstance(data, dict) else None
    if isinstance(kind, str) and kind != "Bundle" and not is_fhir_type(kind):
        raise DatasetReadError(
            f"{path.name}: resourceType '{kind[:40]}' is not a FHIR resource type "
            "(expected a Bundle or a resource such as QuestionnaireResponse)"
        )
    if kind == "Bundle":
        entries = data.get("entry") or []
        if not isinstance(entries, list):
            raise DatasetReadError(f"{path.name}: Bundle.entry is not a list")
        label = f"{path.name}#entry"
        result.extent[label] = len(entries)
        for number, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict) or "resource" not in entry:
                result.bad.append((label, number, "", "Bundle entry without a resource"))
                continue
            full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
            _validate(entry["resource"], result, label, number, full_url)
        return
    if not isinstance(data, dict) or "resourceType" not in data:
        raise DatasetReadError(f"{path.name}: not a FHIR resource or Bundle (no resourceType)")
    result.extent[path.name] = 1
    _validate(data, result, path.name, 1)


def _read_ndjson(path: Path, result: ReadResult) -> None:
    text = _read_text(path)
    lines = text.splitlines()
    result.extent[path.name] = len(lines)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as err:
            result.bad.append((path.name, number, "", f"not valid JSON ({err.msg})"))
            continue
        except RecursionError:
            result.bad.append((path.name, number, "", "not valid JSON (nested too deeply)"))
            continue
        _validate(data, result, path.name, number)


def fhir_files(folder: Path) -> list[Path]:
    """The FHIR files of a folder (``*.json``, ``*.ndjson``, ``*.jsonl``), sorted by name."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in FHIR_SUFFIXES and not p.name.startswith(".")
    )


def read_fhir(location: Path) -> ReadResult:
    """Read and validate every resource at ``location`` (a file or a folder of files).

    Raises
    ------
    DatasetReadError
        When a file cannot be read, a JSON file is not valid JSON, or a folder has no FHIR file.
    MissingExtraError
        When ``fhir.resources`` (the ``fhir`` extra) is not installed.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "p.json"
    >>> _ = p.write_text(json.dumps({"resourceType": "Patient", "id": "p1"}))
    >>> [(r.type, r.file, r.line) for r in read_fhir(p).resources]
    [('Patient', 'p.json', 1)]
    """
    result = ReadResult()
    files = fhir_files(location) if location.is_dir() else [location]
    if not files:
        raise DatasetReadError(f"{location}: no FHIR files (*.json, *.ndjson) found")
    require("fhir.resources.R4B", "fhir", f"reading {location.name or location}")
    for path in files:
        if path.suffix.lower() in (".ndjson", ".jsonl"):
            _read_ndjson(path, result)
        else:
            _read_json(path, result)
    result.files = files
    return result
