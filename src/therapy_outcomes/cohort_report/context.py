"""The data behind the cohort-outcomes report, and every aggregate table it publishes.

:func:`cohort_context` loads (or takes) a dataset, checks the report's parameters, selects the
cohort (clients whose episode started between ``start`` and ``end``), merges groups smaller than
``min_cell`` into ``"other"`` and computes each instrument's first/last pairs and clinical
significance. The table functions below take the context and return tables that have already
gone through :func:`therapy_outcomes.outcomes.disclosure.suppress_small_cells` (``publish``) and,
for the tests, the raw numbers behind them.

Reliability (for the reliable change index) comes, per instrument, from the ``reliability``
parameter, else the instrument definition (``reliable_change.reliability``), else
:data:`DEFAULT_RELIABILITY` (an assumption the report states in its methods block).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from therapy_outcomes import __version__
from therapy_outcomes.change.pairs import first_last_pairs
from therapy_outcomes.change.significance import SIGNIFICANCE_CATEGORIES, clinical_significance
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.loading.dataset import Dataset, load
from therapy_outcomes.outcomes.disclosure import suppress_small_cells
from therapy_outcomes.outcomes.effect_sizes import effect_sizes
from therapy_outcomes.outcomes.flow import outcome_flow
from therapy_outcomes.outcomes.rates import rate_table, wilson_interval
from therapy_outcomes.parameters import parse_date_parameter

__all__ = [
    "BENCHMARKS",
    "DEFAULT_RELIABILITY",
    "METHODS",
    "CohortContext",
    "baseline_table",
    "category_counts",
    "category_rates",
    "cms159_table",
    "cohort_context",
    "completeness_table",
    "dose_response",
    "dropout_sensitivity",
    "effect_size_table",
    "example_context",
    "flow_table",
    "goal_tables",
    "publish",
    "talking_therapies_table",
    "trajectory",
]

#: Reliable-change methods the report offers: those of :func:`clinical_significance`, and HLM
#: (:func:`therapy_outcomes.change.hlm.reliable_change_hlm` over every score, combined with the
#: cut-off through ``clinical_significance(rc_categories=...)``).
METHODS = ("JT", "GLN", "HLL", "EN", "NK", "HA", "HLM")
#: Cut-off choices: ``fixed`` = the instrument's published cut-off with its inclusive side.
CUTOFF_TYPES = ("fixed", "a", "b", "c")

#: Reliability used when neither the parameter nor the instrument definition gives one.
#: ASSUMPTIONS, stated in the report: PHQ-9 0.84 (test-retest, Kroenke et al. 2001), GAD-7 0.83
#: (test-retest, Spitzer et al. 2006); neither figure is in the project's verified reference.
#: Any other instrument: 0.80.
DEFAULT_RELIABILITY: dict[str, float] = {"PHQ-9": 0.84, "GAD-7": 0.83}
FALLBACK_RELIABILITY = 0.80

#: Published pre-post effect-size benchmarks (clinical_measures.md Part F). Which d variant
#: each paper used is UNVERIFIED there; the report says so.
BENCHMARKS: dict[str, list[tuple[str, float]]] = {
    "PHQ-9": [
        ("Delgadillo 2014 high-performing IAPT", 0.91),
        ("Delgadillo 2014 average IAPT", 0.73),
        ("Delgadillo 2014 poorly performing IAPT", 0.46),
        ("Gaskell 2023 routine care, depression", 0.96),
    ],
    "GAD-7": [
        ("Delgadillo 2014 high-performing IAPT", 1.02),
        ("Delgadillo 2014 average IAPT", 0.78),
        ("Delgadillo 2014 poorly performing IAPT", 0.52),
        ("Gaskell 2023 routine care, anxiety", 0.80),
    ],
}

OTHER = "other"
UNKNOWN = "unknown"


@dataclass
class CohortContext:
    """One cohort: its clients, their groups and each instrument's pairs and categories.

    Attributes
    ----------
    clients, sessions, scores, goals, goal_ratings : pandas.DataFrame
        The cohort's rows only.
    group : pandas.Series
        Group label per client (indexed by ``client_id``) after merging small groups into
        ``"other"``; ``"all"`` when ``group_by`` is None.
    pairs : dict
        Instrument -> :func:`first_last_pairs` of the cohort, with a ``group`` column.
    significance : dict
        Instrument -> :func:`clinical_significance` of those pairs (same row order), with
        ``client_id`` and ``group`` columns.
    reliability : dict
        Instrument -> reliability used; ``reliability_source`` says where it came from.
    """

    ds: Dataset = field(repr=False)
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    instruments: list[str]
    group_by: str | None
    method: str
    cutoff_type: str
    min_cell: int
    reliability: dict[str, float]
    reliability_source: dict[str, str]
    clients: pd.DataFrame
    sessions: pd.DataFrame
    scores: pd.DataFrame
    goals: pd.DataFrame
    goal_ratings: pd.DataFrame
    group: pd.Series
    merged_groups: list[str]
    pairs: dict[str, pd.DataFrame]
    significance: dict[str, pd.DataFrame]
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def group_label(self) -> str:
        """Column name of the group in tables (``"group"`` when not grouped)."""
        return self.group_by or "group"


def _reliabilities(
    ds: Dataset, instruments: list[str], given: dict[str, Any] | float | None
) -> tuple[dict[str, float], dict[str, str]]:
    if given is not None and not isinstance(given, dict | int | float):
        raise ParameterError("reliability must be a number or a dict of instrument -> number")
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for code in instruments:
        chosen = given.get(code) if isinstance(given, dict) else given
        if chosen is not None:
            if isinstance(chosen, bool) or not isinstance(chosen, int | float):
                raise ParameterError(f"reliability of {code} must be a number, not {chosen!r}")
            if not 0 < float(chosen) < 1:
                raise ParameterError(f"reliability of {code} must be between 0 and 1, not {chosen}")
            values[code], sources[code] = float(chosen), "parameter"
            continue
        inst = ds.registry.get(code)
        rc = inst.reliable_change
        if rc is not None and rc.reliability is not None:
            values[code], sources[code] = float(rc.reliability), "instrument definition"
        elif code in DEFAULT_RELIABILITY:
            values[code] = DEFAULT_RELIABILITY[code]
            sources[code] = "assumed default (published test-retest figure, not verified)"
        else:
            values[code] = FALLBACK_RELIABILITY
            sources[code] = "assumed default 0.80 (no published figure in the registry)"
    return values, sources


def _groups(clients: pd.DataFrame, group_by: str | None, min_cell: int) -> tuple[pd.Series, list]:
    ids = clients["client_id"].astype(str)
    if group_by is None:
        return pd.Series("all", index=ids.to_numpy(), name="group"), []
    raw = clients[group_by].astype("string").fillna(UNKNOWN).astype(str)
    raw.index = ids.to_numpy()
    sizes = raw.value_counts()
    small = sorted(str(g) for g, n in sizes.items() if n < min_cell)
    merged = raw.where(~raw.isin(small), OTHER)
    merged.name = group_by
    return merged, small


def cohort_context(
    data: str | Path | Dataset,
    *,
    start: str | date | None = None,
    end: str | date | None = None,
    instruments: list[str] | tuple[str, ...] | None = None,
    group_by: str | None = None,
    method: str = "JT",
    reliability: dict[str, float] | float | None = None,
    cutoff_type: str = "fixed",
    min_cell: int = 5,
) -> CohortContext:
    """Select a cohort and compute each instrument's pairs and clinical significance.

    Parameters
    ----------
    data : str, pathlib.Path or Dataset
        A dataset location or a loaded Dataset.
    start, end : date-like, optional
        Clients whose episode started (``episode_start``, else ``referred_on``) on or between
        these dates; open-ended when None.
    instruments : list of str, optional
        Instrument codes or aliases (default: PHQ-9 and GAD-7, those present).
    group_by : str, optional
        A column of ``clients`` (``therapist_id``, ``site``, ``modality``, ...).
    method : {"JT", "GLN", "HLL", "EN", "NK", "HA"}
        Reliable-change method.
    reliability : float or dict, optional
        Per instrument (see the module docstring for the defaults).
    cutoff_type : {"fixed", "a", "b", "c"}
        ``fixed`` = the instrument's published cut-off; ``a`` = 2 SD from the cohort's baseline
        mean (``b``/``c`` need functional-population norms, which datasets do not hold).
    min_cell : int
        Smallest count shown; smaller groups are merged into ``"other"``.

    Returns
    -------
    CohortContext

    Raises
    ------
    ParameterError
        A bad date, method, cut-off type, group column, instrument, reliability or min_cell.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=60, seed=3)
    >>> ctx = cohort_context(folder, group_by="site")
    >>> sorted(ctx.significance) == ["GAD-7", "PHQ-9"]
    True
    """
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ParameterError(f"min_cell must be a whole number of at least 1, not {min_cell!r}")
    method = str(method).upper()
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}, not '{method}'")
    if cutoff_type not in CUTOFF_TYPES:
        raise ParameterError(
            f"cutoff_type must be one of {', '.join(CUTOFF_TYPES)}, not '{cutoff_type}'"
        )
    if cutoff_type in ("b", "c"):
        raise ParameterError(
            f"cutoff_type '{cutoff_type}' needs functional-population norms; use 'fixed' or 'a'"
        )
    t0, t1 = parse_date_parameter(start, "start"), parse_date_parameter(end, "end")
    if t0 is not None and t1 is not None and t1 < t0:
        raise ParameterError(f"end {t1.date()} is before start {t0.date()}")
    ds = data if isinstance(data, Dataset) else load(data)
    if group_by is not None and group_by not in ds.clients.columns:
        raise ParameterError(
            f"group_by '{group_by}' is not a column of clients "
            f"(choose from {', '.join(map(str, ds.clients.columns))})"
        )
    if group_by == "client_id":
        raise ParameterError("group_by 'client_id' would show single clients")
    codes: list[str] = []
    for name in instruments if instruments is not None else ["PHQ-9", "GAD-7"]:
        if name not in ds.registry:
            raise ParameterError(f"unknown instrument '{name}'")
        codes.append(ds.registry.get(name).code)
    if instruments is None:
        codes = [c for c in codes if (ds.scores["instrument"] == c).any()]
    rel, rel_source = _reliabilities(ds, codes, reliability)

    clients = ds.clients
    began = clients["episode_start"].fillna(clients["referred_on"])
    keep = pd.Series(True, index=clients.index)
    if t0 is not None:
        keep &= began >= t0
    if t1 is not None:
        keep &= began <= t1
    clients = clients[keep].reset_index(drop=True)
    ids = set(clients["client_id"])
    mine = {
        name: getattr(ds, name)[getattr(ds, name)["client_id"].isin(ids)].reset_index(drop=True)
        for name in ("sessions", "scores", "goals", "goal_ratings")
    }
    group, merged = _groups(clients, group_by, min_cell)

    pairs: dict[str, pd.DataFrame] = {}
    sig: dict[str, pd.DataFrame] = {}
    for code in codes:
        inst = ds.registry.get(code)
        p = first_last_pairs(mine["scores"], code, as_of=ds.as_of)
        p["group"] = group.reindex(p["client_id"].astype(str)).to_numpy()
        pairs[code] = p
        if method == "HLM":
            p = _hlm_pairs(p, mine["scores"], inst)
            pairs[code] = p
        sig[code] = _significance(p, inst, method, rel[code], cutoff_type)
    ctx = CohortContext(
        ds=ds,
        start=t0,
        end=t1,
        instruments=codes,
        group_by=group_by,
        method=method,
        cutoff_type=cutoff_type,
        min_cell=min_cell,
        reliability=rel,
        reliability_source=rel_source,
        clients=clients,
        group=group,
        merged_groups=merged,
        pairs=pairs,
        significance=sig,
        **mine,
    )
    ctx.provenance = {
        "package": f"therapy-outcomes {__version__}",
        "input_hash": ds.input_hash,
        "validated_on": ds.as_of.date().isoformat(),
        "rows_rejected_in_dataset": int(ds.n_rejected),
        "parameters": {
            "start": None if t0 is None else t0.date().isoformat(),
            "end": None if t1 is None else t1.date().isoformat(),
            "instruments": codes,
            "group_by": group_by,
            "method": method,
            "cutoff_type": cutoff_type,
            "min_cell": min_cell,
            "reliability": rel,
        },
        "n_clients": len(clients),
    }
    return ctx


def significance_of_pairs(
    pairs: pd.DataFrame, inst: Any, method: str, reliability: float, cutoff_type: str
) -> pd.DataFrame:
    """:func:`clinical_significance` of a pairs table, as the report computes it.

    ``fixed`` uses the instrument's cut-off with its inclusive side (``clinical_side``); the
    tests call this to recompute the report's counts.
    """
    return _significance(pairs, inst, method, reliability, cutoff_type)


def _hlm_pairs(pairs: pd.DataFrame, scores: pd.DataFrame, inst: Any) -> pd.DataFrame:
    """Pairs of the clients the growth model can judge (3+ valid scores), with its category.

    Time is the score's number in the client's series (1 = first), as in the growth curves.
    """
    from therapy_outcomes.change.hlm import reliable_change_hlm

    sc = scores[(scores["instrument"] == inst.code) & scores["valid"].astype(bool)]
    sc = sc[sc["total"].notna()].sort_values(["client_id", "administered_on"], kind="mergesort")
    long = pd.DataFrame(
        {
            "client_id": sc["client_id"].astype(str).to_numpy(),
            "time": (sc.groupby("client_id").cumcount() + 1).to_numpy(dtype=float),
            "score": sc["total"].to_numpy(dtype=float),
        }
    )
    if long["client_id"].nunique() < 3:
        return pairs.iloc[0:0].assign(hlm_category=pd.Series(dtype=object))
    hlm = reliable_change_hlm(long, better=inst.better)
    judged = hlm.loc[~hlm["excluded"].astype(bool), "category"].astype(str)
    kept = pairs[pairs["client_id"].astype(str).isin(judged.index)].reset_index(drop=True)
    return kept.assign(hlm_category=kept["client_id"].astype(str).map(judged).to_numpy())


def _significance(
    pairs: pd.DataFrame, inst: Any, method: str, reliability: float, cutoff_type: str
) -> pd.DataFrame:
    kw: dict[str, Any] = {"method": method, "reliability": reliability, "better": inst.better}
    if method == "HLM":
        kw = {"better": inst.better, "rc_categories": pairs["hlm_category"]}
    if cutoff_type == "fixed":
        if inst.cutoff is None:
            raise ParameterError(f"{inst.code} has no published cut-off; use cutoff_type 'a'")
        if method == "HA":
            kw["cutoff"] = inst.cutoff.value
        else:
            kw.update(cutoff=inst.cutoff.value, clinical_side=inst.cutoff.clinical)
    else:
        kw["cutoff_type"] = cutoff_type
    if len(pairs) < 3:
        out = pd.DataFrame(
            {"pre": pairs["pre"], "post": pairs["post"], "change": pairs["post"] - pairs["pre"]}
        )
        out["category"] = pd.Categorical([None] * len(out), categories=SIGNIFICANCE_CATEGORIES)
    else:
        try:
            out = clinical_significance(pairs["pre"], pairs["post"], **kw)
        except ValueError as exc:
            raise ParameterError(f"{inst.code}: {exc}") from None
    out = out.reset_index(drop=True)
    out.insert(0, "client_id", pairs["client_id"].to_numpy())
    out["group"] = pairs["group"].to_numpy() if "group" in pairs else "all"
    return out


@functools.lru_cache(maxsize=1)
def example_context() -> CohortContext:
    """A small synthetic cohort (60 demo clients, grouped by site) for the examples.

    Examples
    --------
    >>> len(example_context().clients)
    60
    """
    import tempfile

    from therapy_outcomes.demo import write_demo_clinic

    folder = tempfile.mkdtemp(prefix="to-cohort-example-")
    write_demo_clinic(folder, n_clients=60, seed=3, as_of="2026-10-31")
    return cohort_context(load(folder, as_of="2026-10-31"), group_by="site")


# ---------------------------------------------------------------------------------------------
# publishing


def publish(
    table: pd.DataFrame,
    ctx_or_k: CohortContext | int,
    *,
    counts: list[str],
    derived: dict[str, list[str]] | None = None,
    group_by: str | None = None,
    group_total: str | None = None,
    total_column: str | None = None,
) -> pd.DataFrame:
    """``table`` through :func:`suppress_small_cells` with the report's ``min_cell``.

    Every aggregate table of the cohort and monthly reports leaves through this function.
    Rows of a table without counts are returned unchanged only when ``counts`` is empty.

    Examples
    --------
    >>> t = pd.DataFrame({"site": ["A", "B"], "clients": [3, 12], "percent": [20.0, 80.0]})
    >>> publish(t, 5, counts=["clients"], derived={"percent": ["clients"]})
      site clients percent
    0    A       *       *
    1    B      12    80.0
    """
    k = ctx_or_k if isinstance(ctx_or_k, int) else ctx_or_k.min_cell
    if not counts or table.empty:
        return table.copy()
    numeric = [
        c
        for c in table.columns
        if c not in counts
        and pd.api.types.is_numeric_dtype(table[c])
        and not pd.api.types.is_bool_dtype(table[c])
    ]
    derived_map: dict[str, list[str]] = {c: list(counts) for c in numeric}
    derived_map.update(derived or {})
    derived_map = {c: v for c, v in derived_map.items() if c not in counts}
    kw: dict[str, Any] = {}
    if group_by is not None and group_total is not None:
        kw.update(group_by=group_by, group_total=group_total)
    if total_column is not None:
        kw["total_column"] = total_column
    clean = table.copy()
    for c in counts:
        clean[c] = pd.to_numeric(clean[c]).fillna(0).astype("int64")
    return suppress_small_cells(clean, k=k, count_columns=counts, derived_columns=derived_map, **kw)


def _rates(ctx: CohortContext, frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """rate_table of ``frame['category']`` overall or by group, published."""
    cats = frame["category"]
    if by is None:
        table = rate_table(cats, levels=list(SIGNIFICANCE_CATEGORIES))
        table.insert(0, ctx.group_label, "all")
    else:
        groups = pd.Series(frame["group"].to_numpy(), index=frame.index, name=ctx.group_label)
        table = rate_table(cats, by=groups, levels=list(SIGNIFICANCE_CATEGORIES))
    return table


def category_rates(ctx: CohortContext, code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clinical-significance categories with Wilson CIs, overall then by group.

    Returns
    -------
    (raw, published) : DataFrame, DataFrame
        ``group, category, count, n, percent, ci_low, ci_high``: overall rows (group ``all``)
        first, then one block per group when grouped. ``published`` went through
        :func:`publish` (per-group totals ``n`` declared, so a hidden count cannot be found by
        subtraction within its group).

    Examples
    --------
    >>> raw, pub = category_rates(example_context(), "PHQ-9")
    >>> list(pub.columns)
    ['site', 'category', 'count', 'n', 'percent', 'ci_low', 'ci_high']
    """
    frame = ctx.significance[code]
    parts = [_rates(ctx, frame, None)]
    if ctx.group_by is not None:
        parts.append(_rates(ctx, frame, ctx.group_by))
    raw = pd.concat(parts, ignore_index=True)
    pub = publish(
        raw,
        ctx,
        counts=["count", "n"],
        derived={c: ["count", "n"] for c in ("percent", "ci_low", "ci_high")},
        group_by=ctx.group_label,
        group_total="n",
    )
    return raw, pub


