"""The command line with every source kind and bad arguments (issue 11): database URLs wherever
the README promises them, output paths refused before any work, FHIR input that says what it
read (and is an error when it is not FHIR), malformed REDCap files, safe file and figure names
for real names, and one line (never a traceback) for anything a user can type."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

from conftest import AS_OF, TINY, write_dataset
from therapy_outcomes import load
from therapy_outcomes.cli.app import app
from therapy_outcomes.cli.errors import run
from therapy_outcomes.errors import DatasetReadError, ParameterError
from therapy_outcomes.rendering.paths import safe_id, safe_name

REDCAP = Path(__file__).parent / "data" / "redcap"
FHIR_BUNDLE = Path(__file__).parent / "data" / "fhir" / "tiny_bundle.json"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command line in this process: exit code, standard output, standard error."""
    try:
        run(app, list(args))
    except SystemExit as done:
        code = done.code
    else:  # pragma: no cover - typer always exits
        code = 0
    printed = capsys.readouterr()
    return int(code or 0), printed.out, printed.err


def one_line_error(err: str) -> str:
    """The error line, checked to be the only line and not a traceback."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # rich does not wrap the messages


@pytest.fixture
def clinic_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The tiny dataset in ``clinic.sqlite`` in the working folder, as a relative URL."""
    pytest.importorskip("sqlalchemy")
    from therapy_outcomes.sources.sql_copy import copy_to_sql

    folder = write_dataset(tmp_path / "tiny", TINY)
    monkeypatch.chdir(tmp_path)
    copy_to_sql(folder, "sqlite:///clinic.sqlite")
    return "sqlite:///clinic.sqlite"


# --- 1. database URLs everywhere --------------------------------------------------------------


def test_validate_summary_and_import_read_a_relative_sqlite_url(capsys, clinic_db, tmp_path):
    code, out, err = cli(capsys, "validate", clinic_db, "--as-of", AS_OF)
    assert code == 0, err
    assert "All rows accepted" in out and "sql:clients" in out
    code, out, err = cli(capsys, "summary", clinic_db, "--as-of", AS_OF)
    assert code == 0, err
    assert "Caseload" in out
    code, out, err = cli(capsys, "import", clinic_db, "--out", "copy", "--as-of", AS_OF)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == sorted(
        f"{name}.csv" for name in TINY
    )


@pytest.mark.parametrize(
    ("args", "target", "field"),
    [
        (["report", "client", "C1", "--out", "r"], "client_report.render.render_client_report", 1),
        (["report", "cohort", "--out", "r"], "cohort_report.render.render_cohort_report", 0),
        (
            ["report", "monthly", "--month", "2026-01", "--out", "r"],
            "monthly_report.render.render_monthly_summary",
            0,
        ),
        (["batch", "--month", "2026-01", "--out", "b"], "batch.api.render_batch", 0),
    ],
)
def test_reports_and_batch_get_the_database_url_as_a_kernel_in_another_folder_reads_it(
    capsys, clinic_db, tmp_path, monkeypatch, args, target, field
):
    """``--data sqlite:///clinic.sqlite`` reaches the renderer as text (a Path made it
    ``sqlite:/clinic.sqlite``) with the file made absolute (the kernel runs in notebooks/)."""
    import importlib

    module_name, function = target.rsplit(".", 1)
    module = importlib.import_module(f"therapy_outcomes.{module_name}")
    seen: dict[str, object] = {}

    def fake(*positional: object, **named: object) -> SimpleNamespace:
        seen["data"] = named.get("data", positional[field] if len(positional) > field else None)
        return SimpleNamespace(
            html=Path("r.html"), pdf=None, seconds=0.0, counts={}, failed=[], index="i"
        )

    monkeypatch.setattr(module, function, fake)
    code, _, err = cli(capsys, *args, "--data", clinic_db)
    assert code == 0, err
    assert seen["data"] == f"sqlite:///{tmp_path / 'clinic.sqlite'}"


def test_a_sqlite_url_to_a_missing_file_is_an_error_and_creates_nothing(
    capsys, tmp_path, monkeypatch
):
    pytest.importorskip("sqlalchemy")
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "validate", "sqlite:///nothing.sqlite")
    assert code == 2
    assert "the database file does not exist" in one_line_error(err)
    assert not (tmp_path / "nothing.sqlite").exists()


