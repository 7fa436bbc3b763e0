"""SMART audit of therapy goals: Specific, Measurable, Achievable, Relevant, Time-bound.

Each criterion is a transparent rule over the goal's own fields (and, for *achievable*, over
what comparable goals in the same dataset actually achieved). The rules are this package's
operational reading of the SMART mnemonic, not a published scoring instrument; every verdict
comes with a plain-words reason so a clinician can disagree with it.

Verdicts are pandas nullable booleans: ``True``, ``False``, or ``<NA>`` = *undetermined* (only
*achievable* is ever undetermined: when the goal lacks the numbers it needs or the dataset has
too few comparable goals).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.api.typing import NaTType, NAType

from therapy_outcomes.goals._common import goal_frame, prepare_ratings, to_day
from therapy_outcomes.instruments import Registry, default_registry

__all__ = [
    "BEHAVIOUR_WORDS",
    "FREQUENCY_WORDS",
    "VAGUE_WORDS",
    "measure_ranges",
    "similar_baseline_bands",
    "smart_audit",
]

#: Words and phrases that on their own do not say what will be different.
VAGUE_WORDS: tuple[str, ...] = (
    "happier",
    "happy",
    "better",
    "more confident",
    "confident",
    "less anxious",
    "less stressed",
    "less depressed",
    "feel good",
    "feel ok",
    "feel okay",
    "feel normal",
    "okay",
    "normal",
    "more positive",
    "positive",
    "improve",
    "improved",
    "improvement",
    "cope",
    "coping",
    "deal with",
    "sort out",
    "sort myself out",
    "get over",
    "move on",
    "be myself",
    "stronger",
    "in a good place",
    "more motivated",
    "calmer",
)

#: Observable actions (matched as word stems, so "walk" also matches "walks", "walking").
BEHAVIOUR_WORDS: tuple[str, ...] = (
    "walk", "run", "jog", "swim", "cycle", "go", "went", "attend", "call", "phone", "ring",
    "text", "message", "email", "speak", "spoke", "talk", "say", "ask", "tell", "write",
    "read", "cook", "eat", "ate", "sleep", "slept", "exercise", "drive", "drove", "travel",
    "shop", "visit", "meet", "leave", "return", "apply", "complete", "finish", "use",
    "practise", "practice", "take", "join", "spend", "wake", "get up", "volunteer", "work",
    "study", "clean", "tidy", "pay", "book", "send", "reply", "answer", "sit", "stay",
    "stop", "start", "smoke", "drink", "play", "catch", "ride", "dance", "sing", "invite",
)  # fmt: skip

#: Numbers and frequencies that make a goal countable.
FREQUENCY_WORDS: tuple[str, ...] = (
    "once", "twice", "times", "daily", "weekly", "monthly", "every", "each", "per",
    "a day", "a week", "a month", "a night", "days", "weeks", "nights", "hours", "minutes",
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
)  # fmt: skip


def measure_ranges(registry: Registry | None = None) -> dict[str, tuple[float, float]]:
    """Inclusive (low, high) range of each goal measure, used by *measurable*.

    Every instrument with a total gives its total range (from its definition: GAS -2..2, GBO
    0..10, PHQ-9 0..27); a behaviour ``count`` runs from 0 upwards.

    Examples
    --------
    >>> ranges = measure_ranges()
    >>> ranges["GAS"], ranges["GBO"], ranges["PHQ-9"], ranges["count"]
    ((-2.0, 2.0), (0.0, 10.0), (0.0, 27.0), (0, inf))
    """
    reg = registry if registry is not None else default_registry()
    out: dict[str, tuple[float, float]] = {
        inst.code: (inst.total_min, inst.total_max) for inst in reg if inst.has_total
    }
    out["count"] = (0, np.inf)
    return out


def similar_baseline_bands(registry: Registry | None = None) -> dict[str, float]:
    """The "similar baseline" half-width per measure for *achievable* comparators.

    From each definition's ``similar_baseline`` (GAS 0, GBO 2, PHQ-9 3, GAD-7 3; a project
    choice); other measures use 25 % of the goal's |baseline| (at least 1).

    Examples
    --------
    >>> similar_baseline_bands()["GBO"]
    2.0
    """
    reg = registry if registry is not None else default_registry()
    return {inst.code: inst.similar_baseline for inst in reg if inst.similar_baseline is not None}


def _whole_levels(registry: Registry | None) -> frozenset[str]:
    """Goal-rating scales rated in whole levels (one integer item, as GAS -2..+2)."""
    reg = registry if registry is not None else default_registry()
    return frozenset(
        i.code.upper()
        for i in reg
        if i.kind == "goal_rating" and i.n_items == 1 and i.integer_items
    )


def _phrase_regex(phrases: Sequence[str], stems: bool = False) -> re.Pattern[str]:
    parts = sorted((re.escape(p.lower()).replace(r"\ ", r"\s+") for p in phrases), key=len)
    # stems: walk -> walks/walked/walking; run -> running; shop -> shopping, shopped
    suffix = r"(?:s|es|d|ed|ing|[bdgmnpt](?:ed|ing))?" if stems else ""
    return re.compile(r"\b(?:" + "|".join(reversed(parts)) + r")" + suffix + r"\b")


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _specific(
    statement: str | NAType | None,
    vague: re.Pattern[str],
    concrete: list[re.Pattern[str]],
    min_words: int,
) -> tuple[bool, str]:
    text = "" if pd.isna(statement) else str(statement).strip().lower()
    n_words = len(re.findall(r"[a-z0-9']+", text))
    if n_words < min_words:
        return False, f"Statement has {n_words} word(s); at least {min_words} are needed."
    vague_hits = sorted({m.group(0) for m in vague.finditer(text)})
    markers: list[str] = []
    if re.search(r"\d", text):
        markers.append("a number")
    for label, pattern in zip(("a frequency", "an observable action"), concrete, strict=True):
        m = pattern.search(text)
        if m:
            markers.append(f"{label} ('{m.group(0)}')")
    if vague_hits and not markers:
        words = ", ".join(f"'{w}'" for w in vague_hits)
        return False, (
            f"Uses vague wording ({words}) without a number, frequency or observable action."
        )
    if markers:
        return True, f"Statement names {' and '.join(markers)}."
    return True, f"Statement has {n_words} words and no vague wording."


def _measurable(
    measure: str | NAType | None,
    unit: str | NAType | None,
    baseline: float,
    target: float,
    ranges: Mapping,
    whole_levels: frozenset[str] = frozenset({"GAS"}),
) -> tuple[bool, str]:
    if pd.isna(measure) or not str(measure).strip():
        return False, "No measure is named."
    m = str(measure)
    missing = [n for n, v in (("baseline", baseline), ("target", target)) if pd.isna(v)]
    if missing:
        return False, f"No {' or '.join(missing)} on the {m} scale."
    if baseline == target:
        return False, f"Baseline and target are both {_fmt(baseline)}: no change to measure."
    key = next((k for k in ranges if k.upper() == m.upper()), None)
    if key is not None and key.lower() == "count" and (pd.isna(unit) or not str(unit).strip()):
        return False, "Count goal has no unit (what is being counted)."
    if key is None:
        return True, (
            f"Baseline {_fmt(baseline)} and target {_fmt(target)} on {m}; the range of {m} is "
            "not known to this check, so it was not checked."
        )
    lo, hi = ranges[key]
    bad = [n for n, v in (("baseline", baseline), ("target", target)) if not lo <= v <= hi]
    whole = key.upper() in whole_levels
    if whole:
        bad += [n for n, v in (("baseline", baseline), ("target", target)) if v != round(v)]
    if bad:
        return False, (
            f"{' and '.join(sorted(set(bad))).capitalize()} outside the {key} scale "
            f"({_fmt(lo)} to {_fmt(hi)}{', whole levels' if whole else ''})."
        )
    return True, f"Baseline {_fmt(baseline)} and target {_fmt(target)} on the {key} scale."


def _relevant(values: str | NAType | None, agreed_on: pd.Timestamp | NaTType) -> tuple[bool, str]:
    has_values = not pd.isna(values) and bool(str(values).strip())
    agreed = not pd.isna(agreed_on)
    if has_values and agreed:
        return True, f"Serves the client's values ('{str(values).strip()}') and was agreed."
    missing = []
    if not has_values:
        missing.append("no values it serves are recorded")
    if not agreed:
        missing.append("no date both client and therapist agreed it")
    return False, "; ".join(missing).capitalize() + "."


def _time_bound(
    set_on: pd.Timestamp | NaTType, target_date: pd.Timestamp | NaTType
) -> tuple[bool, str]:
    if pd.isna(target_date):
        return False, "No target date."
    if pd.isna(set_on):
        return False, "No date the goal was set."
    if target_date <= set_on:
        return False, "Target date is not after the date the goal was set."
    days = (target_date - set_on).days
    return True, f"Target date {target_date.date()} is {days} days after it was set."


def _observations(
    g: pd.DataFrame,
    goal_ratings: pd.DataFrame | None,
    scores: pd.DataFrame | None,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Latest observation of each goal after it was set: ratings, or instrument scores."""
    parts = []
    if goal_ratings is not None and len(goal_ratings):
        r = prepare_ratings(goal_ratings, g, as_of=as_of)
        parts.append(r[["goal_id", "rated_on", "value"]])
    if scores is not None and len(scores):
        s = scores
        if "valid" in s:
            s = s[s["valid"].fillna(False).astype(bool)]
        s = s[s["total"].notna()]
        s = pd.DataFrame(
            {
                "client_id": s["client_id"].to_numpy(),
                "measure": s["instrument"].astype(str).to_numpy(),
                "rated_on": to_day(s["administered_on"]).to_numpy(),
                "value": pd.to_numeric(s["total"], errors="coerce").to_numpy(dtype=float),
            }
        )
        s = s[s["rated_on"] <= as_of]
        gm = g[["goal_id", "client_id", "measure"]].astype({"measure": str})
        m = gm.merge(s, on=["client_id", "measure"], how="inner")
        parts.append(m[["goal_id", "rated_on", "value"]])
    if not parts:
        return pd.DataFrame(columns=["goal_id", "rated_on", "value"])
    obs = pd.concat(parts, ignore_index=True)
    obs = obs.merge(g[["goal_id", "set_on"]], on="goal_id")
    obs = obs[obs["rated_on"] > obs["set_on"]]
    return obs.sort_values(["goal_id", "rated_on"]).groupby("goal_id").last()


