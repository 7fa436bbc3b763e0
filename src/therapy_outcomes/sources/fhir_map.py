"""Map FHIR QuestionnaireResponse and Observation resources to administration rows.

Instruments are recognised by LOINC codes (panel, total, items) or by the questionnaire's
canonical URL; answers become item scores through their answer codes (PHQ-9 LA6568-5,
LA6569-3, LA6570-1, LA6571-9 -> 0..3), an ``ordinalValue``/``itemWeight`` extension, a numeric
answer, or a display text equal to one of the instrument's answer labels. A total reported in
the resource goes to the ``total`` column, which the loader checks against the items: a
mismatch is a reject, never silently trusted.

Observations: a panel Observation (e.g. 44249-1) with ``hasMember`` item and total Observations
is one administration; a total Observation alone is a totals-only administration (or, with
``derivedFrom`` a QuestionnaireResponse in the input, that response's reported total); item
Observations outside a panel are grouped by subject, date and instrument. Observations whose
code is not an instrument's are skipped (a bulk export holds vital signs too).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from therapy_outcomes.instruments import Instrument, Registry, normalise_code
from therapy_outcomes.sources import fhir_codes as codes
from therapy_outcomes.sources.fhir_read import Located

QR_STATUSES = ("completed", "amended")
OBS_STATUSES = ("final", "amended", "corrected")
_GENERIC_ITEM = re.compile(r"^(?:(?:item|question|q)[-_.]?)?(\d{1,2})$", re.IGNORECASE)
_ALIAS_ITEM = re.compile(r"^(.+?)[-_.](\d{1,2})$")
_TOKENS = re.compile(r"[^A-Za-z0-9]+")


class MappingProblem(Exception):
    """A resource that cannot become an administration; the message is the reject reason."""


@dataclass
class InstrumentCodes:
    """One instrument and its FHIR codes."""

    inst: Instrument
    total: str | None
    panel: str | None
    items: dict[int, str]
    answers: dict[str, float]


@dataclass
class Index:
    """Look-up of instruments by LOINC code, canonical URL and link id."""

    registry: Registry
    by_code: dict[str, InstrumentCodes] = field(default_factory=dict)
    unscored_items: set[str] = field(default_factory=set)
    unscored_answers: set[str] = field(default_factory=set)
    unscored_link_ids: set[str] = field(default_factory=set)
    item_of: dict[str, tuple[InstrumentCodes, int]] = field(default_factory=dict)
    total_of: dict[str, InstrumentCodes] = field(default_factory=dict)
    panel_of: dict[str, InstrumentCodes] = field(default_factory=dict)

    @classmethod
    def build(cls, registry: Registry) -> Index:
        """Index the questionnaires of ``registry``.

        Examples
        --------
        >>> from therapy_outcomes.instruments import default_registry
        >>> ix = Index.build(default_registry())
        >>> ix.item_of["44260-8"][0].inst.code, ix.item_of["44260-8"][1]
        ('PHQ-9', 9)
        """
        index = cls(registry)
        for code in registry.codes:
            inst = registry.get(code)
            if inst.kind != "questionnaire":
                continue
            loinc = codes.loinc_codes(inst)
            index.unscored_items |= loinc["unscored_items"]
            index.unscored_answers |= loinc["unscored_answers"]
            index.unscored_link_ids |= inst.fhir_unscored_link_ids
            entry = InstrumentCodes(
                inst,
                loinc["total"],
                loinc["panel"],
                loinc["items"],
                {str(c): float(v) for v, c in loinc["answers"].items()},
            )
            index.by_code[code] = entry
            for k, item_code in entry.items.items():
                index.item_of[item_code] = (entry, k)
            if entry.total:
                index.total_of[entry.total] = entry
            if entry.panel:
                index.panel_of[entry.panel] = entry
        return index

    def from_canonical(self, url: str | None) -> InstrumentCodes | None:
        """The instrument a questionnaire canonical URL names (panel code or code in its name).

        Examples
        --------
        >>> from therapy_outcomes.instruments import default_registry
        >>> ix = Index.build(default_registry())
        >>> ix.from_canonical("Questionnaire/mii-qst-pro-gad-7|1.0").inst.code
        'GAD-7'
        >>> ix.from_canonical("http://loinc.org/q/44249-1").inst.code
        'PHQ-9'
        """
        if not url:
            return None
        url = url.split("|")[0].rstrip("/")
        for part in reversed(url.split("/")):
            if part in self.panel_of:
                return self.panel_of[part]
        last = url.split("/")[-1]
        tokens = [t for t in _TOKENS.split(last) if t]
        for start in range(len(tokens)):
            key = normalise_code("".join(tokens[start:]))
            if len(key) < 3:
                continue
            resolved = _resolve(self.registry, key)
            if resolved in self.by_code:
                return self.by_code[resolved]
        return None


def _resolve(registry: Registry, key: str) -> str | None:
    try:
        return registry.get(key).code
    except (KeyError, LookupError, ValueError):  # UnknownInstrumentError
        return None


# ----------------------------------------------------------------------------- helpers


def ref_id(reference: Any, full_urls: dict[str, str]) -> str | None:
    """The logical id a Reference points at (``Patient/p1``, a full URL or ``urn:uuid:``).

    Examples
    --------
    >>> class R: reference = "http://x.org/fhir/Patient/p1/_history/2"
    >>> ref_id(R(), {})
    'p1'
    """
    if reference is None:
        return None
    text = getattr(reference, "reference", None)
    if not text:
        ident = getattr(reference, "identifier", None)
        return getattr(ident, "value", None) if ident is not None else None
    if text in full_urls:
        return full_urls[text]
    if text.startswith("urn:uuid:") or text.startswith("urn:oid:"):
        return text.split(":")[-1]
    parts = text.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return parts[-1] if parts else None


def ref_type(reference: Any) -> str | None:
    """The resource type a Reference names, when it says."""
    text = getattr(reference, "reference", None) or ""
    parts = [p for p in text.split("/") if p]
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2:
        return parts[-2]
    return getattr(reference, "type", None)


def clean_id(value: str) -> str:
    """A FHIR id as one of our IDs (``.`` is allowed in FHIR ids, not in ours).

    Examples
    --------
    >>> clean_id("qr.2024.1")
    'qr_2024_1'
    """
    return value.replace(".", "_")


def as_date(value: Any) -> str | None:
    """The calendar date of a FHIR date or dateTime, as written (no time-zone shift).

    Examples
    --------
    >>> import datetime
    >>> as_date(datetime.datetime(2026, 1, 5, 23, 30, tzinfo=datetime.timezone.utc))
    '2026-01-05'
    >>> as_date("2026-01"), as_date(None)
    (None, None)
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", text) else None


