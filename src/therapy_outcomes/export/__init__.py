"""Exports: de-identified research datasets and FHIR Observations.

- :func:`~therapy_outcomes.export.research.export_research`: a de-identified copy of a dataset
  for sharing (keyed pseudonyms, shifted dates, no free text, banded ages, small cells
  generalised).
- :func:`~therapy_outcomes.export.fhir_export.export_observations`: scored administrations as
  FHIR Observations with LOINC codes.
"""
