"""NHS Talking Therapies (formerly IAPT) outcome metrics: caseness, recovery, reliable change.

:func:`talking_therapies_outcomes` classifies each client episode; :func:`talking_therapies_rates`
turns the classifications into the published metrics with their official denominators;
:func:`talking_therapies_rates_from_counts` does the arithmetic from counts alone, which is how
the tests check it against the published England figures.

Definitions (docs/methods.md#talking-therapies; NHS Digital statistical pages):

- *Finished a course of treatment*: the referral ended having had at least two attended
  treatment appointments (fingertips glossary; NHS Digital annual report 2023-24 appendix B:
  attended, a treatment appointment, between referral received and referral end).
- *Caseness*: PHQ-9 >= 10 or the anxiety measure at or above its cut-off (GAD-7 >= 8). The
  values come from the instrument definitions (``talking_therapies`` in the YAML: the
  cut-off and reliable-change points unless the role states its own).
- *Recovery*: at caseness at the start, not at caseness at the end. Rate =
  ``recovered / (finished - not at caseness at the start)``.
- *Reliable improvement*: reduction of at least the reliable-change value (PHQ-9 6, GAD-7 4).
  Rate = ``reliably improved / finished``.
- *Reliable recovery*: both recovered and reliably improved.
- *Reliable deterioration*: increase of at least the reliable-change value.

Denominators found from the published England annual counts
(``england_annual_key_measures.csv``, 2017-18 to 2024-25; every year reproduced to the
published decimal by the tests):

- reliable recovery: ``finished - not_at_caseness`` (the recovery denominator). Dividing by
  *finished* gives e.g. 45.1 % for 2017-18 instead of the published 48.3 %; dividing by the
  separately published ``at_caseness_count`` gives 48.4 %.
- reliable deterioration: ``finished``. Dividing by ``finished - not_at_caseness`` gives 6.4 %
  for 2017-18 instead of the published 5.9 %.
- no reliable change: ``finished``.

Rules whose NHS source is UNVERIFIED, each a parameter:

- ``combine`` - how PHQ-9 and the anxiety measure combine when they move in different
  directions. Default ``"corc"``: CORC's published definition, improved = "score on at least one
  measure changed enough ... and no other score reliably deteriorated"; deteriorated = "a score
  on one or more measures changed enough in a negative direction" (so a mixed case counts as
  deteriorated, not improved). ``"exclusive"``: improved = at least one improved and none
  deteriorated, deteriorated = at least one deteriorated and none improved; a mixed case is
  neither. Note: in every published England year ``improvement + deterioration + no reliable
  change`` falls short of ``finished`` by 1.0-1.7 % (while ``at_caseness + not_at_caseness``
  falls short by only 0.1-0.3 %), which fits the ``"exclusive"`` rule (mixed cases counted in
  none of the three) but is an inference, not a quoted definition.
  ``"any"``: each flag on its own (a mixed case is both).
- ``treatment_kinds`` - which session kinds count as treatment (default ``("treatment",)``,
  following the appendix B wording "a treatment appointment"; assessment, review and
  follow-up sessions do not count).
- ``pair_on`` - what makes a "paired" score. The brief for this package asks for both measures
  from the same occasion: ``"date"`` (default) pairs a valid depression and a valid anxiety
  score given on the same calendar day; ``"session"`` requires the same ``session_id``. The
  first and last pairs (by date) are used; when one instrument was given more than once on the
  same occasion the later row in the input is used. NHS Digital's phrase is "the difference
  between their first and last scores"; whether it demands same-day pairing is UNVERIFIED.
- Anxiety-disorder-specific measures (SPIN, IES-R, ...) are not handled: their cut-offs and
  reliable-change values are UNVERIFIED. Pass another ``anxiety`` code with its thresholds if
  you have verified ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from therapy_outcomes.instruments import Registry, default_registry
from therapy_outcomes.outcomes.rates import wilson_interval
from therapy_outcomes.outcomes.valid_scores import valid_scores

__all__ = [
    "DENOMINATORS",
    "talking_therapies_outcomes",
    "talking_therapies_rates",
    "talking_therapies_rates_from_counts",
    "talking_therapies_thresholds",
]


#: Official denominator of each metric: ``"finished"`` or ``"finished_minus_not_at_caseness"``.
DENOMINATORS: Mapping[str, str] = MappingProxyType(
    {
        "recovery": "finished_minus_not_at_caseness",
        "reliable_improvement": "finished",
        "reliable_deterioration": "finished",
        "no_reliable_change": "finished",
        "reliable_recovery": "finished_minus_not_at_caseness",
    }
)


_METRIC_COUNT = {
    "recovery": "recovered",
    "reliable_improvement": "reliably_improved",
    "reliable_deterioration": "reliably_deteriorated",
    "no_reliable_change": "no_reliable_change",
    "reliable_recovery": "reliably_recovered",
}


Combine = Literal["corc", "exclusive", "any"]


def _episode_window(clients: pd.DataFrame | None) -> pd.DataFrame | None:
    if clients is None:
        return None
    win = pd.DataFrame({"client_id": clients["client_id"]})
    win["_start"] = pd.to_datetime(clients["referred_on"]) if "referred_on" in clients else pd.NaT
    win["_end"] = pd.to_datetime(clients["episode_end"]) if "episode_end" in clients else pd.NaT
    return win.drop_duplicates("client_id").set_index("client_id")


def _within(frame: pd.DataFrame, when: str, window: pd.DataFrame | None) -> pd.DataFrame:
    if window is None:
        return frame
    w = window.reindex(frame["client_id"])
    d = pd.to_datetime(frame[when]).to_numpy()
    start = w["_start"].to_numpy()
    end = w["_end"].to_numpy()
    ok = frame["client_id"].isin(window.index).to_numpy(copy=True)
    ok = ok & (pd.isna(start) | (d >= start)) & (pd.isna(end) | (d <= end))
    return frame[ok]


def talking_therapies_thresholds(
    codes: Sequence[str], registry: Registry | None = None
) -> dict[str, dict[str, float]]:
    """Caseness and reliable-change values of instruments, from their definitions.

    An instrument with a ``talking_therapies`` role in its YAML definition gives that role's
    values (by default its own cut-off and reliable-change points); an instrument without one
    gives its cut-off (when written ``>=``) and reliable-change points, so a user's own anxiety
    measure can be passed as ``anxiety=``. An instrument with neither is left out (and
    :func:`talking_therapies_outcomes` then says which value is missing).

    Parameters
    ----------
    codes : sequence of str
        Instrument codes or aliases.
    registry : Registry, optional
        Where the definitions come from (default: the shipped ones).

    Returns
    -------
    dict
        ``{"caseness": {code: value}, "reliable_change": {code: points}}``.

    Examples
    --------
    >>> values = talking_therapies_thresholds(["PHQ-9", "GAD-7"])
    >>> values["caseness"], values["reliable_change"]
    ({'PHQ-9': 10.0, 'GAD-7': 8.0}, {'PHQ-9': 6.0, 'GAD-7': 4.0})
    """
    reg = registry if registry is not None else default_registry()
    out: dict[str, dict[str, float]] = {"caseness": {}, "reliable_change": {}}
    for code in codes:
        inst = reg.get(code)
        case = inst.talking_therapies_caseness()
        if case is None and inst.cutoff is not None and inst.cutoff.clinical == ">=":
            case = float(inst.cutoff.value)
        points = inst.talking_therapies_reliable_change()
        points = inst.rc_threshold() if points is None else points
        if case is not None:
            out["caseness"][code] = case
        if points is not None:
            out["reliable_change"][code] = float(points)
    return out


def talking_therapies_outcomes(
    scores: pd.DataFrame,
    sessions: pd.DataFrame,
    *,
    clients: pd.DataFrame | None = None,
    depression: str = "PHQ-9",
    anxiety: str = "GAD-7",
    caseness: Mapping[str, float] | None = None,
    reliable_change: Mapping[str, float] | None = None,
    registry: Registry | None = None,
    min_treatment_sessions: int = 2,
    treatment_kinds: Sequence[str] = ("treatment",),
    combine: Combine = "corc",
    pair_on: Literal["date", "session"] = "date",
) -> pd.DataFrame:
    """NHS Talking Therapies outcome flags, one row per client episode.

    Parameters
    ----------
    scores : DataFrame
        One row per administration (``client_id, instrument, administered_on, total, valid``;
        ``session_id`` when ``pair_on="session"``).
    sessions : DataFrame
        ``client_id, session_on, kind, attendance`` (missing ``kind`` = treatment).
    clients : DataFrame, optional
        When given: one row per client in it; only sessions and scores between ``referred_on``
        and ``episode_end`` count, and an episode has *finished* only if ``episode_end`` is set.
        Without it every client seen in ``sessions``/``scores`` is an episode and is assumed
        ended.
    depression, anxiety : str
        Instrument codes of the two measures.
    caseness : mapping, optional
        Cut-off per instrument; a score **at or above** it is a case. Default: the instrument
        definitions' Talking Therapies values (:func:`talking_therapies_thresholds`: PHQ-9 10,
        GAD-7 8).
    reliable_change : mapping, optional
        Reliable-change value per instrument; a change of **at least** it is reliable. Default:
        the definitions' values (PHQ-9 6, GAD-7 4).
    registry : Registry, optional
        Where the instrument definitions come from (default: the shipped ones).
    min_treatment_sessions : int
        Attended treatment sessions needed to have finished a course (2).
    treatment_kinds : sequence of str
        Session kinds that count as treatment (UNVERIFIED rule; see module notes).
    combine : {"corc", "exclusive", "any"}
        Rule combining the two measures' reliable change (UNVERIFIED; see module notes).
    pair_on : {"date", "session"}
        What makes a depression and an anxiety score a pair.

    Returns
    -------
    DataFrame
        Columns: ``client_id, n_treatment_sessions, ended, finished_treatment, n_pairs,
        has_paired_scores, first_date, last_date, first_depression, last_depression,
        first_anxiety, last_anxiety, at_caseness_start, at_caseness_end,
        depression_improved, depression_deteriorated, anxiety_improved, anxiety_deteriorated,
        reliably_improved, reliably_deteriorated, no_reliable_change, change_category,
        recovered, reliably_recovered``.
        Flags are nullable booleans, ``<NA>`` without two paired occasions. They are computed
        for every episode with paired scores; the official rates
        (:func:`talking_therapies_rates`) count finished episodes only.

    Examples
    --------
    >>> scores = pd.DataFrame({
    ...     "client_id": ["A"] * 4,
    ...     "instrument": ["PHQ-9", "GAD-7", "PHQ-9", "GAD-7"],
    ...     "administered_on": pd.to_datetime(["2026-01-05"] * 2 + ["2026-03-02"] * 2),
    ...     "total": [16.0, 12.0, 7.0, 5.0], "valid": [True] * 4})
    >>> sessions = pd.DataFrame({
    ...     "client_id": ["A"] * 3,
    ...     "session_on": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-03-02"]),
    ...     "kind": ["assessment", "treatment", "treatment"], "attendance": ["attended"] * 3})
    >>> out = talking_therapies_outcomes(scores, sessions)
    >>> out[["finished_treatment", "recovered", "reliably_improved", "reliably_recovered"]]
       finished_treatment  recovered  reliably_improved  reliably_recovered
    0                True       True               True                True
    """
    if combine not in ("corc", "exclusive", "any"):
        raise ValueError(f"combine must be 'corc', 'exclusive' or 'any', got {combine!r}")
    if pair_on not in ("date", "session"):
        raise ValueError(f"pair_on must be 'date' or 'session', got {pair_on!r}")
    if caseness is None or reliable_change is None:
        defaults = talking_therapies_thresholds((depression, anxiety), registry)
        caseness = defaults["caseness"] if caseness is None else caseness
        reliable_change = (
            defaults["reliable_change"] if reliable_change is None else reliable_change
        )
    for name, table in (("caseness", caseness), ("reliable_change", reliable_change)):
        for inst in (depression, anxiety):
            if inst not in table:
                raise KeyError(f"{name} has no value for {inst!r}")
    window = _episode_window(clients)

    # --- treatment sessions ----------------------------------------------------------------
    ses = sessions.copy()
    kind = ses["kind"].fillna("treatment") if "kind" in ses else "treatment"
    ses = ses[
        (ses["attendance"] == "attended")
        & pd.Series(kind, index=ses.index).isin(list(treatment_kinds))
    ]
    ses = _within(ses, "session_on", window)
    n_treat = ses.groupby("client_id").size()

    # --- paired scores ---------------------------------------------------------------------
    sc = _within(valid_scores(scores, (depression, anxiety)), "administered_on", window)
    key = "_day" if pair_on == "date" else "session_id"
    sc = sc[sc[key].notna()]

    def per_occasion(code: str, name: str) -> pd.DataFrame:
        one = sc[sc["instrument"] == code].sort_values("_order")
        g = one.groupby(["client_id", key], sort=False)
        return pd.DataFrame({name: g["total"].last(), f"{name}_day": g["_day"].max()})

    pairs = per_occasion(depression, "dep").join(per_occasion(anxiety, "anx"), how="inner")
    pairs["day"] = pairs[["dep_day", "anx_day"]].max(axis=1)
    pairs = pairs.reset_index().sort_values(["client_id", "day"], kind="stable")
    grp = pairs.groupby("client_id")
    first = grp.first()
    last = grp.last()
    n_pairs = grp.size()

    # --- episodes --------------------------------------------------------------------------
    if clients is not None and window is not None:  # the window is None without clients
        ids = pd.Index(clients["client_id"].drop_duplicates(), name="client_id")
        ended = window.reindex(ids)["_end"].notna()
    else:
        ids = pd.Index(
            pd.concat([sessions["client_id"], scores["client_id"]]).dropna().unique(),
            name="client_id",
        )
        ids = ids.sort_values()
        ended = pd.Series(True, index=ids)
    out = pd.DataFrame(index=ids)
    out["n_treatment_sessions"] = n_treat.reindex(ids).fillna(0).astype(int)
    out["ended"] = ended.astype(bool)
    out["finished_treatment"] = out["ended"] & (
        out["n_treatment_sessions"] >= min_treatment_sessions
    )
    out["n_pairs"] = n_pairs.reindex(ids).fillna(0).astype(int)
    paired = out["n_pairs"] >= 2
    out["has_paired_scores"] = paired
    out["first_date"] = first["day"].reindex(ids)
    out["last_date"] = last["day"].reindex(ids).where(paired)
    out["first_depression"] = first["dep"].reindex(ids).astype(float)
    out["last_depression"] = last["dep"].reindex(ids).where(paired).astype(float)
    out["first_anxiety"] = first["anx"].reindex(ids).astype(float)
    out["last_anxiety"] = last["anx"].reindex(ids).where(paired).astype(float)

    def flag(values: pd.Series) -> pd.Series:
        return values.astype("boolean").where(paired, pd.NA)

    cd, ca = caseness[depression], caseness[anxiety]
    rd, ra = reliable_change[depression], reliable_change[anxiety]
    start_case = (out["first_depression"] >= cd) | (out["first_anxiety"] >= ca)
    end_case = (out["last_depression"] >= cd) | (out["last_anxiety"] >= ca)
    dep_change = out["first_depression"] - out["last_depression"]  # positive = better
    anx_change = out["first_anxiety"] - out["last_anxiety"]
    dep_imp, dep_det = dep_change >= rd, -dep_change >= rd
    anx_imp, anx_det = anx_change >= ra, -anx_change >= ra
    any_imp, any_det = dep_imp | anx_imp, dep_det | anx_det
    if combine == "corc":
        improved, deteriorated = any_imp & ~any_det, any_det
    elif combine == "exclusive":
        improved, deteriorated = any_imp & ~any_det, any_det & ~any_imp
    else:
        improved, deteriorated = any_imp, any_det
    no_change = ~any_imp & ~any_det
    category = np.select(
        [improved & ~deteriorated, deteriorated & ~improved, no_change],
        ["improved", "deteriorated", "no_reliable_change"],
        default="mixed",
    )
    out["at_caseness_start"] = flag(start_case)
    out["at_caseness_end"] = flag(end_case)
    out["depression_improved"] = flag(dep_imp)
    out["depression_deteriorated"] = flag(dep_det)
    out["anxiety_improved"] = flag(anx_imp)
    out["anxiety_deteriorated"] = flag(anx_det)
    out["reliably_improved"] = flag(improved)
    out["reliably_deteriorated"] = flag(deteriorated)
    out["no_reliable_change"] = flag(no_change)
    out["change_category"] = pd.Series(category, index=ids, dtype="string").where(paired, pd.NA)
    recovered = start_case & ~end_case
    out["recovered"] = flag(recovered)
    out["reliably_recovered"] = flag(recovered & improved)
    out.attrs.update(
        {"depression": depression, "anxiety": anxiety, "combine": combine, "pair_on": pair_on}
    )
    return out.reset_index()


def talking_therapies_rates_from_counts(
    counts: Mapping[str, float],
    *,
    denominators: Mapping[str, str] = DENOMINATORS,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Published-style percentages from counts, each with its official denominator.

    ``percent = 100 * count / denominator`` where the denominator is ``finished`` or
    ``finished - not_at_caseness`` as :data:`DENOMINATORS` says (see the module notes for how
    the reliable-recovery and deterioration denominators were established from the published
    England figures). Wilson 95 % limits are added (percent).

    Parameters
    ----------
    counts : mapping
        ``finished, not_at_caseness, recovered, reliably_improved, reliably_deteriorated,
        no_reliable_change, reliably_recovered``; metrics whose count is absent are skipped.
    denominators : mapping
        Metric -> ``"finished"`` or ``"finished_minus_not_at_caseness"``.
    ci : float
        Confidence level of the Wilson interval.

    Returns
    -------
    DataFrame
        ``metric, count, denominator, denominator_rule, percent, ci_low, ci_high``.

    Examples
    --------
    NHS Digital June 2020 worked example (recovery 27,884 / (57,060 - 3,200)):

    >>> r = talking_therapies_rates_from_counts(
    ...     {"finished": 57060, "not_at_caseness": 3200, "recovered": 27884,
    ...      "reliably_improved": 39417})
    >>> r.set_index("metric")["percent"].round(1).to_dict()
    {'recovery': 51.8, 'reliable_improvement': 69.1}
    """
    rows = []
    finished = float(counts["finished"])
    for metric, count_key in _METRIC_COUNT.items():
        if count_key not in counts:
            continue
        rule = denominators[metric]
        if rule == "finished":
            denom = finished
        elif rule == "finished_minus_not_at_caseness":
            denom = finished - float(counts["not_at_caseness"])
        else:
            raise ValueError(f"unknown denominator rule {rule!r} for {metric}")
        count = float(counts[count_key])
        rows.append(
            {
                "metric": metric,
                "count": count,
                "denominator": denom,
                "denominator_rule": rule,
            }
        )
    out = pd.DataFrame(rows, columns=["metric", "count", "denominator", "denominator_rule"])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["percent"] = np.where(
            out["denominator"] > 0, 100 * out["count"] / out["denominator"], np.nan
        )
    low, high = wilson_interval(out["count"].to_numpy(), out["denominator"].to_numpy(), ci)
    out["ci_low"] = 100 * np.asarray(low)
    out["ci_high"] = 100 * np.asarray(high)
    for col in ("count", "denominator"):
        if (out[col] == out[col].round()).all():
            out[col] = out[col].astype("int64")
    return out


