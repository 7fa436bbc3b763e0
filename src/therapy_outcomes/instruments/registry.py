"""Instrument definitions: frozen dataclasses, YAML loading with validation, and the registry.

Every instrument is one declarative YAML file (see ``definitions/`` for the shipped ones and
``definitions/phq9.yaml`` for a commented example). Loading validates the whole definition and
turns any problem into a single :class:`InstrumentDefinitionError` that names the file, the
field and the problem, so the command-line interface can show it without a traceback.

Band look-up convention
-----------------------
Bands are written as inclusive ranges (``min``..``max``) in order. A total belongs to the last
band whose ``min`` it reaches, so bands act as half-open intervals ``[min_i, min_{i+1})``. A
non-integer total (a prorated sum, a mean scale) lying between one band's ``max`` and the next
band's ``min`` therefore stays in the lower band: a prorated PHQ-9 total of 9.5 is "mild",
consistent with the cut-off "10 or above". Totals outside the instrument's range get no band.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import yaml

from therapy_outcomes.errors import TherapyOutcomesError

__all__ = [
    "Band",
    "Cutoff",
    "Instrument",
    "InstrumentDefinitionError",
    "MissingRule",
    "Registry",
    "ReliableChange",
    "RiskItem",
    "Subscale",
    "UnknownInstrumentError",
    "default_registry",
    "normalise_code",
]

#: Totals are rounded to this many decimals before banding and comparison with cut-offs, so that
#: floating-point noise (6.1 + 6.2 + 6.3 + 6.4 = 24.999999999999996) cannot change a band.
DECIMALS = 10

_SIDES = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
_RULES = ("sum", "mean")
_KINDS = ("questionnaire", "goal_rating")
_BETTER = ("lower", "higher")
_METHODS = ("prorate", "none")
_SUBSCALE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_IGNORED_IN_CODES = re.compile(r"[\s\-_.]")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class InstrumentDefinitionError(TherapyOutcomesError, ValueError):
    """An instrument definition (YAML file) is malformed; the message names file and field.

    Examples
    --------
    >>> err = InstrumentDefinitionError("my.yaml: field 'bands[1]': overlaps band 'none'")
    >>> isinstance(err, ValueError)
    True
    """


class UnknownInstrumentError(TherapyOutcomesError, KeyError):
    """No instrument in the registry has this code or alias.

    Examples
    --------
    >>> str(UnknownInstrumentError("unknown instrument 'X'"))
    "unknown instrument 'X'"
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def normalise_code(value: str) -> str:
    """Key used to match codes and aliases: case-folded, without ``-``, ``_``, ``.``, spaces.

    Examples
    --------
    >>> normalise_code("PHQ-9"), normalise_code("phq_9"), normalise_code("Phq 9")
    ('phq9', 'phq9', 'phq9')
    """
    return _IGNORED_IN_CODES.sub("", str(value)).casefold()


@dataclass(frozen=True)
class Band:
    """A labelled score range, inclusive at both ends (see the module note on look-up).

    Examples
    --------
    >>> Band("mild", 5, 9)
    Band(label='mild', min=5, max=9)
    """

    label: str
    min: float
    max: float


@dataclass(frozen=True)
class Cutoff:
    """Clinical cut-off: a total ``<clinical> value`` counts as clinical (e.g. ``>= 10``).

    Examples
    --------
    >>> Cutoff(25, "<")  # ORS: clinical range below 25
    Cutoff(value=25, clinical='<')
    """

    value: float
    clinical: str


