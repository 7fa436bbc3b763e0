"""The FHIR source: Bundles, single resources and NDJSON bulk exports of QuestionnaireResponse
and Observation resources, and the Observation export that loads back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import external
from therapy_outcomes import load
from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.export.fhir_export import export_observations

DATA = Path(__file__).parent / "data" / "fhir"
AS_OF = "2026-06-30"
FRAMES = ["clients", "administrations", "responses", "scores"]
LA = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
PHQ9 = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]


def assert_same(a, b, frames=FRAMES) -> None:
    for name in frames:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def bundle_entries() -> list[dict]:
    return [e["resource"] for e in json.loads((DATA / "tiny_bundle.json").read_text())["entry"]]


def qr(
    rid: str,
    answers: list[int | None],
    *,
    client: str = "C1",
    date: str = "2026-01-12",
    **extra: object,
) -> dict:
    """A US Core style PHQ-9 response: link ids are the LOINC item codes."""
    items = [
        {"linkId": code, "answer": [{"valueCoding": {"system": "http://loinc.org", "code": LA[v]}}]}
        for code, v in zip(PHQ9, answers, strict=True)
        if v is not None
    ]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "status": "completed",
        "questionnaire": "http://hl7.org/fhir/us/core/Questionnaire/phq-9",
        "subject": {"reference": f"Patient/{client}"},
        "authored": date,
        "item": items,
        **extra,
    }


def write_ndjson(path: Path, resources: list[dict | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in resources]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bundle_loads_to_the_same_dataset_as_the_csv_original() -> None:
    fhir = load(DATA / "tiny_bundle.json", as_of=AS_OF)
    assert fhir.n_rejected == 0
    assert_same(fhir, load(DATA / "tiny_csv", as_of=AS_OF))
    counts = fhir.counts.set_index("table")
    assert counts.loc["administrations", "file"] == "tiny_bundle.json#entry"
    # A1 reported a total of 16 (checked), A5 is a GAD-7 total Observation, bp1 is skipped
    assert fhir.scores.set_index("administration_id")["total"].to_dict() == {
        "A3": 10.0,
        "A1": 16.0,
        "A2": 10.125,
        "A4": 8.0,
        "A5": 9.0,
    }  # A2 prorated: 9 * 9 / 8


def test_published_example_answers_map_to_their_item_scores(tmp_path: Path) -> None:
    canonical = {
        "mii-exa-pro-phq-9-response": "Questionnaire/mii-qst-pro-phq-9",
        "mii-exa-pro-gad-7-response": "Questionnaire/mii-qst-pro-gad-7",
        "questionnaireresponse-sdc-profile-example-PHQ9": "http://hl7.org/fhir/Questionnaire/questionnaire-sdc-profile-example-PHQ9",
    }
    with external("fhir_questionnaire_examples", "items.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    resources, expected = [], {}
    for day, (example, url) in enumerate(canonical.items(), start=1):
        mine = [r for r in rows if r["example_id"] == example]
        resources.append(
            {
                "resourceType": "QuestionnaireResponse",
                "id": example.replace("_", "-"),
                "status": "completed",
                "questionnaire": url,
                "subject": {"reference": "Patient/X1"},
                "authored": f"2026-01-0{day}",
                "item": [
                    {
                        "linkId": r["link_id"],
                        "answer": [
                            {
                                "valueCoding": {
                                    "code": r["answer_code"],
                                    "display": r["answer_display"],
                                }
                            }
                        ],
                    }
                    for r in mine
                ],
            }
        )
        expected.update(
            {
                (example, int(r["item_number"])): float(r["standard_item_score"])
                for r in mine
                if r["standard_item_score"]
            }
        )
    ds = load(write_ndjson(tmp_path / "examples.ndjson", resources), as_of=AS_OF)
    assert ds.n_rejected == 0
    got = {
        (a, int(i)): v
        for a, i, v in ds.responses[["administration_id", "item", "value"]].itertuples(index=False)
    }
    assert got == expected
    assert set(ds.scores["instrument"]) == {"PHQ-9", "GAD-7"}


def test_bulk_export_folder_of_ndjson_files(tmp_path: Path) -> None:
    folder = tmp_path / "bulk"
    folder.mkdir()
    by_type: dict[str, list[dict]] = {}
    for res in bundle_entries():
        by_type.setdefault(res["resourceType"], []).append(res)
    for kind, resources in by_type.items():
        write_ndjson(folder / f"{kind}.ndjson", resources)
    (folder / "Encounter.ndjson").write_text(
        json.dumps(
            {
                "resourceType": "Encounter",
                "id": "e1",
                "status": "finished",
                "class": {"code": "AMB"},
            }
        )
        + "\n"
    )
    ds = load(folder, as_of=AS_OF)
    assert ds.n_rejected == 0
    assert_same(ds, load(DATA / "tiny_csv", as_of=AS_OF))
    assert (
        ds.counts.set_index("table")
        .loc["administrations", "file"]
        .startswith("Observation.ndjson, QuestionnaireResponse.ndjson")
    )


def test_folder_with_clients_csv_uses_it_and_links_sessions(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "clients.csv").write_text(
        "client_id,site,therapist_id,referred_on\nC1,West,T9,2026-01-02\n"
    )
    (folder / "sessions.csv").write_text(
        "session_id,client_id,therapist_id,session_on,attendance\nS1,C1,T9,2026-01-12,attended\n"
    )
    write_ndjson(
        folder / "responses.ndjson", [qr("A1", [1] * 9, encounter={"reference": "Encounter/S1"})]
    )
    ds = load(folder, as_of=AS_OF)
    assert ds.n_rejected == 0
    assert ds.clients["site"].tolist() == ["West"]
    assert ds.scores["session_id"].tolist() == ["S1"]


def test_truncated_json_file_is_one_clear_error(tmp_path: Path) -> None:
    text = (DATA / "tiny_bundle.json").read_text()
    broken = tmp_path / "broken.json"
    broken.write_text(text[: len(text) // 2])
    with pytest.raises(DatasetReadError, match=r"broken.json: not valid JSON .*truncated"):
        load(broken)
    (tmp_path / "plain.json").write_text('{"hello": 1}')
    with pytest.raises(DatasetReadError, match="not a FHIR resource"):
        load(tmp_path / "plain.json")


def test_malformed_resources_are_rejects_with_their_line(tmp_path: Path) -> None:
    good = qr("A1", [3, 3, 2, 2, 1, 1, 2, 1, 1])
    out_of_range = qr("A2", [1] * 9)
    out_of_range["item"][3]["answer"] = [{"valueInteger": 7}]
    unknown_code = qr("A3", [1] * 9)
    unknown_code["item"][0]["answer"][0]["valueCoding"]["code"] = "LA9999-9"
    wrong_total = qr("A4", [1] * 9, date="2026-01-19")
    wrong_total["item"].append({"linkId": "44261-6", "answer": [{"valueInteger": 20}]})
    lines = [
        {"resourceType": "Patient", "id": "C1", "gender": "female"},
        good,
        out_of_range,
        unknown_code,
        json.dumps(good)[:70],  # 5: truncated line
        good,  # 6: duplicate resource
        qr("A5", [1] * 9, status="in-progress"),  # 7
        {
            **qr("A6", [1] * 9, date="2026-01-26"),
            "questionnaire": "Questionnaire/local-depression-form",
        },  # 8: its link ids are PHQ-9
        {
            **qr("A7", [1] * 9),
            "questionnaire": "Questionnaire/who-knows",
            "item": [{"linkId": "q1", "answer": [{"valueInteger": 1}]}],
        },  # 9 unknown
        {
            "resourceType": "QuestionnaireResponse",
            "id": "A8",
            "status": "completed",
            "item": "not a list",
        },  # 10 invalid FHIR
        wrong_total,  # 11
    ]
    ds = load(write_ndjson(tmp_path / "export.ndjson", lines), as_of=AS_OF)
    reasons = ds.rejects.groupby("line")["reason"].apply(" | ".join)
    assert "outside PHQ-9's answer range" in reasons[3]
    assert "unknown answer code 'LA9999-9' for PHQ-9" in reasons[4]
    assert "not valid JSON" in reasons[5]
    assert (
        "duplicate resource QuestionnaireResponse/A1 (first at export.ndjson line 2)" in reasons[6]
    )
    assert "status 'in-progress'" in reasons[7]
    assert "not an instrument in the registry" in reasons[9]
    assert "not a valid FHIR resource" in reasons[10]
    assert "total 20 does not match the score of the item answers (9)" in reasons[11]
    assert set(ds.rejects["file"]) == {"export.ndjson"}
    # line 8 names an unknown questionnaire but its items are PHQ-9 LOINC codes
    assert sorted(ds.scores["administration_id"]) == ["A1", "A6"]
    counts = ds.counts.set_index("table").loc["administrations"]
    assert counts["read"] == counts["accepted"] + counts["rejected"] == 10


def test_answers_are_never_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    load(DATA / "tiny_bundle.json", as_of=AS_OF)
    assert "LA65" not in caplog.text and "Nearly" not in caplog.text


def test_observation_panels_totals_and_loose_items(tmp_path: Path) -> None:
    def obs(oid: str, code: str, **value: object) -> dict:
        return {
            "resourceType": "Observation",
            "id": oid,
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": "Patient/C1"},
            "effectiveDateTime": "2026-02-01",
            **value,
        }

    gad = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
    members = [
        obs(f"g{k}", c, valueCodeableConcept={"coding": [{"code": LA[1]}]})
        for k, c in enumerate(gad, 1)
    ]
    panel = obs(
        "P1", "69737-5", hasMember=[{"reference": f"Observation/g{k}"} for k in range(1, 8)]
    )
    broken_panel = obs("P2", "69737-5", hasMember=[{"reference": "Observation/missing"}])
    loose = [obs(f"l{k}", c, valueInteger=2) for k, c in enumerate(PHQ9, 1)]
    derived_total = obs(
        "T1",
        "44261-6",
        valueQuantity={"value": 16},
        derivedFrom=[{"reference": "QuestionnaireResponse/Q1"}],
    )
    response = qr("Q1", [3, 3, 2, 2, 1, 1, 2, 1, 1], date="2026-01-05")
    resources = [panel, *members, broken_panel, *loose, derived_total, response]
    ds = load(write_ndjson(tmp_path / "obs.ndjson", resources), as_of=AS_OF)
    totals = ds.scores.set_index("administration_id")["total"].to_dict()
    assert totals == {"Q1": 16.0, "P1": 7.0, "l1": 18.0}
    (reason,) = ds.rejects["reason"]
    assert "Observation/P2: member Observation/missing is not in the input" in reason


def test_observation_export_round_trips(tmp_path: Path) -> None:
    from therapy_outcomes.demo import write_demo_clinic

    write_demo_clinic(tmp_path / "demo", n_clients=25, seed=4, as_of="2026-10-31")
    ds = load(tmp_path / "demo", as_of="2026-10-31")
    for name in ("obs.ndjson", "obs.json"):
        result = export_observations(ds, tmp_path / name)
        assert result.patients > 0 and "CORE-10" in result.skipped
        back = load(tmp_path / name, as_of="2026-10-31")
        assert back.n_rejected == 0
        mine = ds.scores[ds.scores["instrument"].isin(["PHQ-9", "GAD-7"])].reset_index(drop=True)
        pd.testing.assert_frame_equal(
            back.scores.drop(columns="session_id"), mine.drop(columns="session_id")
        )
        assert back.clients.set_index("client_id")["birth_year"].equals(
            ds.clients.set_index("client_id").loc[back.clients["client_id"], "birth_year"]
        )
    text = (tmp_path / "obs.ndjson").read_text()
    assert '"44261-6"' in text and '"LA6569-3"' in text and '"Encounter/' in text
