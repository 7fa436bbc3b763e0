"""The client quasi-identifiers of the research export and their k-anonymity / l-diversity.

Quasi-identifiers (:data:`QUASI_IDENTIFIERS`) are the client attributes an outsider may know:
site, therapist pseudonym, sex, age band, problem category, modality code, end reason and
episode length band (whole weeks from ``episode_start`` to ``episode_end`` of the exported,
week-coarsened dates; ``open`` without an end, ``not started`` without a start). They are
generalised together (:func:`therapy_outcomes.export.kanon.generalise`) until every
combination is shared by ``k`` clients and, where the NHS Talking Therapies change category
(``improved``, ``deteriorated``, ``no_reliable_change``, ``mixed``) applies, every combination
holding such outcomes holds at least ``l`` distinct ones. A client whose site is generalised
has the therapist generalised too, so the therapist cannot give the site back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from therapy_outcomes.errors import TherapyOutcomesError
from therapy_outcomes.export.categories import (
    MODALITIES,
    PROBLEMS,
    groups,
    modality_code,
    problem_category,
)
from therapy_outcomes.export.dates import episode_weeks
from therapy_outcomes.export.kanon import Generalisation, Hierarchy, age_band, generalise

if TYPE_CHECKING:
    from therapy_outcomes.loading.dataset import Dataset

QUASI_IDENTIFIERS = (
    "site",
    "therapist_id",
    "sex",
    "age_band",
    "problem",
    "modality",
    "end_reason",
    "episode_length_band",
)
#: Episode length bands (whole weeks) at each level of generalisation.
EPISODE_LEVELS: tuple[tuple[tuple[int, str], ...], ...] = (
    (
        (0, "0 weeks"),
        (1, "1-4 weeks"),
        (5, "5-8 weeks"),
        (9, "9-12 weeks"),
        (13, "13-16 weeks"),
        (17, "17-26 weeks"),
        (27, "27-52 weeks"),
        (53, "53+ weeks"),
    ),
    ((0, "0-8 weeks"), (9, "9-16 weeks"), (17, "17+ weeks")),
    ((0, "any"),),
)
_ANY_END = "(any)"  # the top of end_reason while generalising; written as an empty cell
HIERARCHIES = {
    "problem": Hierarchy(groups=(groups(PROBLEMS),)),
    "modality": Hierarchy(groups=(groups(MODALITIES),)),
    "end_reason": Hierarchy(
        top=_ANY_END, groups=({"dropped_out": "other", "referred_on": "other"},)
    ),
    "episode_length_band": Hierarchy(top="any", bands=EPISODE_LEVELS),
}
LINKS = {"site": ["therapist_id"]}
#: Required client columns set to their top value when not checked (optional ones are dropped).
WITHHELD = {"site": "other", "therapist_id": "other"}


def outcome_categories(ds: Dataset) -> pd.Series | None:
    """NHS Talking Therapies change category per client ID; None when none applies.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes import load
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_demo_clinic(folder, n_clients=20, seed=1)
    >>> categories = outcome_categories(load(folder, as_of="2026-10-31"))
    >>> set(categories.dropna()) <= {"improved", "deteriorated", "no_reliable_change", "mixed"}
    True
    """
    from therapy_outcomes.outcomes.talking_therapies import talking_therapies_outcomes

    try:
        tt = talking_therapies_outcomes(
            ds.scores, ds.sessions, clients=ds.clients, registry=ds.registry
        )
    except (TherapyOutcomesError, ValueError, KeyError):
        return None
    categories = tt.set_index("client_id")["change_category"]
    return categories if categories.notna().any() else None


def quasi_identifiers(original: pd.DataFrame, shifted: pd.DataFrame) -> pd.DataFrame:
    """Level-0 quasi-identifiers of each client: categories, bands (same index).

    ``original`` is the loaded clients table, ``shifted`` the same rows with exported dates.
    """
    frame = pd.DataFrame(index=original.index)
    for col in ("site", "therapist_id", "sex", "end_reason"):
        if col in original:
            frame[col] = original[col].astype("string")
    if "birth_year" in original:
        frame["age_band"] = age_band(_ages(original))
    frame["problem"] = problem_category(_col(original, "problem"))
    frame["modality"] = modality_code(_col(original, "modality"))
    weeks = episode_weeks(shifted)
    length = length_band(weeks)
    started = pd.to_datetime(_col(shifted, "episode_start")).notna()
    frame["episode_length_band"] = length.where(
        weeks.notna(), pd.Series("open", index=frame.index).where(started, "not started")
    ).astype("string")
    return frame


def length_band(weeks: pd.Series) -> pd.Series:
    """Episode length band (level 0) of each number of weeks.

    Examples
    --------
    >>> length_band(pd.Series([0, 12, 60])).tolist()
    ['0 weeks', '9-12 weeks', '53+ weeks']
    """
    from therapy_outcomes.export.kanon import band

    return band(weeks, EPISODE_LEVELS[0])


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="string")


def _ages(clients: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(clients["referred_on"]).dt.year - pd.to_numeric(clients["birth_year"])


def anonymise(
    original: pd.DataFrame,
    shifted: pd.DataFrame,
    qis: tuple[str, ...],
    k: int,
    *,
    l: int = 2,  # noqa: E741
    outcomes: pd.Series | None = None,
) -> tuple[pd.DataFrame, Generalisation]:
    """The exported clients table (``shifted`` with generalised quasi-identifiers).

    A standard quasi-identifier left out of ``qis`` is withheld: a required column is set to
    ``other`` for everyone, an optional one is dropped. ``birth_year`` is always replaced by
    ``age_band``.
    """
    frame = quasi_identifiers(original, shifted)
    extra = [q for q in qis if q not in frame and q in shifted]
    for q in extra:
        frame[q] = shifted[q].astype("string")
    ages = _ages(original) if "birth_year" in original else None
    numbers = {"episode_length_band": episode_weeks(shifted)} | (
        {"age_band": ages} if ages is not None else {}
    )
    sensitive = None
    if outcomes is not None and l > 1:
        sensitive = original["client_id"].map(outcomes).astype("string")
    gen = generalise(
        frame,
        list(qis),
        k,
        numbers=numbers,
        hierarchies=HIERARCHIES,
        links=LINKS,
        sensitive=sensitive,
        l=l,
    )
    out = shifted.drop(columns=["birth_year"], errors="ignore").copy()
    for col in QUASI_IDENTIFIERS:
        if col in gen.frame:
            out[col] = gen.frame[col].astype("string")
        elif col in WITHHELD:
            out[col] = WITHHELD[col]
        elif col in frame and col not in qis:
            out = out.drop(columns=col, errors="ignore")
        elif col in frame:
            out[col] = frame[col]  # checked but empty for everyone
    for col in extra:
        out[col] = gen.frame[col].astype("string") if col in gen.frame else out[col]
    if "end_reason" in out:
        out["end_reason"] = out["end_reason"].mask((out["end_reason"] == _ANY_END).fillna(False))
    return out, gen
