"""The published tables of the cohort report (therapy_outcomes.cohort_report.tables).

Each table is checked against the suppression the report notebook applied before the tables
moved into the package, against the raw analysis it publishes, and for what it must hide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from therapy_outcomes.cohort_report import tables
from therapy_outcomes.cohort_report.baseline import baseline_table
from therapy_outcomes.cohort_report.dropout import dropout_sensitivity
from therapy_outcomes.cohort_report.effects import benchmark_table, effect_size_table
from therapy_outcomes.cohort_report.flow import completeness_table, flow_table
from therapy_outcomes.cohort_report.goal_outcomes import goal_tables
from therapy_outcomes.cohort_report.publish import publish
from therapy_outcomes.cohort_report.rates import category_counts, category_rates
from therapy_outcomes.cohort_report.selection import cohort_context
from therapy_outcomes.cohort_report.service_metrics import cms159_table, talking_therapies_table
from therapy_outcomes.cohort_report.trajectories import dose_response
from therapy_outcomes.cohort_report.wording import dropout_paragraph, merged_groups_note
from therapy_outcomes.demo.examples import example_cohort, example_dataset

STRICT = 12  # hides many cells of the 60-client example


@pytest.fixture(scope="module")
def strict():
    """The example cohort by site with min_cell 12: small groups merged, many cells hidden."""
    return cohort_context(example_dataset(60), group_by="site", min_cell=STRICT)


@pytest.fixture(scope="module")
def exact():
    """min_cell 1: nothing is hidden, so the published tables equal the raw ones."""
    return cohort_context(example_dataset(60), group_by="site", min_cell=1)


def _shown_counts(table: pd.DataFrame, columns: list[str]) -> list[int]:
    return [int(v) for c in columns for v in table[c] if v != "*"]


def _no_small_count(table: pd.DataFrame, columns: list[str], k: int) -> None:
    small = [v for v in _shown_counts(table, columns) if 0 < v < k]
    assert small == [], (columns, small)


def _hidden_with(table: pd.DataFrame, derived: str, counts: list[str]) -> None:
    """Wherever one of ``counts`` is hidden, ``derived`` is hidden too."""
    hidden = np.zeros(len(table), dtype=bool)
    for c in counts:
        hidden |= (table[c] == "*").to_numpy()
    assert (table.loc[hidden, derived] == "*").all(), derived


# -- each table is what the notebook published before --------------------------------------


@pytest.mark.parametrize("min_cell", [1, 5, STRICT])
def test_tables_match_the_notebooks_former_publish_calls(min_cell):
    ctx = cohort_context(example_dataset(60), group_by="site", min_cell=min_cell)
    base = baseline_table(ctx)
    means = [c for c in base.columns if c.startswith("mean_")]
    tt, _ = talking_therapies_table(ctx)
    goals = goal_tables(ctx)
    expected = {
        "flow": publish(flow_table(ctx), ctx, counts=ctx.instruments),
        "completeness": publish(
            completeness_table(ctx),
            ctx,
            counts=[
                "clients",
                "administrations",
                "invalid_administrations",
                "with_a_score",
                "with_two_or_more",
                "paired",
            ],
            derived={"percent_paired": ["paired"]},
        ),
        "baseline": publish(
            base,
            ctx,
            counts=["clients", "female", "completed", "dropped_out"],
            derived={c: ["clients"] for c in means},
        ),
        "talking_therapies": publish(tt, ctx, counts=["count", "denominator"]),
        "cms159": publish(cms159_table(ctx), ctx, counts=["count", "denominator"]),
        "effect_sizes": publish(effect_size_table(ctx).drop(columns=["hedges"]), ctx, counts=["n"]),
        "benchmarks": benchmark_table(ctx, effect_size_table(ctx)),
        "gbo": publish(goals["gbo"], ctx, counts=["goals", "clients", "improved_by_3_or_more"]),
        "smart": publish(
            goals["smart"],
            ctx,
            counts=["goals", "specific", "measurable", "achievable", "relevant", "time_bound"],
        ),
    }
    got = {
        "flow": tables.flow(ctx),
        "completeness": tables.completeness(ctx),
        "baseline": tables.baseline(ctx),
        "talking_therapies": tables.talking_therapies(ctx),
        "cms159": tables.cms159(ctx),
        "effect_sizes": tables.effect_sizes(ctx),
        "benchmarks": tables.benchmarks(ctx),
        "gbo": tables.goals(ctx)["gbo"],
        "smart": tables.goals(ctx)["smart"],
    }
    for name, table in expected.items():
        pd.testing.assert_frame_equal(got[name], table, obj=name)
    assert "gas" in goals
    pd.testing.assert_frame_equal(
        tables.goals(ctx)["gas"], publish(goals["gas"], ctx, counts=["clients", "at_or_above_50"])
    )
    for code in ctx.instruments:
        pd.testing.assert_frame_equal(
            tables.categories(ctx, code), category_rates(ctx, code)[1], obj=code
        )
        pd.testing.assert_frame_equal(
            tables.dose_response(ctx, code),
            publish(dose_response(ctx, code), ctx, counts=["clients"]),
        )
        pd.testing.assert_frame_equal(
            tables.dropout(ctx, code),
            publish(
                dropout_sensitivity(ctx, code),
                ctx,
                counts=["clients", "reliably_improved"],
                derived={"percent_reliably_improved": ["reliably_improved"]},
            ),
        )


def test_nothing_hidden_with_min_cell_one(exact):
    flow = tables.flow(exact)
    raw = flow_table(exact)
    for code in exact.instruments:
        assert flow[code].tolist() == raw[code].tolist()
    complete = tables.completeness(exact)
    assert complete["paired"].tolist() == [len(exact.pairs[c]) for c in exact.instruments]
    assert complete["percent_paired"].tolist() == pytest.approx(
        [100 * len(exact.pairs[c]) / len(exact.clients) for c in exact.instruments]
    )
    assert tables.baseline(exact)["clients"].iloc[0] == len(exact.clients)


# -- what the tables hide --------------------------------------------------------------------


def test_no_small_count_is_shown(strict):
    k = strict.min_cell
    _no_small_count(tables.flow(strict), strict.instruments, k)
    _no_small_count(tables.completeness(strict), tables.COMPLETENESS_COUNTS, k)
    _no_small_count(tables.baseline(strict), ["clients", "female", "completed", "dropped_out"], k)
    _no_small_count(tables.cms159(strict), ["count", "denominator"], k)
    _no_small_count(tables.effect_sizes(strict), ["n"], k)
    goals = tables.goals(strict)
    _no_small_count(goals["smart"], ["goals", *tables.SMART_CHECKS], k)
    _no_small_count(goals["gbo"], ["goals", "clients", "improved_by_3_or_more"], k)
    for code in strict.instruments:
        _no_small_count(tables.categories(strict, code), ["count", "n"], k)
        _no_small_count(tables.dose_response(strict, code), ["clients"], k)
        _no_small_count(tables.dropout(strict, code), ["clients", "reliably_improved"], k)


def test_rates_and_means_are_hidden_with_their_counts(strict):
    dose = tables.dose_response(strict, "PHQ-9")
    assert (dose["clients"] == "*").any(), "the strict example should hide a band"
    _hidden_with(dose, "mean_improvement", ["clients"])
    _hidden_with(dose, "sd", ["clients"])
    for code in strict.instruments:
        rates = tables.categories(strict, code)
        assert (rates["count"] == "*").any()
        for derived in ("percent", "ci_low", "ci_high"):
            _hidden_with(rates, derived, ["count", "n"])
        _hidden_with(
            tables.dropout(strict, code), "percent_reliably_improved", ["reliably_improved"]
        )
    base = tables.baseline(strict)
    for mean in [c for c in base.columns if c.startswith("mean_")]:
        _hidden_with(base, mean, ["clients"])


def test_small_groups_are_merged_and_said_so(strict):
    assert strict.merged_groups
    assert "other" in set(tables.baseline(strict)["site"])
    note = merged_groups_note(strict)
    assert note.startswith(f"<p>{len(strict.merged_groups)} group(s) with fewer than 12 clients")
    assert merged_groups_note(example_cohort()) == ""


def test_talking_therapies_needs_both_questionnaires():
    ctx = cohort_context(example_dataset(60), instruments=["PHQ-9"], min_cell=5)
    only_phq9 = ctx.scores["instrument"] == "PHQ-9"
    ctx.scores = ctx.scores[only_phq9].reset_index(drop=True)
    assert tables.talking_therapies(ctx).empty


# -- the values the report glues ------------------------------------------------------------


def test_glued_values_come_from_the_published_tables(exact, strict):
    assert tables.overall_counts(exact, tables.categories(exact, "PHQ-9")) == category_counts(
        exact, "PHQ-9"
    )
    glued = tables.overall_counts(strict, tables.categories(strict, "PHQ-9"))
    raw = category_counts(strict, "PHQ-9")
    assert list(glued) == list(raw)
    assert all(v == "*" or v == raw[c] for c, v in glued.items())
    assert tables.flow_counts(exact, tables.flow(exact)) == {
        code: flow_table(exact)[code].tolist() for code in exact.instruments
    }
    tt = tables.talking_therapies(exact)
    assert tables.talking_therapies_values(tt) == [
        {"metric": r.metric, "count": r.count, "denominator": r.denominator}
        for r in tt.itertuples()
    ]
    drop = tables.dropout(exact, "GAD-7")
    values = tables.dropout_values(drop)
    assert [v["analysis"] for v in values] == ["completers", "LOCF", "BOCF"]
    assert [v["clients"] for v in values] == drop["clients"].tolist()


def test_effect_size_estimates_are_the_rounded_raw_estimates(exact):
    effects = effect_size_table(exact)
    estimates = tables.effect_size_estimates(effects)
    assert len(estimates) == len(effects) == 4 * len(exact.instruments)
    for row in effects.itertuples():
        assert estimates[f"{row.instrument}:{row.name}"] == pytest.approx(row.estimate, abs=5e-7)


def test_dropout_paragraph_is_the_sentence_of_the_raw_analysis(exact):
    from therapy_outcomes.cohort_report.wording import dropout_words

    words = dropout_words(dropout_sensitivity(exact, "PHQ-9"), "PHQ-9", exact.min_cell)
    assert dropout_paragraph(exact, "PHQ-9") == f"<p>{words}</p>"
