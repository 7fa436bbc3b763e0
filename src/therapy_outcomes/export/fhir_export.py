"""Scored administrations as FHIR R4 Observations with LOINC codes.

Each administration of an instrument with LOINC codes becomes a panel Observation (e.g. PHQ-9
44249-1) whose ``hasMember`` are one Observation per answered item (``valueCodeableConcept``
with the LOINC answer code when the instrument has one, else ``valueInteger``/``valueDecimal``)
and one total Observation (``valueQuantity`` in ``{score}``, the severity band as
``interpretation.text``; the session, when known, as ``encounter``). Administrations of
instruments without LOINC codes are left out and counted. Patients can be written too
(``gender``, birth year, site as ``managingOrganization``, therapist as
``generalPractitioner``), so that the file loads back with :func:`therapy_outcomes.load`. Every
resource is validated with ``fhir.resources`` (R4B models, the ``fhir`` extra: ``pip install
"therapy-outcomes[fhir]"``) before it is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from therapy_outcomes.extras import require
from therapy_outcomes.sources.fhir_codes import LOINC_SYSTEM, loinc_codes

SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
UCUM = "http://unitsofmeasure.org"


@dataclass
class FhirExport:
    """What :func:`export_observations` wrote."""

    path: Path
    administrations: int
    observations: int
    patients: int
    skipped: dict[str, int]


def fhir_id(value: str) -> str:
    """One of our IDs as a FHIR id: ``_`` (not allowed in FHIR ids) becomes ``.``, which the
    FHIR source turns back into ``_``; longer than 64 characters is shortened with a hash.

    Examples
    --------
    >>> fhir_id("101-baseline_arm_1-phq9")
    '101-baseline.arm.1-phq9'
    """
    text = str(value).replace("_", ".")
    if len(text) > 64:
        text = text[:47] + "-" + hashlib.sha256(text.encode()).hexdigest()[:16]
    return text


def _number(value: float) -> dict[str, Any]:
    return {"valueInteger": int(value)} if float(value).is_integer() else {"valueDecimal": value}


def _concept(code: str | None, display: str | None = None) -> dict[str, Any]:
    coding = {"system": LOINC_SYSTEM, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _date(value: str | dt.date) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def _item_value(value: float, inst: Any, answers: dict[float, str]) -> dict[str, Any]:
    code = answers.get(float(value))
    if code is not None:
        label = inst.answer_labels.get(float(value))
        return {"valueCodeableConcept": _concept(code, label)}
    return _number(float(value))


def administration_resources(
    score_row: pd.Series, responses: pd.DataFrame, inst: Any
) -> list[dict[str, Any]]:
    """The panel, item and total Observations of one scored administration (as dicts).

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> gad7 = default_registry().get("GAD-7")
    >>> row = pd.Series({"administration_id": "A1", "client_id": "C1",
    ...     "administered_on": pd.Timestamp("2026-01-05"), "total": 3.0, "band": "minimal"})
    >>> answers = pd.DataFrame({"item": [1, 2, 3], "value": [1.0, 1.0, 1.0]})
    >>> [r["code"]["coding"][0]["code"] for r in administration_resources(row, answers, gad7)]
    ['69737-5', '69725-0', '68509-9', '69733-4', '70274-6']
    """
    codes = loinc_codes(inst)
    admin = fhir_id(score_row["administration_id"])
    client = fhir_id(score_row["client_id"])
    base = {
        "resourceType": "Observation",
        "status": "final",
        "category": [SURVEY],
        "subject": {"reference": f"Patient/{client}"},
        "effectiveDateTime": _date(score_row["administered_on"]),
    }
    session = score_row.get("session_id")
    if session is not None and pd.notna(session):
        base["encounter"] = {"reference": f"Encounter/{fhir_id(session)}"}
    members: list[dict[str, Any]] = []
    for item, value in zip(responses["item"], responses["value"], strict=True):
        code = codes["items"].get(int(item))
        if code is None or pd.isna(value):
            continue
        members.append(
            {
                **base,
                "id": fhir_id(f"{admin}-item{int(item)}"),
                "code": _concept(code),
                **_item_value(float(value), inst, codes["answers"]),
            }
        )
    total = score_row.get("total")
    if codes["total"] and total is not None and pd.notna(total):
        obs = {
            **base,
            "id": fhir_id(f"{admin}-total"),
            "code": _concept(codes["total"]),
            "valueQuantity": {
                "value": float(total),
                "unit": "{score}",
                "system": UCUM,
                "code": "{score}",
            },
        }
        band = score_row.get("band")
        if band is not None and pd.notna(band):
            obs["interpretation"] = [{"text": str(band)}]
        members.append(obs)
    if not codes["panel"]:
        return members
    panel = {
        **base,
        "id": admin,
        "code": _concept(codes["panel"]),
        "hasMember": [{"reference": f"Observation/{m['id']}"} for m in members],
    }
    return [panel, *members]


def patient_resource(client: pd.Series) -> dict[str, Any]:
    """A Patient with only what the dataset holds: no names, addresses or identifiers.

    Examples
    --------
    >>> patient_resource(pd.Series({"client_id": "C1", "site": "North", "therapist_id": "T1",
    ...                             "sex": "female", "birth_year": 1987.0}))["birthDate"]
    '1987'
    """
    out: dict[str, Any] = {"resourceType": "Patient", "id": fhir_id(client["client_id"])}
    sex = client.get("sex")
    if sex is not None and pd.notna(sex):
        out["gender"] = str(sex)
    year = client.get("birth_year")
    if year is not None and pd.notna(year):
        out["birthDate"] = f"{int(year):04d}"
    out["managingOrganization"] = {"display": str(client["site"])}
    out["generalPractitioner"] = [{"reference": f"Practitioner/{fhir_id(client['therapist_id'])}"}]
    return out


def _validated(resource: dict[str, Any]) -> dict[str, Any]:
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def export_observations(
    ds: Any,
    path: str | Path,
    *,
    layout: Literal["ndjson", "bundle"] = "ndjson",
    patients: bool = True,
) -> FhirExport:
    """Write a dataset's scored administrations as FHIR Observations.

    Parameters
    ----------
    ds : Dataset
        A loaded dataset (its ``scores``, ``responses``, ``clients`` and ``registry``).
    path : str or pathlib.Path
        The file to write (``.ndjson``: one resource a line; ``.json``: a collection Bundle).
    layout : {"ndjson", "bundle"}
        File layout.
    patients : bool
        Also write a Patient per client with administrations.

    Returns
    -------
    FhirExport

    Raises
    ------
    MissingExtraError
        When ``fhir.resources`` (the ``fhir`` extra) is not installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from therapy_outcomes import load
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_demo_clinic(folder / "demo", n_clients=5, seed=1)
    >>> ds = load(folder / "demo", as_of="2026-10-31")
    >>> out = export_observations(ds, folder / "obs.ndjson")
    >>> out.administrations > 0, "CORE-10" in out.skipped  # CORE-10 has no LOINC codes
    (True, True)
    """
    path = Path(path)
    require("fhir.resources.R4B", "fhir", f"writing {path.name}")
    scores = ds.scores
    responses = ds.responses.groupby("administration_id", sort=False)
    resources: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    exported_clients: set[str] = set()
    n_admin = 0
    for code, rows in scores.groupby("instrument", sort=False):
        inst = ds.registry.get(str(code))
        codes = loinc_codes(inst)
        if not codes["total"] and not codes["items"]:
            skipped[str(code)] = len(rows)
            continue
        for _, row in rows.iterrows():
            admin = str(row["administration_id"])
            answers = (
                responses.get_group(admin)
                if admin in responses.groups
                else pd.DataFrame({"item": [], "value": []})
            )
            resources.extend(administration_resources(row, answers, inst))
            exported_clients.add(str(row["client_id"]))
            n_admin += 1
    n_obs = len(resources)
    n_patients = 0
    if patients:
        clients = ds.clients[ds.clients["client_id"].isin(exported_clients)]
        resources = [patient_resource(c) for _, c in clients.iterrows()] + resources
        n_patients = len(clients)
    resources = [_validated(r) for r in resources]
    path.parent.mkdir(parents=True, exist_ok=True)
    if layout == "bundle" or path.suffix.lower() == ".json":
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources],
        }
        path.write_text(json.dumps(bundle, indent=1) + "\n", encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
    return FhirExport(path, n_admin, n_obs, n_patients, skipped)