@dataclass(frozen=True)
class ReliableChange:
    """Reliable-change threshold, given in points or as SD and reliability.

    When ``points`` is None it is derived as ``1.96 * sd * sqrt(2 * (1 - reliability))``
    (Jacobson & Truax 1991: S_diff = sqrt(2 * SE^2), SE = SD * sqrt(1 - r_xx)).

    Examples
    --------
    >>> round(ReliableChange(None, 5.0, 0.8, "example").threshold(), 3)
    6.198
    """

    points: float | None
    sd: float | None
    reliability: float | None
    source: str

    def threshold(self) -> float | None:
        """Points of change needed to be reliable (None if neither form is given).

        Examples
        --------
        >>> ReliableChange(6, None, None, "NHS Talking Therapies").threshold()
        6.0
        """
        if self.points is not None:
            return float(self.points)
        if self.sd is None or self.reliability is None:
            return None
        return 1.96 * self.sd * math.sqrt(2.0 * (1.0 - self.reliability))


@dataclass(frozen=True)
class MissingRule:
    """How many items may be missing, and how they are handled (``prorate`` or ``none``).

    Examples
    --------
    >>> MissingRule(2, "prorate")
    MissingRule(max_missing=2, method='prorate')
    """

    max_missing: int
    method: str


@dataclass(frozen=True)
class RiskItem:
    """An item whose raw answer at or above ``min_value`` raises a risk flag.

    Examples
    --------
    >>> RiskItem(9, 1, "thoughts of self-harm")
    RiskItem(item=9, min_value=1, label='thoughts of self-harm')
    """

    item: int
    min_value: float
    label: str


def _band_series(values: Any, bands: tuple[Band, ...], lo: float, hi: float) -> pd.Series:
    """Vectorised band look-up shared by instruments and subscales."""
    series = _as_float_series(values)
    v = series.to_numpy()
    out = np.full(len(v), None, dtype=object)
    if bands:
        mins = np.array([b.min for b in bands], dtype=float)
        labels = np.array([b.label for b in bands], dtype=object)
        inside = np.isfinite(v) & (v >= lo) & (v <= hi)
        idx = np.clip(np.searchsorted(mins, v, side="right") - 1, 0, len(bands) - 1)
        out[inside] = labels[idx[inside]]
    return pd.Series(out, index=series.index, dtype="string", name="band")


def _as_float_series(values: Any) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    arr = series.to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(np.round(arr, DECIMALS), index=series.index, name=series.name)


@dataclass(frozen=True)
class Subscale:
    """A subscale: 1-based ``items``, scored with ``rule`` x ``multiplier``.

    ``max_missing`` is the number of the subscale's items that may be missing and prorated;
    unless the definition overrides it, it is the instrument's limit applied proportionally,
    ``floor(max_missing_instrument * n_items_subscale / n_items_instrument)``.

    Examples
    --------
    >>> s = Subscale("depression", (3, 5), "sum", 2, (Band("low", 0, 5), Band("high", 6, 12)))
    >>> s.band_of([4, 6]).tolist()
    ['low', 'high']
    """

    name: str
    items: tuple[int, ...]
    rule: str
    multiplier: float
    bands: tuple[Band, ...]
    max_missing: int = 0

    def band_of(self, values: Any) -> pd.Series:
        """Band label of each subscale score (NA when missing or outside the bands)."""
        if not self.bands:
            return _band_series(values, (), 0.0, 0.0)
        return _band_series(values, self.bands, self.bands[0].min, self.bands[-1].max)