def _norm_label(text: str) -> str:
    return " ".join(_TOKENS.split(text.casefold())).strip()


def _codings(concept: Any) -> list[Any]:
    return list(getattr(concept, "coding", None) or [])


def coding_score(coding: Any, entry: InstrumentCodes) -> float:
    """Item score of a Coding: its LOINC answer code; for a code of another system, an ordinal
    extension or a code or display equal to one of the instrument's answer labels."""
    code = getattr(coding, "code", None)
    if code in entry.answers:
        return entry.answers[code]
    if getattr(coding, "system", None) == codes.LOINC_SYSTEM:
        raise MappingProblem(f"unknown answer code '{code}' for {entry.inst.code}")
    for ext in getattr(coding, "extension", None) or []:
        if ext.url in codes.ORDINAL_EXTENSIONS:
            for attr in ("valueDecimal", "valueInteger"):
                value = getattr(ext, attr, None)
                if value is not None:
                    return float(value)
    labels = {_norm_label(label): score for score, label in entry.inst.answer_labels.items()}
    for text in (code, getattr(coding, "display", None)):
        if text and _norm_label(str(text)) in labels:
            return float(labels[_norm_label(str(text))])
    raise MappingProblem(f"unknown answer code '{code}' for {entry.inst.code}")


def value_score(holder: Any, entry: InstrumentCodes) -> object:
    """Score of an answer or an Observation value (a number, or text for the loader to check)."""
    coding = getattr(holder, "valueCoding", None)
    if coding is not None:
        return coding_score(coding, entry)
    concept = getattr(holder, "valueCodeableConcept", None)
    if concept is not None:
        problems = []
        for c in _codings(concept):
            try:
                return coding_score(c, entry)
            except MappingProblem as err:
                problems.append(str(err))
        raise MappingProblem(problems[0] if problems else "answer has no coding")
    for attr in ("valueInteger", "valueDecimal"):
        value = getattr(holder, attr, None)
        if value is not None:
            return float(value)
    quantity = getattr(holder, "valueQuantity", None)
    if quantity is not None and quantity.value is not None:
        return float(quantity.value)
    text = getattr(holder, "valueString", None)
    if text is not None:
        return str(text)
    raise MappingProblem(f"answer type cannot be scored for {entry.inst.code}")


def _answer_codes(item: Any) -> set[str]:
    found = set()
    for answer in item.answer or []:
        if answer.valueCoding is not None and answer.valueCoding.code:
            found.add(answer.valueCoding.code)
    return found


def _flatten(items: Iterable[Any] | None) -> list[Any]:
    out: list[Any] = []
    for item in items or []:
        out.append(item)
        out.extend(_flatten(item.item))
        for answer in item.answer or []:
            out.extend(_flatten(answer.item))
    return out


def _link_candidates(link_id: str) -> list[str]:
    stripped = link_id.strip().lstrip("/")
    return [link_id, stripped, stripped.split("/")[-1]]