def smart_audit(
    goals: pd.DataFrame,
    goal_ratings: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp | str,
    min_words: int = 4,
    vague_words: Sequence[str] = VAGUE_WORDS,
    behaviour_words: Sequence[str] = BEHAVIOUR_WORDS,
    frequency_words: Sequence[str] = FREQUENCY_WORDS,
    scale_ranges: Mapping[str, tuple[float, float]] | None = None,
    achievable_percentile: float = 90.0,
    min_comparators: int = 10,
    baseline_bands: Mapping[str, float] | None = None,
    min_weeks_observed: float = 1.0,
    registry: Registry | None = None,
) -> pd.DataFrame:
    """One row per goal: is it Specific, Measurable, Achievable, Relevant, Time-bound - and why.

    **Specific** - the statement has at least ``min_words`` words, and if it uses vague wording
    (:data:`VAGUE_WORDS`: "happier", "better", "more confident", ...) it also names a number, a
    frequency (:data:`FREQUENCY_WORDS`) or an observable action (:data:`BEHAVIOUR_WORDS`).

    **Measurable** - a measure is named, with a baseline and a target that differ and lie on the
    measure's scale (:func:`measure_ranges`, from the instrument definitions; GAS levels whole
    numbers -2..2); a ``count`` goal
    also needs its unit. Instruments not in ``scale_ranges`` pass with a note that the range was
    not checked.

    **Achievable** - the change the goal needs per week,
    ``|target - baseline| / weeks(set_on -> target_date)``, is compared with the change per
    week that *comparable goals in the same dataset* actually achieved: same measure (and same
    unit for counts), baseline within ``baseline_bands[measure]`` (:func:`similar_baseline_bands`) of
    this goal's baseline
    (default: 25 % of |baseline|, at least 1), excluding the goal itself. A comparator's
    achieved rate is ``(latest value - baseline) * sign(target - baseline) / weeks`` from its
    ``set_on`` to its latest observation up to ``as_of`` (a goal rating, or for instrument
    measures also the client's valid scores on that instrument), observed at least
    ``min_weeks_observed`` weeks after it was set. ``achievable_percentile`` in the output is
    the percentage of comparators whose achieved rate was **below** the needed rate; the goal
    passes when it is at or below ``achievable_percentile`` (default 90: at least one in ten
    comparable goals moved that fast). With fewer than ``min_comparators`` comparators, or
    without baseline/target/target date, the verdict is ``<NA>`` (undetermined) and the
    reason says why.

    **Relevant** - the client's ``values`` are recorded and ``agreed_on`` is set (client and
    therapist both agreed the goal).

    **Time-bound** - ``target_date`` is set and after ``set_on``.

    Parameters
    ----------
    goals : DataFrame
        As loaded.
    goal_ratings, scores : DataFrame, optional
        Observations used for the *achievable* comparators.
    as_of : date-like
        Observations after this date are ignored.
    min_words, vague_words, behaviour_words, frequency_words
        *Specific* rule settings.
    scale_ranges : mapping, optional
        *Measurable* scale ranges (default :func:`measure_ranges` of ``registry``).
    achievable_percentile, min_comparators, baseline_bands, min_weeks_observed
        *Achievable* rule settings (``baseline_bands`` default :func:`similar_baseline_bands`).
    registry : Registry, optional
        The instrument definitions the ranges and bands come from (default: the shipped ones).

    Returns
    -------
    DataFrame
        ``goal_id, client_id, status`` then for each criterion a nullable-boolean column and a
        ``*_reason`` column, then ``smart`` (all five True; ``<NA>`` if none is False but one is
        undetermined), ``needed_per_week``, ``achievable_percentile``, ``n_comparators``.

    Examples
    --------
    >>> goals = pd.DataFrame({
    ...     "goal_id": ["G1"], "client_id": ["C1"], "status": ["active"],
    ...     "statement": ["Walk to the shop on my own twice a week"], "measure": ["count"],
    ...     "unit": ["walks per week"], "baseline": [0.0], "target": [2.0],
    ...     "set_on": pd.to_datetime(["2026-02-09"]), "target_date": pd.to_datetime(["2026-05-01"]),
    ...     "agreed_on": pd.to_datetime(["2026-02-09"]), "values": ["independence"]})
    >>> a = smart_audit(goals, as_of="2026-03-01")
    >>> a[["specific", "measurable", "achievable", "relevant", "time_bound"]]
       specific  measurable  achievable  relevant  time_bound
    0      True        True        <NA>      True        True
    >>> a.loc[0, "achievable_reason"]
    'Needs 0.173 per week; only 0 comparable goals (count, walks per week, baseline 0 +/- 1) have progress to compare with (at least 10 needed): undetermined.'
    """  # noqa: E501
    as_of = pd.Timestamp(as_of).normalize()
    ranges = measure_ranges(registry) if scale_ranges is None else scale_ranges
    bands = similar_baseline_bands(registry) if baseline_bands is None else baseline_bands
    whole = _whole_levels(registry)
    g = goal_frame(goals).reset_index(drop=True)
    vague = _phrase_regex(vague_words)
    concrete = [_phrase_regex(frequency_words), _phrase_regex(behaviour_words, stems=True)]

    # --- achievable: needed rates and achieved rates -------------------------------------
    weeks_allowed = (g["target_date"] - g["set_on"]).dt.days / 7.0
    span = g["target"] - g["baseline"]
    with np.errstate(invalid="ignore", divide="ignore"):
        needed = (span.abs() / weeks_allowed).where(weeks_allowed > 0)
    obs = _observations(g, goal_ratings, scores, as_of)
    achieved = pd.Series(np.nan, index=g.index)
    if len(obs):
        o = obs.reindex(g["goal_id"]).reset_index(drop=True)
        weeks_obs = (o["rated_on"] - g["set_on"]).dt.days / 7.0
        ok = (weeks_obs >= min_weeks_observed) & span.notna() & (span != 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = (o["value"] - g["baseline"]) * np.sign(span) / weeks_obs
        achieved = rate.where(ok)
    measure_key = g["measure"].astype("string").str.upper().fillna("").to_numpy(dtype=object)
    unit_key = g["unit"].astype("string").str.strip().str.lower().fillna("").to_numpy(dtype=object)
    baselines = g["baseline"].to_numpy(dtype=float)
    achieved_arr = achieved.to_numpy(dtype=float)

    rows = []
    for i, (_, goal) in enumerate(g.iterrows()):  # g has a RangeIndex: i is the position
        row: dict[str, object] = {
            "goal_id": goal["goal_id"],
            "client_id": goal["client_id"],
            "status": goal["status"],
        }
        row["specific"], row["specific_reason"] = _specific(
            goal["statement"], vague, concrete, min_words
        )
        row["measurable"], row["measurable_reason"] = _measurable(
            goal["measure"], goal["unit"], goal["baseline"], goal["target"], ranges, whole
        )
        verdict, reason, pct, n_comp = _achievable(
            i, g, needed, achieved_arr, baselines, measure_key, unit_key, bands,
            achievable_percentile, min_comparators,
        )  # fmt: skip
        row["achievable"], row["achievable_reason"] = verdict, reason
        row["relevant"], row["relevant_reason"] = _relevant(goal["values"], goal["agreed_on"])
        row["time_bound"], row["time_bound_reason"] = _time_bound(
            goal["set_on"], goal["target_date"]
        )
        row["needed_per_week"] = needed.iloc[i]
        row["achievable_percentile"] = pct
        row["n_comparators"] = n_comp
        rows.append(row)
    crit = ["specific", "measurable", "achievable", "relevant", "time_bound"]
    cols = ["goal_id", "client_id", "status"]
    for c in crit:
        cols += [c, f"{c}_reason"]
    out = pd.DataFrame(rows, columns=[*cols, "needed_per_week", "achievable_percentile",
                                      "n_comparators"])  # fmt: skip
    for c in crit:
        out[c] = pd.array(out[c].tolist(), dtype="boolean")
    all_true = out[crit].all(axis=1, skipna=False)
    out.insert(len(cols), "smart", all_true.astype("boolean"))
    out["n_comparators"] = out["n_comparators"].astype("Int64")
    out["achievable_percentile"] = out["achievable_percentile"].astype(float)
    out["needed_per_week"] = out["needed_per_week"].astype(float)
    return out


def _achievable(
    i: int,
    g: pd.DataFrame,
    needed: pd.Series,
    achieved: np.ndarray,
    baselines: np.ndarray,
    measure_key: np.ndarray,
    unit_key: np.ndarray,
    bands: Mapping[str, float],
    threshold: float,
    min_comparators: int,
) -> tuple[object, str, float, int]:
    goal = g.iloc[i]
    if pd.isna(goal["baseline"]) or pd.isna(goal["target"]) or pd.isna(goal["measure"]):
        return pd.NA, "Cannot judge: the goal needs a measure, a baseline and a target.", np.nan, 0
    if goal["baseline"] == goal["target"]:
        return pd.NA, "Cannot judge: baseline and target are the same.", np.nan, 0
    if pd.isna(needed.iloc[i]):
        return pd.NA, "Cannot judge: needs a target date after the date it was set.", np.nan, 0
    measure = str(goal["measure"])
    band_key = next((k for k in bands if k.upper() == measure.upper()), None)
    if band_key is not None:
        band = float(bands[band_key])
    else:
        band = max(1.0, 0.25 * abs(float(goal["baseline"])))
    same = measure_key == measure.upper()
    if measure.upper() == "COUNT":
        same &= unit_key == unit_key[i]
    similar = np.abs(baselines - float(goal["baseline"])) <= band + 1e-9
    mask = same & similar & ~np.isnan(achieved)
    mask[i] = False
    comp = achieved[mask]
    n = int(comp.size)
    need = float(needed.iloc[i])
    label = measure
    if measure.upper() == "COUNT" and unit_key[i]:
        label += f", {unit_key[i]}"
    where = f"{label}, baseline {_fmt(goal['baseline'])} +/- {_fmt(band)}"
    if n < min_comparators:
        return (
            pd.NA,
            (
                f"Needs {_fmt(need)} per week; only {n} comparable goals ({where}) have progress "
                f"to compare with (at least {min_comparators} needed): undetermined."
            ),
            np.nan,
            n,
        )
    pct = float(100.0 * np.mean(comp < need - 1e-12))
    verdict = pct <= threshold
    median = float(np.median(comp))
    reason = (
        f"Needs {_fmt(need)} per week; {pct:.0f}% of {n} comparable goals ({where}) progressed "
        f"more slowly (median {_fmt(median)} per week), "
        + ("within" if verdict else "beyond")
        + f" the {_fmt(threshold)}th percentile."
    )
    return verdict, reason, pct, n