def test_a_postgresql_url_without_its_driver_still_names_the_extra(capsys, monkeypatch):
    from therapy_outcomes import extras
    from therapy_outcomes.errors import MissingExtraError

    def missing(module: str, extra: str, what: str) -> None:
        raise MissingExtraError(what, extra, "SQL", module)

    monkeypatch.setattr(extras, "require", missing)
    monkeypatch.setattr("therapy_outcomes.sources.sql.require", missing)
    code, _, err = cli(capsys, "validate", "postgresql://ann:secret@db.invalid/clinic")
    assert code == 2
    line = one_line_error(err)
    assert "therapy-outcomes[sql]" in line and "secret" not in line


@pytest.mark.kernel
def test_monthly_report_from_sqlite_for_a_site_with_a_real_name(tmp_path, monkeypatch):
    """A site called "St Mary's Riverside", read from a database by a relative URL: the report
    renders under a safe file name and shows the real name (before: "site ... is not allowed",
    and the kernel could not find the database)."""
    pytest.importorskip("sqlalchemy")
    from therapy_outcomes.cli.reports import app as reports_app
    from therapy_outcomes.sources.sql_copy import copy_to_sql

    tables = dict(TINY, clients=TINY["clients"].replace(",North,", ',"St Mary\'s Riverside",'))
    assert "St Mary's Riverside" in tables["clients"]
    folder = write_dataset(tmp_path / "tiny", tables)
    monkeypatch.chdir(tmp_path)
    copy_to_sql(folder, "sqlite:///clinic.sqlite")
    site = "St Mary's Riverside"
    args = ["monthly", "--data", "sqlite:///clinic.sqlite", "--month", "2026-02"]
    with pytest.raises(SystemExit) as done:
        run(reports_app, [*args, "--site", site, "--out", "reports"])
    assert done.value.code == 0
    html = tmp_path / "reports" / "monthly" / "2026-02" / f"site-{safe_name(site)}.html"
    assert html.exists()
    assert "St Mary&#x27;s Riverside" in html.read_text() or site in html.read_text()


# --- 2. output paths checked before any work ------------------------------------------------


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "afile"
    path.write_text("not a folder")
    return path


def _never(*args: object, **kwargs: object) -> None:
    raise AssertionError("the work started although the output path is bad")


@pytest.mark.parametrize(
    ("command", "renderer"),
    [
        (["report", "client", "C1"], "client_report.render.render_client_report"),
        (["report", "cohort"], "cohort_report.render.render_cohort_report"),
        (
            ["report", "monthly", "--month", "2026-01"],
            "monthly_report.render.render_monthly_summary",
        ),
        (["batch", "--month", "2026-01"], "batch.api.render_batch"),
        (["export", "research", "--key-file", "k"], "loading.dataset.load"),
    ],
)
def test_an_out_folder_that_is_a_file_is_refused_before_any_work(
    capsys, tiny, a_file, monkeypatch, command, renderer
):
    import importlib

    module_name, function = renderer.rsplit(".", 1)
    monkeypatch.setattr(
        importlib.import_module(f"therapy_outcomes.{module_name}"), function, _never
    )
    code, _, err = cli(capsys, *command, "--data", str(tiny), "--out", str(a_file))
    assert code == 2
    assert one_line_error(err) == f"error: cannot write files to {a_file}: {a_file} is not a folder"


def test_import_and_demo_data_refuse_a_file_as_out(capsys, tiny, a_file, monkeypatch):
    monkeypatch.setattr("therapy_outcomes.loading.dataset.load", _never)
    for args in (["import", str(tiny)], ["demo-data", "--clients", "3"]):
        code, _, err = cli(capsys, *args, "--out", str(a_file))
        assert code == 2
        assert "is not a folder" in one_line_error(err)
    assert a_file.read_text() == "not a folder"


def test_import_refuses_to_write_over_its_own_source(capsys, tiny):
    before = (tiny / "clients.csv").read_text()
    code, _, err = cli(capsys, "import", str(tiny), "--out", str(tiny))
    assert code == 2
    assert "is the source itself" in one_line_error(err)
    assert (tiny / "clients.csv").read_text() == before


def test_rejects_into_a_folder_that_does_not_exist_yet_are_written(capsys, tmp_path):
    folder = write_dataset(
        tmp_path / "ds", dict(TINY, events=TINY["events"] + "E2,C1,2026-03-01,party,x,\n")
    )
    target = tmp_path / "new" / "folder" / "rejects.csv"
    code, _, err = cli(capsys, "validate", str(folder), "--as-of", AS_OF, "--rejects", str(target))
    assert code == 1, err
    assert len(pd.read_csv(target)) == 1


