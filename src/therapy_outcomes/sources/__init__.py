"""Where datasets come from: a registry of sources, each turning a location into raw tables.

A source reads a location (a folder, a workbook, a FHIR bundle, a database URL, ...) into a
:class:`RawDataset`: one :class:`~therapy_outcomes.loading.readers.RawTable` of text per table, each
row with the place it came from. Everything after that, parsing, validation, rejects and
scoring, is shared, so every source gets the same guarantees.

Sources are tried in order; the first whose ``matches`` accepts the location reads it. Add one
with :func:`register_source`, or from another package through the entry-point group
``therapy_outcomes.sources`` (an object with ``name``, ``matches`` and ``read``), in the manner
of papermill's I/O handlers.
"""

from __future__ import annotations

from therapy_outcomes.sources.base import (
    RawDataset,
    Source,
    portable_location,
    read_source,
    register_source,
    sources,
)
from therapy_outcomes.sources.fhir import FHIR
from therapy_outcomes.sources.folder import FOLDER, WORKBOOK
from therapy_outcomes.sources.parquet import PARQUET
from therapy_outcomes.sources.redcap import REDCAP
from therapy_outcomes.sources.sql import SQL
from therapy_outcomes.sources.stats_files import STATS

register_source(FOLDER)
register_source(WORKBOOK)
register_source(FHIR, first=True)
register_source(SQL)
register_source(REDCAP, first=True)
register_source(STATS, first=True)
register_source(PARQUET, first=True)

__all__ = [
    "RawDataset",
    "Source",
    "portable_location",
    "read_source",
    "register_source",
    "sources",
]
