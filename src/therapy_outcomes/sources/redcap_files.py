"""Read a REDCap records export and its data dictionary (CSV), raw or labels.

A *raw* export has field names as headers and choice codes as values; a *labels* export has
field labels as headers and choice labels as values. Both are turned into the raw form here
(headers -> field names through the dictionary's labels, labels -> codes through each field's
choices), so the mapping only ever sees field names and codes. Line numbers are the export's
physical lines (1 = the header), also when a quoted cell holds a line break.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from therapy_outcomes.errors import DatasetReadError

#: Columns REDCap adds to an export that are not fields of the dictionary.
SYSTEM_FIELDS = (
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
)
#: Their headers in a labels export.
SYSTEM_LABELS = {
    "event name": "redcap_event_name",
    "repeat instrument": "redcap_repeat_instrument",
    "repeat instance": "redcap_repeat_instance",
    "data access group": "redcap_data_access_group",
    "survey identifier": "redcap_survey_identifier",
}
CHOICE_TYPES = ("radio", "dropdown", "checkbox")
_DICT_COLUMNS = {
    "name": ("variable / field name", "field_name"),
    "form": ("form name", "form_name"),
    "type": ("field type", "field_type"),
    "label": ("field label", "field_label"),
    "choices": ("choices, calculations, or slider labels", "select_choices_or_calculations"),
}
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Field:
    """One field of the data dictionary."""

    name: str
    form: str
    type: str
    label: str
    choices: dict[str, str]  # code -> label


@dataclass
class Export:
    """A records export in raw form: rows of field name -> code, with their line numbers."""

    file: str
    rows: list[dict[str, str | None]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    labels: bool = False


def _text(path: Path) -> str:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise DatasetReadError(f"{path.name}: cannot be read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise DatasetReadError(
            f"{path.name}: not UTF-8 encoded (export it again as CSV UTF-8)"
        ) from None
    if not text.strip():
        raise DatasetReadError(f"{path.name}: the file is empty")
    return text


def read_rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows and the line each row starts on, of one CSV file."""
    text = _text(path)
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise DatasetReadError(f"{path.name}: line {line} holds a NUL byte: not a CSV export")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, lines = [], []
    try:
        header = [h.strip() for h in next(reader)]
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or all(not c.strip() for c in record):
                continue
            if len(record) != len(header):
                raise DatasetReadError(
                    f"{path.name}: line {line} has {len(record)} fields, "
                    f"the header has {len(header)}"
                )
            rows.append(record)
            lines.append(line)
    except csv.Error as err:
        raise DatasetReadError(
            f"{path.name}: line {reader.line_num + 1} cannot be read as CSV ({err})"
        ) from None
    return header, rows, lines


def _check_unique(file: str, columns: list[str | None]) -> None:
    """A field that is two columns of the export would have one replace the other."""
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    if twice:
        raise DatasetReadError(f"{file}: more than one column for field {', '.join(twice[:5])}")


def parse_choices(text: str, kind: str) -> dict[str, str]:
    """Choice codes and labels of one field.

    Examples
    --------
    >>> parse_choices("0, Not at all | 1, Several days", "radio")
    {'0': 'Not at all', '1': 'Several days'}
    >>> parse_choices("", "yesno")
    {'1': 'Yes', '0': 'No'}
    """
    if kind == "yesno":
        return {"1": "Yes", "0": "No"}
    if kind == "truefalse":
        return {"1": "True", "0": "False"}
    if kind not in CHOICE_TYPES or not text:
        return {}
    out = {}
    for part in text.split("|"):
        code, _, label = part.partition(",")
        out[code.strip()] = label.strip()
    return out


def read_dictionary(path: Path) -> dict[str, Field]:
    """The fields of a REDCap data dictionary (CSV, as downloaded or from the API)."""
    header, rows, lines = read_rows(path)
    lower = [h.lower() for h in header]
    where = {}
    for key, names in _DICT_COLUMNS.items():
        found = [i for i, h in enumerate(lower) if h in names]
        if not found:
            raise DatasetReadError(
                f"{path.name}: not a REDCap data dictionary (no column '{names[0]}')"
            )
        where[key] = found[0]
    fields: dict[str, Field] = {}
    for row, line in zip(rows, lines, strict=True):
        name = row[where["name"]].strip()
        if name in fields:
            raise DatasetReadError(f"{path.name}: line {line}: field '{name}' is defined twice")
        kind = row[where["type"]].strip().lower()
        fields[name] = Field(
            name,
            row[where["form"]].strip(),
            kind,
            _TAGS.sub("", row[where["label"]]).strip(),
            parse_choices(row[where["choices"]], kind),
        )
    if not fields:
        raise DatasetReadError(f"{path.name}: the data dictionary has no fields")
    return fields


def _is_known(column: str, fields: dict[str, Field]) -> bool:
    if column in fields or column in SYSTEM_FIELDS:
        return True
    if column.endswith("_complete") and column[: -len("_complete")] in {
        f.form for f in fields.values()
    }:
        return True
    if column.endswith("_timestamp"):  # survey timestamps
        return True
    base, sep, _ = column.partition("___")
    return bool(sep) and base in fields


def read_export(path: Path, fields: dict[str, Field], record_id: str) -> Export:
    """Read a records export and turn a labels export into raw form.

    Raises
    ------
    DatasetReadError
        When the export's columns do not match the dictionary (another project or version).
    """
    header, rows, lines = read_rows(path)
    export = Export(path.name, lines=lines)
    if record_id in header:
        unknown = [c for c in header if not _is_known(c, fields)]
        if unknown:
            raise DatasetReadError(
                f"{path.name}: columns not in the data dictionary: {', '.join(unknown[:10])} "
                "(was the export made from another project, or the dictionary from another "
                "version?)"
            )
        _check_unique(path.name, list(header))
        export.columns = header
        export.rows = [
            {h: (v.strip() or None) for h, v in zip(header, r, strict=True)} for r in rows
        ]
        return export
    by_label: dict[str, str] = {}
    for f in fields.values():
        by_label.setdefault(f.label.casefold(), f.name)
    names: list[str | None] = []
    unknown = []
    for h in header:
        key = h.casefold()
        if key in SYSTEM_LABELS:
            names.append(SYSTEM_LABELS[key])
        elif key in by_label:
            names.append(by_label[key])
        elif key in ("complete?", "survey timestamp") or key.endswith("complete?"):
            names.append(None)
        else:
            names.append(None)
            unknown.append(h)
    if record_id not in names:
        raise DatasetReadError(
            f"{path.name}: no column '{record_id}' (nor its label "
            f"'{fields[record_id].label}'): not an export of this project"
        )
    if unknown:
        raise DatasetReadError(
            f"{path.name}: column labels not in the data dictionary: {', '.join(unknown[:10])}"
        )
    _check_unique(path.name, names)
    export.labels = True
    export.columns = [n for n in names if n is not None]
    for r in rows:
        row: dict[str, str | None] = {}
        for name, value in zip(names, r, strict=True):
            if name is None:
                continue
            text = value.strip() or None
            if text is not None and name in fields and fields[name].choices:
                codes = {label.casefold(): code for code, label in fields[name].choices.items()}
                text = codes.get(text.casefold(), text)
            row[name] = text
        export.rows.append(row)
    return export