@pytest.mark.parametrize("where", ["folder", "under_a_file"])
def test_rejects_and_fhir_files_that_cannot_be_written_are_refused_first(
    capsys, tiny, a_file, tmp_path, monkeypatch, where
):
    monkeypatch.setattr("therapy_outcomes.loading.dataset.load", _never)
    target = tmp_path if where == "folder" else a_file / "x.csv"
    reason = "it is a folder" if where == "folder" else f"{a_file} is not a folder"
    for args in (
        ["validate", str(tiny), "--rejects", str(target)],
        ["import", str(tiny), "--out", str(tmp_path / "copy"), "--rejects", str(target)],
        ["export", "fhir", "--data", str(tiny), "--out", str(target)],
    ):
        code, _, err = cli(capsys, *args)
        assert code == 2, args
        assert one_line_error(err) == f"error: cannot write {target}: {reason}"


def test_an_unwritable_out_folder_is_refused(capsys, tiny, tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != locked and real(p, mode))
    code, _, err = cli(capsys, "report", "cohort", "--data", str(tiny), "--out", str(locked / "r"))
    assert code == 2
    assert one_line_error(err).endswith(f"{locked} is not writable")


# --- 3. FHIR ----------------------------------------------------------------------------------


def _bundle(tmp_path: Path) -> dict:
    return json.loads(FHIR_BUNDLE.read_text())


def test_fhir_input_reports_resources_read_used_and_skipped(capsys, tmp_path):
    bundle = _bundle(tmp_path)
    n_before = len(bundle["entry"])
    bundle["entry"] += [
        {
            "resource": {
                "resourceType": "Encounter",
                "id": "e1",
                "status": "finished",
                "class": {"code": "AMB"},
            }
        },
        {"resource": {"resourceType": "Patinet", "id": "x"}},
        {
            "resource": {
                "resourceType": "Observation",
                "id": "bp",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
                "subject": {"reference": "Patient/C1"},
                "effectiveDateTime": "2026-02-01",
                "valueInteger": 120,
            }
        },
    ]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    report = load(path, as_of="2026-06-30").source_report
    assert report is not None
    assert (report["read"] == report["used"] + report["rejected"] + report["skipped"]).all()
    assert report.loc["Encounter", ["read", "skipped", "why"]].tolist() == [
        1,
        1,
        "resource type not read",
    ]
    assert report.loc["Patinet", "why"] == "not a FHIR resource type"
    assert report.loc["Observation", "why"].startswith("code of no instrument")
    assert int(report["read"].sum()) == n_before + 3
    code, out, err = cli(
        capsys, "validate", str(path), "--as-of", "2026-06-30", "--rejects", str(tmp_path / "r.csv")
    )
    assert code in (0, 1), err
    assert "Records read by the source" in out
    assert "Patinet" in out and "Encounter" in out  # the why column may wrap


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("BUNDEL", "resourceType 'Bundel' is not a FHIR resource type"),
        ('{"hello": [1, 2]}', "not a FHIR resource or Bundle (no resourceType)"),
        ("[1, 2, 3]", "not a FHIR resource or Bundle (no resourceType)"),
        (
            '{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "nested too deeply",
        ),
    ],
    ids=["misspelt-bundle", "json-object", "json-list", "nested-100000"],
)
def test_a_file_that_is_not_fhir_is_one_line_exit_2(capsys, tmp_path, text, message):
    if text == "BUNDEL":
        bundle = _bundle(tmp_path)
        bundle["resourceType"] = "Bundel"
        text = json.dumps(bundle)
    path = tmp_path / "input.json"
    path.write_text(text)
    code, out, err = cli(capsys, "validate", str(path))
    assert code == 2
    assert message in one_line_error(err)
    assert "All rows accepted" not in out


def test_ndjson_whose_resources_are_none_of_fhirs_types_is_not_fhir(tmp_path):
    path = tmp_path / "export.ndjson"
    path.write_text('{"resourceType": "Foo"}\n{"resourceType": "Bar"}\n')
    with pytest.raises(DatasetReadError, match="not FHIR"):
        load(path)


# --- REDCap -----------------------------------------------------------------------------------


def _mapping(change) -> str:
    mapping = yaml.safe_load((REDCAP / "redcap.yaml").read_text())
    change(mapping)
    return yaml.safe_dump(mapping)


