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

from collections.abc import Mapping, Sequence
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
OTHER = "other"
MISSING = "(missing)"


@dataclass(frozen=True)
class Hierarchy:
    """How one quasi-identifier is generalised, level by level.

    A categorical quasi-identifier goes from its values (level 0) through each mapping of
    ``groups`` (values to broader groups), then, when ``rare``, merges the values shared by
    fewer than ``k`` clients into ``top``, and at its last level sets every value to ``top``.
    A banded one (``bands``) is recomputed from numbers (ages, weeks) at each level of
    ``bands``, the last of which is the top; without the numbers it goes straight to ``top``.
    A missing value stays missing (a value of its own) until it is suppressed.
    """

    top: str = OTHER
    groups: tuple[Mapping[str, str], ...] = ()
    rare: bool = True
    bands: tuple[tuple[tuple[float, str], ...], ...] = ()

    def max_level(self, has_numbers: bool) -> int:
        """The top level's number."""
        if self.bands:
            return len(self.bands) - 1 if has_numbers else 1
        return len(self.groups) + int(self.rare) + 1


SEX = Hierarchy(top="unknown", groups=({"other": "unknown"},), rare=False)
AGE = Hierarchy(top="any", bands=AGE_LEVELS)
DEFAULT_HIERARCHIES = {"sex": SEX, "age_band": AGE}


def band(values: pd.Series, bounds: tuple[tuple[float, str], ...]) -> pd.Series:
    """The label of each number's band (``bounds``: lower bounds and labels, ascending).

    Examples
    --------
    >>> band(pd.Series([0, 3, 9, None]), ((0, "0"), (1, "1-8"), (9, "9+"))).tolist()
    ['0', '1-8', '9+', <NA>]
    """
    numbers = pd.to_numeric(values, errors="coerce")
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    for low, label in bounds:
        out[numbers >= low] = label
    return out


def age_band(age: pd.Series, level: int = 0) -> pd.Series:
    """Age band of each age (years) at a level of :data:`AGE_LEVELS`.

    Examples
    --------
    >>> age_band(pd.Series([17, 30, 70, None])).tolist()
    ['<18', '25-34', '65+', <NA>]
    >>> age_band(pd.Series([30]), level=1).tolist()
    ['18-34']
    """
    return band(age, AGE_LEVELS[level])


@dataclass
class Generalisation:
    """The result of :func:`generalise`.

    Attributes
    ----------
    frame : pandas.DataFrame
        The generalised quasi-identifiers (same index as the input).
    steps : pandas.DataFrame
        What was done and why: step, quasi_identifier, action, clients_changed.
    k : int
        The k asked for.
    smallest_cell : int
        The smallest combination's size after generalisation.
    levels : dict
        The level each quasi-identifier reached.
    l : int
        The l asked for (1: no l-diversity).
    smallest_diversity : int or None
        Fewest distinct sensitive values in a combination holding any (None without them).
    generalised : int
        Clients with at least one quasi-identifier changed.
    suppressed : int
        Clients whose quasi-identifiers were all set to the top level by suppression.
    """

    frame: pd.DataFrame
    steps: pd.DataFrame
    k: int
    smallest_cell: int
    levels: dict[str, int] = field(default_factory=dict)
    l: int = 1  # noqa: E741 (the l of l-diversity)
    smallest_diversity: int | None = None
    generalised: int = 0
    suppressed: int = 0


def _groups(frame: pd.DataFrame, qis: list[str]) -> pd.Series:
    """A group number per row: rows with the same combination (missing is a value) share it."""
    keys = frame[qis].astype("string").fillna(MISSING)
    return keys.groupby(qis, dropna=False).ngroup()


def _cells(frame: pd.DataFrame, qis: list[str]) -> pd.Series:
    """Size of each row's combination of quasi-identifiers (missing values are a value)."""
    groups = _groups(frame, qis)
    return groups.map(groups.value_counts())


def _diversity(frame: pd.DataFrame, qis: list[str], sensitive: pd.Series) -> pd.Series:
    """Distinct sensitive values in each row's combination; NA where the cell holds none."""
    groups = _groups(frame, qis)
    values = sensitive.reindex(frame.index)
    distinct = values.groupby(groups).nunique()
    counted = values.groupby(groups).count()
    return groups.map(distinct.where(counted > 0))


def _bad(
    frame: pd.DataFrame,
    qis: list[str],
    k: int,
    sensitive: pd.Series | None,
    l: int,  # noqa: E741
) -> tuple[pd.Series, pd.Series]:
    """Rows in cells smaller than ``k``, and rows in cells with fewer than ``l`` outcomes."""
    small = _cells(frame, qis) < k
    if sensitive is None or l < 2:
        return small, pd.Series(False, index=frame.index)
    return small, (_diversity(frame, qis, sensitive) < l).fillna(False).astype(bool)


