"""Suppression that survives the whole report (issue 12, point 2).

The cohort report and the service monthly summary are built as their notebooks build them (the
package functions, no kernel); then every number of every figure trace, table cell and glued
value is collected and checked: no count a table hides is shown anywhere, no figure draws a point
per client (unless min_cell=1, which the report says), and no hidden count can be found from what
the report shows through the identities a reader knows (a total and its parts, the same count in
two tables), checked here with an independent rank test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from therapy_outcomes.cohort_report import figures as cf
from therapy_outcomes.cohort_report import growth_curves as gc
from therapy_outcomes.cohort_report import tables, wording
from therapy_outcomes.cohort_report.effects import effect_size_table
from therapy_outcomes.cohort_report.selection import cohort_context
from therapy_outcomes.cohort_report.trajectories import trajectory
from therapy_outcomes.demo.examples import example_dataset
from therapy_outcomes.monthly_report import figures as mf
from therapy_outcomes.monthly_report import tables as mt
from therapy_outcomes.monthly_report.caseload import trend_table
from therapy_outcomes.monthly_report.selection import monthly_context

K = 5


@pytest.fixture(scope="module")
def ctx():
    """60 demo clients by site: PHQ-9 'deteriorated' is small, and a dose band too."""
    return cohort_context(example_dataset(60), group_by="site", min_cell=K)


@pytest.fixture(scope="module")
def report(ctx):
    return tables.report_tables(ctx)


def cohort_figures(ctx, report):
    """The figures of notebooks/cohort_outcomes.ipynb, built from the same calls."""
    figs = {}
    for code in ctx.instruments:
        figs[f"jacobson-{code}"] = cf.jacobson_plot(ctx, code)
        figs[f"rates-{code}"] = cf.rates_figure(report[f"categories {code}"], ctx.group_label, "")
        figs[f"trajectory-{code}"] = cf.trajectory_figure(trajectory(ctx, code), code)
        figs[f"growth-{code}"] = gc.growth_figure(gc.growth_curve(ctx, code), code)
        figs[f"dose-{code}"] = cf.dose_response_figure(report[f"dose {code}"], code, ctx.min_cell)
    figs["effects"] = cf.effect_size_figure(effect_size_table(ctx), ctx.ds.registry)
    return figs


def _numbers(values) -> list[float]:
    out = []
    for v in np.ravel(np.asarray(values, dtype=object)) if values is not None else []:
        if isinstance(v, list | tuple | np.ndarray):
            out += _numbers(v)
        elif isinstance(v, str):
            out += [float(t) for t in pd.Series(v).str.findall(r"\d+(?:\.\d+)?")[0]]
        elif v is not None and not isinstance(v, bool):
            try:
                f = float(v)
            except (TypeError, ValueError):
                continue
            if np.isfinite(f):
                out.append(f)
    return out


def count_fields(fig, points: bool) -> list[float]:
    """Every number a trace or annotation carries that could be a count: z, text, hover text,
    custom data, annotations, and (``points``: a chart of clients) the number of points of each
    marker trace."""
    found: list[float] = []
    for trace in fig.data:
        for field in ("z", "text", "hovertext", "customdata"):
            found += _numbers(getattr(trace, field, None))
        mode = getattr(trace, "mode", None) or ""
        if points and trace.type == "scatter" and "markers" in mode:
            found.append(float(len(trace.x)))
    for ann in fig.layout.annotations or []:
        found += _numbers(ann.text)
    return found


def hidden_counts(published: dict[str, pd.DataFrame]) -> dict[tuple, int]:
    """(table, row, column) -> the true count of every count cell a table shows as '*'."""
    out = {}
    for name, t in published.items():
        for col in t.attrs.get("counts", []):
            for pos, v in enumerate(t[col].tolist()):
                if v == "*":
                    out[(name, pos, col)] = t.attrs["count_values"][col][pos]
    return out


def determined(values: dict, hidden: set, relations: list[dict]) -> list:
    """Hidden cells a reader can solve for: e_j lies in the row space of the relations
    restricted to the hidden cells (visible cells are known constants)."""
    keys = sorted(hidden, key=repr)
    if not relations or not keys:
        return []
    a = np.array([[r.get(k, 0.0) for k in keys] for r in relations], dtype=float)
    rank = np.linalg.matrix_rank(a)
    out = []
    for j, k in enumerate(keys):
        unit = np.zeros(len(keys))
        unit[j] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            out.append(k)
    return out


def reader_relations(ctx, report) -> list[dict]:
    """The identities a reader of the cohort report knows, written here independently of the
    package: categories of a group sum to its n, the groups sum to 'all' (categories and
    baseline), the dose bands to the pairs, the pairs appear in the completeness, effect-size and
    category tables and the glue."""
    rel = []
    label = ctx.group_label

    def holds(r):
        return all(k in values for k in r) and sum(c * values[k] for k, c in r.items()) == 0

    values = {}
    for name, t in report.items():
        for col in t.attrs.get("counts", []):
            for pos, v in enumerate(t.attrs["count_values"][col]):
                values[(name, pos, col)] = v
    base = report["baseline"]
    for col in ("clients", "female", "completed", "dropped_out"):
        r = {("baseline", 0, col): -1.0}
        r.update({("baseline", i, col): 1.0 for i in range(1, len(base))})
        rel.append(r)
    for code in ctx.instruments:
        name = f"categories {code}"
        cat = report[name]
        groups = cat[label].tolist()
        cats = cat["category"].tolist()
        for g in dict.fromkeys(groups):
            rows = [i for i, x in enumerate(groups) if x == g]
            r = {(name, i, "count"): 1.0 for i in rows}
            r[(name, rows[0], "n")] = -1.0
            rel.append(r)
            rel += [{(name, rows[0], "n"): 1.0, (name, i, "n"): -1.0} for i in rows[1:]]
        for i in [i for i, x in enumerate(groups) if x == "all"]:
            for col in ("count", "n"):
                r = {(name, i, col): -1.0}
                r.update(
                    {(name, j, col): 1.0 for j, c in enumerate(cats) if c == cats[i] and j != i}
                )
                rel.append(r)
        pairs = (name, 0, "n")
        comp = report["completeness"]
        for i in [i for i, x in enumerate(comp["instrument"]) if x == code]:
            rel.append({pairs: 1.0, ("completeness", i, "paired"): -1.0})
        for i in [i for i, x in enumerate(report["effect_sizes"]["instrument"]) if x == code]:
            rel.append({pairs: 1.0, ("effect_sizes", i, "n"): -1.0})
        dose = report[f"dose {code}"]
        r = {(f"dose {code}", i, "clients"): 1.0 for i in range(len(dose))}
        r[pairs] = -1.0
        rel.append(r)
    return [r for r in rel if holds(r)], values


def _assert_nothing_recoverable(ctx, report, figs, glued):
    hidden = hidden_counts(report)
    assert hidden, "the clinic must have a suppressed count for this test to mean anything"
    # 1. nothing small is shown: every visible count is 0 or at least K
    for name, t in report.items():
        for col in t.attrs.get("counts", []):
            shown = [v for v in t[col].tolist() if v != "*"]
            assert all(int(v) == 0 or int(v) >= K for v in shown), (name, col)
    for name, fig in figs.items():
        small = [
            v
            for v in count_fields(fig, name.startswith("jacobson"))
            if 0 < v < K and float(v).is_integer()
        ]
        assert not small, (name, small)
    for key, value in glued.items():
        small = [v for v in _numbers(value) if 0 < v < K and float(v).is_integer()]
        assert not small, (key, small)
    # 2. no per-client points
    for code in ctx.instruments:
        traces = figs[f"jacobson-{code}"].data
        assert not [t for t in traces if t.type == "scatter" and "markers" in (t.mode or "")]
    # 3. no hidden cell follows from the report's identities (glued pairs included)
    relations, values = reader_relations(ctx, report)
    for code in ctx.instruments:
        if glued[f"n_pairs_{code}"] != "*":
            assert glued[f"n_pairs_{code}"] == values[(f"categories {code}", 0, "n")]
    assert determined(values, set(hidden), relations) == []


def test_cohort_report_reveals_no_suppressed_count(ctx, report):
    figs = cohort_figures(ctx, report)
    glued = {}
    for code in ctx.instruments:
        glued[f"categories_{code}"] = tables.overall_counts(ctx, report[f"categories {code}"])
        glued[f"n_pairs_{code}"] = tables.pairs_count(ctx, report[f"categories {code}"])
        glued[f"dropout_{code}"] = [
            {k: v for k, v in row.items() if k != "d_pre"}
            for row in tables.dropout_values(report[f"dropout {code}"])
        ]
    glued["flow"] = tables.flow_counts(ctx, report["flow"])
    glued["talking_therapies"] = tables.talking_therapies_values(report["talking_therapies"])
    assert report["categories PHQ-9"]["count"].eq("*").any()
    _assert_nothing_recoverable(ctx, report, figs, glued)


def test_tables_suppressed_one_by_one_leak_by_subtraction(ctx):
    """The check above fails on the tables as they were published before (one at a time)."""
    alone = {"completeness": tables.completeness(ctx), "effect_sizes": tables.effect_sizes(ctx)}
    alone["baseline"] = tables.baseline(ctx)
    for code in ctx.instruments:
        alone[f"categories {code}"] = tables.categories(ctx, code)
        alone[f"dose {code}"] = tables.dose_response(ctx, code)
    relations, values = reader_relations(ctx, alone)
    assert determined(values, set(hidden_counts(alone)), relations)


def test_binned_jacobson_hides_small_squares(ctx):
    fig = cf.jacobson_plot(ctx, "PHQ-9")
    (heat,) = [t for t in fig.data if t.type == "heatmap"]
    z = np.array([[np.nan if v is None else v for v in row] for row in heat.z], dtype=float)
    shown = z[~np.isnan(z)]
    assert ((shown == 0) | (shown >= K)).all()
    assert heat.hoverinfo == "skip"
    assert shown.sum() < len(ctx.pairs["PHQ-9"])  # something is blank, and not one square alone
    assert np.isnan(z).sum() != 1


def test_points_per_client_only_with_min_cell_1_and_said_in_words():
    exact = cohort_context(example_dataset(60), group_by="site", min_cell=1)
    fig = cf.jacobson_plot(exact, "PHQ-9")
    points = sum(len(t.x) for t in fig.data if t.type == "scatter" and "markers" in t.mode)
    assert points == len(exact.pairs["PHQ-9"])
    assert "Every client is drawn as a point" in wording.jacobson_note(exact)
    strict = cohort_context(example_dataset(60), group_by="site", min_cell=K)
    assert "no point is drawn per client" in wording.jacobson_note(strict)


@pytest.mark.parametrize("site", [None, "Eastfield"])
def test_monthly_summary_reveals_no_suppressed_count(site):
    ctx = monthly_context(example_dataset(200), "2026-10", site=site, min_cell=K)
    month, year = mt.this_month(ctx), mt.last_twelve_months(ctx)
    pd.testing.assert_frame_equal(month, year.iloc[-1:].reset_index(drop=True))
    raw = trend_table(ctx, months=12)
    hidden = {(i, c) for c in ("active", "new", "discharged") for i in range(12)}
    hidden = {k for k in hidden if year.loc[k[0], k[1]] == "*"}
    values = {(i, c): raw.loc[i, c] for i in range(12) for c in ("active", "new", "discharged")}
    relations = []
    for m in range(1, 12):
        r = {(m, "active"): 1.0, (m - 1, "active"): -1.0, (m - 1, "discharged"): 1.0}
        r[(m, "new")] = -1.0
        assert sum(c * values[k] for k, c in r.items()) == 0  # the identity a reader knows
        relations.append(r)
    assert determined(values, hidden, relations) == []
    for fig in (mf.caseload_figure(year), mf.attendance_figure(year)):
        for trace in fig.data:
            ys = [v for v in trace.y if np.isfinite(v)]
            assert all(v == 0 or v >= K for v in ys) or trace.name in (
                "dna rate",
                "completion rate",
            )