REDCAP_CASES = {
    "administrations-not-a-list": (
        "redcap.yaml",
        lambda: _mapping(lambda m: m.update(administrations="phq9")),
        "administrations must be a list",
    ),
    "items-not-a-list": (
        "redcap.yaml",
        lambda: _mapping(lambda m: m["administrations"][0].update(items=5)),
        "administrations[1].items must be a list of field names",
    ),
    "form-missing": (
        "redcap.yaml",
        lambda: _mapping(lambda m: m["administrations"][0].pop("form")),
        "administrations[1].form must be given",
    ),
    "clients-a-list": (
        "redcap.yaml",
        lambda: _mapping(lambda m: m.update(clients=["site"])),
        "clients must be a mapping",
    ),
    "column-a-mapping": (
        "redcap.yaml",
        lambda: _mapping(lambda m: m["clients"]["columns"].update(site={"x": 1})),
        "clients.columns.site must be a field name or {const: value}",
    ),
    "unknown-column": (
        "redcap.yaml",
        lambda: _mapping(lambda m: m["clients"]["columns"].update(favourite="site")),
        "'favourite' is not a column of clients",
    ),
    "values-a-list": (
        "redcap.yaml",
        lambda: _mapping(lambda m: m["sessions"].update(values=[1])),
        "sessions.values must be a mapping",
    ),
    "event-labels-a-list": (
        "redcap.yaml",
        lambda: _mapping(lambda m: m.update(event_labels=[1])),
        "event_labels must be a mapping",
    ),
    "yaml-nested-deeply": ("redcap.yaml", lambda: "a: " + "[" * 5000 + "]" * 5000, "nested too"),
    "yaml-broken": ("redcap.yaml", lambda: "records: [\n", "not a readable YAML mapping"),
    "yaml-no-records": ("redcap.yaml", lambda: "dictionary: d.csv\n", "has no 'records'"),
    "export-nul-byte": ("records.csv", lambda: "record_id\0,x\n1,2\n", "holds a NUL byte"),
    "export-field-too-large": (
        "records.csv",
        lambda: (REDCAP / "records.csv").read_text() + '1,"' + "x" * 200_000 + '"\n',
        "cannot be read as CSV",
    ),
    "export-column-twice": (
        "records.csv",
        lambda: "\n".join(
            line + (",record_id" if n == 0 else ",x")
            for n, line in enumerate((REDCAP / "records.csv").read_text().splitlines())
        ),
        "more than one column for field record_id",
    ),
    "dictionary-field-twice": (
        "dictionary.csv",
        lambda: (
            (REDCAP / "dictionary.csv").read_text()
            + (REDCAP / "dictionary.csv").read_text().splitlines()[1]
            + "\n"
        ),
        "field 'record_id' is defined twice",
    ),
}


@pytest.mark.parametrize("case", list(REDCAP_CASES))
def test_malformed_redcap_files_are_one_line_each(capsys, tmp_path, case):
    name, text, message = REDCAP_CASES[case]
    folder = tmp_path / "redcap"
    shutil.copytree(REDCAP, folder)
    (folder / name).write_text(text())
    rejects = str(tmp_path / "rejects.csv")  # never into the working folder
    code, _, err = cli(
        capsys, "validate", str(folder / "redcap.yaml"), "--as-of", AS_OF, "--rejects", rejects
    )
    assert code == 2
    assert message in one_line_error(err)


# --- 4. safe names for real names -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["St Mary's Riverside", "Sankt Jürgen", "東京", "North/South", "CON", "a" * 200, " North "],
)
def test_safe_names_are_safe_ids_and_stable(name):
    made = safe_name(name)
    assert safe_id(made) == made and made == safe_name(name)
    assert made != name


def test_safe_names_keep_ids_and_never_collide():
    assert safe_name("North") == "North" and safe_name("T01") == "T01"
    names = ["St Mary's", "St Marys", "St-Mary-s", "St Mary’s", "st mary's", "東京", "大阪"]
    assert len({safe_name(n) for n in names}) == len(names)


@pytest.mark.parametrize("name", ["../etc", "", "   ", "a\nb", None, True])
def test_safe_names_refuse_what_is_never_a_name(name):
    with pytest.raises(ParameterError, match="is not allowed"):
        safe_name(name)