class _State:
    """The generalisation in progress: levels, links and how to recompute a column."""

    def __init__(
        self,
        original: pd.DataFrame,
        hierarchies: Mapping[str, Hierarchy],
        numbers: Mapping[str, pd.Series],
        links: Mapping[str, Sequence[str]],
        k: int,
    ) -> None:
        self.original = original
        self.hier = {q: hierarchies.get(q, Hierarchy()) for q in original.columns}
        self.numbers = numbers
        self.links = {
            p: [c for c in cs if c in original] for p, cs in links.items() if p in original
        }
        self.k = k

    def max_level(self, qi: str) -> int:
        return self.hier[qi].max_level(qi in self.numbers)

    def column(self, qi: str, level: int) -> tuple[pd.Series, str]:
        """The column ``qi`` at ``level`` (from the original values) and what that did."""
        h, base = self.hier[qi], self.original[qi]
        if h.bands and qi in self.numbers and level < len(h.bands):
            new = band(self.numbers[qi], h.bands[level])
            labels = ", ".join(label for _, label in h.bands[level])
            return new.where(new.notna(), base), f"bands widened to {labels}"
        if h.bands or level == self.max_level(qi):
            return base.where(base.isna(), h.top), f"all set to '{h.top}'"
        new = base
        for mapping in h.groups[:level]:
            new = new.map(lambda v, m=mapping: m.get(v, v) if isinstance(v, str) else v)
        new = new.astype("string")
        if level <= len(h.groups):
            return new, "grouped into " + ", ".join(sorted(set(new.dropna())))
        counts = new.value_counts()
        rare = counts[counts < self.k].index
        return new.where(~new.isin(rare), h.top), (
            f"{len(rare)} value(s) shared by fewer than {self.k} clients merged into '{h.top}'"
        )

    def apply(self, out: pd.DataFrame, qi: str, new: pd.Series) -> pd.DataFrame:
        """``out`` with ``qi`` replaced, and the linked columns of every changed row at top."""
        trial = out.copy()
        trial[qi] = new
        for parent, children in self.links.items():
            changed = trial[parent].astype("string").fillna(MISSING) != self.original[
                parent
            ].astype("string").fillna(MISSING)
            for child in children:
                trial.loc[changed, child] = self.hier[child].top
        return trial


def _reason(small: pd.Series, undiverse: pd.Series, k: int, l: int) -> str:  # noqa: E741
    parts = [f"{int(small.sum())} clients in cells smaller than {k}"]
    if undiverse.any():
        parts.append(f"{int(undiverse.sum())} in cells with fewer than {l} outcome categories")
    return " and ".join(parts)


def _suppress(
    out: pd.DataFrame,
    qis: list[str],
    bad: pd.Series,
    tops: dict[str, str],
    k: int,
    sensitive: pd.Series | None,
    l: int,  # noqa: E741
) -> pd.DataFrame | None:
    """Set the quasi-identifiers of clients in bad cells to their top level.

    When the resulting all-top cell would hold fewer than ``k`` clients (or fewer than ``l``
    outcome categories), clients from the largest cells are suppressed with them, preferring
    ones that add an outcome category. ``None`` when the result is still not safe.
    """
    trial = out.copy()
    for q in qis:
        trial.loc[bad, q] = tops[q]
    for _ in range(k + l + 1):
        is_top = pd.Series(True, index=trial.index)
        for q in qis:
            is_top &= trial[q].astype("string").fillna(MISSING) == tops[q]
        values = sensitive.reindex(trial.index) if sensitive is not None and l > 1 else None
        present = set(values[is_top].dropna()) if values is not None else set()
        diverse = values is None or not present or len(present) >= l
        if int(is_top.sum()) >= k and diverse:
            break
        sizes = _cells(trial, qis)
        donors = pd.DataFrame({"size": sizes, "new": False})[~is_top & (sizes > k)]
        if values is not None and int(is_top.sum()) >= k:
            donors["new"] = values.reindex(donors.index).notna() & ~values.reindex(
                donors.index
            ).isin(present)
            donors = donors[donors["new"]]
        if donors.empty:
            return None
        take = donors.sort_values(["new", "size"], ascending=False, kind="stable").index[0]
        for q in qis:
            trial.loc[take, q] = tops[q]
    small, undiverse = _bad(trial, qis, k, sensitive, l)
    return None if (small | undiverse).any() else trial


_Step = tuple[str, int, pd.DataFrame, str, int]  # qi, level, new frame, action, clients changed


