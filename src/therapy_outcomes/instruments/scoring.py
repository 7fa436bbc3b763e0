"""Vectorised scoring of item answers (or of bare totals) against an instrument definition.

Formulas
--------
For one administration with ``n`` items, of which ``k`` are answered, and answered item values
``x_i`` after reversal (reversed value = ``item_min + item_max - x``):

* ``sum`` rule:  ``total = multiplier * n * (sum x_i) / k``
* ``mean`` rule: ``total = multiplier * (sum x_i) / k``

When every item is answered (``k = n``) these are the plain sum and mean. When ``k < n`` the
total is *prorated*: the missing items are replaced by the mean of the answered items
("mean-imputed sum"), which is the NHS Data Dictionary rule for the PHQ-9 ("substituted with the
average score of the non-missing items") and the CORE System Trust rule for CORE measures
("mean of completed items x 10"). The total is valid only when ``n - k`` is at most the
instrument's ``missing.max_missing``; otherwise it is NaN.

Subscales are scored the same way with their own items, rule and multiplier; their missing-item
limit is :attr:`Subscale.max_missing` (by default the instrument's limit applied proportionally,
``floor(max_missing * n_subscale / n)``, e.g. CORE-OM 3 of 34 -> 1 of the 12 problem items,
0 of the 4 wellbeing items).

Totals are rounded to 10 decimal places to remove floating-point noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from therapy_outcomes.instruments.definition import DECIMALS, Instrument
from therapy_outcomes.instruments.registry import Registry, default_registry

__all__ = ["score", "score_totals"]


def _instrument(instrument: str | Instrument, registry: Registry | None) -> Instrument:
    if isinstance(instrument, Instrument):
        return instrument
    return (registry if registry is not None else default_registry()).get(instrument)


def _item_matrix(items: pd.DataFrame, inst: Instrument) -> np.ndarray:
    """Item values as a float matrix (NaN = missing); raise ValueError on bad values."""
    absent = [c for c in inst.item_columns if c not in items.columns]
    if absent:
        raise ValueError(
            f"{inst.code} needs item columns {', '.join(inst.item_columns)}; "
            f"missing: {', '.join(absent)}"
        )
    matrix = np.empty((len(items), inst.n_items), order="F")  # column-major: filled by column
    problems = []
    for j, col in enumerate(inst.item_columns):
        raw = items[col]
        if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            values = raw.to_numpy(dtype=float, na_value=np.nan)
        else:
            text = raw.astype("str").str.strip().mask(lambda t: t == "")
            numeric = pd.to_numeric(text, errors="coerce")
            bad = numeric.isna() & text.notna()
            if bad.any():
                problems.append(f"{col}: non-numeric {sorted(set(text[bad]))[:10]}")
                continue
            values = numeric.to_numpy(dtype=float, na_value=np.nan)
        answered = ~np.isnan(values)
        wrong = answered & ((values < inst.item_min) | (values > inst.item_max))
        if inst.integer_items:
            wrong |= answered & (values != np.round(values))
        if wrong.any():
            bad_values = sorted({float(v) for v in values[wrong]})
            shown = [int(v) if v.is_integer() else v for v in bad_values[:10]]
            problems.append(f"{col}: {shown}")
        matrix[:, j] = values
    if problems:
        kind = "whole numbers " if inst.integer_items else ""
        raise ValueError(
            f"{inst.code} item values must be {kind}from {inst.item_min:g} to "
            f"{inst.item_max:g}; bad values in " + "; ".join(problems)
        )
    return matrix


def _prorated(
    block: np.ndarray, rule: str, multiplier: float, max_missing: int
) -> tuple[np.ndarray, np.ndarray]:
    """Prorated score (see module docstring) and validity of each row of ``block``."""
    n = block.shape[1]
    answered = (~np.isnan(block)).sum(axis=1)
    valid = (n - answered <= max_missing) & (answered > 0)
    factor = n * multiplier if rule == "sum" else multiplier
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.where(np.isnan(block), 0.0, block).sum(axis=1) * factor / answered
    return np.where(valid, np.round(total, DECIMALS), np.nan), valid


def score(
    items: pd.DataFrame, instrument: str | Instrument, *, registry: Registry | None = None
) -> pd.DataFrame:
    """Score item answers: total, band, missing-item handling, risk flag and subscales.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per administration and the columns ``item_1`` .. ``item_k`` of the instrument
        (other columns are ignored). Values are the answer codes as defined in the instrument's
        YAML (e.g. CORE items coded 0 = "Not at all" for every item; reversal is done here);
        NaN/NA/empty = missing.
    instrument : str or Instrument
        Code or alias (looked up in ``registry``), or an :class:`Instrument`.
    registry : Registry, optional
        Defaults to :func:`default_registry`.

    Returns
    -------
    pandas.DataFrame
        Same index as ``items``, with columns

        - ``total`` (float): prorated total (module docstring), NaN when not valid, and always
          NaN for instruments without a total (``has_total`` false, e.g. DASS-21);
        - ``band`` (string): band of the total, NA when there is no total or no bands;
        - ``n_missing`` (int): number of unanswered items;
        - ``prorated`` (bool): valid and ``n_missing > 0``;
        - ``valid`` (bool): ``n_missing`` within the instrument's ``missing.max_missing``
          (at least one item answered);
        - ``risk`` (bool): any risk item answered at or above its ``min_value`` (raw answer,
          before reversal); counts even when the total is not valid; an unanswered risk item
          does not flag;
        - ``sub_<name>`` (float): each subscale, prorated within the subscale, NaN when more
          than ``Subscale.max_missing`` of its items are missing.

    Raises
    ------
    ValueError
        If item columns are missing, or values are non-numeric, outside the item range, or not
        whole numbers for an integer instrument (the message names the columns and values).

    Examples
    --------
    >>> import pandas as pd
    >>> from therapy_outcomes.instruments import score
    >>> items = pd.DataFrame({f"item_{i}": [1, 1, 3] for i in range(1, 10)})
    >>> items.loc[1, "item_9"] = None
    >>> items.loc[1, "item_8"] = 2
    >>> score(items, "PHQ-9")[["total", "band", "n_missing", "prorated", "risk"]]
        total      band  n_missing  prorated   risk
    0   9.000      mild          0     False   True
    1  10.125  moderate          1      True  False
    2  27.000    severe          0     False   True
    """
    inst = _instrument(instrument, registry)
    x = _item_matrix(items, inst)
    n_missing = np.isnan(x).sum(axis=1).astype("int64")
    scored = x.copy()
    if inst.reverse_items:
        rev = [i - 1 for i in inst.reverse_items]
        scored[:, rev] = inst.item_min + inst.item_max - scored[:, rev]
    total, valid = _prorated(scored, inst.scoring_rule, inst.multiplier, inst.missing.max_missing)
    if not inst.has_total:
        total = np.full(len(x), np.nan)
    risk = np.zeros(len(x), dtype=bool)
    for r in inst.risk_items:
        risk |= r.endorsed(x[:, r.item - 1])
    out = {
        "total": total,
        "band": inst.band_of(pd.Series(total)).array,
        "n_missing": n_missing,
        "prorated": valid & (n_missing > 0),
        "valid": valid,
        "risk": risk,
    }
    for name, sub in inst.subscales.items():
        block = scored[:, [i - 1 for i in sub.items]]
        out[f"sub_{name}"] = _prorated(block, sub.rule, sub.multiplier, sub.max_missing)[0]
    return pd.DataFrame(out, index=items.index)


def score_totals(
    totals: pd.Series, instrument: str | Instrument, *, registry: Registry | None = None
) -> pd.DataFrame:
    """Score bare totals (studies that kept only totals): band and validity.

    Parameters
    ----------
    totals : pandas.Series
        Totals on the instrument's total scale (non-integer values are accepted, as prorated
        totals can be non-integer).
    instrument : str or Instrument
    registry : Registry, optional

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`score`, same index: ``total`` (NaN where missing or outside
        ``total_min``..``total_max``), ``band``, ``valid`` (total present and within range),
        ``n_missing`` (nullable ``Int64``, always NA: the item answers are unknown),
        ``prorated`` (False: unknown, reported as not prorated), ``risk`` (nullable
        ``boolean``, always NA: risk items cannot be checked without item answers), and the
        ``sub_<name>`` columns, all NaN.

    Raises
    ------
    ValueError
        If the instrument has no total (e.g. DASS-21) or totals are not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> from therapy_outcomes.instruments import score_totals
    >>> score_totals(pd.Series([4, 10, 30]), "GAD-7")[["total", "band", "valid"]]
       total      band  valid
    0    4.0   minimal   True
    1   10.0  moderate   True
    2    NaN      <NA>  False
    """
    inst = _instrument(instrument, registry)
    if not inst.has_total:
        raise ValueError(
            f"{inst.code} has no total score (see its definition); score its "
            f"items with score() to get the subscales"
        )
    series = totals if isinstance(totals, pd.Series) else pd.Series(totals)
    try:
        values = pd.to_numeric(series).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{inst.code} totals must be numbers: {exc}") from None
    values = np.round(values, DECIMALS)
    with np.errstate(invalid="ignore"):
        valid = np.isfinite(values) & (values >= inst.total_min) & (values <= inst.total_max)
    total = np.where(valid, values, np.nan)
    n = len(values)
    out = {
        "total": total,
        "band": inst.band_of(pd.Series(total)).array,
        "n_missing": pd.array([pd.NA] * n, dtype="Int64"),
        "prorated": np.zeros(n, dtype=bool),
        "valid": valid,
        "risk": pd.array([pd.NA] * n, dtype="boolean"),
    }
    for name in inst.subscales:
        out[f"sub_{name}"] = np.full(n, np.nan)
    return pd.DataFrame(out, index=series.index)
