r"""The YAML format of an instrument definition: checking a file and building an Instrument.

Loading validates the whole definition and turns any problem into a single
:class:`~therapy_outcomes.instruments.definition.InstrumentDefinitionError` that names the file,
the field and the problem, so the command line can show it without a traceback. The format is
documented field by field in ``definitions/phq9.yaml`` (a commented example) and in
CONTRIBUTING.md ("Adding an instrument").

Examples
--------
>>> inst = load_definition_text(
...     "code: X\nname: Example\nkind: questionnaire\n"
...     "items: {count: 2, min: 0, max: 3}\nscoring: {rule: sum}\nbetter: lower\n",
...     "example.yaml",
... )
>>> inst.code, inst.total_max
('X', 6.0)
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import yaml

from therapy_outcomes.change.reliable import Better
from therapy_outcomes.instruments.definition import (
    SIDES,
    Band,
    Benchmark,
    Cutoff,
    Instrument,
    InstrumentDefinitionError,
    MissingRule,
    Reliability,
    ReliableChange,
    RiskItem,
    Subscale,
    TalkingTherapiesRole,
    score_range,
)

__all__ = ["load_definition_files", "load_definition_text", "parse_definition"]

_RULES = ("sum", "mean")
_KINDS = ("questionnaire", "goal_rating")
_BETTER: tuple[Better, ...] = ("lower", "higher")
_METHODS = ("prorate", "none")
_SUBSCALE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
_Choice = TypeVar("_Choice", bound=str)

_TOP = {
    "code",
    "name",
    "kind",
    "aliases",
    "items",
    "reverse_items",
    "scoring",
    "subscales",
    "better",
    "bands",
    "cutoff",
    "reliable_change",
    "missing",
    "risk_items",
    "loinc",
    "licence",
    "source",
    "choices",
    "purpose",
    "plain_name",
    "reliability",
    "benchmarks",
    "talking_therapies",
    "fhir_link_ids",
    "similar_baseline",
}
_PURPOSES = ("outcome", "alliance")
_TT_MEASURES = ("depression", "anxiety")
_LOINC_KEYS = {"total", "panel", "items", "answers", "unscored_items", "unscored_answers"}


def _describe(value: Any) -> str:
    kind = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        type(None): "nothing (empty)",
    }.get(type(value), type(value).__name__)
    return f"{kind} ({value!r})" if not isinstance(value, dict | list) else kind


class _Checker:
    """Type and value checks that raise one InstrumentDefinitionError naming file and field."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, fld: str | None, problem: str) -> NoReturn:
        where = f"field '{fld}': " if fld else ""
        raise InstrumentDefinitionError(
            f"invalid instrument definition in {self.origin}: {where}{problem}"
        )

    def mapping(self, value: Any, fld: str, known: set[str], required: Iterable[str] = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(fld, f"must be a mapping of key: value lines, got {_describe(value)}")
        for key in value:
            if key not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                name = f"{fld}.{key}" if fld else str(key)
                self.fail(name, f"is not a known field{hint}; known: {', '.join(sorted(known))}")
        for key in required:
            if value.get(key) is None:
                self.fail(f"{fld}.{key}" if fld else key, "is required but missing")
        return value

    def text(self, value: Any, fld: str, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value.strip()):
            self.fail(fld, f"must be non-empty text, got {_describe(value)}")
        return value.strip()

    def number(self, value: Any, fld: str) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.fail(fld, f"must be a number, got {_describe(value)}")
        return value

    def integer(self, value: Any, fld: str, lo: int | None = None, hi: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(fld, f"must be a whole number, got {_describe(value)}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            self.fail(fld, f"must be between {lo} and {hi}, got {value}")
        return value

    def boolean(self, value: Any, fld: str) -> bool:
        if not isinstance(value, bool):
            self.fail(fld, f"must be true or false, got {_describe(value)}")
        return value

    def choice(self, value: Any, fld: str, options: Iterable[_Choice]) -> _Choice:
        options = tuple(options)
        if value not in options:
            self.fail(fld, f"must be one of {', '.join(options)}; got {value!r}")
        return value

    def texts(self, value: Any, fld: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(fld, f"must be a list, got {_describe(value)}")
        return tuple(self.text(v, f"{fld}[{i}]") for i, v in enumerate(value))

    def item_numbers(self, value: Any, fld: str, n: int, empty: bool = True) -> tuple[int, ...]:
        if value is None:
            value = []
        if not isinstance(value, list):
            self.fail(fld, f"must be a list of item numbers, got {_describe(value)}")
        if not value and not empty:
            self.fail(fld, "must list at least one item")
        out = tuple(self.integer(v, f"{fld}[{i}]", 1, n) for i, v in enumerate(value))
        if len(set(out)) != len(out):
            self.fail(fld, f"lists an item more than once: {list(out)}")
        return out

    def bands(self, value: Any, fld: str, lo: float, hi: float, max_gap: float) -> tuple[Band, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(
                fld, f"must be a list of {{label, min, max}} mappings, got {_describe(value)}"
            )
        bands: list[Band] = []
        for i, raw in enumerate(value):
            f = f"{fld}[{i}]"
            raw = self.mapping(raw, f, {"label", "min", "max"}, ("label", "min", "max"))
            band = Band(
                self.text(raw["label"], f"{f}.label"),
                self.number(raw["min"], f"{f}.min"),
                self.number(raw["max"], f"{f}.max"),
            )
            if band.min > band.max:
                self.fail(f, f"band '{band.label}' has min {band.min} above max {band.max}")
            if band.min < lo - 1e-9 or band.max > hi + 1e-9:
                self.fail(
                    f,
                    f"band '{band.label}' ({band.min}-{band.max}) falls outside the "
                    f"score range {lo:g}-{hi:g}",
                )
            if bands:
                prev = bands[-1]
                if band.min <= prev.max:
                    self.fail(
                        f,
                        f"band '{band.label}' ({band.min}-{band.max}) overlaps the "
                        f"previous band '{prev.label}' ({prev.min}-{prev.max}); bands "
                        f"must be in increasing order without overlap",
                    )
                if band.min - prev.max > max_gap + 1e-9:
                    self.fail(
                        f,
                        f"gap between band '{prev.label}' (max {prev.max}) and band "
                        f"'{band.label}' (min {band.min}); bands must cover the whole "
                        f"score range",
                    )
            if band.label in {b.label for b in bands}:
                self.fail(f"{f}.label", f"duplicate band label '{band.label}'")
            bands.append(band)
        if bands and (
            not math.isclose(bands[0].min, lo, abs_tol=1e-9)
            or not math.isclose(bands[-1].max, hi, abs_tol=1e-9)
        ):
            self.fail(
                fld,
                f"bands cover {bands[0].min:g}-{bands[-1].max:g} but the score range "
                f"is {lo:g}-{hi:g}; bands must cover the whole range",
            )
        return tuple(bands)


def parse_definition(data: Any, origin: str) -> Instrument:
    """Validate one parsed YAML document and build the Instrument.

    Parameters
    ----------
    data : Any
        The document as ``yaml.safe_load`` returns it.
    origin : str
        Where it came from (a file name), quoted in every error.

    Raises
    ------
    InstrumentDefinitionError
        Naming ``origin``, the field and the problem.

    Examples
    --------
    >>> try:
    ...     parse_definition({"code": "X"}, "x.yaml")
    ... except InstrumentDefinitionError as exc:
    ...     print(exc)
    invalid instrument definition in x.yaml: field 'name': is required but missing
    """
    c = _Checker(origin)
    if data is None:
        c.fail(None, "the file is empty")
    data = c.mapping(data, "", _TOP, ("code", "name", "kind", "items", "scoring", "better"))
    code = c.text(data["code"], "code")
    name = c.text(data["name"], "name")
    kind = c.choice(data["kind"], "kind", _KINDS)
    aliases = c.texts(data.get("aliases"), "aliases")

    it = c.mapping(
        data["items"],
        "items",
        {"count", "min", "max", "integer", "labels", "answers"},
        ("count", "min", "max"),
    )
    n = c.integer(it["count"], "items.count", 1, 1000)
    lo, hi = c.number(it["min"], "items.min"), c.number(it["max"], "items.max")
    if lo >= hi:
        c.fail("items.max", f"must be above items.min ({lo}), got {hi}")
    integer = c.boolean(it.get("integer", True), "items.integer")
    if integer and (lo != int(lo) or hi != int(hi)):
        c.fail("items.min", "integer items need whole-number min and max")
    labels = c.texts(it.get("labels"), "items.labels") or tuple(
        f"Item {i}" for i in range(1, n + 1)
    )
    if len(labels) != n:
        c.fail("items.labels", f"has {len(labels)} labels for {n} items")
    answers = _answers(c, it.get("answers"), lo, hi)

    reverse = c.item_numbers(data.get("reverse_items"), "reverse_items", n)
    sc = c.mapping(data["scoring"], "scoring", {"rule", "multiplier", "total"}, ("rule",))
    rule = c.choice(sc["rule"], "scoring.rule", _RULES)
    mult = c.number(sc.get("multiplier", 1), "scoring.multiplier")
    if mult <= 0:
        c.fail("scoring.multiplier", f"must be above 0, got {mult}")
    has_total = c.boolean(sc.get("total", True), "scoring.total")
    better = c.choice(data["better"], "better", _BETTER)
    missing = _missing(c, data.get("missing"), n)
    t_lo, t_hi = score_range(n, lo, hi, rule, mult)
    gap = mult if rule == "sum" and mult > 1 else 1

    subscales = _subscales(c, data.get("subscales"), n, lo, hi, rule, mult, missing)
    bands = c.bands(data.get("bands"), "bands", t_lo, t_hi, gap)
    cutoff = _cutoff(c, data.get("cutoff"), t_lo, t_hi)
    rc = _reliable_change(c, data.get("reliable_change"))
    if not has_total:
        for key, val in (("bands", bands), ("cutoff", cutoff), ("reliable_change", rc)):
            if val:
                c.fail(key, "must be empty when scoring.total is false (there is no total)")
    link_ids, unscored_links = _fhir_link_ids(c, data.get("fhir_link_ids"), n)
    return Instrument(
        code=code,
        name=name,
        kind=kind,
        aliases=aliases,
        n_items=n,
        item_min=lo,
        item_max=hi,
        integer_items=integer,
        item_labels=labels,
        answer_labels=answers,
        reverse_items=reverse,
        scoring_rule=rule,
        multiplier=mult,
        has_total=has_total,
        subscales=subscales,
        better=better,
        bands=bands,
        cutoff=cutoff,
        reliable_change=rc,
        missing=missing,
        risk_items=_risk_items(c, data.get("risk_items"), n, lo, hi),
        loinc=_loinc(c, data.get("loinc")),
        licence=c.text(data.get("licence", ""), "licence", empty=True),
        source=c.text(data.get("source", ""), "source", empty=True),
        choices=c.texts(data.get("choices"), "choices"),
        purpose=c.choice(data.get("purpose", "outcome"), "purpose", _PURPOSES),
        plain_name=c.text(data.get("plain_name", name), "plain_name"),
        reliability=_reliability(c, data.get("reliability")),
        benchmarks=_benchmarks(c, data.get("benchmarks")),
        talking_therapies=_talking_therapies(c, data.get("talking_therapies"), cutoff, rc),
        fhir_link_ids=link_ids,
        fhir_unscored_link_ids=unscored_links,
        similar_baseline=_similar_baseline(c, data.get("similar_baseline")),
        origin=origin,
    )


def _answers(c: _Checker, value: Any, lo: float, hi: float) -> dict[float, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.fail("items.answers", f"must be a mapping of value: label, got {_describe(value)}")
    out = {}
    for key, label in value.items():
        num = c.number(key, f"items.answers.{key}")
        if not lo <= num <= hi:
            c.fail(f"items.answers.{key}", f"answer value {key} is outside {lo}-{hi}")
        out[num] = c.text(label, f"items.answers.{key}")
    return out


def _missing(c: _Checker, value: Any, n: int) -> MissingRule:
    if value is None:
        return MissingRule(0, "none")
    value = c.mapping(value, "missing", {"max_missing", "method"}, ("method",))
    method = c.choice(value["method"], "missing.method", _METHODS)
    max_missing = c.integer(value.get("max_missing", 0), "missing.max_missing", 0, n - 1)
    if method == "none" and max_missing:
        c.fail("missing.max_missing", "must be 0 when method is none (no missing items allowed)")
    return MissingRule(max_missing, method)


def _subscales(
    c: _Checker,
    value: Any,
    n: int,
    lo: float,
    hi: float,
    rule: str,
    mult: float,
    missing: MissingRule,
) -> dict[str, Subscale]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.fail("subscales", f"must be a mapping of name: {{items: [...]}}, got {_describe(value)}")
    out = {}
    for name, raw in value.items():
        f = f"subscales.{name}"
        if not isinstance(name, str) or not _SUBSCALE_NAME.match(name):
            c.fail(f, "subscale names must start with a letter and use only letters, digits, _")
        raw = c.mapping(raw, f, {"items", "rule", "multiplier", "bands", "max_missing"}, ("items",))
        items = c.item_numbers(raw["items"], f"{f}.items", n, empty=False)
        s_rule = c.choice(raw.get("rule", rule), f"{f}.rule", _RULES)
        s_mult = c.number(raw.get("multiplier", mult), f"{f}.multiplier")
        if s_mult <= 0:
            c.fail(f"{f}.multiplier", f"must be above 0, got {s_mult}")
        k = len(items)
        default_missing = missing.max_missing * k // n
        s_missing = c.integer(raw.get("max_missing", default_missing), f"{f}.max_missing", 0, k - 1)
        if missing.method == "none" and s_missing:
            c.fail(f"{f}.max_missing", "must be 0 when missing.method is none")
        s_lo, s_hi = score_range(k, lo, hi, s_rule, s_mult)
        gap = s_mult if s_rule == "sum" and s_mult > 1 else 1
        bands = c.bands(raw.get("bands"), f"{f}.bands", s_lo, s_hi, gap)
        out[name] = Subscale(name, items, s_rule, s_mult, bands, s_missing)
    return out


def _cutoff(c: _Checker, value: Any, lo: float, hi: float) -> Cutoff | None:
    if value is None:
        return None
    value = c.mapping(value, "cutoff", {"value", "clinical"}, ("value", "clinical"))
    num = c.number(value["value"], "cutoff.value")
    if not lo <= num <= hi:
        c.fail("cutoff.value", f"{num} is outside the total range {lo:g}-{hi:g}")
    side = c.choice(value["clinical"], "cutoff.clinical", tuple(SIDES))
    return Cutoff(num, side)


def _reliable_change(c: _Checker, value: Any) -> ReliableChange | None:
    if value is None:
        return None
    value = c.mapping(value, "reliable_change", {"points", "sd", "reliability", "source"})
    vals = {}
    for key in ("points", "sd", "reliability"):
        if value.get(key) is not None:
            vals[key] = c.number(value[key], f"reliable_change.{key}")
            if vals[key] <= 0:
                c.fail(f"reliable_change.{key}", f"must be above 0, got {vals[key]}")
    if "reliability" in vals and vals["reliability"] >= 1:
        c.fail("reliable_change.reliability", f"must be below 1, got {vals['reliability']}")
    if "points" not in vals and not {"sd", "reliability"} <= vals.keys():
        c.fail("reliable_change", "needs points, or both sd and reliability (or write null)")
    return ReliableChange(
        vals.get("points"),
        vals.get("sd"),
        vals.get("reliability"),
        c.text(value.get("source", ""), "reliable_change.source", empty=True),
    )


def _risk_items(c: _Checker, value: Any, n: int, lo: float, hi: float) -> tuple[RiskItem, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        c.fail(
            "risk_items", f"must be a list of {{item, min_value, label}}, got {_describe(value)}"
        )
    out = []
    for i, raw in enumerate(value):
        f = f"risk_items[{i}]"
        raw = c.mapping(raw, f, {"item", "min_value", "label"}, ("item", "min_value"))
        item = c.integer(raw["item"], f"{f}.item", 1, n)
        min_value = c.number(raw["min_value"], f"{f}.min_value")
        if not lo <= min_value <= hi:
            c.fail(f"{f}.min_value", f"{min_value} is outside the item range {lo}-{hi}")
        out.append(
            RiskItem(item, min_value, c.text(raw.get("label", f"item {item}"), f"{f}.label"))
        )
    return tuple(out)


def _loinc(c: _Checker, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    value = c.mapping(value, "loinc", _LOINC_KEYS)
    out: dict[str, Any] = {}
    for key in ("total", "panel"):
        if value.get(key) is not None:
            out[key] = c.text(value[key], f"loinc.{key}")
    for key in ("items", "answers"):
        raw = value.get(key)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            c.fail(f"loinc.{key}", f"must be a mapping of number: code, got {_describe(raw)}")
        out[key] = {sub: c.text(code, f"loinc.{key}.{sub}") for sub, code in raw.items()}
    for key in ("unscored_items", "unscored_answers"):
        if value.get(key) is not None:
            out[key] = frozenset(c.texts(value[key], f"loinc.{key}"))
    return out


def _fhir_link_ids(c: _Checker, value: Any, n: int) -> tuple[dict[str, int], frozenset[str]]:
    if value is None:
        return {}, frozenset()
    value = c.mapping(value, "fhir_link_ids", {"items", "unscored"})
    items = value.get("items") or {}
    if not isinstance(items, dict):
        c.fail("fhir_link_ids.items", f"must be a mapping of link id: item, got {_describe(items)}")
    out = {
        c.text(link, f"fhir_link_ids.items.{link}"): c.integer(
            k, f"fhir_link_ids.items.{link}", 1, n
        )
        for link, k in items.items()
    }
    return out, frozenset(c.texts(value.get("unscored"), "fhir_link_ids.unscored"))


def _reliability(c: _Checker, value: Any) -> Reliability | None:
    if value is None:
        return None
    value = c.mapping(value, "reliability", {"value", "type", "source"}, ("value", "source"))
    r = c.number(value["value"], "reliability.value")
    if not 0 < r < 1:
        c.fail("reliability.value", f"must be between 0 and 1 (exclusive), got {r}")
    return Reliability(
        float(r),
        c.text(value.get("type", "unspecified"), "reliability.type"),
        c.text(value["source"], "reliability.source"),
    )


def _benchmarks(c: _Checker, value: Any) -> tuple[Benchmark, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        c.fail(
            "benchmarks",
            f"must be a list of {{label, effect_size, source}}, got {_describe(value)}",
        )
    out = []
    for i, raw in enumerate(value):
        f = f"benchmarks[{i}]"
        raw = c.mapping(raw, f, {"label", "effect_size", "source"}, ("label", "effect_size"))
        out.append(
            Benchmark(
                c.text(raw["label"], f"{f}.label"),
                float(c.number(raw["effect_size"], f"{f}.effect_size")),
                c.text(raw.get("source", ""), f"{f}.source", empty=True),
            )
        )
    return tuple(out)


def _talking_therapies(
    c: _Checker, value: Any, cutoff: Cutoff | None, rc: ReliableChange | None
) -> TalkingTherapiesRole | None:
    if value is None:
        return None
    value = c.mapping(
        value,
        "talking_therapies",
        {"measure", "caseness", "reliable_change", "source"},
        ("measure",),
    )
    measure = c.choice(value["measure"], "talking_therapies.measure", _TT_MEASURES)
    caseness = rc_points = None
    if value.get("caseness") is not None:
        caseness = float(c.number(value["caseness"], "talking_therapies.caseness"))
    elif cutoff is None or cutoff.clinical != ">=":
        c.fail("talking_therapies.caseness", "is needed unless the cut-off is written '>='")
    if value.get("reliable_change") is not None:
        rc_points = float(c.number(value["reliable_change"], "talking_therapies.reliable_change"))
        if rc_points <= 0:
            c.fail("talking_therapies.reliable_change", f"must be above 0, got {rc_points}")
    elif rc is None:
        c.fail("talking_therapies.reliable_change", "is needed when reliable_change is null")
    return TalkingTherapiesRole(
        measure,
        caseness,
        rc_points,
        c.text(value.get("source", ""), "talking_therapies.source", empty=True),
    )


def _similar_baseline(c: _Checker, value: Any) -> float | None:
    if value is None:
        return None
    num = float(c.number(value, "similar_baseline"))
    if num < 0:
        c.fail("similar_baseline", f"must be 0 or more, got {num}")
    return num


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_definition_text(text: str, origin: str) -> Instrument:
    """Parse and check one definition written as YAML text (see the module example)."""
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # _YAML_LOADER is a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and cmark:
            problem += f" ({context} started at line {cmark.line + 1})"
        raise InstrumentDefinitionError(
            f"invalid instrument definition in {origin}: not valid YAML{where}: {problem}"
        ) from None
    return parse_definition(data, origin)


def load_definition_files(path: str | Path) -> list[Instrument]:
    """Load one YAML file, or every ``*.yaml``/``*.yml`` file of a directory (sorted).

    Two files defining the same code, an empty directory or a missing path raise
    :class:`InstrumentDefinitionError`.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if not files:
            raise InstrumentDefinitionError(
                f"no instrument definitions (*.yaml) found in directory {path}"
            )
    elif path.is_file():
        files = [path]
    else:
        raise InstrumentDefinitionError(f"instrument definition path {path} does not exist")
    loaded: dict[str, Instrument] = {}
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InstrumentDefinitionError(
                f"cannot read instrument definition {file}: {exc}"
            ) from None
        inst = load_definition_text(text, str(file))
        if inst.code in loaded:
            raise InstrumentDefinitionError(
                f"invalid instrument definition in {file}: field 'code': {inst.code} is also "
                f"defined in {loaded[inst.code].origin}"
            )
        loaded[inst.code] = inst
    return list(loaded.values())