def item_number(link_id: str, entry: InstrumentCodes, index: Index) -> int | str | None:
    """Item number of a link id; ``"total"``; ``None`` for an unscored item.

    Raises
    ------
    MappingProblem
        When the link id is not an item of the instrument.
    """
    known = entry.inst.fhir_link_ids
    if link_id in known:
        return known[link_id]
    if link_id in index.unscored_link_ids:
        return None
    for candidate in _link_candidates(link_id):
        if candidate in index.unscored_items:
            return None
        if candidate == entry.total:
            return "total"
        if candidate in index.item_of:
            other, k = index.item_of[candidate]
            if other is not entry:
                raise MappingProblem(
                    f"link id '{link_id}' is an item of {other.inst.code}, not {entry.inst.code}"
                )
            return k
    last = _link_candidates(link_id)[-1]
    match = _GENERIC_ITEM.match(last)
    number: int | None = None
    if match is None:
        alias = _ALIAS_ITEM.match(last)
        if alias and _resolve(index.registry, normalise_code(alias.group(1))) == entry.inst.code:
            number = int(alias.group(2))
    else:
        number = int(match.group(1))
    if number is not None and 1 <= number <= entry.inst.n_items:
        return number
    raise MappingProblem(f"link id '{link_id}' is not an item of {entry.inst.code}")


# ----------------------------------------------------------------------------- rows


@dataclass
class AdminRow:
    """One administration row and where it came from."""

    record: dict[str, object]
    file: str
    line: int
    source: str  # "QuestionnaireResponse/x" for messages and totals from Observations


def _rater(reference: Any) -> str:
    kind = ref_type(reference) if reference is not None else None
    return {
        "Practitioner": "clinician",
        "PractitionerRole": "clinician",
        "RelatedPerson": "parent",
    }.get(kind or "", "self")


def _instrument_of_qr(qr: Any, index: Index) -> InstrumentCodes:
    entry = index.from_canonical(qr.questionnaire)
    if entry is not None:
        return entry
    found = set()
    for item in _flatten(qr.item):
        for candidate in _link_candidates(item.linkId):
            if candidate in index.item_of:
                found.add(index.item_of[candidate][0].inst.code)
            elif candidate in index.total_of:
                found.add(index.total_of[candidate].inst.code)
    if len(found) == 1:
        return index.by_code[found.pop()]
    name = qr.questionnaire or "(none)"
    raise MappingProblem(
        f"questionnaire '{name}' is not an instrument in the registry (no LOINC panel, "
        "canonical URL or item code matched)"
    )


def map_response(located: Located, index: Index, full_urls: dict[str, str]) -> AdminRow:
    """One QuestionnaireResponse as a wide administration row.

    Raises
    ------
    MappingProblem
        With the reason, when the response cannot be mapped.
    """
    qr = located.resource
    if qr.status not in QR_STATUSES:
        raise MappingProblem(f"status '{qr.status}': only completed or amended responses count")
    entry = _instrument_of_qr(qr, index)
    client = ref_id(qr.subject, full_urls)
    if not client:
        raise MappingProblem("no subject (Patient) reference")
    when = as_date(qr.authored)
    if when is None:
        raise MappingProblem("no authored date (YYYY-MM-DD)")
    record: dict[str, object] = {
        "administration_id": clean_id(_resource_id(located)),
        "client_id": clean_id(client),
        "instrument": entry.inst.code,
        "administered_on": when,
        "rater": _rater(qr.author or qr.source),
        "_encounter": ref_id(qr.encounter, full_urls),
    }
    for item in _flatten(qr.item):
        answers = item.answer or []
        if not answers:
            continue
        if _answer_codes(item) & index.unscored_answers:
            continue
        k = item_number(item.linkId, entry, index)
        if k is None:
            continue
        column = "total" if k == "total" else f"item_{k}"
        if len(answers) > 1:
            raise MappingProblem(f"link id '{item.linkId}' has {len(answers)} answers")
        if column in record:
            raise MappingProblem(f"{entry.inst.code} item {k} is answered twice")
        record[column] = value_score(answers[0], entry)
    return AdminRow(record, located.file, located.line, f"QuestionnaireResponse/{qr.id}")


def _resource_id(located: Located) -> str:
    rid = located.resource.id
    if rid:
        return str(rid)
    if located.full_url:
        return located.full_url.split(":")[-1].split("/")[-1]
    raise MappingProblem(f"{located.type} has no id")


def obs_code(obs: Any, index: Index) -> tuple[str, InstrumentCodes, int | None] | None:
    """``(role, instrument, item)`` of an Observation's LOINC code; role panel/total/item."""
    for coding in _codings(obs.code):
        code = coding.code
        if code in index.panel_of:
            return "panel", index.panel_of[code], None
        if code in index.total_of:
            return "total", index.total_of[code], None
        if code in index.item_of:
            entry, k = index.item_of[code]
            return "item", entry, k
    return None


def obs_date(obs: Any) -> str | None:
    """Date of an Observation: effective dateTime, period start, instant, or issued."""
    period = getattr(obs, "effectivePeriod", None)
    for value in (
        obs.effectiveDateTime,
        getattr(period, "start", None),
        obs.effectiveInstant,
        obs.issued,
    ):
        date = as_date(value)
        if date is not None:
            return date
    return None