def talking_therapies_rates(
    outcomes: pd.DataFrame,
    *,
    denominators: Mapping[str, str] = DENOMINATORS,
    ci: float = 0.95,
) -> pd.DataFrame:
    """NHS Talking Therapies rates from :func:`talking_therapies_outcomes`.

    Counts are taken over episodes with ``finished_treatment``. ``not_at_caseness`` counts
    finished episodes known not to be at caseness at the start; a finished episode without
    paired scores stays in every denominator, as the official formula
    ``finished - not_at_caseness`` implies.

    Parameters
    ----------
    outcomes : DataFrame
        Output of :func:`talking_therapies_outcomes`.
    denominators : mapping
        See :func:`talking_therapies_rates_from_counts`.
    ci : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``metric, count, denominator, denominator_rule, percent, ci_low, ci_high``; run it
        through :func:`therapy_outcomes.outcomes.disclosure.suppress_small_cells` before publishing.

    Examples
    --------
    >>> o = pd.DataFrame({
    ...     "finished_treatment": [True, True, True, False],
    ...     "at_caseness_start": pd.array([True, True, False, True], dtype="boolean"),
    ...     "recovered": pd.array([True, False, False, True], dtype="boolean"),
    ...     "reliably_improved": pd.array([True, True, False, True], dtype="boolean"),
    ...     "reliably_deteriorated": pd.array([False, False, True, False], dtype="boolean"),
    ...     "no_reliable_change": pd.array([False, False, False, False], dtype="boolean"),
    ...     "reliably_recovered": pd.array([True, False, False, True], dtype="boolean")})
    >>> talking_therapies_rates(o)[["metric", "count", "denominator", "percent"]].round(1)
                       metric  count  denominator  percent
    0                recovery      1            2     50.0
    1    reliable_improvement      2            3     66.7
    2  reliable_deterioration      1            3     33.3
    3      no_reliable_change      0            3      0.0
    4       reliable_recovery      1            2     50.0
    """
    fin = outcomes["finished_treatment"].fillna(False).astype(bool)
    done = outcomes[fin]

    def n_true(col: str) -> int:
        return int(done[col].astype("boolean").fillna(False).astype(bool).sum())

    counts = {
        "finished": int(fin.sum()),
        # known not at caseness (False); <NA> (no paired scores) stays in the denominator
        "not_at_caseness": int((~done["at_caseness_start"].astype("boolean")).fillna(False).sum()),
    }
    for key in _METRIC_COUNT.values():
        counts[key] = n_true(key)
    return talking_therapies_rates_from_counts(counts, denominators=denominators, ci=ci)
