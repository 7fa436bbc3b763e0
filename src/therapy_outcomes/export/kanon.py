"""k-anonymity by generalisation: every combination of quasi-identifiers shared by k clients.

A client's quasi-identifiers (site, sex, age band, presenting problem, modality) together may
single them out even without a name. :func:`generalise` coarsens them until every combination
that occurs is shared by at least ``k`` clients, in the manner of Sweeney's Datafly: while some
combination is rarer than ``k``, one quasi-identifier is generalised (the least change that
leaves few enough clients in small cells to suppress, else one level of the quasi-identifier
that takes most clients out of small cells per client changed). Levels: age bands widen; rare
categories merge into ``other``, then everything does; ``sex`` keeps female/male and folds the
rest into ``unknown``, then everything. When few clients remain in small cells (at most ``k``,
or 5 % of the clients), their quasi-identifiers are all set to the top level instead (``other``,
``unknown``, ``any``: the records are kept, their quasi-identifiers suppressed), with a few
clients of the largest cells when needed to make that suppressed cell ``k`` clients too. A
missing value (no birth year) is a value of its own until it is suppressed. Since every coarser
grouping merges cells, k-anonymity on the full combination holds for every subset of
the quasi-identifiers too.

References
----------
Sweeney, L. (2002). Achieving k-anonymity privacy protection using generalization and
suppression. *Int J Uncertainty, Fuzziness and Knowledge-Based Systems* 10(5), 571-588.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from therapy_outcomes.errors import ParameterError

#: Age bands at each level of generalisation (lower bounds, labels).
AGE_LEVELS: tuple[tuple[tuple[int, str], ...], ...] = (
    (
        (0, "<18"),
        (18, "18-24"),
        (25, "25-34"),
        (35, "35-44"),
        (45, "45-54"),
        (55, "55-64"),
        (65, "65+"),
    ),
    ((0, "<18"), (18, "18-34"), (35, "35-54"), (55, "55+")),
    ((0, "<35"), (35, "35+")),
    ((0, "any"),),
)
TOP = {"sex": "unknown", "age_band": "any"}
OTHER = "other"


def age_band(age: pd.Series, level: int = 0) -> pd.Series:
    """Age band of each age (years) at a level of :data:`AGE_LEVELS`.

    Examples
    --------
    >>> age_band(pd.Series([17, 30, 70, None])).tolist()
    ['<18', '25-34', '65+', <NA>]
    >>> age_band(pd.Series([30]), level=1).tolist()
    ['18-34']
    """
    bounds = AGE_LEVELS[level]
    values = pd.to_numeric(age, errors="coerce")
    out = pd.Series(pd.NA, index=age.index, dtype="string")
    for low, label in bounds:
        out[values >= low] = label
    return out


@dataclass
class Generalisation:
    """The result of :func:`generalise`.

    Attributes
    ----------
    frame : pandas.DataFrame
        The generalised quasi-identifiers (same index as the input).
    steps : pandas.DataFrame
        What was done: step, quasi_identifier, action, clients_changed.
    k : int
        The k asked for.
    smallest_cell : int
        The smallest combination's size after generalisation.
    """

    frame: pd.DataFrame
    steps: pd.DataFrame
    k: int
    smallest_cell: int
    levels: dict[str, int] = field(default_factory=dict)


def _cells(frame: pd.DataFrame, qis: list[str]) -> pd.Series:
    """Size of each row's combination of quasi-identifiers (missing values are a value)."""
    keys = frame[qis].astype("string").fillna("(missing)")
    return keys.groupby(qis, dropna=False)[qis[0]].transform("size")


