"""Select a cohort for the cohort-outcomes report and judge each instrument's change.

:func:`cohort_context` loads (or takes) a dataset, checks the report's parameters, selects the
cohort (clients whose episode started between ``start`` and ``end``), merges groups smaller than
``min_cell`` into ``"other"`` and computes each instrument's first/last pairs and clinical
significance (:mod:`.significance`), with the reliabilities of :mod:`.reliability`. The
report's tables are computed from the :class:`CohortContext` it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from therapy_outcomes import __version__
from therapy_outcomes.caching import ResultCache
from therapy_outcomes.change.pairs import first_last_pairs
from therapy_outcomes.cohort_report.reliability import reliabilities
from therapy_outcomes.cohort_report.significance import hlm_pairs, significance_of_pairs
from therapy_outcomes.errors import ParameterError
from therapy_outcomes.loading.dataset import Dataset, load
from therapy_outcomes.parameters import parse_date_parameter

__all__ = ["CUTOFF_TYPES", "METHODS", "OTHER", "UNKNOWN", "CohortContext", "cohort_context"]

#: Reliable-change methods the report offers: those of
#: :func:`therapy_outcomes.change.significance.clinical_significance`, and HLM
#: (:func:`therapy_outcomes.change.hlm.reliable_change_hlm` over every score, combined with the
#: cut-off through ``clinical_significance(rc_categories=...)``).
METHODS = ("JT", "GLN", "HLL", "EN", "NK", "HA", "HLM")
#: Cut-off choices: ``fixed`` = the instrument's published cut-off with its inclusive side.
CUTOFF_TYPES = ("fixed", "a", "b", "c")

#: Group of the clients of groups smaller than ``min_cell``.
OTHER = "other"
#: Group of clients without a value in the ``group_by`` column.
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
    cache: ResultCache | None = None,
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
    method : {"JT", "GLN", "HLL", "EN", "NK", "HA", "HLM"}
        Reliable-change method.
    reliability : float or dict, optional
        Per instrument (defaults: :func:`therapy_outcomes.cohort_report.reliability.reliabilities`).
    cutoff_type : {"fixed", "a", "b", "c"}
        ``fixed`` = the instrument's published cut-off; ``a`` = 2 SD from the cohort's baseline
        mean (``b``/``c`` need functional-population norms, which datasets do not hold).
    min_cell : int
        Smallest count shown; smaller groups are merged into ``"other"``.
    cache : ResultCache, optional
        Share the loaded dataset between reports (:func:`therapy_outcomes.caching.shared_cache`
        in a warm batch kernel; ``None``: load afresh).

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
    ds = data if isinstance(data, Dataset) else load(data, cache=cache)
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
    rel, rel_source = reliabilities(ds, codes, reliability)

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
            p = hlm_pairs(p, mine["scores"], inst)
            pairs[code] = p
        sig[code] = significance_of_pairs(p, inst, method, rel[code], cutoff_type)
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
