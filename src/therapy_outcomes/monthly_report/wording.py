"""The words of the monthly summary: its header (scope and version) and its methods paragraph.

Each function returns HTML ready to display.
"""

from __future__ import annotations

from html import escape

from therapy_outcomes.monthly_report.selection import MonthlyContext

__all__ = ["header", "methods", "scope_words"]


def scope_words(ctx: MonthlyContext) -> str:
    """``whole service``, ``site <site>``, ``therapist <id>`` or both, comma-separated.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> scope_words(example_month())
    'whole service'
    """
    parts = [
        f"site {ctx.site}" if ctx.site else None,
        f"therapist {ctx.therapist}" if ctx.therapist else None,
    ]
    return ", ".join(p for p in parts if p) or "whole service"


def header(ctx: MonthlyContext) -> str:
    """Title, scope and version; the service version says how small counts are shown.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> text = header(example_month())
    >>> text.startswith("<h1>Monthly summary 2026-10</h1><p>whole service; service version. ")
    True
    >>> text.endswith("Counts below 5 are shown as *.</p>")
    True
    """
    hidden = "" if ctx.clinician else f"Counts below {ctx.min_cell} are shown as *."
    return (
        f"<h1>Monthly summary {ctx.month}</h1>"
        f"<p>{escape(scope_words(ctx), quote=False)}; {escape(ctx.audience, quote=False)} "
        f"version. {hidden}</p>"
    )


def methods(ctx: MonthlyContext) -> str:
    """Provenance (package, input hash, parameters) and the definitions of the measures.

    Examples
    --------
    >>> from therapy_outcomes.demo.examples import example_month
    >>> methods(example_month())[:50]
    '<h2>Methods and provenance</h2><p>therapy-outcomes'
    """
    p = ctx.provenance
    facts = (
        f"{p['package']}; input data SHA-256 {p['input_hash'][:16]}\u2026; validated on "
        f"{p['validated_on']}; parameters {p['parameters']}."
    )
    return (
        f"<h2>Methods and provenance</h2><p>{escape(facts, quote=False)} Active = episode "
        "overlaps the month; DNA rate = did-not-attend / (attended + did-not-attend); "
        "completion = attended sessions with a valid questionnaire that day. Closed-episode "
        "outcomes use each questionnaire's published reliable-change points and cut-off.</p>"
    )
