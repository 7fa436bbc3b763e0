"""Controlled vocabularies of the research export: free text in, a documented category out.

``clients.problem`` and ``clients.modality`` are free text in the data dictionary, so a value
may hold anything ("widowed after husband John Smith died"). The research export never copies
them: each value is normalised (lower case, runs of spaces, ``_`` and ``-`` as one space, a
final full stop dropped) and looked up *as a whole* in the synonym lists below; a value that is
not listed becomes ``"other"``. No word is ever searched for inside a longer text, so nothing
from an unlisted value can leave. ``goals.measure`` becomes its canonical instrument code,
``GAS``, ``GBO`` or ``count`` (else ``"other"``). The lists are documented in ``docs/privacy.md``.

Each category also has a broader group, the first level of generalisation for k-anonymity
(:mod:`therapy_outcomes.export.kanon`): problems group into depression, anxiety disorders,
mixed anxiety and depression; modalities into low and high intensity.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from therapy_outcomes.instruments.registry import Registry

OTHER = "other"

#: Presenting problem category -> (broad group, synonyms as normalised by :func:`normalise`).
PROBLEMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "depression": (
        "depression",
        (
            "depression",
            "low mood",
            "depressive episode",
            "depressive disorder",
            "major depression",
            "recurrent depression",
            "f32",
            "f33",
        ),
    ),
    "mixed anxiety and depression": (
        "mixed anxiety and depression",
        (
            "mixed anxiety and depression",
            "mixed anxiety and depressive disorder",
            "mixed anxiety depression",
            "f41.2",
        ),
    ),
    "generalised anxiety": (
        "anxiety disorders",
        (
            "generalised anxiety",
            "generalized anxiety",
            "generalised anxiety disorder",
            "generalized anxiety disorder",
            "gad",
            "f41.1",
        ),
    ),
    "panic": ("anxiety disorders", ("panic", "panic disorder", "panic attacks", "f41.0")),
    "agoraphobia": ("anxiety disorders", ("agoraphobia", "f40.0")),
    "social anxiety": (
        "anxiety disorders",
        ("social anxiety", "social anxiety disorder", "social phobia", "f40.1"),
    ),
    "specific phobia": ("anxiety disorders", ("specific phobia", "phobia", "f40.2")),
    "health anxiety": (
        "anxiety disorders",
        ("health anxiety", "hypochondriasis", "illness anxiety"),
    ),
    "OCD": (
        "anxiety disorders",
        ("ocd", "obsessive compulsive disorder", "f42"),
    ),
    "PTSD": (
        "anxiety disorders",
        ("ptsd", "post traumatic stress disorder", "posttraumatic stress disorder", "f43.1"),
    ),
    "eating disorder": (OTHER, ("eating disorder", "anorexia", "bulimia", "binge eating")),
}

#: Modality code -> (intensity group, synonyms as normalised by :func:`normalise`).
MODALITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "CBT": (
        "high intensity",
        ("cbt", "cognitive behavioural therapy", "cognitive behavioral therapy"),
    ),
    "behavioural activation": (
        "high intensity",
        ("behavioural activation", "behavioral activation", "ba"),
    ),
    "counselling": (
        "high intensity",
        ("counselling", "counseling", "counselling for depression", "cfd"),
    ),
    "IPT": ("high intensity", ("ipt", "interpersonal psychotherapy", "interpersonal therapy")),
    "EMDR": (
        "high intensity",
        ("emdr", "eye movement desensitisation and reprocessing"),
    ),
    "DIT": ("high intensity", ("dit", "dynamic interpersonal therapy")),
    "couples therapy": ("high intensity", ("couples therapy", "couple therapy")),
    "psychodynamic": ("high intensity", ("psychodynamic", "psychodynamic psychotherapy")),
    "ACT": ("high intensity", ("act", "acceptance and commitment therapy")),
    "DBT": ("high intensity", ("dbt", "dialectical behaviour therapy")),
    "CFT": ("high intensity", ("cft", "compassion focused therapy")),
    "MBCT": ("high intensity", ("mbct", "mindfulness based cognitive therapy")),
    "guided self-help": (
        "low intensity",
        ("guided self help", "gsh", "low intensity cbt", "computerised cbt", "ccbt"),
    ),
}


def normalise(value: str) -> str:
    """The form a value is looked up in: lower case, one space for runs of space/``_``/``-``.

    Examples
    --------
    >>> normalise("  Obsessive-Compulsive_Disorder. ")
    'obsessive compulsive disorder'
    """
    return re.sub(r"[\s_\-]+", " ", value.strip().lower()).rstrip(".").strip()


def _lookup(vocabulary: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    table = {normalise(code): code for code in vocabulary}
    for code, (_, synonyms) in vocabulary.items():
        table.update({normalise(s): code for s in synonyms})
    return table


def _map(values: pd.Series, vocabulary: dict[str, tuple[str, tuple[str, ...]]]) -> pd.Series:
    table = _lookup(vocabulary)
    mapped = {v: table.get(normalise(str(v)), OTHER) for v in values.dropna().unique()}
    return values.map(mapped).astype("string")


def problem_category(values: pd.Series) -> pd.Series:
    """Each presenting problem as its category of :data:`PROBLEMS`, else ``"other"``.

    Examples
    --------
    >>> problem_category(pd.Series(["Low mood", "widowed after husband died", None])).tolist()
    ['depression', 'other', <NA>]
    """
    return _map(values, PROBLEMS)


def modality_code(values: pd.Series) -> pd.Series:
    """Each modality as its code of :data:`MODALITIES`, else ``"other"``.

    Examples
    --------
    >>> modality_code(pd.Series(["cognitive behavioural therapy", "<b>CBT</b>"])).tolist()
    ['CBT', 'other']
    """
    return _map(values, MODALITIES)


def groups(vocabulary: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    """Category -> broad group (the first generalisation level).

    Examples
    --------
    >>> groups(MODALITIES)["guided self-help"]
    'low intensity'
    """
    return {code: group for code, (group, _) in vocabulary.items()} | {OTHER: OTHER}


def measure_code(values: pd.Series, registry: Registry) -> pd.Series:
    """Each goal measure as ``GAS``, ``GBO``, ``count`` or its canonical instrument code.

    Anything the registry does not know becomes ``"other"``; the value itself never leaves.

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> measure_code(pd.Series(["phq 9", "Count", "<a>x</a>"]), default_registry()).tolist()
    ['PHQ-9', 'count', 'other']
    """
    count = values.astype("string").str.lower() == "count"
    codes = registry.resolve(values.astype("string")).astype("string")
    out = codes.where(codes.notna(), OTHER).mask(count.fillna(False), "count")
    return out.where(values.notna()).astype("string")