@dataclass(frozen=True)
class Instrument:
    """One scored instrument, as loaded from its YAML definition.

    Totals are ``rule(items) * multiplier`` where ``rule`` is ``sum`` or ``mean`` of the item
    values after reversal (reversed value = ``item_min + item_max - value``); missing items are
    handled by :attr:`missing` (see :func:`therapy_outcomes.instruments.score`).

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> phq9 = default_registry().get("phq9")
    >>> phq9.code, phq9.total_min, phq9.total_max
    ('PHQ-9', 0.0, 27.0)
    >>> phq9.band_of([4, 9.5, 10, None]).tolist()
    ['none-minimal', 'mild', 'moderate', <NA>]
    >>> phq9.is_clinical([9, 10]).tolist(), phq9.rc_threshold()
    ([False, True], 6.0)
    """

    code: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    n_items: int
    item_min: float
    item_max: float
    integer_items: bool
    item_labels: tuple[str, ...]
    answer_labels: dict[float, str] = field(hash=False)
    reverse_items: tuple[int, ...]
    scoring_rule: str
    multiplier: float
    has_total: bool
    subscales: dict[str, Subscale] = field(hash=False)
    better: str
    bands: tuple[Band, ...]
    cutoff: Cutoff | None
    reliable_change: ReliableChange | None
    missing: MissingRule
    risk_items: tuple[RiskItem, ...]
    loinc: dict[str, Any] = field(hash=False)
    licence: str
    source: str
    choices: tuple[str, ...]
    origin: str = field(default="", compare=False)

    @property
    def total_min(self) -> float:
        """Lowest possible total."""
        return _score_range(
            self.n_items, self.item_min, self.item_max, self.scoring_rule, self.multiplier
        )[0]

    @property
    def total_max(self) -> float:
        """Highest possible total."""
        return _score_range(
            self.n_items, self.item_min, self.item_max, self.scoring_rule, self.multiplier
        )[1]

    @property
    def item_columns(self) -> list[str]:
        """Item column names expected by :func:`score`: ``item_1`` .. ``item_k``."""
        return [f"item_{i}" for i in range(1, self.n_items + 1)]

    def subscale_range(self, name: str) -> tuple[float, float]:
        """Lowest and highest possible score of subscale ``name``.

        Examples
        --------
        >>> from therapy_outcomes.instruments import default_registry
        >>> default_registry().get("DASS-21").subscale_range("depression")
        (0.0, 42.0)
        """
        sub = self.subscales[name]
        return _score_range(len(sub.items), self.item_min, self.item_max, sub.rule, sub.multiplier)

    def band_of(self, totals: Any) -> pd.Series:
        """Band label of each total; NA for missing totals or totals outside the range.

        Parameters
        ----------
        totals : pandas.Series or array-like of float

        Returns
        -------
        pandas.Series
            ``string`` dtype, same index as ``totals`` (see the module note on look-up).

        Examples
        --------
        >>> from therapy_outcomes.instruments import default_registry
        >>> default_registry().get("GAD-7").band_of([0, 4.5, 5, 21, 22]).tolist()
        ['minimal', 'minimal', 'mild', 'severe', <NA>]
        """
        return _band_series(totals, self.bands, self.total_min, self.total_max)

    def is_clinical(self, totals: Any) -> pd.Series:
        """Whether each total is on the clinical side of the cut-off.

        Returns a nullable ``boolean`` Series: NA where the total is missing or the instrument
        has no cut-off. The side (``>=``, ``>``, ``<=``, ``<``) is the one stated in the
        definition, e.g. ORS ``< 25``.

        Examples
        --------
        >>> from therapy_outcomes.instruments import default_registry
        >>> default_registry().get("ORS").is_clinical([24.9, 25, None]).tolist()
        [True, False, <NA>]
        """
        series = _as_float_series(totals)
        v = series.to_numpy()
        if self.cutoff is None:
            mask = np.ones(len(v), dtype=bool)
            result = np.zeros(len(v), dtype=bool)
        else:
            mask = np.isnan(v)
            result = _SIDES[self.cutoff.clinical](v, self.cutoff.value) & ~mask
        return pd.Series(pd.arrays.BooleanArray(result, mask), index=series.index, name="clinical")

    def rc_threshold(self) -> float | None:
        """Reliable-change threshold in points, or None when unknown.

        ``points`` if the definition gives them, otherwise ``1.96 * sd * sqrt(2 * (1 - r))``
        (Jacobson & Truax 1991).

        Examples
        --------
        >>> from therapy_outcomes.instruments import default_registry
        >>> reg = default_registry()
        >>> reg.get("CORE-OM").rc_threshold(), reg.get("GBO").rc_threshold()
        (5.0, None)
        """
        return None if self.reliable_change is None else self.reliable_change.threshold()


