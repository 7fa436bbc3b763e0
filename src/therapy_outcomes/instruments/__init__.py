"""Instrument registry and scoring.

Each instrument (PHQ-9, GAD-7, CORE-10, ...) is one declarative YAML file in ``definitions/``;
:func:`default_registry` loads them, :meth:`Registry.with_definitions` adds or overrides
instruments from user YAML files, and :func:`score` scores item answers against a definition.

Examples
--------
>>> import pandas as pd
>>> from therapy_outcomes.instruments import default_registry, score
>>> gad7 = default_registry().get("GAD7")
>>> items = pd.DataFrame([[1, 2, 1, 1, 2, 2, 1]], columns=gad7.item_columns)
>>> score(items, gad7)[["total", "band", "valid"]]
   total      band  valid
0   10.0  moderate   True
"""

from therapy_outcomes.instruments.registry import (
    Band,
    Cutoff,
    Instrument,
    InstrumentDefinitionError,
    MissingRule,
    Registry,
    ReliableChange,
    RiskItem,
    Subscale,
    UnknownInstrumentError,
    default_registry,
    normalise_code,
)
from therapy_outcomes.instruments.scoring import score, score_totals

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
    "score",
    "score_totals",
]
