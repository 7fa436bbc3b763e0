"""Load a dataset folder (or workbook) into validated pandas tables: :func:`load`.

The steps, each a function of its own module: read every file as text
(:mod:`~therapy_outcomes.loading.readers`), parse and check each table against its declaration
(:mod:`~therapy_outcomes.loading.validation`), check references between tables, tidy and score the
questionnaires (:mod:`~therapy_outcomes.loading.administrations`). A row that refers to a rejected
row is rejected too, so the accepted tables are always consistent with each other.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from therapy_outcomes.caching import ResultCache
from therapy_outcomes.errors import DatasetReadError
from therapy_outcomes.instruments import Registry, default_registry
from therapy_outcomes.loading import administrations as adm
from therapy_outcomes.loading.arrow_ops import lookup
from therapy_outcomes.loading.readers import LINE, RawTable
from therapy_outcomes.loading.tables import TABLE_NAMES, TABLES, spec
from therapy_outcomes.loading.validation import (
    RejectLog,
    accepted_mask,
    check_columns,
    check_goals,
    check_on_scale,
    check_rows,
    duplicate_rows,
    parse_table,
    reject_references,
)
from therapy_outcomes.parameters import parse_date_parameter
from therapy_outcomes.sources import RawDataset, read_source

DEFINITION_FILES = ("instruments.yaml", "instruments")


@dataclass
class Dataset:
    """A validated dataset: one pandas DataFrame per table, plus what was rejected.

    Attributes
    ----------
    clients, sessions, goals, goal_ratings, homework, events : pandas.DataFrame
        Accepted rows, parsed (dates as ``datetime64``, numbers as floats, IDs as strings).
    administrations : pandas.DataFrame
        One row per accepted administration (no item answers).
    answers : pandas.DataFrame
        Item answers, one row per administration that has them: administration_id,
        client_id, instrument, administered_on, ``item_1`` ... ``item_k``.
    responses : pandas.DataFrame
        The same answers long, one row per item answer: administration_id, client_id,
        instrument, administered_on, item, value (built from ``answers`` on first use).
    scores : pandas.DataFrame
        One row per administration: administration_id, client_id, instrument,
        administered_on, session_id, rater, total, band, n_missing, prorated, valid, risk and
        ``sub_<name>`` subscale columns.
    rejects : pandas.DataFrame
        One row per problem found: table, file, line, column, value, reason.
    counts : pandas.DataFrame
        Per table: file, present, lines, read, accepted, rejected (read = accepted +
        rejected). ``lines`` counts the file's physical lines after the header; it differs
        from ``read`` (records) when a file has blank lines or line breaks inside cells.
    as_of : pandas.Timestamp
        Dates after this are rejected.
    registry : Registry
        The instrument definitions used (shipped ones plus the dataset's own).
    source : pathlib.Path
        Where the data came from (for a database, the URL without its password).
    input_hash : str
        SHA-256 over the raw input files, for provenance.
    cache : ResultCache or None
        The cache it was loaded with (``load(..., cache=)``), for what is computed from it
        (the alerts' models); not part of comparisons.
    provenance : dict of str to pandas.DataFrame
        Where each accepted row came from, per table present: ``file`` and ``line`` (as in
        ``rejects``), row for row with the accepted table; for ``administrations``, one row
        per accepted source line with its ``administration_id`` (the long layout has several
        lines per administration). Lets a test compare every accepted value with its line in
        the file; not part of comparisons.
    source_report : pandas.DataFrame or None
        What the source made of records of several kinds (FHIR: resources per type read,
        used, rejected and skipped, and why); ``None`` for a source with nothing to say.
    """

    clients: pd.DataFrame
    sessions: pd.DataFrame
    goals: pd.DataFrame
    goal_ratings: pd.DataFrame
    administrations: pd.DataFrame
    answers: pd.DataFrame
    scores: pd.DataFrame
    homework: pd.DataFrame
    events: pd.DataFrame
    rejects: pd.DataFrame
    counts: pd.DataFrame
    as_of: pd.Timestamp
    registry: Registry = field(repr=False)
    source: Path | str = field(default_factory=Path)
    input_hash: str = ""
    cache: ResultCache | None = field(default=None, repr=False, compare=False)
    provenance: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)
    source_report: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def responses(self) -> pd.DataFrame:
        """One row per item answer (see the class docstring)."""
        return adm.responses_long(self.answers)

    @property
    def n_rejected(self) -> int:
        """Rows rejected over all tables."""
        return int(self.counts["rejected"].sum())

    def __repr__(self) -> str:
        sizes = ", ".join(f"{r.table}={r.accepted}" for r in self.counts.itertuples())
        name = self.source.name if isinstance(self.source, Path) else self.source
        return f"Dataset({name}: {sizes}; rejected={self.n_rejected})"


def load(
    path: str | Path,
    *,
    as_of: str | date | pd.Timestamp | None = None,
    instruments: str | Path | None = None,
    registry: Registry | None = None,
    cache: ResultCache | None = None,
) -> Dataset:
    """Load, validate and score a dataset.

    Parameters
    ----------
    path : str or pathlib.Path
        A dataset folder of CSV files (``clients.csv`` ...) or one ``.xlsx`` workbook with a
        sheet per table (a folder may also hold ``dataset.xlsx`` instead of CSV files), or any
        other location a registered source reads (see :mod:`therapy_outcomes.sources`).
    as_of : str, date or Timestamp, optional
        Reference date: dates after it are rejected. Default: today.
    instruments : str or pathlib.Path, optional
        Extra instrument definitions (a YAML file or a folder of them) that add to or override
        the shipped ones. ``instruments.yaml`` or an ``instruments/`` folder inside the dataset
        folder are picked up without asking.
    registry : Registry, optional
        Start from this registry instead of the shipped definitions.
    cache : ResultCache, optional
        Keep the loaded dataset here and reuse it while the input files, the options and
        today's date stay the same (:mod:`therapy_outcomes.caching`); every call gets its own
        copy of the tables. The dataset remembers the cache (``Dataset.cache``).

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetReadError
        When a file cannot be read at all (missing required table or column, wrong encoding,
        empty file, not a table). Bad rows never raise: they are in ``Dataset.rejects``.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_demo_clinic(folder, n_clients=20, seed=1)
    >>> ds = load(folder, as_of="2026-10-31")
    >>> ds.n_rejected
    0
    >>> bool((ds.counts["read"] == ds.counts["accepted"] + ds.counts["rejected"]).all())
    True
    """
    if cache is not None:
        return cache.dataset(load, path, as_of=as_of, instruments=instruments, registry=registry)
    stamp = _as_of(as_of)
    raws = read_source(path)
    source: Path | str = raws.location if raws.location is not None else _redacted(str(path))
    reg = registry or default_registry()
    reg = with_dataset_definitions(reg, source, instruments)
    log = RejectLog()
    for records in raws.unreadable_rows():
        log.add_records(records)
    parsed: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        raw = raws.tables.get(table.name)
        if raw is None:
            continue
        check_columns(raw, table)
        frame = parse_table(raw, table, log, stamp)
        if table.name == "administrations":
            frame = adm.resolve_instruments(raw, frame, reg, log)
            adm.check_item_columns(raw, frame, reg, set(table.names))
        check_rows(raw, table, frame, stamp, log)
        if table.name == "goals":
            check_goals(raw, frame, reg, log)
        parsed[table.name] = frame
    _check_references(raws.tables, parsed, log)
    _check_goal_ratings(raws.tables, parsed, reg, log)
    tidy = _administrations(raws.tables.get("administrations"), parsed, reg, log)
    accepted = {
        name: _accepted(raws.tables[name], parsed[name], log)
        for name in parsed
        if name != "administrations"
    }
    empty = {t.name: _empty(t.name) for t in TABLES}
    n_accepted = {name: len(frame) for name, frame in accepted.items()}
    n_accepted["administrations"] = tidy[3]
    rejects = log.frame()
    provenance = {name: _provenance(raws.tables[name], parsed[name], log) for name in parsed}
    return Dataset(
        clients=accepted.get("clients", empty["clients"]),
        sessions=accepted.get("sessions", empty["sessions"]),
        goals=accepted.get("goals", empty["goals"]),
        goal_ratings=accepted.get("goal_ratings", empty["goal_ratings"]),
        administrations=tidy[0],
        answers=tidy[1],
        scores=tidy[2],
        homework=accepted.get("homework", empty["homework"]),
        events=accepted.get("events", empty["events"]),
        rejects=rejects,
        counts=_counts(raws, rejects, n_accepted),
        as_of=stamp,
        registry=reg,
        source=source,
        input_hash=raws.digest,
        provenance=provenance,
        source_report=raws.report,
    )


def _redacted(location: str) -> Path | str:
    """A path as a Path; a URL as text without its user name and password.

    Examples
    --------
    >>> _redacted("postgresql://ana:secret@db.example/clinic")
    'postgresql://db.example/clinic'
    """
    if "://" not in location:
        return Path(location)
    return re.sub(r"(://)[^/@]*@", r"\1", location)


def _as_of(value: str | date | pd.Timestamp | None) -> pd.Timestamp:
    return parse_date_parameter(value, "as-of date", default_today=True)


def with_dataset_definitions(
    reg: Registry, source: Path | str, extra: str | Path | None
) -> Registry:
    r"""A registry with a dataset folder's own instrument definitions and ``extra`` added.

    Parameters
    ----------
    reg : Registry
        The registry to start from, usually
        :func:`~therapy_outcomes.instruments.default_registry`.
    source : pathlib.Path or str
        The dataset's location. When it is a folder, its ``instruments.yaml`` file and
        ``instruments`` folder (:data:`DEFINITION_FILES`) are added when present; any other
        location adds nothing.
    extra : str, pathlib.Path or None
        A further YAML file or folder of definitions (the ``--instruments`` option), added last.

    Returns
    -------
    Registry
        A new registry; a definition whose code is already registered replaces it.

    Raises
    ------
    DatasetReadError
        When ``extra`` does not exist.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.instruments import default_registry
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "instruments.yaml").write_text(
    ...     "code: ORS-C\nname: ORS, child cut-off\nkind: questionnaire\n"
    ...     "items: {count: 4, min: 0, max: 10, integer: false}\n"
    ...     "scoring: {rule: sum}\nbetter: higher\ncutoff: {value: 32, clinical: '<'}\n")
    >>> reg = with_dataset_definitions(default_registry(), folder, None)
    >>> "ORS-C" in reg.codes, "PHQ-9" in reg.codes
    (True, True)
    >>> with_dataset_definitions(reg, folder, "extra.yaml")
    Traceback (most recent call last):
    ...
    therapy_outcomes.errors.DatasetReadError: instrument definitions not found: extra.yaml
    """
    if isinstance(source, Path) and source.is_dir():
        for name in DEFINITION_FILES:
            candidate = source / name
            if candidate.exists():
                reg = reg.with_definitions(candidate)
    if extra is not None:
        if not Path(extra).exists():
            raise DatasetReadError(f"instrument definitions not found: {extra}")
        reg = reg.with_definitions(extra)
    return reg


def _rejected_ids(raw: RawTable, frame: pd.DataFrame, key: str, log: RejectLog) -> pd.Series:
    """IDs read but rejected in a table, mapped to their line."""
    bad = ~accepted_mask(raw, log)
    ids = frame.loc[bad, key].dropna()
    return (
        pd.Series(raw.frame.loc[ids.index, LINE].to_numpy(), index=ids.to_numpy())
        .groupby(level=0)
        .first()
    )


def _check_references(
    raws: dict[str, RawTable], parsed: dict[str, pd.DataFrame], log: RejectLog
) -> None:
    """Check every declared ``references`` in table order; then same-client links."""
    for table in TABLES:
        if table.name not in parsed:
            continue
        raw, frame = raws[table.name], parsed[table.name]
        for col in table.columns:
            if col.references is None:
                continue
            target, key = col.references.split(".")
            if target not in parsed:
                reject_references(
                    raw,
                    frame,
                    col.name,
                    pd.Series([], dtype="string"),
                    pd.Series([]),
                    f"{target} (the dataset has no {target} table)",
                    log,
                )
                continue
            t_raw, t_frame = raws[target], parsed[target]
            ok = accepted_mask(t_raw, log)
            reject_references(
                raw,
                frame,
                col.name,
                t_frame.loc[ok, key],
                _rejected_ids(t_raw, t_frame, key, log),
                t_raw.file,
                log,
                candidates=accepted_mask(raw, log),
            )
        if table.name == "goals":
            _check_goal_links(raw, frame, log)
        _check_same_client(table.name, raws, parsed, log)


def _check_goal_links(raw: RawTable, frame: pd.DataFrame, log: RejectLog) -> None:
    """Parent and revised goals must be accepted goals of the same client (to a fixpoint)."""
    goal_client = frame.set_index("goal_id")["client_id"]
    goal_client = goal_client[~goal_client.index.duplicated()]
    for column, what in (("parent_goal_id", "parent goal"), ("revises_goal_id", "revised goal")):
        link = frame[column]
        self_link = link.notna() & (link == frame["goal_id"])
        log.add(raw, self_link, column, f"a goal cannot be its own {what}")
        other = lookup(link, goal_client)
        wrong = link.notna() & other.notna() & (other != frame["client_id"])
        log.add(raw, wrong, column, f"the {what} belongs to another client")
    horizon = frame.set_index("goal_id")["horizon"]
    horizon = horizon[~horizon.index.duplicated()]
    parent_h = lookup(frame["parent_goal_id"], horizon)
    log.add(
        raw,
        parent_h.notna() & (parent_h != "long_term"),
        "parent_goal_id",
        "the parent goal is not a long-term goal",
    )
    for _ in range(len(frame) + 1):
        before = len(log.lines(raw.name))
        ok = accepted_mask(raw, log)
        for column in ("parent_goal_id", "revises_goal_id"):
            reject_references(
                raw,
                frame,
                column,
                frame.loc[ok, "goal_id"],
                _rejected_ids(raw, frame, "goal_id", log),
                raw.file,
                log,
                candidates=ok,
            )
        if len(log.lines(raw.name)) == before:
            break


#: Links that must stay within one client: (table, column, target table, target key).
SAME_CLIENT = (
    ("goal_ratings", "session_id", "sessions", "session_id"),
    ("administrations", "session_id", "sessions", "session_id"),
    ("homework", "goal_id", "goals", "goal_id"),
)


def _check_same_client(
    name: str, raws: dict[str, RawTable], parsed: dict[str, pd.DataFrame], log: RejectLog
) -> None:
    for table, column, target, key in SAME_CLIENT:
        if table != name or target not in parsed:
            continue
        frame, raw = parsed[table], raws[table]
        owners = parsed[target].drop_duplicates(key).set_index(key)["client_id"]
        client = frame["client_id"] if table != "goal_ratings" else _rating_client(parsed)
        owner = lookup(frame[column], owners)
        wrong = owner.notna() & client.notna() & (owner != client)
        log.add(raw, wrong, column, f"the {target[:-1]} belongs to another client")


def _rating_client(parsed: dict[str, pd.DataFrame]) -> pd.Series:
    frame = parsed["goal_ratings"]
    goal_client = parsed["goals"].drop_duplicates("goal_id").set_index("goal_id")["client_id"]
    return lookup(frame["goal_id"], goal_client)


def _check_goal_ratings(
    raws: dict[str, RawTable], parsed: dict[str, pd.DataFrame], reg: Registry, log: RejectLog
) -> None:
    """A rating's client matches its goal's, and its value fits the goal's measure."""
    if "goal_ratings" not in parsed or "goals" not in parsed:
        return
    raw, frame = raws["goal_ratings"], parsed["goal_ratings"]
    goals = parsed["goals"].drop_duplicates("goal_id").set_index("goal_id")
    owner = lookup(frame["goal_id"], goals["client_id"])
    wrong = frame["client_id"].notna() & owner.notna() & (frame["client_id"] != owner)
    log.add(raw, wrong, "client_id", "is not the client of this goal")
    frame["client_id"] = frame["client_id"].fillna(owner).astype("string")
    measure = lookup(frame["goal_id"], goals["measure"]).astype("string")
    check_on_scale(raw, measure, frame["value"], "value", reg, log, what="ratings")


def _administrations(
    raw: RawTable | None, parsed: dict[str, pd.DataFrame], reg: Registry, log: RejectLog
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int]:
    """Check and score administrations; also return the number of accepted lines."""
    if raw is None:
        frame = pd.DataFrame(columns=[*adm.HEADER, "total"])
        return (*adm.score_administrations(frame, reg), 0)
    frame = parsed["administrations"]
    long = adm.is_long(frame)
    if long:
        adm.long_to_wide(raw, frame, reg, log)
    else:
        duplicate_rows(raw, frame, ["administration_id"], log, "duplicate administration_id")
        adm.check_items(raw, frame, reg, log)
    adm.check_totals(raw, frame, reg, log)
    heads = ~frame["administration_id"].duplicated() if long else None
    ok = accepted_mask(raw, log)
    key = ["client_id", "instrument", "administered_on", "rater"]
    scope = ok if heads is None else ok & heads
    same = "duplicate administration: same client, instrument, date and rater"
    duplicate_rows(raw, frame, key, log, same, scope=scope)
    if long:
        adm.reject_whole_administrations(raw, frame, log)
    ok = accepted_mask(raw, log)
    return (*adm.score_administrations(frame.loc[ok], reg), int(ok.sum()))


def _accepted(raw: RawTable, frame: pd.DataFrame, log: RejectLog) -> pd.DataFrame:
    ok = accepted_mask(raw, log)
    out = frame.loc[ok].drop(columns=[LINE]).reset_index(drop=True)
    return out


def _provenance(raw: RawTable, frame: pd.DataFrame, log: RejectLog) -> pd.DataFrame:
    """File and line of every accepted row of a table, in the accepted table's order."""
    ok = accepted_mask(raw, log)
    out = pd.DataFrame({"file": raw.file, "line": raw.frame.loc[ok, LINE].to_numpy()})
    if raw.name == "administrations":
        out.insert(0, "administration_id", frame.loc[ok, "administration_id"].to_numpy())
    return out


def _empty(name: str) -> pd.DataFrame:
    table = spec(name)
    dtypes = {"date": "datetime64[ns]", "number": "float64", "integer": "float64"}
    return pd.DataFrame(
        {c.name: pd.Series(dtype=dtypes.get(c.kind, "string")) for c in table.columns}
    )


def _counts(raws: RawDataset, rejects: pd.DataFrame, accepted: dict[str, int]) -> pd.DataFrame:
    """Rows read, accepted and rejected per table, each counted on its own."""
    rows = []
    for name in TABLE_NAMES:
        raw = raws.tables.get(name)
        if raw is None:
            rows.append(
                {
                    "table": name,
                    "file": "",
                    "present": False,
                    "lines": 0,
                    "read": 0,
                    "accepted": 0,
                    "rejected": 0,
                }
            )
            continue
        rejected = rejects.loc[rejects["table"] == name, "line"].nunique()
        rows.append(
            {
                "table": name,
                "file": raw.file,
                "present": True,
                "lines": raw.n_lines,
                "read": raw.n_rows,
                "accepted": accepted.get(name, 0),
                "rejected": rejected,
            }
        )
    return pd.DataFrame(rows)


def accepted_clients(location: str | Path) -> pd.DataFrame:
    """The clients :func:`therapy_outcomes.load` accepts as of today, checking that table only.

    The same reader and row checks as a full load, without the other tables' checks and the
    scoring (a client row is never rejected because of another table), so a report's client
    can be checked in a fraction of the time the notebook's own load takes.

    Raises
    ------
    DatasetReadError
        The dataset (or its clients table) cannot be read at all.

    Examples
    --------
    >>> import tempfile
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=12, seed=3)
    >>> accepted_clients(folder)["client_id"].tolist()[:2]
    ['C000001', 'C000002']
    """
    raw = read_source(location).tables["clients"]  # a required table: read_source checks it
    table, log = spec("clients"), RejectLog()
    log.add_records(raw.unreadable)
    check_columns(raw, table)
    today = parse_date_parameter(None, "as_of", default_today=True)
    frame = parse_table(raw, table, log, today)
    check_rows(raw, table, frame, today, log)
    return frame.loc[accepted_mask(raw, log)].drop(columns=[LINE]).reset_index(drop=True)