def _generalise_one(
    frame: pd.DataFrame, qi: str, level: int, ages: pd.Series | None, k: int
) -> tuple[pd.Series, str]:
    col = frame[qi]
    if qi == "age_band" and ages is not None:
        new = age_band(ages, level)
        labels = ", ".join(label for _, label in AGE_LEVELS[level])
        return new.where(col.notna() | new.isna(), col), f"age bands widened to {labels}"
    if qi == "sex":
        if level == 1:
            return col.where(col.isin(["female", "male"]) | col.isna(), "unknown"), (
                "other and unknown merged into unknown"
            )
        return col.where(col.isna(), "unknown"), "all set to unknown"
    if level == 1:
        counts = col.value_counts()
        rare = counts[counts < k].index
        return col.where(~col.isin(rare), OTHER), (
            f"{len(rare)} value(s) shared by fewer than {k} clients merged into '{OTHER}'"
        )
    return col.where(col.isna(), OTHER), f"all set to '{OTHER}'"


def _suppress(out: pd.DataFrame, qis: list[str], small: pd.Series, k: int) -> pd.DataFrame | None:
    """Set the quasi-identifiers of clients in small cells to their top level.

    When the resulting all-top cell would hold fewer than ``k`` clients, clients from the
    largest cells (those that stay at ``k`` or more) are suppressed with them. ``None`` when
    that is not possible.
    """
    top = {q: TOP.get(q, OTHER) for q in qis}
    trial = out.copy()
    for q in qis:
        trial.loc[small, q] = top[q]
    is_top = pd.Series(True, index=trial.index)
    for q in qis:
        is_top &= trial[q].astype("string") == top[q]
    need = k - int(is_top.sum())
    if need > 0:
        sizes = _cells(trial, qis)
        donors = sizes[~is_top & (sizes > k)].sort_values(ascending=False, kind="stable")
        keys = trial[qis].astype("string").fillna("(missing)").agg("|".join, axis=1)
        taken: list = []
        for key in dict.fromkeys(keys[donors.index]):
            rows = keys.index[keys == key]
            spare = len(rows) - k
            take = list(rows[: max(0, min(spare, need - len(taken)))])
            taken.extend(take)
            if len(taken) >= need:
                break
        if len(taken) < need:
            return None
        for q in qis:
            trial.loc[taken, q] = top[q]
    return trial if (_cells(trial, qis) >= k).all() else None


def _next_level(qi: str, level: int, ages: pd.Series | None) -> int:
    return _max_level(qi) if qi == "age_band" and ages is None else level + 1


def _best_step(
    out: pd.DataFrame,
    qis: list[str],
    open_qis: list[str],
    levels: dict[str, int],
    ages: pd.Series | None,
    k: int,
    limit: int,
) -> tuple[str, int, pd.Series, str, int]:
    """The next generalisation: ``(qi, level, new column, action, clients changed)``.

    If some generalisation (of one quasi-identifier, to any higher level) leaves at most
    ``limit`` clients in small cells, the one changing the fewest clients is taken; otherwise
    one level of the quasi-identifier that removes most clients from small cells per client
    changed.
    """
    before = int((_cells(out, qis) < k).sum())
    finishing, stepping = [], []
    for qi in open_qis:
        level = levels[qi]
        while level < _max_level(qi):
            level = _next_level(qi, level, ages)
            new, action = _generalise_one(out, qi, level, ages, k)
            changed = int(
                (new.astype("string").fillna("") != out[qi].astype("string").fillna("")).sum()
            )
            trial = out.copy()
            trial[qi] = new
            small = int((_cells(trial, qis) < k).sum())
            option = (qi, level, new, action, changed)
            if small <= limit:
                finishing.append(((changed, qis.index(qi)), option))
            if level == _next_level(qi, levels[qi], ages):
                gain = (before - small) / max(changed, 1)
                stepping.append(((-gain, changed, qis.index(qi)), option))
    pool = finishing or stepping
    return min(pool, key=lambda item: item[0])[1]


def _max_level(qi: str) -> int:
    return len(AGE_LEVELS) - 1 if qi == "age_band" else 2


