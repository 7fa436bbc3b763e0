"""``therapy-outcomes import`` and ``export research`` / ``export fhir``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from therapy_outcomes import load
from therapy_outcomes.cli.data import data_app
from therapy_outcomes.errors import DatasetReadError, ParameterError
from therapy_outcomes.export.research import KEY_ENV

DATA = Path(__file__).parent / "data"
AS_OF = "2026-06-30"
runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(data_app, list(args), env=env)


def test_import_fhir_bundle_writes_a_dataset_folder(tmp_path: Path) -> None:
    out = tmp_path / "clinic"
    result = invoke(
        "import", str(DATA / "fhir" / "tiny_bundle.json"), "--out", str(out), "--as-of", AS_OF
    )
    assert result.exit_code == 0, result.output
    assert "All rows accepted." in result.output and "tiny_bundle.json#entry" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["administrations.csv", "clients.csv"]
    original = load(DATA / "fhir" / "tiny_bundle.json", as_of=AS_OF)
    again = load(out, as_of=AS_OF)
    pd.testing.assert_frame_equal(again.scores, original.scores)
    pd.testing.assert_frame_equal(again.clients, original.clients)


def test_import_with_rejects_exits_1_and_lists_them(tmp_path: Path) -> None:
    bundle = json.loads((DATA / "fhir" / "tiny_bundle.json").read_text())
    bundle["entry"][2]["resource"]["item"][0]["answer"][0]["valueCoding"]["code"] = "LA0000-0"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(bundle))
    out = tmp_path / "clinic"
    result = invoke("import", str(source), "--out", str(out), "--as-of", AS_OF)
    assert result.exit_code == 1, result.output
    assert "The problem" in result.output and "1 row rejected" in result.output
    rejects = pd.read_csv(tmp_path / "clinic-rejects.csv")
    assert rejects["line"].tolist() == [3]
    assert "unknown answer code 'LA0000-0'" in rejects["reason"][0]
    assert len(pd.read_csv(out / "administrations.csv")) == 4


def test_import_redcap_and_unreadable_source(tmp_path: Path) -> None:
    result = invoke(
        "import",
        str(DATA / "redcap" / "redcap.yaml"),
        "--out",
        str(tmp_path / "rc"),
        "--as-of",
        AS_OF,
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rc" / "sessions.csv").exists()
    (tmp_path / "broken.json").write_text('{"resourceType": "Bundle", "entry": [')
    result = invoke("import", str(tmp_path / "broken.json"), "--out", str(tmp_path / "x"))
    assert isinstance(result.exception, DatasetReadError)  # exit 2 through the main entry


def test_import_from_a_database_url(tmp_path: Path, tiny: Path) -> None:
    # a database has no folder of instrument definitions to copy along
    from therapy_outcomes.sources.sql_copy import copy_to_sql

    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    copy_to_sql(tiny, url)
    out = tmp_path / "clinic"
    result = invoke("import", url, "--out", str(out), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "All rows accepted." in result.output
    pd.testing.assert_frame_equal(load(out, as_of=AS_OF).scores, load(tiny, as_of=AS_OF).scores)


def test_export_research_with_key_from_environment(tmp_path: Path) -> None:
    from therapy_outcomes.demo import write_demo_clinic

    write_demo_clinic(tmp_path / "demo", n_clients=40, seed=9, as_of="2026-10-31")
    key = "an-environment-key-for-tests-000"
    result = invoke(
        "export",
        "research",
        "--data",
        str(tmp_path / "demo"),
        "--out",
        str(tmp_path / "share"),
        "--format",
        "parquet",
        "--as-of",
        "2026-10-31",
        env={KEY_ENV: key},
    )
    assert result.exit_code == 0, result.output
    assert "The key was not written" in result.output
    assert (tmp_path / "share" / "clients.parquet").exists()
    assert load(tmp_path / "share", as_of="2026-10-31").n_rejected == 0
    data = b"".join(p.read_bytes() for p in (tmp_path / "share").iterdir())
    assert key.encode() not in data


def test_export_research_without_key_is_a_parameter_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    result = invoke(
        "export",
        "research",
        "--data",
        str(DATA / "fhir" / "tiny_csv"),
        "--out",
        str(tmp_path / "share"),
    )
    assert isinstance(result.exception, ParameterError)
    assert not (tmp_path / "share").exists()


def test_export_fhir(tmp_path: Path) -> None:
    out = tmp_path / "obs.ndjson"
    result = invoke(
        "export",
        "fhir",
        "--data",
        str(DATA / "fhir" / "tiny_csv"),
        "--out",
        str(out),
        "--as-of",
        AS_OF,
    )
    assert result.exit_code == 0, result.output
    back = load(out, as_of=AS_OF)
    assert (
        back.scores["total"].tolist()
        == load(DATA / "fhir" / "tiny_csv", as_of=AS_OF).scores["total"].tolist()
    )
