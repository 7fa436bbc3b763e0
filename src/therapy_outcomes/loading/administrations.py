"""Administrations: item answers in any layout to tidy responses and scores.

A questionnaire's answers arrive in one of three layouts (see ``data/README.md``): *wide*
(``item_1`` ... ``item_k`` columns), *long* (``item`` and ``value`` columns, one line per answer)
or *totals only* (a ``total`` column). All three become the same two frames:

- ``responses``: one row per item answer (administration_id, client_id, instrument,
  administered_on, item, value);
- ``scores``: one row per administration, scored by the instrument's definition.

Item answers are checked against the instrument (answer range, whole numbers, item count). An
administration with any bad answer is rejected whole: scoring it without the bad answer would
report a total the client never gave.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.instruments import Registry, score, score_totals
from therapy_outcomes.loading.arrow_ops import decode_categorical, nonfinite, parse_float
from therapy_outcomes.loading.readers import LINE, RawTable
from therapy_outcomes.loading.validation import RejectLog, accepted_mask, duplicate_rows

ITEM_COLUMN = re.compile(r"^item_(\d+)$")
#: Column names that look like an item answer but are not spelt ``item_<number>``.
ITEM_LOOKALIKE = re.compile(r"^\s*item[\s_\-.]*\d+\s*$", re.IGNORECASE)
HEADER = ["administration_id", "client_id", "instrument", "administered_on", "session_id", "rater"]


def item_columns(frame: pd.DataFrame) -> dict[int, str]:
    """Wide-layout item columns by item number.

    Examples
    --------
    >>> item_columns(pd.DataFrame(columns=["client_id", "item_2", "item_1", "item_x"]))
    {1: 'item_1', 2: 'item_2'}
    """
    found = {int(m.group(1)): c for c in frame.columns if (m := ITEM_COLUMN.match(str(c)))}
    return dict(sorted(found.items()))


def check_item_columns(
    raw: RawTable, frame: pd.DataFrame, registry: Registry, known: set[str] | None = None
) -> None:
    """Stop the load when the item columns are ambiguous or name items no instrument has.

    Wide-layout item columns are ``item_1``, ``item_2``, ... (``item_01`` is read as item 1).
    The file cannot be read when two columns name the same item (``item_1`` and
    ``item_01``), when a column is ``item_0``, when a column looks like an item but is spelt
    otherwise (``Item_1``, ``item1``), or when a column holding answers is beyond the items of
    the longest instrument in the file (``item_11`` with only 10-item instruments). An empty
    column beyond the items (a template's spare columns) is ignored.

    Parameters
    ----------
    raw : RawTable
        The administrations as read (for the file name).
    frame : pandas.DataFrame
        The administrations with resolved (canonical) instrument codes.
    registry : Registry
        The instrument definitions.
    known : set of str, optional
        Declared column names, which are never taken for item look-alikes.

    Raises
    ------
    DatasetReadError
        Naming the file and the columns (and the instrument, for a column beyond its items).

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> raw = RawTable("administrations", "administrations.csv", pd.DataFrame())
    >>> frame = pd.DataFrame({"instrument": ["PHQ-9"], "item_1": ["1"], "item_01": ["2"]})
    >>> try:
    ...     check_item_columns(raw, frame, default_registry())
    ... except DatasetReadError as err:
    ...     print(err)
    administrations.csv: columns item_1 and item_01 are both item 1; keep one
    """
    seen: dict[int, str] = {}
    for column in frame.columns:
        name = str(column)
        match = ITEM_COLUMN.match(name)
        if match is None:
            if ITEM_LOOKALIKE.match(name) and name not in (known or set()):
                raise DatasetReadError(
                    f"{raw.file}: column {name} looks like an item answer; item columns are "
                    "named item_1, item_2, ... (lower case, with an underscore)"
                )
            continue
        k = int(match.group(1))
        if k == 0:
            raise DatasetReadError(f"{raw.file}: column {name}: items are numbered from 1")
        if k in seen:
            raise DatasetReadError(
                f"{raw.file}: columns {seen[k]} and {name} are both item {k}; keep one"
            )
        seen[k] = name
    codes: list[object] = (
        frame["instrument"].dropna().unique().tolist() if "instrument" in frame else []
    )
    lengths = {str(code): registry.get(str(code)).n_items for code in codes}
    if not lengths or not seen:
        return
    longest = max(lengths, key=lambda code: (lengths[code], code))
    for k, name in sorted(seen.items()):
        if k > lengths[longest] and frame[name].notna().any():
            raise DatasetReadError(
                f"{raw.file}: column {name} is beyond the items of every instrument in the "
                f"file (the longest, {longest}, has {lengths[longest]} items)"
            )


def number_reason(text: pd.Series) -> pd.Series:
    """The reason a cell of ``text`` that is not a usable number is rejected.

    Examples
    --------
    >>> number_reason(pd.Series(["x", "NaN"], dtype="string")).tolist()
    ['not a number', 'not a finite number (NaN and inf are not values)']
    """
    reason = pd.Series("not a number", index=text.index, dtype=object)
    reason[nonfinite(text).to_numpy()] = "not a finite number (NaN and inf are not values)"
    return reason


def is_long(frame: pd.DataFrame) -> bool:
    """True when the administrations use the long layout (``item`` and ``value`` columns)."""
    return "item" in frame.columns and "value" in frame.columns


def per_instrument(codes: pd.Series, registry: Registry, attribute: str) -> np.ndarray:
    """One attribute of each row's instrument, looked up once per distinct code.

    Examples
    --------
    >>> from therapy_outcomes.instruments import default_registry
    >>> per_instrument(pd.Series(["PHQ-9", None, "GAD-7"]), default_registry(), "n_items")
    array([9, None, 7], dtype=object)
    """
    factor, uniques = pd.factorize(codes, use_na_sentinel=True)
    looked_up = [getattr(registry.get(u), attribute) for u in uniques]
    return np.array([*looked_up, None], dtype=object)[factor]


def resolve_instruments(
    raw: RawTable, frame: pd.DataFrame, registry: Registry, log: RejectLog
) -> pd.DataFrame:
    """Replace aliases by canonical instrument codes; reject unknown and non-questionnaire codes.

    The column becomes categorical: every later per-instrument lookup reuses its codes instead
    of hashing text again. Each distinct spelling is resolved once.
    """
    written, spellings = pd.factorize(frame["instrument"], use_na_sentinel=True)
    canonical = registry.resolve(pd.Series(spellings, dtype=object))
    categories = sorted(canonical.dropna().unique())
    position = {code: i for i, code in enumerate(categories)}
    # spelling number -> category number (-1: unknown); the extra last entry maps missing
    remap = np.array([position.get(c, -1) for c in canonical] + [-1], dtype="int64")
    codes = remap[written]
    unknown = (written >= 0) & (codes < 0)
    log.add(raw, unknown, "instrument", f"unknown instrument (known: {', '.join(registry.codes)})")
    kind = np.array([registry.get(c).kind for c in categories] + [""], dtype=object)
    rating = (codes >= 0) & (kind[codes] != "questionnaire")
    log.add(
        raw,
        rating,
        "instrument",
        "is a goal rating scale: record it in goal_ratings, not administrations",
    )
    frame["instrument"] = pd.Categorical.from_codes(codes, categories=pd.Index(categories))
    return frame


def long_to_wide(raw: RawTable, frame: pd.DataFrame, registry: Registry, log: RejectLog) -> None:
    """Check a long layout line by line and add wide ``item_k`` columns (in place).

    Each line carries one answer; lines of the same administration must agree on client,
    instrument, date, session and rater, and an item may appear once. The wide columns are
    filled on the administration's first line and left empty on the others, so that the
    remaining steps treat both layouts alike.
    """
    item = parse_float(frame["item"])
    value = parse_float(frame["value"])
    bad_item = frame["item"].notna() & (item.isna() | (item % 1 != 0) | (item < 1))
    log.add(raw, bad_item, "item", "not an item number (1, 2, ...)")
    log.add(raw, frame["item"].isna(), "item", "is required in the long layout")
    bad_value = frame["value"].notna() & value.isna()
    log.add(raw, bad_value, "value", number_reason(frame["value"]))
    consistent = [c for c in HEADER[1:] if c in frame]
    first = frame.groupby("administration_id", sort=False)[consistent].transform("first")
    for col in consistent:
        differs = ~((frame[col] == first[col]) | (frame[col].isna() & first[col].isna()))
        differs = differs.fillna(True)
        log.add(
            raw,
            differs,
            col,
            f"differs from the first line of the same administration_id ({col})",
        )
    frame["_item"] = item.where(~bad_item)
    duplicate_rows(raw, frame, ["administration_id", "_item"], log, "item answered twice")

    def per_row(attribute: str) -> pd.Series:
        found = per_instrument(frame["instrument"], registry, attribute)
        return pd.Series(found, index=frame.index).astype("float64")

    beyond = frame["_item"] > per_row("n_items")
    log.add(raw, beyond, "item", "item number beyond the instrument's items")
    low, high = per_row("item_min"), per_row("item_max")
    out = value.notna() & ((value < low) | (value > high))
    reason = frame["instrument"].astype("string") + "'s answer range is " + low.map("{:g}".format)
    log.add(
        raw,
        out,
        "value",
        ("outside " + reason + " to " + high.map("{:g}".format))[out],
    )
    whole = per_row("integer_items") == 1
    frac = value.notna() & whole & (value % 1 != 0)
    log.add(raw, frac, "value", "answers to this instrument are whole numbers")
    ok = frame["_item"].notna() & ~beyond.fillna(False) & ~out & ~frac
    width = int(frame.loc[ok, "_item"].max()) if ok.any() else 0
    position = frame.groupby("administration_id", sort=False).cumcount()
    head = position == 0
    first_row = frame.index[head]
    row_of_id = pd.Series(first_row, index=frame.loc[head, "administration_id"])
    target_rows = frame.loc[ok, "administration_id"].map(row_of_id)
    for k in range(1, width + 1):
        frame[f"item_{k}"] = pd.Series(np.nan, index=frame.index)
        pick = ok & (frame["_item"] == k)
        frame.loc[target_rows[pick[ok]].to_numpy(), f"item_{k}"] = value[pick].to_numpy()
    del frame["_item"]


def check_items(raw: RawTable, frame: pd.DataFrame, registry: Registry, log: RejectLog) -> None:
    """Check wide item answers against each row's instrument (parses them in place).

    Vectorised over all instruments at once: each row carries its instrument's item count,
    answer range and whether answers are whole numbers; reasons are written only for the
    (few) rows that fail.
    """
    columns = item_columns(frame)
    codes = frame["instrument"]
    n_items = pd.Series(per_instrument(codes, registry, "n_items"), dtype="float64").to_numpy()
    low = pd.Series(per_instrument(codes, registry, "item_min"), dtype="float64").to_numpy()
    high = pd.Series(per_instrument(codes, registry, "item_max"), dtype="float64").to_numpy()
    whole = per_instrument(codes, registry, "integer_items") == True  # noqa: E712 - object array
    for k, col in columns.items():
        if frame[col].dtype.kind != "f":
            text = frame[col]
            parsed = parse_float(text)
            log.add(raw, text.notna() & parsed.isna(), col, number_reason(text))
            frame[col] = parsed
        values = frame[col].to_numpy()
        given = ~np.isnan(values)
        if not given.any():
            continue
        extra = given & (k > n_items)
        with np.errstate(invalid="ignore"):
            out = given & ~extra & ((values < low) | (values > high))
            frac = given & ~extra & whole & (np.mod(values, 1) != 0)
        for mask, template in (
            (extra, "{code} has {n:g} items; this answer has no item to belong to"),
            (out, "outside {code}'s answer range {lo:g} to {hi:g}"),
            (frac, "{code} answers are whole numbers"),
        ):
            if mask.any():
                rows = np.flatnonzero(mask)
                reason = pd.Series(
                    [
                        template.format(code=codes.iat[i], n=n_items[i], lo=low[i], hi=high[i])
                        for i in rows.tolist()
                    ],
                    index=rows,
                )
                log.add(raw, rows, col, reason)


def reject_whole_administrations(raw: RawTable, frame: pd.DataFrame, log: RejectLog) -> None:
    """Long layout: reject every line of an administration that has a rejected line."""
    ok = accepted_mask(raw, log)
    bad_ids = frame.loc[~ok, "administration_id"].dropna().unique()
    spread = frame["administration_id"].isin(bad_ids) & ok
    if not spread.any():
        return
    first_bad = (
        raw.frame.loc[~ok, [LINE]]
        .assign(administration_id=frame.loc[~ok, "administration_id"])
        .groupby("administration_id")[LINE]
        .min()
    )
    lines = frame.loc[spread, "administration_id"].map(first_bad)
    reason = lines.map(lambda n: f"another line of this administration was rejected (line {n})")
    log.add(raw, spread, "administration_id", reason)


def score_administrations(
    frame: pd.DataFrame, registry: Registry
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Score accepted administrations; return ``(administrations, answers, scores)``.

    ``frame`` holds accepted rows only (in the long layout, each administration's first line
    carries its wide answers). A given ``total`` has already been checked against the items.
    ``answers`` is the wide item matrix of the administrations with item answers (header
    columns plus ``item_1`` ... ``item_k``); :func:`responses_long` turns it into one row per
    answer.
    """
    columns = item_columns(frame)
    heads = frame.drop_duplicates("administration_id") if is_long(frame) else frame
    keep = [c for c in [*HEADER, "total", *columns.values()] if c in heads]
    heads = heads[keep]  # only what scoring needs: row selections below copy less
    header = heads[[c for c in HEADER if c in heads] + (["total"] if "total" in heads else [])]
    score_parts: list[pd.DataFrame] = []
    answer_parts: list[pd.DataFrame] = []
    for code in heads["instrument"].dropna().unique():
        inst = registry.get(code)
        rows = heads[(heads["instrument"] == code).to_numpy()]
        wide = pd.DataFrame(
            {
                f"item_{k}": rows[columns[k]] if k in columns else np.nan
                for k in range(1, inst.n_items + 1)
            },
            index=rows.index,
        ).astype("float64")
        answered = wide.notna().any(axis=1)
        scored = score(wide[answered], inst)
        if "total" in rows and (~answered).any():
            scored = pd.concat([scored, score_totals(rows.loc[~answered, "total"], inst)])
        score_parts.append(rows[HEADER].join(scored, how="inner"))
        answer_parts.append(rows.loc[answered, HEADER[:4]].join(wide[answered]))
    scores = _concat(score_parts, [*HEADER, "total", "band", "n_missing", "prorated", "valid"])
    answers = _concat(answer_parts, HEADER[:4])
    for table in (scores, answers, header):
        if "instrument" in table and isinstance(table["instrument"].dtype, pd.CategoricalDtype):
            table["instrument"] = decode_categorical(table["instrument"])
    return (
        header.reset_index(drop=True),
        answers.reset_index(drop=True),
        scores.reset_index(drop=True),
    )


def responses_long(answers: pd.DataFrame) -> pd.DataFrame:
    """One row per item answer from the wide ``answers`` table.

    Parameters
    ----------
    answers : pandas.DataFrame
        ``administration_id, client_id, instrument, administered_on`` and ``item_k`` columns.

    Returns
    -------
    pandas.DataFrame
        ``administration_id, client_id, instrument, administered_on, item, value``.

    Examples
    --------
    >>> wide = pd.DataFrame({"administration_id": ["A1"], "client_id": ["C1"],
    ...     "instrument": ["GAD-7"], "administered_on": [pd.Timestamp("2026-01-05")],
    ...     "item_1": [2.0], "item_2": [np.nan]})
    >>> responses_long(wide)[["item", "value"]].values.tolist()
    [[1.0, 2.0]]
    """
    columns = item_columns(answers)
    values = answers[list(columns.values())].to_numpy(dtype="float64")
    row, col = np.nonzero(~np.isnan(values))
    out = answers[HEADER[:4]].iloc[row].reset_index(drop=True)
    out["item"] = np.asarray(list(columns))[col].astype("int64")
    out["value"] = values[row, col]
    return out


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.concat(parts)


def check_totals(raw: RawTable, frame: pd.DataFrame, registry: Registry, log: RejectLog) -> None:
    """A given total must match the items' score; an administration needs items or a total."""
    columns = item_columns(frame)
    first_line = ~frame["administration_id"].duplicated() if is_long(frame) else None
    heads = frame if first_line is None else frame[first_line]
    has_items = (
        heads[list(columns.values())].notna().any(axis=1)
        if columns
        else pd.Series(False, index=heads.index)
    )
    total = heads["total"] if "total" in heads else pd.Series(np.nan, index=heads.index)
    empty = ~has_items & total.isna() & heads["instrument"].notna()
    log.add(raw, empty[empty].index, None, "no item answers and no total")
    for code in heads["instrument"].dropna().unique():
        inst = registry.get(code)
        rows = heads["instrument"] == code
        given = total[rows]
        low, high = inst.total_min, inst.total_max
        out = given.notna() & ((given < low) | (given > high))
        log.add(
            raw,
            out[out].index,
            "total",
            f"outside {code}'s total range {low:g} to {high:g}",
        )
        both = rows & has_items & total.notna() & ~out.reindex(heads.index, fill_value=False)
        if not both.any():
            continue
        wide = pd.DataFrame(
            {
                f"item_{k}": heads.loc[both, columns[k]] if k in columns else np.nan
                for k in range(1, inst.n_items + 1)
            }
        ).astype("float64")
        wide = wide.clip(inst.item_min, inst.item_max)  # out-of-range answers are rejected already
        computed = score(wide, inst)["total"]
        given_both = total[both]
        exact = (computed - given_both).abs() < 1e-6
        rounded = computed.round() == given_both
        mismatch = ~(exact | rounded)
        reason = pd.Series(
            [
                f"total {g:g} does not match the score of the item answers ({c:g})"
                if pd.notna(c)
                else f"total {g:g} given but too many items are missing to score"
                for g, c in zip(given_both[mismatch], computed[mismatch], strict=True)
            ],
            index=given_both[mismatch].index,
        )
        log.add(raw, reason.index, "total", reason)
