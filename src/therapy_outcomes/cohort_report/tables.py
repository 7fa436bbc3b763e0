"""The published tables of the cohort-outcomes report, one function per table, ready to display.

Each function computes its table from the :class:`CohortContext` and sends it through
:func:`therapy_outcomes.cohort_report.publish.publish` with the table's own count columns and
the columns derived from them, so a count below ``min_cell`` (and any figure that would give it
away) is shown as ``*``. The last functions pick from a published table the values the report
glues (read back by the tests).
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd

from therapy_outcomes.cohort_report.baseline import baseline_table
from therapy_outcomes.cohort_report.dropout import dropout_sensitivity
from therapy_outcomes.cohort_report.effects import benchmark_table, effect_size_table
from therapy_outcomes.cohort_report.flow import completeness_table, flow_table
from therapy_outcomes.cohort_report.goal_outcomes import goal_tables
from therapy_outcomes.cohort_report.publish import (
    Cell,
    column_sums,
    publish,
    publish_together,
    same_count,
)
from therapy_outcomes.cohort_report.rates import category_rates
from therapy_outcomes.cohort_report.selection import CohortContext
from therapy_outcomes.cohort_report.service_metrics import cms159_table, talking_therapies_table
from therapy_outcomes.cohort_report.trajectories import dose_response as dose_response_table

__all__ = [
    "COMPLETENESS_COUNTS",
    "SMART_CHECKS",
    "baseline",
    "benchmarks",
    "categories",
    "cms159",
    "completeness",
    "dose_response",
    "dropout",
    "dropout_values",
    "effect_size_estimates",
    "effect_sizes",
    "flow",
    "flow_counts",
    "goals",
    "overall_counts",
    "pairs_count",
    "report_relations",
    "report_tables",
    "talking_therapies",
    "talking_therapies_values",
]

#: Count columns of :func:`completeness` (``percent_paired`` is derived from ``paired``).
COMPLETENESS_COUNTS = [
    "clients",
    "administrations",
    "invalid_administrations",
    "with_a_score",
    "with_two_or_more",
    "paired",
]
#: The checks of the SMART audit, each a count of goals passing it.
SMART_CHECKS = ["specific", "measurable", "achievable", "relevant", "time_bound"]


def flow(ctx: CohortContext) -> pd.DataFrame:
    """The flow of clients from referral to paired scores, one count column per instrument.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> list(flow(example_cohort()).columns)
    ['step', 'description', 'PHQ-9', 'GAD-7']
    """
    return publish(flow_table(ctx), ctx, counts=ctx.instruments)


def completeness(ctx: CohortContext) -> pd.DataFrame:
    """Per instrument: clients, administrations, scores and pairs (``percent_paired`` hidden
    with ``paired``).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> completeness(example_cohort())["instrument"].tolist()
    ['PHQ-9', 'GAD-7']
    """
    return publish(
        completeness_table(ctx),
        ctx,
        counts=COMPLETENESS_COUNTS,
        derived={"percent_paired": ["paired"]},
    )


def baseline(ctx: CohortContext) -> pd.DataFrame:
    """Baseline characteristics by group; the means are hidden with the group's ``clients``.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> baseline(example_cohort())["site"].iloc[0]
    'all'
    """
    table = baseline_table(ctx)
    means = [c for c in table.columns if c.startswith("mean_")]
    return publish(
        table,
        ctx,
        counts=["clients", "female", "completed", "dropped_out"],
        derived={c: ["clients"] for c in means},
    )


def categories(ctx: CohortContext, code: str) -> pd.DataFrame:
    """Clinical-significance categories of ``code`` with Wilson intervals, overall then by group.

    The published half of :func:`therapy_outcomes.cohort_report.rates.category_rates`.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> categories(example_cohort(), "PHQ-9")["category"].iloc[0]
    'recovered'
    """
    return category_rates(ctx, code)[1]


def talking_therapies(ctx: CohortContext) -> pd.DataFrame:
    """NHS Talking Therapies rates of finished courses (empty without PHQ-9 and GAD-7 scores).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> talking_therapies(example_cohort())["metric"].iloc[0]
    'recovery'
    """
    rates, _counts = talking_therapies_table(ctx)
    return publish(rates, ctx, counts=["count", "denominator"])


def cms159(ctx: CohortContext) -> pd.DataFrame:
    """CMS159 depression remission and response at twelve months.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> cms159(example_cohort())["metric"].tolist()
    ['remission', 'response']
    """
    return publish(cms159_table(ctx), ctx, counts=["count", "denominator"])


def effect_sizes(ctx: CohortContext) -> pd.DataFrame:
    """Pre-post effect sizes per instrument (Cohen's d, no ``hedges`` column); every figure of
    an instrument is hidden with its number of pairs ``n``.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> "hedges" in effect_sizes(example_cohort())
    False
    """
    return publish(effect_size_table(ctx).drop(columns=["hedges"]), ctx, counts=["n"])


def benchmarks(ctx: CohortContext) -> pd.DataFrame:
    """The cohort's d_pre beside the published benchmarks (no counts, nothing to hide).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> sorted(set(benchmarks(example_cohort())["instrument"]))
    ['GAD-7', 'PHQ-9']
    """
    return benchmark_table(ctx, effect_size_table(ctx))


def dose_response(ctx: CohortContext, code: str) -> pd.DataFrame:
    """Mean improvement of ``code`` by sessions attended, each band hidden with its clients.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> dose_response(example_cohort(), "PHQ-9")["sessions_attended"].iloc[0]
    '1-3'
    """
    return publish(dose_response_table(ctx, code), ctx, counts=["clients"])


def dropout(ctx: CohortContext, code: str) -> pd.DataFrame:
    """Completers, LOCF and BOCF analyses of ``code`` (the percentage hidden with its count).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> dropout(example_cohort(), "PHQ-9")["analysis"].tolist()
    ['completers', 'LOCF', 'BOCF']
    """
    return publish(
        dropout_sensitivity(ctx, code),
        ctx,
        counts=["clients", "reliably_improved"],
        derived={"percent_reliably_improved": ["reliably_improved"]},
    )


def goals(ctx: CohortContext) -> dict[str, pd.DataFrame]:
    """The goal tables, published: ``gas`` (only when there are GAS ratings), ``gbo``, ``smart``.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> sorted(goals(example_cohort()))
    ['gas', 'gbo', 'smart']
    """
    raw = goal_tables(ctx)
    out: dict[str, pd.DataFrame] = {}
    if "gas" in raw:
        out["gas"] = publish(raw["gas"], ctx, counts=["clients", "at_or_above_50"])
    out["gbo"] = publish(raw["gbo"], ctx, counts=["goals", "clients", "improved_by_3_or_more"])
    out["smart"] = publish(raw["smart"], ctx, counts=["goals", *SMART_CHECKS])
    return out


# -- every table of the report, suppressed together ---------------------------------------


def _rows(table: pd.DataFrame, column: str, value: Any) -> list[int]:
    return [i for i, v in enumerate(table[column].tolist()) if v == value]


def _category_relations(
    ctx: CohortContext, name: str, table: pd.DataFrame
) -> tuple[list[dict[Cell, float]], list[Cell]]:
    """Within each group the categories sum to ``n``; across groups each category (and ``n``)
    of ``all`` is the sum of the groups'."""
    label = ctx.group_label
    relations: list[dict[Cell, float]] = []
    totals: list[Cell] = []
    groups = list(dict.fromkeys(table[label].tolist()))
    for g in groups:
        rows = _rows(table, label, g)
        rel: dict[Cell, float] = {(name, r, "count"): 1.0 for r in rows}
        rel[(name, rows[0], "n")] = -1.0
        relations.append(rel)
        relations += [same_count((name, rows[0], "n"), (name, r, "n")) for r in rows[1:]]
        totals += [(name, r, "n") for r in rows]
    parts = [g for g in groups if g != "all"]
    if "all" in groups and parts:
        cats = table["category"].tolist()
        for i in _rows(table, label, "all"):
            members = [j for j in range(len(table)) if cats[j] == cats[i] and j != i]
            relations += column_sums(name, [i], [members], ["count", "n"])
            totals.append((name, i, "count"))
    return relations, totals


def report_relations(
    ctx: CohortContext, raw: dict[str, pd.DataFrame]
) -> tuple[list[dict[Cell, float]], list[Cell]]:
    """The identities between the counts of the report's tables that a reader could use, and
    the cells that are totals (hidden last).

    Totals and parts: the categories of each group sum to its ``n``, the groups to ``all`` (in
    the category and baseline tables), the dose-response bands to the pairs. The same count in
    two tables: the pairs of an instrument (categories ``n``, completeness ``paired``, effect
    sizes ``n``, the last flow step, the drop-out completers) and the cohort's clients (baseline,
    completeness, the first flow step). :func:`publish_together` keeps only those that hold.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> ctx = example_cohort()
    >>> relations, totals = report_relations(ctx, report_tables(ctx))
    >>> len(relations) > 10
    True
    """
    relations: list[dict[Cell, float]] = []
    totals: list[Cell] = []
    flow_steps = raw["flow"]["step"].tolist() if "step" in raw["flow"] else []
    base = raw["baseline"]
    if len(base) > 1:
        relations += column_sums(
            "baseline",
            [0],
            [list(range(1, len(base)))],
            ["clients", "female", "completed", "dropped_out"],
        )
    totals += [("baseline", 0, c) for c in ("clients", "female", "completed", "dropped_out")]
    comp = raw["completeness"]
    for code in ctx.instruments:
        name = f"categories {code}"
        rel, tot = _category_relations(ctx, name, raw[name])
        relations += rel
        totals += tot
        if not raw[name].empty:
            pairs: Cell = (name, _rows(raw[name], ctx.group_label, "all")[0], "n")
        else:
            continue
        for i in _rows(comp, "instrument", code):
            relations.append(same_count(pairs, ("completeness", i, "paired")))
            relations.append(same_count(("baseline", 0, "clients"), ("completeness", i, "clients")))
            totals += [("completeness", i, "paired"), ("completeness", i, "clients")]
        effects = raw["effect_sizes"]
        for i in _rows(effects, "instrument", code):
            relations.append(same_count(pairs, ("effect_sizes", i, "n")))
        if "paired_scores" in flow_steps:
            relations.append(same_count(pairs, ("flow", flow_steps.index("paired_scores"), code)))
        if "referred" in flow_steps:
            step = flow_steps.index("referred")
            relations.append(same_count(("baseline", 0, "clients"), ("flow", step, code)))
        dose = raw[f"dose {code}"]
        rel_dose: dict[Cell, float] = {
            (f"dose {code}", i, "clients"): 1.0 for i in range(len(dose))
        }
        rel_dose[pairs] = -1.0
        relations.append(rel_dose)
        for i in _rows(raw[f"dropout {code}"], "analysis", "completers"):
            relations.append(same_count(pairs, (f"dropout {code}", i, "clients")))
    return relations, totals


def report_tables(ctx: CohortContext) -> dict[str, pd.DataFrame]:
    """Every table of the report, published, with secondary suppression across them.

    Keys: ``flow``, ``completeness``, ``baseline``, ``categories <code>``, ``dose <code>``,
    ``dropout <code>`` per instrument, ``talking_therapies``, ``cms159``, ``effect_sizes``,
    ``benchmarks`` and the goal tables (``gas`` when there are ratings, ``gbo``, ``smart``).
    Each table is first suppressed on its own (:func:`publish`), then together with the others
    along :func:`report_relations`, so that no hidden count can be found by subtracting what
    another table shows.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> sorted(report_tables(example_cohort()))[:3]
    ['baseline', 'benchmarks', 'categories GAD-7']
    """
    out: dict[str, pd.DataFrame] = {
        "flow": flow(ctx),
        "completeness": completeness(ctx),
        "baseline": baseline(ctx),
        "talking_therapies": talking_therapies(ctx),
        "cms159": cms159(ctx),
        "effect_sizes": effect_sizes(ctx),
    }
    for code in ctx.instruments:
        out[f"categories {code}"] = categories(ctx, code)
        out[f"dose {code}"] = dose_response(ctx, code)
        out[f"dropout {code}"] = dropout(ctx, code)
    out.update(goals(ctx))
    relations, totals = report_relations(ctx, out)
    linked = publish_together(out, relations, totals=totals)
    linked["benchmarks"] = benchmarks(ctx)
    return linked


# -- what the report glues, picked from the published tables -------------------------------


def flow_counts(ctx: CohortContext, published_flow: pd.DataFrame) -> dict[str, list[Any]]:
    """Instrument -> the counts of :func:`flow`, step by step (``"*"`` where hidden).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> ctx = example_cohort()
    >>> sorted(flow_counts(ctx, flow(ctx)))
    ['GAD-7', 'PHQ-9']
    """
    return {code: published_flow[code].tolist() for code in ctx.instruments}


def overall_counts(ctx: CohortContext, published_categories: pd.DataFrame) -> dict[str, Any]:
    """Category -> the whole cohort's count in :func:`categories` (``"*"`` where hidden).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> ctx = example_cohort()
    >>> list(overall_counts(ctx, categories(ctx, "PHQ-9")))
    ['recovered', 'improved', 'unchanged', 'deteriorated', 'harmed']
    """
    table = published_categories
    counts = table[table[ctx.group_label] == "all"].set_index("category")["count"]
    return cast(dict[str, Any], counts.to_dict())  # categories are names


def pairs_count(ctx: CohortContext, published_categories: pd.DataFrame) -> Any:
    """The whole cohort's number of pairs in :func:`categories` (``"*"`` where hidden).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> ctx = example_cohort()
    >>> pairs_count(ctx, categories(ctx, "PHQ-9")) == len(ctx.pairs["PHQ-9"])
    True
    """
    table = published_categories
    rows = table[table[ctx.group_label] == "all"]["n"].tolist()
    return rows[0] if rows else 0


def talking_therapies_values(published_rates: pd.DataFrame) -> list[dict[str, Any]]:
    """``metric``, ``count`` and ``denominator`` of each row of :func:`talking_therapies`.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> sorted(talking_therapies_values(talking_therapies(example_cohort()))[0])
    ['count', 'denominator', 'metric']
    """
    records = published_rates[["metric", "count", "denominator"]].to_dict("records")
    return cast(list[dict[str, Any]], records)


def effect_size_estimates(effects: pd.DataFrame) -> dict[str, float]:
    """``"<instrument>:<variant>"`` -> the estimate, rounded to six decimals.

    Parameters
    ----------
    effects : pandas.DataFrame
        :func:`therapy_outcomes.cohort_report.effects.effect_size_table` (raw: the report
        glues the estimates behind its effect-size figure).

    Examples
    --------
    >>> from therapy_outcomes.cohort_report.effects import effect_size_table
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> list(effect_size_estimates(effect_size_table(example_cohort())))[:2]
    ['PHQ-9:d_z', 'PHQ-9:d_rm']
    """
    columns = effects["instrument"], effects["name"], effects["estimate"]
    return {
        f"{code}:{name}": round(estimate, 6) for code, name, estimate in zip(*columns, strict=True)
    }


def dropout_values(published_dropout: pd.DataFrame) -> list[dict[str, Any]]:
    """``analysis``, ``clients`` and ``d_pre`` of each row of :func:`dropout`.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> [row["analysis"] for row in dropout_values(dropout(example_cohort(), "PHQ-9"))]
    ['completers', 'LOCF', 'BOCF']
    """
    records = published_dropout[["analysis", "clients", "d_pre"]].to_dict("records")
    return cast(list[dict[str, Any]], records)
