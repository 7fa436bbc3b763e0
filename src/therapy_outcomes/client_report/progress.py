"""Where each questionnaire stands for one client: baseline, latest, and what the change means.

The categories come from :func:`therapy_outcomes.change.significance.clinical_significance` with the
instrument's own published reliable-change points and clinical cut-off (with its stated
inclusive side), so a report and a cohort analysis use one formula.
"""

from __future__ import annotations

import pandas as pd

from therapy_outcomes.change.pairs import baseline_latest
from therapy_outcomes.change.reliable import Better
from therapy_outcomes.change.significance import clinical_significance
from therapy_outcomes.instruments import Registry

PROGRESS_COLUMNS = [
    "instrument",
    "name",
    "better",
    "n_scores",
    "baseline_on",
    "baseline",
    "baseline_band",
    "latest_on",
    "latest",
    "latest_band",
    "change",
    "rc_threshold",
    "change_category",
    "cutoff",
    "clinical_side",
    "significance_category",
]


def instrument_progress(
    scores: pd.DataFrame, registry: Registry, as_of: pd.Timestamp | str
) -> pd.DataFrame:
    """Baseline against latest for every questionnaire of ONE client.

    Parameters
    ----------
    scores : pandas.DataFrame
        One client's ``Dataset.scores``.
    registry : Registry
        Instrument definitions (direction, bands, cut-off, reliable-change points).
    as_of : date-like
        Only scores on or before this date count.

    Returns
    -------
    pandas.DataFrame
        One row per instrument with at least one valid score (:data:`PROGRESS_COLUMNS`).
        ``change_category`` is improved / unchanged / deteriorated by the instrument's
        reliable-change points (inclusive), or ``"no threshold"`` when the instrument has
        none, or ``"one score"``. ``significance_category`` (recovered, improved, unchanged,
        deteriorated, harmed) needs both a threshold and a cut-off, else it is missing.

    Raises
    ------
    ValueError
        When ``scores`` holds more than one client.

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> scores = pd.DataFrame({"client_id": "C1", "instrument": "PHQ-9", "valid": True,
    ...     "administered_on": pd.to_datetime(["2026-01-05", "2026-03-02"]), "total": [16, 8]})
    >>> row = instrument_progress(scores, default_registry(), "2026-06-30").iloc[0]
    >>> float(row["change"]), row["change_category"], row["significance_category"]
    (-8.0, 'improved', 'recovered')
    """
    if scores["client_id"].nunique() > 1:
        raise ValueError("instrument_progress takes one client's scores")
    rows = []
    for code in sorted(scores["instrument"].dropna().unique()):
        ends = baseline_latest(scores, code, as_of)
        if ends.empty:
            continue
        inst = registry.get(code)
        first = ends.iloc[0]
        threshold = inst.rc_threshold()
        cutoff = inst.cutoff
        row = {
            "instrument": code,
            "name": inst.name,
            "better": inst.better,
            "n_scores": int(first["n_scores"]),
            "baseline_on": first["baseline_on"],
            "baseline": float(first["baseline"]),
            "latest_on": first["latest_on"],
            "latest": float(first["latest"]),
            "rc_threshold": threshold,
            "cutoff": None if cutoff is None else cutoff.value,
            "clinical_side": None if cutoff is None else cutoff.clinical,
        }
        bands = inst.band_of(pd.Series([row["baseline"], row["latest"]]))
        row["baseline_band"], row["latest_band"] = bands.iat[0], bands.iat[1]
        row["change"] = round(row["latest"] - row["baseline"], 10)
        row["change_category"], row["significance_category"] = _categories(row, inst.better)
        rows.append(row)
    return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)


def _categories(row: dict, better: Better) -> tuple[str, str | None]:
    if row["n_scores"] < 2:
        return "one score", None
    if row["rc_threshold"] is None:
        return "no threshold", None
    pre, post = pd.Series([row["baseline"]]), pd.Series([row["latest"]])
    if row["cutoff"] is None:
        from therapy_outcomes.change.reliable import reliable_change

        rc = reliable_change(pre, post, better=better, threshold=row["rc_threshold"])
        return str(rc["category"].iat[0]), None
    cs = clinical_significance(
        pre,
        post,
        better=better,
        threshold=row["rc_threshold"],
        cutoff=row["cutoff"],
        clinical_side=row["clinical_side"],
    )
    change = {"recovered": "improved", "harmed": "deteriorated"}
    category = str(cs["category"].iat[0])
    return change.get(category, category), category


def item_comparison(
    responses: pd.DataFrame,
    scores: pd.DataFrame,
    registry: Registry,
    instrument: str,
    as_of: pd.Timestamp | str,
) -> pd.DataFrame:
    """Item answers at the baseline and the latest valid administration of one instrument.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item``, ``label``, ``baseline``, ``latest``, ``change``,
        ``risk`` (the item is a risk item), ``worse`` (the answer moved in the worse
        direction, reverse-scored items taken into account).
    """
    inst = registry.get(instrument)
    mine = scores[(scores["instrument"] == instrument) & scores["valid"].astype(bool)]
    mine = mine[mine["administered_on"] <= pd.Timestamp(as_of)].sort_values("administered_on")
    columns = ["item", "label", "baseline", "latest", "change", "risk", "worse"]
    if mine.empty:
        return pd.DataFrame(columns=columns)
    ids = [mine["administration_id"].iat[0], mine["administration_id"].iat[-1]]
    answers = responses[responses["administration_id"].isin(ids)]
    wide = answers.pivot_table(index="item", columns="administration_id", values="value")
    out = pd.DataFrame({"item": range(1, inst.n_items + 1)})
    out["label"] = [
        inst.item_labels[i - 1] if i <= len(inst.item_labels) else f"item {i}" for i in out["item"]
    ]
    out["baseline"] = out["item"].map(wide.get(ids[0], pd.Series(dtype=float)))
    out["latest"] = out["item"].map(wide.get(ids[1], pd.Series(dtype=float)))
    out["change"] = out["latest"] - out["baseline"]
    risky = {r.item for r in inst.risk_items}
    out["risk"] = out["item"].isin(risky)
    reversed_items = set(inst.reverse_items)
    # a higher raw answer means a higher total unless the item is reverse-scored
    sign = out["item"].map(lambda i: -1 if i in reversed_items else 1)
    worse_if_up = 1 if inst.better == "lower" else -1
    out["worse"] = (out["change"] * sign * worse_if_up) > 0
    return out[columns]
