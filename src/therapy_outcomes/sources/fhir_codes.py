"""LOINC codes and link ids that map FHIR questionnaire data to the instrument registry.

The instrument definitions carry their LOINC codes (``loinc: total, panel, items, answers``);
this module only fills the gaps the definitions leave and lists codes that are *not* scored.

Sources
-------
- PHQ-9 items 1-7, total 44261-6, panel 44249-1 and answers LA6568-5, LA6569-3, LA6570-1,
  LA6571-9 (0..3): ``shared/reference/clinical_measures.md`` A1 (HL7 PHR IG value set;
  HL7 US Core STU7 ``QuestionnaireResponse-phq-9-example``).
- PHQ-9 item 8 ``44253-3`` (moving or speaking slowly / fidgety) and item 9 ``44260-8``
  (thoughts of being better off dead or of self-harm): LOINC panel 44249-1 as used in public
  FHIR PHQ-9 Questionnaires (LHC-Forms ``/44253-3``, ``/44260-8`` link ids); not in the
  reference file, which lists items 1-7 only.
- GAD-7 items, total 70274-6 and panel 69737-5: ``clinical_measures.md`` A3 (HL7 PHR IG GAD-7
  QuestionnaireResponse example). GAD-7 uses the PHQ answer list (same LA codes, 0..3), as in
  the MII PRO module example ``mii-exa-pro-gad-7-response``.
- Not scored: the PHQ-9 difficulty item 69722-7 and GAD-7 difficulty item 69726-8, and their
  answers LA6572-7, LA6573-5, LA6574-3, LA6575-0 (MII example ``PHQ.10`` = LA6574-3).
- Link ids of published examples that are not LOINC codes (MII ``PHQ.1`` ...,
  ``phq-phq5a`` ...; SDC ``H1/T1/Q1`` ...): ``shared/external/fhir_questionnaire_examples/
  items.csv``.
"""

from __future__ import annotations

from typing import Any

LOINC_SYSTEM = "http://loinc.org"

#: Gaps in the shipped definitions, by instrument code (merged under the definition's own).
EXTRA_LOINC: dict[str, dict[str, Any]] = {
    "PHQ-9": {
        "total": "44261-6",
        "panel": "44249-1",
        "items": {8: "44253-3", 9: "44260-8"},
        "answers": {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"},
    },
    "GAD-7": {
        "total": "70274-6",
        "panel": "69737-5",
        "answers": {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"},
    },
}

#: Item codes that are asked but not scored (the "how difficult" question).
UNSCORED_ITEM_CODES = frozenset({"69722-7", "69726-8"})

#: Answer codes of the unscored difficulty question.
UNSCORED_ANSWER_CODES = frozenset({"LA6572-7", "LA6573-5", "LA6574-3", "LA6575-0"})

#: Link ids of published example questionnaires, by instrument: link id -> item number.
LINK_IDS: dict[str, dict[str, int]] = {
    "PHQ-9": {
        **{f"PHQ.{k}": k for k in range(1, 10)},
        **{f"H1/T1/Q{k}": k for k in range(1, 10)},
    },
    "GAD-7": {f"phq-phq5{letter}": k for k, letter in enumerate("abcdefg", start=1)},
}

#: Link ids known to hold the unscored difficulty question.
UNSCORED_LINK_IDS = frozenset({"PHQ.10", "H1/T1/Q10"})

#: Extension URLs that carry an answer's numeric score on a Coding (R4 and SDC / R5 names).
ORDINAL_EXTENSIONS = (
    "http://hl7.org/fhir/StructureDefinition/ordinalValue",
    "http://hl7.org/fhir/StructureDefinition/itemWeight",
    "http://hl7.org/fhir/StructureDefinition/iso21090-CO-value",
)


def loinc_codes(code: str, loinc: dict[str, Any]) -> dict[str, Any]:
    """The LOINC codes of one instrument: its definition's, gaps filled from this module.

    Parameters
    ----------
    code : str
        Canonical instrument code.
    loinc : dict
        The definition's ``loinc`` mapping (may be empty).

    Returns
    -------
    dict
        ``total`` and ``panel`` (str or None), ``items`` {item number: code} and
        ``answers`` {score: code}.

    Examples
    --------
    >>> codes = loinc_codes("PHQ-9", {"items": {1: "44250-9"}})
    >>> codes["total"], codes["items"][1], codes["items"][9], codes["answers"][3]
    ('44261-6', '44250-9', '44260-8', 'LA6571-9')
    """
    extra = EXTRA_LOINC.get(code, {})
    items = {int(k): str(v) for k, v in (extra.get("items") or {}).items()}
    items.update({int(k): str(v) for k, v in (loinc.get("items") or {}).items()})
    answers = {float(k): str(v) for k, v in (extra.get("answers") or {}).items()}
    answers.update({float(k): str(v) for k, v in (loinc.get("answers") or {}).items()})
    return {
        "total": loinc.get("total") or extra.get("total"),
        "panel": loinc.get("panel") or extra.get("panel"),
        "items": dict(sorted(items.items())),
        "answers": answers,
    }