def test_a_site_with_a_real_name_is_planned_in_a_batch(tmp_path):
    """Before: "site ... is not allowed" stopped the whole batch."""
    from therapy_outcomes.batch.api import plan_batch

    tables = dict(TINY, clients=TINY["clients"].replace(",North,", ',"St Mary\'s Riverside",'))
    folder = write_dataset(tmp_path / "ds", tables)
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "monthly_summary.ipynb").write_text("{}")
    (tmp_path / "nb" / "client_progress.ipynb").write_text("{}")
    jobs = plan_batch(folder, "2026-02", notebooks=tmp_path / "nb")
    sites = [j for j in jobs if j.job_id.startswith("monthly/site-")]
    assert sites, [j.job_id for j in jobs]
    for job in jobs:
        for part in Path(job.job_id).parts:
            assert safe_id(part) == part


@pytest.mark.kernel
def test_an_instrument_code_with_spaces_and_slashes_does_not_stop_a_client_report(tmp_path):
    """Before: "figure name 'timeline-GAD 7 (Ü/v2)' is not allowed"."""
    from therapy_outcomes.client_report.render import render_client_report

    definitions = Path(__file__).parents[1] / "src" / "therapy_outcomes" / "instruments"
    gad = yaml.safe_load((definitions / "definitions" / "gad7.yaml").read_text())
    gad.update(code="GAD 7 (Ü/v2)", aliases=["gadvtwo"])
    gad.pop("loinc", None)
    tables = dict(TINY, administrations=TINY["administrations"].replace(",GAD-7,", ",gadvtwo,"))
    folder = write_dataset(tmp_path / "ds", tables)
    (folder / "instruments.yaml").write_text(yaml.safe_dump(gad, allow_unicode=True))
    assert "GAD 7 (Ü/v2)" in set(load(folder, as_of=AS_OF).scores["instrument"])
    result = render_client_report("C1", data=folder, out=tmp_path / "r", as_of=AS_OF)
    assert result.html.exists()
    assert f"fig-{safe_name('timeline-GAD 7 (Ü/v2)')}" in result.html.read_text()


# --- 5. bad arguments: one line, never a traceback --------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", ""], "the dataset location is empty"),
        (["summary", "  "], "the dataset location is empty"),
        (["demo-data", "--out", "{tmp}/d", "--as-of", "garbage"], "is not a date"),
        (["instruments", "{tmp}/nothing"], "does not exist"),
        (["instruments", "{tiny}/clients.csv"], "is not a folder"),
        (
            ["report", "monthly", "--data", "{tiny}", "--month", "2026-01", "--min-cell", "0"],
            "min_cell must be a whole number of at least 1",
        ),
        (
            [
                "export",
                "research",
                "--data",
                "{tiny}",
                "--out",
                "{tmp}/s",
                "--key-file",
                "{key}",
                "--quasi-identifiers",
                "nonexistent",
            ],
            "nonexistent is not a client column",
        ),
        (
            [
                "export",
                "research",
                "--data",
                "{tiny}",
                "--out",
                "{tmp}/s",
                "--key-file",
                "{key}",
                "--quasi-identifiers",
                ",",
            ],
            "--quasi-identifiers is empty",
        ),
    ],
)
def test_bad_arguments_are_one_line(capsys, tiny, tmp_path, monkeypatch, args, message):
    monkeypatch.setattr("therapy_outcomes.monthly_report.render.render_monthly_summary", _never)
    key = tmp_path / "key.txt"
    key.write_text("0123456789abcdef0123456789abcdef")
    filled = [a.format(tmp=tmp_path, tiny=tiny, key=key) for a in args]
    code, _, err = cli(capsys, *filled)
    assert code == 2
    assert message in one_line_error(err)


@pytest.mark.parametrize(
    "args",
    [["validate", "{tiny}", "--show", "-1"], ["demo-data", "--out", "{tmp}/d", "--seed", "-1"]],
)
def test_negative_counts_are_usage_errors(capsys, tiny, tmp_path, args):
    code, _, err = cli(capsys, *[a.format(tmp=tmp_path, tiny=tiny) for a in args])
    assert code == 2
    assert "Traceback" not in err and "Invalid value" in err


def test_sqlite_file_made_by_sqlite3_is_read(tmp_path, monkeypatch):
    """The plain sqlite3 module's file reads as a dataset (what a clinic's script makes)."""
    pytest.importorskip("sqlalchemy")
    monkeypatch.chdir(tmp_path)
    with sqlite3.connect("c.db") as con:
        con.execute(
            "create table clients (client_id text, site text, therapist_id text, referred_on text)"
        )
        con.execute("insert into clients values ('C1', 'St Mary''s', 'T1', '2026-01-05')")
    ds = load("sqlite:///c.db", as_of=AS_OF)
    assert ds.clients["site"].tolist() == ["St Mary's"]