def _score_range(k: int, lo: float, hi: float, rule: str, mult: float) -> tuple[float, float]:
    factor = k if rule == "sum" else 1
    return float(lo * factor * mult), float(hi * factor * mult)


# --------------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------------

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
}


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

    def choice(self, value: Any, fld: str, options: Iterable[str]) -> str:
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


def _parse(data: Any, origin: str) -> Instrument:
    """Validate one parsed YAML document and build the Instrument."""
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
    t_lo, t_hi = _score_range(n, lo, hi, rule, mult)
    gap = mult if rule == "sum" and mult > 1 else 1

    subscales = _subscales(c, data.get("subscales"), n, lo, hi, rule, mult, missing)
    bands = c.bands(data.get("bands"), "bands", t_lo, t_hi, gap)
    cutoff = _cutoff(c, data.get("cutoff"), t_lo, t_hi)
    rc = _reliable_change(c, data.get("reliable_change"))
    if not has_total:
        for key, val in (("bands", bands), ("cutoff", cutoff), ("reliable_change", rc)):
            if val:
                c.fail(key, "must be empty when scoring.total is false (there is no total)")
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
        s_lo, s_hi = _score_range(k, lo, hi, s_rule, s_mult)
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
    side = c.choice(value["clinical"], "cutoff.clinical", tuple(_SIDES))
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
    if not isinstance(value, dict):
        c.fail("loinc", f"must be a mapping (total, panel, items, answers), got {_describe(value)}")
    for key, val in value.items():
        if isinstance(val, dict):
            for sub, code in val.items():
                c.text(code, f"loinc.{key}.{sub}")
        elif val is not None:
            c.text(val, f"loinc.{key}")
    return {k: v for k, v in value.items() if v is not None}


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _load_text(text: str, origin: str) -> Instrument:
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
    return _parse(data, origin)


def _load_path(path: str | Path) -> list[Instrument]:
    """Load one YAML file, or every ``*.yaml``/``*.yml`` file of a directory (sorted)."""
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
        inst = _load_text(text, str(file))
        if inst.code in loaded:
            raise InstrumentDefinitionError(
                f"invalid instrument definition in {file}: field 'code': {inst.code} is also "
                f"defined in {loaded[inst.code].origin}"
            )
        loaded[inst.code] = inst
    return list(loaded.values())


