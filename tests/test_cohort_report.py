"""The cohort-outcomes report end to end: papermill run, glued numbers against the package,
small-cell suppression, offline HTML and one-line errors (the cohort's selection is tested in
test_cohort_selection.py, its tables in test_cohort_tables.py)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import therapy_outcomes as to
from conftest import open_page
from therapy_outcomes.cohort_report.render import render_cohort_report
from therapy_outcomes.rendering.html import find_remote_references

AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def rendered(clinic, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return render_cohort_report(clinic, out, start="2025-01-01", end=AS_OF, group_by="site")


@pytest.fixture(scope="module")
def exact(clinic, tmp_path_factory):
    """min_cell=1: nothing is suppressed, so every glued count can be compared exactly."""
    out = tmp_path_factory.mktemp("exact")
    return render_cohort_report(clinic, out, start="2025-01-01", end=AS_OF, min_cell=1)


def _expected(dataset):
    """Category counts and pairs per instrument, computed here with the package."""
    clients = dataset.clients
    began = clients["episode_start"].fillna(clients["referred_on"])
    ids = set(clients.loc[(began >= "2025-01-01") & (began <= AS_OF), "client_id"])
    scores = dataset.scores[dataset.scores["client_id"].isin(ids)]
    out = {}
    for code, r in (("PHQ-9", 0.84), ("GAD-7", 0.83)):
        pairs = to.first_last_pairs(scores, code, as_of=AS_OF)
        inst = dataset.registry.get(code)
        res = to.clinical_significance(
            pairs["pre"],
            pairs["post"],
            reliability=r,
            cutoff=inst.cutoff.value,
            clinical_side=inst.cutoff.clinical,
        )
        counts = res["category"].value_counts()
        out[code] = (pairs, {k: int(counts.get(k, 0)) for k in res["category"].cat.categories})
    return out


def test_report_lands_where_documented(rendered):
    assert rendered.html.as_posix().endswith("cohort/2025-01-01_2026-10-31-site.html")
    assert rendered.notebook.exists()
    assert rendered.seconds < 60


def test_category_counts_match_clinical_significance_on_the_same_pairs(exact, dataset):
    for code, (pairs, expected) in _expected(dataset).items():
        assert exact.glue[f"categories_{code}"] == expected
        assert exact.glue[f"n_pairs_{code}"] == len(pairs)
        es = to.effect_sizes(pairs["pre"], pairs["post"]).set_index("name")["estimate"]
        for name, value in es.items():
            assert exact.glue["effect_sizes"][f"{code}:{name}"] == pytest.approx(value, 1e-5)


def test_published_counts_hide_exactly_what_they_must(rendered, dataset):
    for code, (_pairs, expected) in _expected(dataset).items():
        glued = rendered.glue[f"categories_{code}"]
        assert set(glued) == set(expected)
        for category, count in expected.items():
            if 0 < count < 5:
                assert glued[category] == "*", (code, category)
            else:
                assert glued[category] in (count, "*"), (code, category)
        assert any(v != "*" for v in glued.values())


def test_flow_matches_outcome_flow(rendered, dataset):
    flow = to.outcome_flow(dataset.clients, dataset.sessions, dataset.scores, "PHQ-9")
    # every demo client's episode starts inside 2025-01-01..as_of
    assert rendered.glue["flow"]["PHQ-9"] == flow["count"].tolist()  # all >= 5 in the demo


def _tables(html: str) -> list[str]:
    return re.findall(r"<table.*?</table>", html, flags=re.S)


def test_no_small_count_in_any_table(rendered):
    html = rendered.html.read_text()
    for table in _tables(html):
        header = re.findall(r"<th>(.*?)</th>", table)
        count_cols = {
            i
            for i, h in enumerate(header)
            if h
            in (
                "count",
                "n",
                "clients",
                "denominator",
                "paired",
                "female",
                "completed",
                "dropped_out",
                "reliably_improved",
                "goals",
                "PHQ-9",
                "GAD-7",
            )
        }
        for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
            cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
            for i, cell in enumerate(cells):
                if i in count_cols and re.fullmatch(r"\d+", cell.strip()):
                    assert not 0 < int(cell) < 5, (header, cells)


def test_report_is_offline_and_names_no_client(rendered, dataset):
    html = rendered.html.read_text()
    tags_only = re.sub(r"(<script[^>]*>).*?(</script>)", r"\1\2", html, flags=re.S)
    assert find_remote_references(tags_only) == []
    ids = set(dataset.clients["client_id"])
    for path in (rendered.html, rendered.notebook):
        text = path.read_text()
        assert not [i for i in ids if i in text]
        for marker in ("/tmp/", "/root/", "/work/"):
            assert marker not in text


def test_cli_one_line_error(clinic, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "therapy_outcomes.cli.reports",
            "cohort",
            "--data",
            str(clinic),
            "--out",
            str(tmp_path),
            "--start",
            "soon",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "is not a date" in done.stderr and "Traceback" not in done.stderr
    assert not any(tmp_path.rglob("*.html"))


def test_cohort_report_in_a_real_browser(browser, rendered, tmp_path):
    """Every chart draws, nothing leaves file://, no console error, readable on a phone."""
    for width in (1000, 390):
        shot = tmp_path / f"cohort-{width}.png"
        page, requests, errors = open_page(
            browser, rendered.html.as_uri(), width=width, screenshot=shot
        )
        try:
            assert errors == []
            assert requests == [rendered.html.as_uri()]
            figures = page.locator("figure.to-figure")
            assert figures.count() >= 4
            assert page.locator("figure.to-figure .main-svg").count() >= figures.count()
        finally:
            page.context.close()


def test_growth_curves_follow_the_data():
    from therapy_outcomes.cohort_report.growth_curves import growth_curve
    from therapy_outcomes.cohort_report.trajectories import trajectory
    from therapy_outcomes.demo.examples import example_cohort

    ctx = example_cohort()
    curve = growth_curve(ctx, "PHQ-9")
    observed = trajectory(ctx, "PHQ-9")
    assert len(curve) and curve["converged"].all()
    for group, sub in curve.groupby("group"):
        first = observed[(observed["group"] == group) & (observed["occasion"] == 1)]
        if len(first):
            # the model's intake mean lies within sampling error of the observed mean
            margin = 2 * first["std"].iat[0] / first["clients"].iat[0] ** 0.5
            assert abs(sub["mean"].iat[0] - first["mean"].iat[0]) < margin
    # the demo clinic improves on average: the fitted curves fall over occasions
    assert (curve.groupby("group")["mean"].agg(lambda m: m.iat[-1] < m.iat[0])).all()
    assert curve.attrs["n_clients"] >= ctx.min_cell and curve.attrs["var_residual"] > 0
    assert (curve["clients"] >= ctx.min_cell).all()
