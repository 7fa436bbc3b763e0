"""What an instrument is: the frozen dataclasses a YAML definition is loaded into.

:class:`Instrument` holds every fact about one instrument (items, answer range, reverse items,
scoring rule, subscales, bands, cut-off, reliable change, missing-item rule, risk items, codes,
licence, sources and the choices made); the YAML files in ``definitions/`` are the only place
those facts are written (:mod:`.yaml_schema` checks and loads them, :mod:`.registry` looks them
up, :mod:`.scoring` scores answers against them).

Band look-up convention
-----------------------
Bands are written as inclusive ranges (``min``..``max``) in order. A total belongs to the last
band whose ``min`` it reaches, so bands act as half-open intervals ``[min_i, min_{i+1})``. A
non-integer total (a prorated sum, a mean scale) lying between one band's ``max`` and the next
band's ``min`` therefore stays in the lower band: a prorated PHQ-9 total of 9.5 is "mild",
consistent with the cut-off "10 or above". Totals outside the instrument's range get no band.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from therapy_outcomes.change.rci_methods import rc_threshold_points, se_measurement
from therapy_outcomes.change.reliable import Better
from therapy_outcomes.errors import TherapyOutcomesError

__all__ = [
    "DECIMALS",
    "SIDES",
    "Band",
    "Benchmark",
    "Cutoff",
    "Instrument",
    "InstrumentDefinitionError",
    "MissingRule",
    "Reliability",
    "ReliableChange",
    "RiskItem",
    "Subscale",
    "TalkingTherapiesRole",
    "UnknownInstrumentError",
    "normalise_code",
    "score_range",
]

#: Totals are rounded to this many decimals before banding and comparison with cut-offs, so that
#: floating-point noise (6.1 + 6.2 + 6.3 + 6.4 = 24.999999999999996) cannot change a band.
DECIMALS = 10

#: The four sides a cut-off can be written with, as numpy comparisons.
SIDES = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
_IGNORED_IN_CODES = re.compile(r"[\s\-_.]")


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

    When ``points`` is None it is derived with the Jacobson & Truax (1991) formula the RCI
    methods use, :func:`therapy_outcomes.change.rci_methods.rc_threshold_points`:
    ``z(0.975) * sqrt(2) * SE`` with ``SE = sd * sqrt(1 - reliability)``.

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
        return rc_threshold_points(se_measurement(self.sd, self.reliability))


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

    def endorsed(self, answers: Any) -> np.ndarray:
        """Whether each raw answer (before reversal) endorses the risk item: ``answer >= min``.

        The one place the risk rule is written: scoring's ``risk`` flag and the ``risk_item``
        alert both call it. A missing answer never endorses.

        Examples
        --------
        >>> RiskItem(9, 1, "thoughts of self-harm").endorsed([0, 1, 3, None]).tolist()
        [False, True, True, False]
        """
        values = pd.Series(answers).to_numpy(dtype=float, na_value=np.nan)
        return np.nan_to_num(values, nan=-np.inf) >= self.min_value


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
class Reliability:
    """A published reliability coefficient, the default for reliable-change analyses of a cohort.

    Examples
    --------
    >>> Reliability(0.84, "test-retest", "Kroenke et al. 2001")
    Reliability(value=0.84, type='test-retest', source='Kroenke et al. 2001')
    """

    value: float
    type: str
    source: str


@dataclass(frozen=True)
class Benchmark:
    """A published pre-post effect size of routine care, drawn beside a cohort's own.

    Examples
    --------
    >>> Benchmark("Delgadillo 2014 average IAPT", 0.73, "Delgadillo et al. 2014").effect_size
    0.73
    """

    label: str
    effect_size: float
    source: str


@dataclass(frozen=True)
class TalkingTherapiesRole:
    """How NHS Talking Therapies uses an instrument: which measure, its caseness and RC values.

    ``caseness`` and ``reliable_change`` are ``None`` when the national values are the
    instrument's own cut-off and reliable-change points (see
    :attr:`Instrument.talking_therapies_caseness`).

    Examples
    --------
    >>> TalkingTherapiesRole("anxiety", 8, None, "NHS Talking Therapies manual").caseness
    8
    """

    measure: str
    caseness: float | None
    reliable_change: float | None
    source: str


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
    >>> phq9.plain_name, phq9.purpose, phq9.talking_therapies_caseness()
    ('low mood', 'outcome', 10.0)

    Attributes beyond the scoring facts: ``purpose`` (``outcome`` or ``alliance``: an alliance
    measure such as the SRS rates the sessions, not the client's problems, and is never an
    outcome), ``plain_name`` (what it measures in a client's words, for the client's copy of a
    report), ``reliability`` (the published coefficient a cohort's reliable-change analysis
    uses by default), ``benchmarks`` (published routine-care effect sizes), ``talking_therapies``
    (its role in NHS Talking Therapies outcomes), ``loinc`` and ``fhir_link_ids`` (codes that
    identify its items in FHIR data), and ``similar_baseline`` (how close two goals' baselines
    on this measure must be to count as comparable in the SMART achievability check).
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
    better: Better
    bands: tuple[Band, ...]
    cutoff: Cutoff | None
    reliable_change: ReliableChange | None
    missing: MissingRule
    risk_items: tuple[RiskItem, ...]
    loinc: dict[str, Any] = field(hash=False)
    licence: str
    source: str
    choices: tuple[str, ...]
    purpose: str = "outcome"
    plain_name: str = ""
    reliability: Reliability | None = None
    benchmarks: tuple[Benchmark, ...] = ()
    talking_therapies: TalkingTherapiesRole | None = None
    fhir_link_ids: dict[str, int] = field(default_factory=dict, hash=False)
    fhir_unscored_link_ids: frozenset[str] = frozenset()
    similar_baseline: float | None = None
    origin: str = field(default="", compare=False)

    @property
    def total_min(self) -> float:
        """Lowest possible total."""
        return score_range(
            self.n_items, self.item_min, self.item_max, self.scoring_rule, self.multiplier
        )[0]

    @property
    def total_max(self) -> float:
        """Highest possible total."""
        return score_range(
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
        return score_range(len(sub.items), self.item_min, self.item_max, sub.rule, sub.multiplier)

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
            result = SIDES[self.cutoff.clinical](v, self.cutoff.value) & ~mask
        return pd.Series(pd.arrays.BooleanArray(result, mask), index=series.index, name="clinical")

    def rc_threshold(self) -> float | None:
        """Reliable-change threshold in points, or None when unknown.

        ``points`` if the definition gives them, otherwise computed from its ``sd`` and
        ``reliability`` (:meth:`ReliableChange.threshold`, Jacobson & Truax 1991).

        Examples
        --------
        >>> from therapy_outcomes.instruments import default_registry
        >>> reg = default_registry()
        >>> reg.get("CORE-OM").rc_threshold(), reg.get("GBO").rc_threshold()
        (5.0, None)
        """
        return None if self.reliable_change is None else self.reliable_change.threshold()

    def talking_therapies_caseness(self) -> float | None:
        """The NHS Talking Therapies caseness threshold: a score at or above it is a case.

        The role's own value, else the instrument's cut-off (which must then be ``>=``); None
        when the instrument has no Talking Therapies role.
        """
        role = self.talking_therapies
        if role is None:
            return None
        if role.caseness is not None:
            return float(role.caseness)
        return None if self.cutoff is None else float(self.cutoff.value)

    def talking_therapies_reliable_change(self) -> float | None:
        """The NHS Talking Therapies reliable-change value in points (a change of at least it).

        Examples
        --------
        >>> from therapy_outcomes.instruments import default_registry
        >>> default_registry().get("GAD-7").talking_therapies_reliable_change()
        4.0
        """
        role = self.talking_therapies
        if role is None:
            return None
        if role.reliable_change is not None:
            return float(role.reliable_change)
        return self.rc_threshold()


def score_range(k: int, lo: float, hi: float, rule: str, mult: float) -> tuple[float, float]:
    factor = k if rule == "sum" else 1
    return float(lo * factor * mult), float(hi * factor * mult)