class Registry:
    """Instruments by canonical code, with case- and punctuation-insensitive alias look-up.

    Parameters
    ----------
    instruments : iterable of Instrument
        Later instruments replace earlier ones with the same code.

    Examples
    --------
    >>> import pandas as pd
    >>> from therapy_outcomes.instruments import default_registry
    >>> reg = default_registry()
    >>> reg.get("gad_7").code
    'GAD-7'
    >>> reg.resolve(pd.Series(["phq9", "Core 10", "nope"])).tolist()
    ['PHQ-9', 'CORE-10', nan]
    >>> "who5" in reg
    True
    """

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self._by_code: dict[str, Instrument] = {}
        self._keys: dict[str, str] = {}
        for inst in instruments:
            self._add(inst)

    def _add(self, inst: Instrument) -> None:
        old = self._by_code.pop(inst.code, None)
        if old is not None:
            self._keys = {k: v for k, v in self._keys.items() if v != inst.code}
        for alias in (inst.code, *inst.aliases):
            key = normalise_code(alias)
            other = self._keys.get(key)
            if other is not None and other != inst.code:
                where = self._by_code[other].origin or "another definition"
                raise InstrumentDefinitionError(
                    f"invalid instrument definition in {inst.origin or inst.code}: field "
                    f"'aliases': {alias!r} already names instrument {other} ({where})"
                )
            self._keys[key] = inst.code
        self._by_code[inst.code] = inst

    @classmethod
    def from_directory(cls, path: str | Path) -> Registry:
        r"""Registry of the instruments defined by the YAML files in directory ``path``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "gbo.yaml").write_text(
        ...     "code: GBO\nname: Goal-Based Outcomes\nkind: goal_rating\n"
        ...     "items: {count: 1, min: 0, max: 10, integer: false}\n"
        ...     "scoring: {rule: sum}\nbetter: higher\n")
        >>> Registry.from_directory(folder).codes
        ['GBO']
        """
        return cls(_load_path(path))

    def with_definitions(self, path: str | Path) -> Registry:
        r"""New registry with the instruments of a YAML file or directory added.

        A definition whose ``code`` is already registered replaces that instrument entirely
        (copy the shipped YAML file and edit it to change one field). Raises
        :class:`InstrumentDefinitionError` for a bad file, a missing path, two files with the
        same code, or an alias already used by another instrument.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from therapy_outcomes.instruments import default_registry
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "ors_child.yaml"
        >>> _ = file.write_text(
        ...     "code: ORS-C\nname: ORS, child cut-off\nkind: questionnaire\n"
        ...     "items: {count: 4, min: 0, max: 10, integer: false}\n"
        ...     "scoring: {rule: sum}\nbetter: higher\ncutoff: {value: 32, clinical: '<'}\n")
        >>> reg = default_registry().with_definitions(file)
        >>> reg.get("ors_c").is_clinical([31.5, 32]).tolist()
        [True, False]
        """
        return Registry([*self, *_load_path(path)])

    def get(self, code_or_alias: str) -> Instrument:
        """Instrument for a code or alias; raises :class:`UnknownInstrumentError`.

        Examples
        --------
        >>> from therapy_outcomes.instruments import default_registry
        >>> default_registry().get("core_om").n_items
        34
        """
        code = (
            self._keys.get(normalise_code(code_or_alias))
            if isinstance(code_or_alias, str)
            else None
        )
        if code is None:
            raise UnknownInstrumentError(
                f"unknown instrument {code_or_alias!r}; known codes: {', '.join(self.codes)}"
            )
        return self._by_code[code]

    def resolve(self, values: pd.Series) -> pd.Series:
        """Vectorised alias -> canonical code; NaN where the value is missing or unknown.

        Examples
        --------
        >>> import pandas as pd
        >>> from therapy_outcomes.instruments import default_registry
        >>> default_registry().resolve(pd.Series(["K-10", None, "PHQ 8"])).tolist()
        ['K10', nan, 'PHQ-8']
        """
        series = values if isinstance(values, pd.Series) else pd.Series(values)
        # resolve each distinct value once: a million rows hold a handful of codes
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        known = [self._keys.get(normalise_code(str(u)), np.nan) for u in uniques]
        resolved = np.array([*known, np.nan], dtype=object)[codes]
        return pd.Series(resolved, index=series.index, dtype=object)

    @property
    def codes(self) -> list[str]:
        """Canonical codes, sorted."""
        return sorted(self._by_code)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Instrument):
            return self._by_code.get(item.code) == item
        return isinstance(item, str) and normalise_code(item) in self._keys

    def __iter__(self) -> Iterator[Instrument]:
        """Iterate over the instruments, in code order."""
        return (self._by_code[code] for code in self.codes)

    def __len__(self) -> int:
        return len(self._by_code)

    def __repr__(self) -> str:
        return f"Registry({len(self)} instruments: {', '.join(self.codes)})"


@functools.cache
def default_registry() -> Registry:
    """The registry of the instrument definitions shipped with the package (cached).

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> "PHQ-9" in default_registry().codes
    True
    """
    folder = resources.files("therapy_outcomes.instruments").joinpath("definitions")
    instruments = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            origin = f"therapy_outcomes/instruments/definitions/{entry.name}"
            instruments.append(_load_text(entry.read_text(encoding="utf-8"), origin))
    return Registry(instruments)
