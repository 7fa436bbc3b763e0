"""The words of the cohort-outcomes report: its header, notes, methods and provenance, and the
sentence that sums up the drop-out sensitivity analysis.

Each function returns text (HTML where it says so) ready to display.
"""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from therapy_outcomes.cohort_report.dropout import dropout_sensitivity
from therapy_outcomes.cohort_report.selection import CohortContext

__all__ = [
    "cohort_header",
    "dropout_paragraph",
    "dropout_words",
    "effect_size_note",
    "jacobson_note",
    "merged_groups_note",
    "provenance_block",
]


def cohort_header(ctx: CohortContext) -> str:
    """Title and the cohort's definition in one paragraph.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> cohort_header(example_cohort())[:24]
    '<h1>Cohort outcomes</h1>'
    """
    p = ctx.provenance["parameters"]
    period = f"{p['start'] or 'the first episode'} to {p['end'] or 'the latest episode'}"
    grouped = f", grouped by {escape(str(ctx.group_by))}" if ctx.group_by else ""
    return (
        "<h1>Cohort outcomes</h1>"
        f"<p>{len(ctx.clients)} clients whose episode started from {escape(period)}{grouped}. "
        f"Questionnaires: {escape(', '.join(ctx.instruments))}. Counts below {ctx.min_cell} "
        "are shown as * (with any cell or rate that would give them away).</p>"
    )


def merged_groups_note(ctx: CohortContext) -> str:
    """A paragraph saying how many small groups were merged into "other" (empty when none).

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> merged_groups_note(example_cohort())
    ''
    """
    if not ctx.merged_groups:
        return ""
    return (
        f"<p>{len(ctx.merged_groups)} group(s) with fewer than {ctx.min_cell} clients "
        "are merged into 'other'.</p>"
    )


def jacobson_note(ctx: CohortContext) -> str:
    """Says in words whether the Jacobson plots draw a point per client.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> jacobson_note(example_cohort())[:40]
    '<p>The first-against-last plots shade sq'
    """
    if ctx.min_cell == 1:
        return (
            "<p>Every client is drawn as a point, coloured by category, because this report was "
            "asked for with min_cell = 1: nothing in it is suppressed, so it is for the "
            "researcher and not to be shared.</p>"
        )
    return (
        "<p>The first-against-last plots shade squares of the score range by their number of "
        f"clients; a square with fewer than {ctx.min_cell} clients (or one that would give such "
        "a square away) is blank, and no point is drawn per client. Points per client are "
        "drawn only in a report asked for with min_cell = 1.</p>"
    )


def effect_size_note() -> str:
    """What the effect-size variants are and how far the benchmarks compare.

    Examples
    --------
    >>> "Delgadillo" in effect_size_note()
    True
    """
    return (
        "<p>Standardised mean change of clients with a first and last score, positive = "
        "better: d<sub>z</sub> (SD of change), d<sub>rm</sub> (repeated measures), "
        "d<sub>av</sub> (average SD) and d<sub>pre</sub> (baseline SD, Becker). The benchmarks "
        "are Delgadillo et al. (2014) for IAPT services and Gaskell et al. (2023) for routine "
        "care; which variant each paper used is not verified, so the comparison is indicative "
        "(d<sub>pre</sub> is shown beside them).</p>"
    )


def provenance_block(ctx: CohortContext) -> str:
    """Package version, input hash, parameters, reliabilities and their sources.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> "reliability 0.84" in provenance_block(example_cohort())
    True
    """
    p = ctx.provenance
    facts = [
        ("Software", p["package"]),
        ("Input data (SHA-256)", p["input_hash"][:16] + "\u2026"),
        ("Data validated on", p["validated_on"]),
        ("Rows rejected in the dataset", p["rows_rejected_in_dataset"]),
    ]
    for key, value in p["parameters"].items():
        facts.append((f"Parameter {key}", value))
    dl = "".join(f"<div><dt>{escape(str(k))}</dt><dd>{escape(str(v))}</dd></div>" for k, v in facts)
    rel = "".join(
        f"<li>{escape(code)}: reliability {ctx.reliability[code]:.2f} "
        f"({escape(ctx.reliability_source[code])})</li>"
        for code in ctx.instruments
    )
    cut = (
        "the instrument's published clinical cut-off, with its inclusive side"
        if ctx.cutoff_type == "fixed"
        else "criterion a (two SD from the cohort's baseline mean)"
    )
    method = (
        f"<p>Pairs are each client's first and last valid score. Reliable change: "
        f"{escape(ctx.method)} method (Jacobson &amp; Truax 1991 and successors), alpha 0.05; "
        f"clinical significance against {cut}. Categories: recovered, improved, unchanged, "
        "deteriorated, harmed. Intervals for rates are Wilson 95 % intervals. NHS Talking "
        "Therapies metrics use the published thresholds (PHQ-9 caseness 10 and reliable change "
        "6, GAD-7 8 and 4); CMS159 uses PHQ-9 &gt; 9 as index and &lt; 5 at 12 months "
        "(\u00b1 60 days). Trajectories and dose-response bands with fewer than "
        f"{ctx.min_cell} clients are left out.</p>"
    )
    return f"<dl class='to-facts'>{dl}</dl>{method}<ul>{rel}</ul>"


def dropout_words(table: pd.DataFrame, code: str, min_cell: int = 5) -> str:
    """One sentence comparing the completers' effect with the LOCF/BOCF bounds.

    Examples
    --------
    >>> t = pd.DataFrame({"analysis": ["completers", "LOCF", "BOCF"],
    ...                   "clients": [40, 90, 90], "d_pre": [1.2, 0.7, 0.5]})
    >>> dropout_words(t, "PHQ-9")[:60]
    'PHQ-9: completers (40 clients) improved by d = 1.20; countin'
    """
    t = table.set_index("analysis")
    d_pre, clients = t["d_pre"], t["clients"]
    c, lo, hi = (float(d_pre.loc[a]) for a in ("completers", "BOCF", "LOCF"))
    n_c, n_all = int(clients.loc["completers"]), int(clients.loc["LOCF"])
    if min(n_c, n_all) < max(min_cell, 2) or not all(np.isfinite([c, lo, hi])):
        return f"{code}: too few clients to compare completers with everyone who started."
    low, high = sorted([lo, hi])
    if c > high:
        verdict = f"so the completers-only figure overstates the effect by up to {c - low:.2f}"
    elif c < low:
        verdict = "so the completers-only figure understates the effect"
    else:
        verdict = "so the completers-only figure lies within those bounds"
    return (
        f"{code}: completers ({n_c} clients) improved by d = {c:.2f}; counting all {n_all} "
        f"clients who started (those without a final score at their last score, LOCF, or "
        f"back at their baseline, BOCF) gives d = {low:.2f} to {high:.2f}, {verdict}."
    )


def dropout_paragraph(ctx: CohortContext, code: str, published: pd.DataFrame | None = None) -> str:
    """:func:`dropout_words` of the cohort's drop-out sensitivity analysis, as a paragraph.

    With ``published`` (the report's published drop-out table) a count that table hides is
    never written out: the paragraph then says there are too few clients.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_cohort
    >>> dropout_paragraph(example_cohort(), "PHQ-9")[:13]
    '<p>PHQ-9: com'
    """
    if published is not None and (published["clients"] == "*").any():
        return f"<p>{code}: too few clients to compare completers with everyone who started.</p>"
    return f"<p>{dropout_words(dropout_sensitivity(ctx, code), code, ctx.min_cell)}</p>"
