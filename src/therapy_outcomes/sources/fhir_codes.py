"""FHIR facts that belong to no instrument: the LOINC system and the score extensions.

Every instrument's own codes (LOINC total, panel, item and answer codes, the codes of items that
are asked but not scored, and the link ids of published questionnaires) are written in its YAML
definition (``loinc`` and ``fhir_link_ids``); :func:`loinc_codes` reads them in the form the
FHIR reader and the Observation export use.
"""

from __future__ import annotations

from typing import Any

from therapy_outcomes.instruments import Instrument

__all__ = ["LOINC_SYSTEM", "ORDINAL_EXTENSIONS", "loinc_codes"]

LOINC_SYSTEM = "http://loinc.org"

#: Extension URLs that carry an answer's numeric score on a Coding (R4 and SDC / R5 names).
ORDINAL_EXTENSIONS = (
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
    "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value",
)


def loinc_codes(inst: Instrument) -> dict[str, Any]:
    """The LOINC codes of one instrument, from its definition.

    Parameters
    ----------
    inst : Instrument

    Returns
    -------
    dict
        ``total`` and ``panel`` (str or None), ``items`` {item number: code}, ``answers``
        {score: code}, ``unscored_items`` and ``unscored_answers`` (frozensets of codes).

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> codes = loinc_codes(default_registry().get("PHQ-9"))
    >>> codes["total"], codes["items"][1], codes["items"][9], codes["answers"][3]
    ('44261-6', '44250-9', '44260-8', 'LA6571-9')
    >>> sorted(codes["unscored_items"])
    ['69722-7']
    """
    loinc = inst.loinc
    items = {int(k): str(v) for k, v in (loinc.get("items") or {}).items()}
    return {
        "total": loinc.get("total"),
        "panel": loinc.get("panel"),
        "items": dict(sorted(items.items())),
        "answers": {float(k): str(v) for k, v in (loinc.get("answers") or {}).items()},
        "unscored_items": frozenset(loinc.get("unscored_items") or ()),
        "unscored_answers": frozenset(loinc.get("unscored_answers") or ()),
    }