def category_counts(ctx: CohortContext, code: str) -> dict[str, int]:
    """Category -> count of the whole cohort (what the report glues for the tests).

    Examples
    --------
    >>> sum(category_counts(example_context(), "PHQ-9").values()) == len(
    ...     example_context().pairs["PHQ-9"])
    True
    """
    counts = ctx.significance[code]["category"].value_counts()
    return {c: int(counts.get(c, 0)) for c in SIGNIFICANCE_CATEGORIES}


def flow_table(ctx: CohortContext) -> pd.DataFrame:
    """:func:`outcome_flow` of every instrument side by side (raw counts; publish it).

    Examples
    --------
    >>> flow_table(example_context())["step"].iloc[0]
    'referred'
    """
    frames = []
    for code in ctx.instruments:
        f = outcome_flow(ctx.clients, ctx.sessions, ctx.scores, code)
        frames.append(f.set_index("step")["count"].rename(code))
    steps = outcome_flow(ctx.clients, ctx.sessions, ctx.scores, ctx.instruments[0])
    out = pd.concat(frames, axis=1).reset_index()
    words = steps["description"].str.replace(ctx.instruments[0], "questionnaire")
    out.insert(1, "description", words)
    return out


def completeness_table(ctx: CohortContext) -> pd.DataFrame:
    """Per instrument: clients, with any valid score, a baseline, 2+ scores, and percentages.

    Examples
    --------
    >>> completeness_table(example_context())["instrument"].tolist()
    ['PHQ-9', 'GAD-7']
    """
    n = len(ctx.clients)
    rows = []
    for code in ctx.instruments:
        sc = ctx.scores[ctx.scores["instrument"] == code]
        valid = sc[sc["valid"].astype(bool) & sc["total"].notna()]
        per = valid.groupby("client_id").size()
        rows.append(
            {
                "instrument": code,
                "clients": n,
                "administrations": len(sc),
                "invalid_administrations": int(len(sc) - len(valid)),
                "with_a_score": int((per >= 1).sum()),
                "with_two_or_more": int((per >= 2).sum()),
                "paired": len(ctx.pairs[code]),
            }
        )
    out = pd.DataFrame(rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["percent_paired"] = np.where(out["clients"] > 0, 100 * out["paired"] / n, np.nan)
    return out


def baseline_table(ctx: CohortContext) -> pd.DataFrame:
    """Baseline characteristics by group: clients, women, mean age, mean first score per
    instrument, completed episodes and drop-outs (raw; publish it).

    Examples
    --------
    >>> baseline_table(example_context())["site"].iloc[0]
    'all'
    """
    c = ctx.clients.copy()
    c["group"] = ctx.group.reindex(c["client_id"].astype(str)).to_numpy()
    began = c["episode_start"].fillna(c["referred_on"])
    c["age"] = began.dt.year - c["birth_year"]
    rows = []
    for g, sub in [("all", c), *sorted(c.groupby("group"), key=lambda x: str(x[0]))]:
        if ctx.group_by is None and g != "all":
            continue
        row: dict[str, Any] = {
            ctx.group_label: g,
            "clients": len(sub),
            "female": int((sub.get("sex") == "female").sum()),
            "completed": int((sub["end_reason"] == "completed").sum()),
            "dropped_out": int((sub["end_reason"] == "dropped_out").sum()),
            "mean_age": float(sub["age"].mean()),
        }
        for code in ctx.instruments:
            first = (
                ctx.scores[
                    (ctx.scores["instrument"] == code)
                    & ctx.scores["valid"].astype(bool)
                    & ctx.scores["client_id"].isin(sub["client_id"])
                ]
                .sort_values("administered_on")
                .groupby("client_id")["total"]
                .first()
            )
            row[f"mean_baseline_{code}"] = float(first.mean()) if len(first) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def talking_therapies_table(ctx: CohortContext) -> tuple[pd.DataFrame, dict[str, Any]]:
    """NHS Talking Therapies rates of the cohort (PHQ-9 with GAD-7); raw table and counts.

    Examples
    --------
    >>> rates, counts = talking_therapies_table(example_context())
    >>> rates["metric"].iloc[0], "finished" in counts
    ('recovery', True)
    """
    from therapy_outcomes.outcomes.talking_therapies import (
        talking_therapies_outcomes,
        talking_therapies_rates,
    )

    if not {"PHQ-9", "GAD-7"} <= set(ctx.scores["instrument"]):
        return pd.DataFrame(), {}
    outcomes = talking_therapies_outcomes(ctx.scores, ctx.sessions, clients=ctx.clients)
    rates = talking_therapies_rates(outcomes)
    finished = int(outcomes["finished_treatment"].fillna(False).astype(bool).sum())
    return rates, {"finished": finished}


def cms159_table(ctx: CohortContext) -> pd.DataFrame:
    """CMS159 remission and response at twelve months (raw; windows still open left out).

    Examples
    --------
    >>> cms159_table(example_context())["metric"].tolist()
    ['remission', 'response']
    """
    from therapy_outcomes.outcomes.cms159 import cms159, cms159_rates

    results = cms159(ctx.scores, as_of=ctx.ds.as_of)
    if results.empty:
        return pd.DataFrame(columns=["metric", "count", "denominator", "percent"])
    return cms159_rates(results)


def effect_size_table(ctx: CohortContext, hedges: bool = False) -> pd.DataFrame:
    """Pre-post effect sizes (d_z, d_rm, d_av, d_pre) per instrument, completers' pairs.

    Examples
    --------
    >>> effect_size_table(example_context())["name"].tolist()[:4]
    ['d_z', 'd_rm', 'd_av', 'd_pre']
    """
    frames = []
    for code in ctx.instruments:
        p = ctx.pairs[code]
        es = effect_sizes(
            p["pre"], p["post"], better=ctx.ds.registry.get(code).better, hedges=hedges
        )
        es.insert(0, "instrument", code)
        frames.append(es)
    return pd.concat(frames, ignore_index=True)


def benchmark_table(ctx: CohortContext, effects: pd.DataFrame) -> pd.DataFrame:
    """The cohort's d_pre beside each published benchmark of its instrument."""
    rows = []
    for code in ctx.instruments:
        est = effects[(effects["instrument"] == code) & (effects["name"] == "d_pre")]
        value = float(est["estimate"].iat[0]) if len(est) else np.nan
        for label, bench in BENCHMARKS.get(code, []):
            rows.append(
                {
                    "instrument": code,
                    "benchmark": label,
                    "benchmark_d": bench,
                    "cohort_d_pre": value,
                    "difference": value - bench,
                }
            )
    return pd.DataFrame(rows)


def trajectory(ctx: CohortContext, code: str) -> pd.DataFrame:
    """Mean score by occasion (1st, 2nd, ... valid score) and group, with a 95 % CI.

    Occasions seen by fewer than ``min_cell`` clients of a group are left out (not hidden
    behind a marker: a chart cannot show one).

    Examples
    --------
    >>> traj = trajectory(example_context(), "PHQ-9")
    >>> bool((traj["clients"] >= 5).all())
    True
    """
    sc = ctx.scores[(ctx.scores["instrument"] == code) & ctx.scores["valid"].astype(bool)]
    sc = sc[sc["total"].notna()].sort_values(["client_id", "administered_on"], kind="mergesort")
    sc = sc.assign(occasion=sc.groupby("client_id").cumcount() + 1)
    sc["group"] = ctx.group.reindex(sc["client_id"].astype(str)).to_numpy()
    parts = [sc.assign(group="all")]
    if ctx.group_by is not None:
        parts.append(sc)
    both = pd.concat(parts, ignore_index=True)
    agg = both.groupby(["group", "occasion"])["total"].agg(["mean", "std", "count"]).reset_index()
    agg = agg[agg["count"] >= ctx.min_cell].copy()
    half = 1.96 * agg["std"] / np.sqrt(agg["count"])
    agg["ci_low"], agg["ci_high"] = agg["mean"] - half, agg["mean"] + half
    return agg.rename(columns={"count": "clients"}).reset_index(drop=True)


def dose_response(ctx: CohortContext, code: str) -> pd.DataFrame:
    """Mean change (better direction positive) by attended treatment sessions, banded.

    Examples
    --------
    >>> dose_response(example_context(), "PHQ-9")["sessions_attended"].tolist()
    ['1-3', '4-6', '7-9', '10-12', '13+']
    """
    p = ctx.pairs[code]
    att = ctx.sessions[ctx.sessions["attendance"] == "attended"]
    n = att.groupby("client_id").size()
    sign = -1 if ctx.ds.registry.get(code).better == "lower" else 1
    frame = pd.DataFrame(
        {
            "sessions": n.reindex(p["client_id"]).fillna(0).to_numpy(),
            "improvement": sign * (p["post"] - p["pre"]).to_numpy(),
        }
    )
    bins = [0, 3, 6, 9, 12, np.inf]
    labels = ["1-3", "4-6", "7-9", "10-12", "13+"]
    frame["sessions_attended"] = pd.cut(frame["sessions"], bins=bins, labels=labels)
    agg = (
        frame.groupby("sessions_attended", observed=False)["improvement"]
        .agg(["count", "mean", "std"])
        .reset_index()
    )
    agg = agg.rename(columns={"count": "clients", "mean": "mean_improvement", "std": "sd"})
    agg["clients"] = agg["clients"].astype("int64")
    agg["sessions_attended"] = agg["sessions_attended"].astype(str)
    return agg


def dropout_sensitivity(ctx: CohortContext, code: str) -> pd.DataFrame:
    """Mean improvement and reliable improvement under three analyses of missing finals.

    - ``completers``: clients whose episode ended ``completed`` and who have a pair;
    - ``LOCF``: every client with a baseline score, post = the last observed score (a client
      with one score counts as unchanged);
    - ``BOCF``: the same clients, post = the last score for completers and the baseline for
      everyone else (drop-outs, open episodes, no final score): a conservative bound.

    Examples
    --------
    >>> dropout_sensitivity(example_context(), "PHQ-9")["analysis"].tolist()
    ['completers', 'LOCF', 'BOCF']
    """
    inst = ctx.ds.registry.get(code)
    sign = -1 if inst.better == "lower" else 1
    sc = ctx.scores[(ctx.scores["instrument"] == code) & ctx.scores["valid"].astype(bool)]
    sc = sc[sc["total"].notna()].sort_values(["client_id", "administered_on"], kind="mergesort")
    g = sc.groupby("client_id")["total"]
    first, last = g.first(), g.last()
    reason = ctx.clients.set_index("client_id")["end_reason"].reindex(first.index)
    completed = (reason == "completed").fillna(False).astype(bool) & (g.size() >= 2)
    threshold = inst.rc_threshold()
    rows = []
    analyses = {
        "completers": (first[completed], last[completed]),
        "LOCF": (first, last),
        "BOCF": (first, last.where(completed, first)),
    }
    for name, (pre, post) in analyses.items():
        imp = sign * (post - pre)
        row = {
            "analysis": name,
            "clients": len(pre),
            "mean_improvement": float(imp.mean()) if len(imp) else np.nan,
            "reliably_improved": int((imp >= threshold).sum()) if threshold else 0,
        }
        d = effect_sizes(pre, post, better=inst.better, variants=["d_pre"])
        row["d_pre"] = float(d["estimate"].iat[0])
        rows.append(row)
    out = pd.DataFrame(rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["percent_reliably_improved"] = np.where(
            out["clients"] > 0, 100 * out["reliably_improved"] / out["clients"], np.nan
        )
    return out


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
    c, lo, hi = (float(t.loc[a, "d_pre"]) for a in ("completers", "BOCF", "LOCF"))
    n_c, n_all = int(t.loc["completers", "clients"]), int(t.loc["LOCF", "clients"])
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


def goal_tables(ctx: CohortContext) -> dict[str, pd.DataFrame]:
    """GAS T-scores (latest per client), GBO change and SMART pass rates by goal category.

    Examples
    --------
    >>> sorted(goal_tables(example_context()))
    ['gas', 'gbo', 'smart']
    """
    from therapy_outcomes.goals import gas_tscores, gbo_change, smart_audit

    as_of = ctx.ds.as_of
    out: dict[str, pd.DataFrame] = {}
    gas = gas_tscores(ctx.goal_ratings, ctx.goals)
    if len(gas):
        latest = (
            gas.sort_values("rated_on" if "rated_on" in gas else gas.columns[1])
            .groupby("client_id")
            .tail(1)
        )
        latest = latest.assign(group=ctx.group.reindex(latest["client_id"].astype(str)).to_numpy())
        rows = [("all", latest)]
        if ctx.group_by is not None:
            rows += sorted(latest.groupby("group"), key=lambda x: str(x[0]))
        out["gas"] = pd.DataFrame(
            [
                {
                    ctx.group_label: g,
                    "clients": len(s),
                    "mean_tscore": float(s["tscore"].mean()),
                    "at_or_above_50": int((s["tscore"] >= 50).sum()),
                }
                for g, s in rows
            ]
        )
    gbo = gbo_change(ctx.goal_ratings, ctx.goals, as_of=as_of)
    gbo = gbo[gbo["change"].notna()]
    out["gbo"] = pd.DataFrame(
        [
            {
                "goals": len(gbo),
                "clients": int(gbo["client_id"].nunique()),
                "mean_change": float(gbo["change"].mean()) if len(gbo) else np.nan,
                "improved_by_3_or_more": int((gbo["change"] >= 3).sum()),
            }
        ]
    )
    smart = smart_audit(ctx.goals, ctx.goal_ratings, ctx.scores, as_of=as_of)
    smart = smart.merge(ctx.goals[["goal_id", "category"]], on="goal_id", how="left")
    rows = []
    for cat, sub in sorted(smart.groupby("category"), key=lambda x: str(x[0])):
        row: dict[str, Any] = {"category": cat, "goals": len(sub)}
        for letter in ("specific", "measurable", "achievable", "relevant", "time_bound"):
            row[letter] = int(sub[letter].astype("boolean").fillna(False).sum())
        rows.append(row)
    out["smart"] = pd.DataFrame(rows)
    return out


def wilson_percent(count: int, n: int) -> tuple[float, float]:
    """Wilson 95 % interval in percent (NaN for n = 0)."""
    lo, hi = wilson_interval(count, n)
    return 100 * float(lo), 100 * float(hi)
