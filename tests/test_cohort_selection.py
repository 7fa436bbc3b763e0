"""Selecting a cohort: parameter checks, small groups merged, the HLM method."""

from __future__ import annotations

import pytest

from therapy_outcomes.cohort_report.selection import cohort_context
from therapy_outcomes.errors import ParameterError


def test_bad_parameters_are_parameter_errors(clinic):
    with pytest.raises(ParameterError, match="method must be one of"):
        cohort_context(clinic, method="XX")
    with pytest.raises(ParameterError, match="not a column of clients"):
        cohort_context(clinic, group_by="shoe_size")
    with pytest.raises(ParameterError, match="is before start"):
        cohort_context(clinic, start="2026-01-01", end="2025-01-01")
    with pytest.raises(ParameterError, match="unknown instrument"):
        cohort_context(clinic, instruments=["XYZ-1"])


def test_small_groups_merge_into_other(clinic):
    ctx = cohort_context(clinic, group_by="modality", min_cell=15)
    assert set(ctx.group) >= {"other"}
    assert all(n >= 15 for g, n in ctx.group.value_counts().items() if g != "other")


def test_hlm_method_judges_clients_with_three_or_more_scores(dataset):
    ctx = cohort_context(dataset, instruments=["PHQ-9"], method="HLM", min_cell=5)
    sig = ctx.significance["PHQ-9"]
    assert len(sig) and set(sig["category"].dropna()) <= {
        "recovered",
        "improved",
        "unchanged",
        "deteriorated",
        "harmed",
    }
    # every judged client has 3+ valid PHQ-9 scores, and its direction is the model's
    valid = dataset.scores[
        (dataset.scores["instrument"] == "PHQ-9") & dataset.scores["valid"].astype(bool)
    ]
    counts = valid.groupby("client_id").size()
    assert (counts.reindex(sig["client_id"]) >= 3).all()
    reliable = sig["category"].isin(["recovered", "improved"])
    assert reliable.sum() >= 1