def generalise(
    frame: pd.DataFrame,
    quasi_identifiers: list[str],
    k: int = 5,
    *,
    ages: pd.Series | None = None,
    suppress: float = 0.05,
) -> Generalisation:
    """Generalise quasi-identifiers until every combination has at least ``k`` clients.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per client with the quasi-identifier columns (``age_band`` as made by
        :func:`age_band` at level 0).
    quasi_identifiers : list of str
        Columns to check; absent columns are ignored.
    k : int
        Smallest allowed cell.
    ages : pandas.Series, optional
        Ages in years (same index), to widen ``age_band``; without it age bands go straight to
        ``any``.
    suppress : float
        Share of clients (at least ``k`` clients) whose quasi-identifiers may all be set to
        their top level instead of generalising everyone further.

    Returns
    -------
    Generalisation

    Raises
    ------
    ParameterError
        When ``k`` is below 2 or there are fewer than ``k`` clients.

    Examples
    --------
    >>> clients = pd.DataFrame({"site": ["A"] * 6 + ["B", "C", "C"],
    ...                         "sex": ["female"] * 6 + ["male", "unknown", "unknown"]})
    >>> g = generalise(clients, ["site", "sex"], k=3)
    >>> g.frame.value_counts().to_dict()
    {('A', 'female'): 6, ('other', 'unknown'): 3}
    >>> g.steps["action"].tolist()
    ['3 clients in cells smaller than 3: every quasi-identifier set to its top level']
    """
    if k < 2:
        raise ParameterError(f"k must be at least 2, got {k}")
    if len(frame) < k:
        raise ParameterError(
            f"only {len(frame)} clients: cannot share every combination of "
            f"quasi-identifiers among {k}"
        )
    qis = [q for q in quasi_identifiers if q in frame.columns and frame[q].notna().any()]
    out = frame[qis].copy()
    levels = dict.fromkeys(qis, 0)
    steps: list[dict] = []
    if not qis:
        return Generalisation(out, pd.DataFrame(steps), k, len(frame), levels)
    limit = max(k, int(np.ceil(suppress * len(out))))
    while True:
        sizes = _cells(out, qis)
        small = sizes < k
        if not small.any():
            break
        if small.sum() <= limit:
            trial = _suppress(out, qis, small, k)
            if trial is not None:
                steps.append(
                    {
                        "step": len(steps) + 1,
                        "quasi_identifier": ", ".join(qis),
                        "action": f"{int(small.sum())} clients in cells smaller than "
                        f"{k}: every quasi-identifier set to its top level",
                        "clients_changed": int(
                            (trial.astype("string").fillna("") != out.astype("string").fillna(""))
                            .any(axis=1)
                            .sum()
                        ),
                    }
                )
                out = trial
                break
        open_qis = [q for q in qis if levels[q] < _max_level(q)]
        if not open_qis:
            break
        qi, level, new, action, changed = _best_step(out, qis, open_qis, levels, ages, k, limit)
        levels[qi] = level
        out[qi] = new
        steps.append(
            {
                "step": len(steps) + 1,
                "quasi_identifier": qi,
                "action": action,
                "clients_changed": changed,
            }
        )
    smallest = int(_cells(out, qis).min())
    return Generalisation(
        out,
        pd.DataFrame(steps, columns=["step", "quasi_identifier", "action", "clients_changed"]),
        k,
        smallest,
        levels,
    )


def cell_sizes(frame: pd.DataFrame, quasi_identifiers: list[str]) -> pd.DataFrame:
    """Every combination of quasi-identifiers that occurs and its number of clients.

    Examples
    --------
    >>> cell_sizes(pd.DataFrame({"site": ["A", "A", "B"]}), ["site"])["clients"].tolist()
    [2, 1]
    """
    qis = [q for q in quasi_identifiers if q in frame.columns]
    keys = frame[qis].astype("string").fillna("(missing)")
    return (
        keys.value_counts(dropna=False)
        .rename("clients")
        .reset_index()
        .astype({"clients": np.int64})
    )