def _best_step(
    state: _State,
    out: pd.DataFrame,
    qis: list[str],
    open_qis: list[str],
    levels: dict[str, int],
    sensitive: pd.Series | None,
    l: int,  # noqa: E741
    limit: int,
) -> _Step:
    """The next generalisation: ``(qi, level, new frame, action, clients changed)``.

    If some generalisation (of one quasi-identifier, to any higher level) leaves at most
    ``limit`` clients in bad cells, the one changing the fewest clients is taken; otherwise
    the lowest level that changes anything of the quasi-identifier that removes most clients
    from bad cells per client changed.
    """
    k = state.k
    before = int(np.logical_or(*_bad(out, qis, k, sensitive, l)).sum())
    finishing: list[tuple[tuple[int, int], _Step]] = []
    stepping: list[tuple[tuple[float, int, int], _Step]] = []
    for qi in open_qis:
        for level in range(levels[qi] + 1, state.max_level(qi) + 1):
            new, action = state.column(qi, level)
            trial = state.apply(out, qi, new)
            changed = int(
                (trial.astype("string").fillna("") != out.astype("string").fillna(""))
                .any(axis=1)
                .sum()
            )
            bad = int(np.logical_or(*_bad(trial, qis, k, sensitive, l)).sum())
            option = (qi, level, trial, action, changed)
            if bad <= limit:
                finishing.append(((changed, qis.index(qi)), option))
            if changed and not any(o[1][0] == qi for o in stepping):
                gain = (before - bad) / changed  # the lowest level that changes anything
                stepping.append(((-gain, changed, qis.index(qi)), option))
    pool = finishing or stepping
    if not pool:  # nothing left changes a client: close the first open quasi-identifier
        qi, level = open_qis[0], state.max_level(open_qis[0])
        new, action = state.column(qi, level)
        return qi, level, state.apply(out, qi, new), action, 0
    return min(pool, key=lambda item: item[0])[1]


def generalise(
    frame: pd.DataFrame,
    quasi_identifiers: list[str],
    k: int = 5,
    *,
    ages: pd.Series | None = None,
    suppress: float = 0.05,
    numbers: Mapping[str, pd.Series] | None = None,
    hierarchies: Mapping[str, Hierarchy] | None = None,
    links: Mapping[str, Sequence[str]] | None = None,
    sensitive: pd.Series | None = None,
    l: int = 1,  # noqa: E741
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
    numbers : mapping, optional
        Numbers behind other banded quasi-identifiers (e.g. weeks of an episode length band).
    hierarchies : mapping, optional
        :class:`Hierarchy` per quasi-identifier (default: sex and age band as documented,
        others: rare values to ``other``, then all).
    links : mapping, optional
        ``{parent: [children]}``: a row whose ``parent`` is generalised has its ``children``
        set to their top too (a therapist with the site, so the site cannot be recovered).
    sensitive : pandas.Series, optional
        An outcome per client (same index; missing where it does not apply) for l-diversity.
    l : int
        Every combination holding outcomes must hold at least ``l`` distinct ones.

    Returns
    -------
    Generalisation

    Raises
    ------
    ParameterError
        When ``k`` is below 2, ``l`` below 1 or there are fewer than ``k`` clients.

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
    if l < 1:
        raise ParameterError(f"l must be at least 1, got {l}")
    if len(frame) < k:
        raise ParameterError(
            f"only {len(frame)} clients: cannot share every combination of "
            f"quasi-identifiers among {k}"
        )
    qis = [q for q in quasi_identifiers if q in frame.columns and frame[q].notna().any()]
    out = frame[qis].copy()
    nums = dict(numbers or {}) | ({"age_band": ages} if ages is not None else {})
    state = _State(
        out.copy(),
        DEFAULT_HIERARCHIES | dict(hierarchies or {}),
        {q: v for q, v in nums.items() if q in qis},
        links or {},
        k,
    )
    levels = dict.fromkeys(qis, 0)
    steps: list[dict] = []
    if not qis:
        return Generalisation(out, pd.DataFrame(steps), k, len(frame), levels, l)
    tops = {q: state.hier[q].top for q in qis}
    limit = max(k, int(np.ceil(suppress * len(out))))
    suppressed = pd.Series(False, index=out.index)
    while True:
        small, undiverse = _bad(out, qis, k, sensitive, l)
        bad = small | undiverse
        if not bad.any():
            break
        if bad.sum() <= limit or all(levels[q] >= state.max_level(q) for q in qis):
            trial = _suppress(out, qis, bad, tops, k, sensitive, l)
            if trial is not None:
                differs = trial.astype("string").fillna("") != out.astype("string").fillna("")
                suppressed = differs.any(axis=1)
                steps.append(
                    {
                        "step": len(steps) + 1,
                        "quasi_identifier": ", ".join(qis),
                        "action": f"{_reason(small, undiverse, k, l)}: every "
                        "quasi-identifier set to its top level",
                        "clients_changed": int(suppressed.sum()),
                    }
                )
                out = trial
                break
        open_qis = [q for q in qis if levels[q] < state.max_level(q)]
        if not open_qis:
            break
        qi, level, trial, action, changed = _best_step(
            state, out, qis, open_qis, levels, sensitive, l, limit
        )
        levels[qi] = level
        steps.append(
            {
                "step": len(steps) + 1,
                "quasi_identifier": qi,
                "action": f"{action} ({_reason(small, undiverse, k, l)})",
                "clients_changed": changed,
            }
        )
        out = trial
    diversity = _diversity(out, qis, sensitive) if sensitive is not None else None
    generalised = out.astype("string").fillna("") != frame[qis].astype("string").fillna("")
    return Generalisation(
        out,
        pd.DataFrame(steps, columns=["step", "quasi_identifier", "action", "clients_changed"]),
        k,
        int(_cells(out, qis).min()),
        levels,
        l,
        None if diversity is None or diversity.isna().all() else int(diversity.min()),
        int(generalised.any(axis=1).sum()),
        int(suppressed.sum()),
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
