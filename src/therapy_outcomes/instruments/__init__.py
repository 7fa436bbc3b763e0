"""Instruments: one YAML definition per questionnaire or goal-rating scale, and scoring.

Each instrument (PHQ-9, GAD-7, CORE-10, ...) is one declarative YAML file in ``definitions/``
(``definitions/phq9.yaml`` is the commented example), the only place its facts are written.

- :mod:`.definition`: the :class:`Instrument` dataclass and its parts (bands, cut-off,
  reliable change, missing-item rule, risk items, subscales);
- :mod:`.yaml_schema`: checking a YAML file and building an Instrument from it;
- :mod:`.registry`: :func:`default_registry` (the shipped definitions) and
  :meth:`Registry.with_definitions` (a user's own files added or replacing shipped ones);
- :mod:`.scoring`: :func:`score` scores item answers against a definition (vectorised).

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

from therapy_outcomes.instruments.definition import (
    DECIMALS,
    Band,
    Cutoff,
    Instrument,
    InstrumentDefinitionError,
    MissingRule,
    ReliableChange,
    RiskItem,
    Subscale,
    UnknownInstrumentError,
    normalise_code,
)
from therapy_outcomes.instruments.registry import Registry, default_registry
from therapy_outcomes.instruments.scoring import score, score_totals

__all__ = [
    "DECIMALS",
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
