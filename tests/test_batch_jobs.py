"""Planning a month's batch: active clients, per-client input hashes, job keys, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import therapy_outcomes as to
from therapy_outcomes.batch.api import plan_batch, render_batch
from therapy_outcomes.batch.jobs import active_clients, client_hashes, month_bounds
from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.rendering.paths import notebooks_folder

AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clinic")
    write_demo_clinic(folder, n_clients=30, seed=7, as_of=AS_OF)
    return folder


@pytest.fixture(scope="module")
def dataset(clinic):
    return to.load(clinic, as_of=AS_OF)


def test_month_bounds_and_bad_months():
    assert [d.date().isoformat() for d in month_bounds("2024-02")] == ["2024-02-01", "2024-02-29"]
    for bad in ("2026-13", "October", "2026-1", ""):
        with pytest.raises(ParameterError, match="expected YYYY-MM"):
            month_bounds(bad)


def test_active_clients_have_an_open_episode_and_a_session_in_the_month(dataset):
    got = active_clients(dataset, "2026-10")
    first, last = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-31")
    expected = []
    for row in dataset.clients.itertuples():
        start = row.episode_start if pd.notna(row.episode_start) else row.referred_on
        end = row.episode_end if pd.notna(row.episode_end) else pd.Timestamp.max
        days = dataset.sessions.loc[dataset.sessions["client_id"] == row.client_id, "session_on"]
        inside = days[(days >= max(first, start)) & (days <= min(last, end))]
        if start <= last and end >= first and len(inside):
            expected.append(row.client_id)
    assert got == sorted(expected) and 0 < len(got) < len(dataset.clients)


def test_a_changed_row_changes_only_that_clients_hash(clinic, tmp_path):
    before = client_hashes(to.load(clinic, as_of=AS_OF))
    copy = tmp_path / "copy"
    shutil.copytree(clinic, copy)
    sessions = pd.read_csv(copy / "sessions.csv", dtype=str)
    client = sessions["client_id"].iat[0]
    row = sessions.index[sessions["client_id"] == client][0]
    sessions.loc[row, "kind"] = "review" if sessions.loc[row, "kind"] != "review" else "treatment"
    sessions.to_csv(copy / "sessions.csv", index=False)
    after = client_hashes(to.load(copy, as_of=AS_OF))
    changed = {c for c in before if before[c] != after.get(c)}
    assert changed == {client}


def test_plan_has_monthly_and_both_audiences_with_stable_keys(clinic, dataset, tmp_path):
    jobs = plan_batch(clinic, "2026-10", audience="both")
    active = active_clients(dataset, "2026-10")
    clients = [j for j in jobs if j.kind == "client"]
    assert len(clients) == 2 * len(active)
    assert {j.parameters["as_of"] for j in clients} == {AS_OF}
    assert clients[0].outputs["html"] == f"clients/{active[0]}/{AS_OF}-clinician.html"
    if (notebooks_folder() / "monthly_summary.ipynb").is_file():
        kinds = {j.kind for j in jobs}
        assert {"monthly-service", "monthly-site", "monthly-therapist"} <= kinds
    again = plan_batch(clinic, "2026-10", audience="both")
    assert [j.key for j in jobs] == [j.key for j in again]
    assert len({j.job_id for j in jobs}) == len(jobs)
    # a changed notebook changes every key of its reports
    folder = tmp_path / "notebooks"
    folder.mkdir()
    text = (notebooks_folder() / "client_progress.ipynb").read_text(encoding="utf-8")
    (folder / "client_progress.ipynb").write_text(text.replace("# 1. Header", "# 1. Header!"))
    edited = plan_batch(clinic, "2026-10", audience="both", notebooks=folder)
    assert not {j.key for j in edited} & {j.key for j in clients}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"month": "2026/10"}, "not a month"),
        ({"audience": "everyone"}, "audience must be one of"),
        ({"workers": 0}, "workers must be at least 1"),
        ({"data": "no/such/folder"}, "dataset not found"),
        ({"scheduler": "localhost"}, "tcp://host:port"),
    ],
)
def test_bad_input_is_one_line_before_anything_runs(clinic, tmp_path, kwargs, message):
    args = {"data": clinic, "month": "2026-10", "out": tmp_path / "out"} | kwargs
    with pytest.raises(ParameterError, match=message) as info:
        render_batch(**args)
    assert "\n" not in str(info.value) and info.value.exit_code == 2
    assert not (tmp_path / "out").exists()
