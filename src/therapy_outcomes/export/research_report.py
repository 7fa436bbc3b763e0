"""The research export's disclosure report and README: what was done to the data, and why.

Neither holds a value from the data other than the controlled vocabularies (categories,
bands, site names, pseudonyms): counts, column names and rules only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from therapy_outcomes.export.categories import OTHER, modality_code, problem_category
from therapy_outcomes.export.kanon import Generalisation

COLUMNS = ["section", "step", "quasi_identifier", "action", "clients_changed"]


def _column_rows(original: pd.DataFrame, settings: dict[str, Any]) -> list[dict]:
    rows = []
    for col, mapper, what in (
        ("problem", problem_category, "the presenting-problem categories of docs/privacy.md"),
        ("modality", modality_code, "the modality codes of docs/privacy.md"),
    ):
        if col in original and original[col].notna().any():
            mapped = mapper(original[col])
            other = int((mapped == OTHER).sum())
            rows.append(
                {
                    "quasi_identifier": col,
                    "action": f"free text mapped to {what}; values not in the list set to "
                    f"'{OTHER}' (never copied)",
                    "clients_changed": other,
                }
            )
    shift = (
        "moved back by the span of the data plus one week plus a keyed 1 to "
        f"{settings['max_shift_days']} days per client"
        if settings["dates"] == "shift"
        else "moved per client so that the referral falls on the first of its month"
    )
    interval = (
        "intervals from the referral rounded to whole weeks"
        if settings["intervals"] == "weeks"
        else "intervals kept to the day (outside the privacy model)"
    )
    rows.append(
        {
            "quasi_identifier": "dates",
            "action": f"{shift}; {interval}",
            "clients_changed": len(original),
        }
    )
    if "birth_year" in original:
        rows.append(
            {
                "quasi_identifier": "age_band",
                "action": "birth_year replaced by the age band at referral",
                "clients_changed": int(original["birth_year"].notna().sum()),
            }
        )
    rows.append(
        {
            "quasi_identifier": "episode_length_band",
            "action": "whole weeks from episode_start to episode_end, banded",
            "clients_changed": len(original),
        }
    )
    return rows


def disclosure_report(
    gen: Generalisation,
    cells: pd.DataFrame,
    original: pd.DataFrame,
    settings: dict[str, Any],
    outcomes: pd.Series | None,
) -> pd.DataFrame:
    """Rows ``section, step, quasi_identifier, action, clients_changed``.

    Section ``generalisation``: the columns mapped, banded or moved; each generalisation and
    suppression step with its reason; the totals. Section ``final cells``: every combination
    of the exported quasi-identifiers with its number of clients.
    """
    rows = _column_rows(original, settings)
    rows += gen.steps.to_dict("records")
    diversity = (
        f"every combination holding outcome categories holds at least {gen.smallest_diversity}"
        if gen.smallest_diversity is not None
        else "no outcome category applies"
    )
    rows.append(
        {
            "quasi_identifier": ", ".join(gen.frame.columns),
            "action": f"result: smallest combination {gen.smallest_cell} clients (k = {gen.k}); "
            f"{diversity} (l = {gen.l}); {gen.generalised} clients generalised, "
            f"{gen.suppressed} of them suppressed (every quasi-identifier at its top level)",
            "clients_changed": gen.generalised,
        }
    )
    steps = pd.DataFrame(rows).assign(section="generalisation")
    steps["step"] = range(1, len(steps) + 1)
    final = pd.DataFrame(
        {
            "section": "final cells",
            "quasi_identifier": ", ".join(c for c in cells.columns if c != "clients"),
            "action": cells.drop(columns="clients").astype("string").agg(" | ".join, axis=1),
            "clients_changed": cells["clients"],
        }
    )
    return pd.concat([steps, final], ignore_index=True)[COLUMNS]


def write_readme(
    folder: Path,
    fmt: str,
    settings: dict[str, Any],
    gen: Generalisation,
    rows: dict[str, int],
    free_text: dict[str, tuple[str, ...]],
) -> None:
    """Write ``README.txt``: the method and settings (no key, no original values)."""
    from therapy_outcomes import __version__

    keep = settings["keep"]
    date_rule = (
        f"moved back per client by the span of the data, a week and a keyed 1 to "
        f"{settings['max_shift_days']} days"
        if settings["dates"] == "shift"
        else "moved per client so that the referral falls on the first of its month"
    )
    interval = "rounded to whole weeks" if settings["intervals"] == "weeks" else "kept exactly"
    diversity = (
        f"at least {gen.smallest_diversity} outcome categories in every combination holding any"
        if gen.smallest_diversity is not None
        else "no outcome category applies"
    )
    lines = [
        "De-identified research export (therapy-outcomes " + __version__ + ")",
        "",
        f"Format: {fmt}; load with therapy_outcomes.load(<this folder>).",
        "Privacy model: docs/privacy.md of therapy-outcomes.",
        "IDs: HMAC-SHA256 pseudonyms (key not included); 'other' is a therapist generalised away.",
        f"Dates: {date_rule}; intervals from the referral {interval}.",
        "Free text dropped: "
        + ", ".join(f"{t}.{c}" for t, cols in free_text.items() for c in cols if c not in keep)
        + ".",
        "Categories: clients.problem and clients.modality mapped to documented categories, "
        "goals.measure to an instrument code, GAS, GBO or count ('other' when not listed).",
        "Kept on request (outside the privacy model): "
        + (", ".join(keep) if keep else "nothing")
        + ".",
        "Scores: total and band of every administration; item answers "
        + ("included." if settings["items"] else "only where no total could be scored."),
        "Ages: birth_year replaced by age_band (age at referral).",
        f"Small cells: every combination of {', '.join(gen.frame.columns)} occurs for at "
        f"least {gen.k} clients (smallest: {gen.smallest_cell}); l = {gen.l}: {diversity}; "
        f"{gen.generalised} clients generalised, {gen.suppressed} suppressed; steps in "
        "disclosure_report.csv.",
        "Rows: " + ", ".join(f"{n} {c}" for n, c in rows.items()) + ".",
        "",
    ]
    (folder / "README.txt").write_text("\n".join(lines), encoding="utf-8")
