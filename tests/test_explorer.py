"""The explorer's widgets drive its figures (no browser: values are set in Python)."""

from __future__ import annotations

import pytest

from therapy_outcomes.demo import write_demo_clinic
from therapy_outcomes.explorer import Explorer


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clinic")
    write_demo_clinic(folder, n_clients=200, seed=7, as_of="2026-10-31")
    return Explorer(folder)


def _ys(fig):
    return [tuple(t.y) for t in fig.data if getattr(t, "y", None) is not None]


def test_instrument_changes_trajectory(explorer):
    before = _ys(explorer.figures["trajectory"])
    explorer.instrument.value = "GAD-7"
    assert _ys(explorer.figures["trajectory"]) != before
    explorer.instrument.value = "PHQ-9"


def test_group_changes_rates(explorer):
    explorer.group.value = "site"
    names = {t.name for t in explorer.figures["trajectory"].data}
    assert len(names) > 1
    assert "site" in explorer.rates_table.columns
    explorer.group.value = "none"


def test_date_range_and_client_picker(explorer):
    import datetime as dt

    before = _ys(explorer.figures["trajectory"])
    explorer.start.value = dt.date(2026, 1, 1)
    assert _ys(explorer.figures["trajectory"]) != before
    first = explorer.figures["client"].layout.title.text
    explorer.client.value = explorer.client.options[5]
    assert explorer.figures["client"].layout.title.text != first
    assert explorer.client.options[5] in explorer.figures["client"].layout.title.text


def test_view_builds(explorer):
    assert explorer.view() is not None
