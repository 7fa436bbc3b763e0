"""De-identified research export of a dataset, for sharing.

What is done to the accepted rows of a loaded dataset:

- **IDs** (clients, therapists, sessions, goals, administrations, homework, events) are replaced
  by a keyed hash: ``HMAC-SHA256(key, "<kind>:" + id)``, the first 16 hex digits after a letter
  (``P`` clients, ``T`` therapists, ``S``, ``G``, ``A``, ``H``, ``E``). The same key gives the
  same pseudonyms in every export, so exports can be linked by whoever holds the key, and by
  nobody else. The key is read from a file or the environment and is never written out.
- **Dates** are shifted back by a per-client number of days (1 to ``max_shift_days``, derived
  from the key, the same for every date of the client, so intervals within a client are kept
  exactly and every date is earlier than the real one), or, with ``dates="month"``, shifted so
  that the client's referral falls on the first of its month (the referral is coarsened to the
  month, other dates keep their distance from it; no key involved). Coarsening every date to
  its month independently would merge a client's weekly questionnaires into duplicates and
  break the within-client intervals the analyses need.
- **Free text** (``goals.statement``, ``unit``, ``values``, ``strengths``, ``homework.task``,
  ``events.description``) is dropped unless named in ``keep``: required text columns are set to
  ``[removed]`` so the export still loads; undeclared columns are dropped too.
- **Ages**: ``birth_year`` becomes ``age_band`` (age at referral).
- **Small cells**: the quasi-identifiers (by default site, sex and age band, the attributes
  an outsider may know; add ``problem`` or ``modality`` when they may be known too) are
  generalised until every combination occurs for at least ``k`` clients
  (:mod:`~therapy_outcomes.export.kanon`); what was generalised is reported.
- **Row order** is by pseudonym, so the order of the source (often by referral) does not leak.

The export is a dataset folder (CSV or Parquet) that :func:`therapy_outcomes.load` reads, plus
``disclosure_report.csv`` (the generalisation steps and final cell sizes) and ``README.txt``
(the method and settings; no key, no original values).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from therapy_outcomes.errors import ParameterError
from therapy_outcomes.export.kanon import Generalisation, age_band, cell_sizes, generalise
from therapy_outcomes.export.spreadsheet import safe_cells
from therapy_outcomes.export.tables_out import dataset_tables, write_table
from therapy_outcomes.loading.tables import spec

if TYPE_CHECKING:
    from therapy_outcomes.loading.dataset import Dataset

KEY_ENV = "THERAPY_OUTCOMES_RESEARCH_KEY"
MIN_KEY_BYTES = 16
REMOVED = "[removed]"
FREE_TEXT = {
    "goals": ("statement", "unit", "values", "strengths"),
    "homework": ("task",),
    "events": ("description",),
}
QUASI_IDENTIFIERS = ("site", "sex", "age_band")
#: Pseudonym prefix and hash domain of each ID kind, and the columns holding it.
ID_KINDS = {
    "client": ("P", ("client_id",)),
    "therapist": ("T", ("therapist_id",)),
    "session": ("S", ("session_id",)),
    "goal": ("G", ("goal_id", "parent_goal_id", "revises_goal_id")),
    "administration": ("A", ("administration_id",)),
    "homework": ("H", ("homework_id",)),
    "event": ("E", ("event_id",)),
}


def read_key(key_file: str | Path | None = None, *, env: str = KEY_ENV) -> bytes:
    """The HMAC key: the content of ``key_file``, else the environment variable ``env``.

    Raises
    ------
    ParameterError
        When there is no key, or it is shorter than 16 bytes.

    Examples
    --------
    >>> import os
    >>> os.environ["EXAMPLE_KEY"] = "correct horse battery staple"
    >>> len(read_key(env="EXAMPLE_KEY"))
    28
    """
    if key_file is not None:
        try:
            key = Path(key_file).read_bytes().strip()
        except OSError as err:
            raise ParameterError(f"key file {key_file}: cannot be read ({err.strerror})") from None
    else:
        key = os.environ.get(env, "").strip().encode()
        if not key:
            raise ParameterError(
                f"no key: give --key-file FILE or set {env}; make one with "
                'python -c "import secrets; print(secrets.token_hex(32))" > research.key '
                "and keep it out of version control"
            )
    if len(key) < MIN_KEY_BYTES:
        raise ParameterError(
            f"the key is {len(key)} bytes; use at least {MIN_KEY_BYTES} "
            "(e.g. 64 hex digits from secrets.token_hex(32))"
        )
    return key


def pseudonym(key: bytes, kind: str, value: str) -> str:
    """Keyed pseudonym of one ID.

    Examples
    --------
    >>> pseudonym(b"k" * 16, "client", "C0042")
    'P400bf0289e327f2c'
    """
    prefix = ID_KINDS[kind][0]
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return prefix + digest[:16]


def date_offset(key: bytes, client_id: str, max_days: int) -> int:
    """Days to subtract from every date of a client: 1 .. ``max_days``, derived from the key.

    Examples
    --------
    >>> 1 <= date_offset(b"k" * 16, "C0042", 365) <= 365
    True
    """
    digest = hmac.new(key, f"date-shift:{client_id}".encode(), hashlib.sha256).digest()
    return 1 + int.from_bytes(digest[:8], "big") % max_days


@dataclass
class ResearchExport:
    """What :func:`export_research` wrote."""

    folder: Path
    rows: dict[str, int]
    report: pd.DataFrame
    k: int
    smallest_cell: int


def _pseudonymise(frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    out = frame.copy()
    for kind, (_, columns) in ID_KINDS.items():
        for col in columns:
            if col in out:
                values = out[col]
                mapped = {v: pseudonym(key, kind, str(v)) for v in values.dropna().unique()}
                out[col] = values.map(mapped).astype("string")
    return out


def _shift_dates(frame: pd.DataFrame, name: str, offsets: pd.Series) -> pd.DataFrame:
    out = frame.copy()
    date_cols = [c.name for c in spec(name).columns if c.kind == "date" and c.name in out]
    if name == "administrations":
        date_cols = ["administered_on"]
    # a table without client_id (none, once loaded) loses its dates rather than keep them unshifted
    unknown = pd.Series(float("nan"), index=out.index)
    days = out["client_id"].map(offsets) if "client_id" in out else unknown
    for col in date_cols:
        out[col] = pd.to_datetime(out[col]) - pd.to_timedelta(days, unit="D")
    return out


def _drop_text(name: str, frame: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    declared = set(spec(name).names)
    if name == "administrations":
        declared |= {c for c in frame.columns if c.startswith("item_")}
    if name == "clients":
        declared = (declared - {"birth_year"}) | {"age_band"}
    out = frame[[c for c in frame.columns if c in declared or c in keep]].copy()
    for col in FREE_TEXT.get(name, ()):
        if col not in out or col in keep:
            continue
        if spec(name).column(col).required:
            out[col] = pd.Series(REMOVED, index=out.index, dtype="string").where(out[col].notna())
        else:
            out = out.drop(columns=col)
    return out


def _clients(clients: pd.DataFrame, qis: list[str], k: int) -> tuple[pd.DataFrame, Generalisation]:
    out = clients.copy()
    ages = None
    if "birth_year" in out:
        ages = pd.to_datetime(out["referred_on"]).dt.year - pd.to_numeric(out["birth_year"])
        out["age_band"] = age_band(ages)
    gen = generalise(out, qis, k, ages=ages)
    for col in gen.frame.columns:
        out[col] = gen.frame[col].astype("string")
    return out, gen


def export_research(
    ds: Dataset,
    out: str | Path,
    key: bytes,
    *,
    fmt: Literal["csv", "parquet"] = "csv",
    k: int = 5,
    dates: Literal["shift", "month"] = "shift",
    max_shift_days: int = 365,
    keep: tuple[str, ...] = (),
    quasi_identifiers: tuple[str, ...] = QUASI_IDENTIFIERS,
) -> ResearchExport:
    """Write a de-identified copy of a loaded dataset (see the module notes).

    Parameters
    ----------
    ds : Dataset
        A loaded dataset; only accepted rows are exported.
    out : str or pathlib.Path
        Folder to write (created); its ``<table>.csv``/``.parquet`` files are replaced.
    key : bytes
        The HMAC key (:func:`read_key`); never written.
    fmt : {"csv", "parquet"}
        File format.
    k : int
        Every combination of quasi-identifiers must occur for at least ``k`` clients.
    dates : {"shift", "month"}
        Shift each client's dates back by a keyed number of days, or so that the referral
        falls on the first of its month.
    max_shift_days : int
        Largest shift.
    keep : tuple of str
        Free-text or undeclared columns to keep (e.g. ``("statement",)``).
    quasi_identifiers : tuple of str
        Client columns checked for small cells.

    Returns
    -------
    ResearchExport

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from therapy_outcomes import load
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_demo_clinic(folder / "demo", n_clients=30, seed=1)
    >>> ds = load(folder / "demo", as_of="2026-10-31")
    >>> result = export_research(ds, folder / "share", b"a key of sixteen+ bytes")
    >>> result.smallest_cell >= 5, load(folder / "share", as_of="2026-10-31").n_rejected
    (True, 0)
    """
    if fmt not in ("csv", "parquet"):
        raise ParameterError(f"format must be csv or parquet, got {fmt!r}")
    if dates not in ("shift", "month"):
        raise ParameterError(f"dates must be shift or month, got {dates!r}")
    if max_shift_days < 1:
        raise ParameterError("max_shift_days must be at least 1")
    tables = dataset_tables(ds)
    clients, gen = _clients(tables["clients"], list(quasi_identifiers), k)
    tables["clients"] = clients
    ids = tables["clients"]["client_id"]
    if dates == "month":
        offsets = pd.Series(
            pd.to_datetime(tables["clients"]["referred_on"]).dt.day.to_numpy() - 1, index=ids
        )
    else:
        offsets = pd.Series([date_offset(key, str(c), max_shift_days) for c in ids], index=ids)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, frame in tables.items():
        frame = _shift_dates(frame, name, offsets)
        frame = _drop_text(name, frame, set(keep))
        frame = _pseudonymise(frame, key)
        sort = [c for c in (spec(name).names[0], "client_id") if c in frame]
        frame = frame.sort_values(sort, kind="stable").reset_index(drop=True)
        for suffix in (".csv", ".parquet"):
            (folder / f"{name}{suffix}").unlink(missing_ok=True)
        write_table(frame, folder / name, fmt)
        rows[name] = len(frame)
    report = _report(gen, clients, list(quasi_identifiers))
    safe_cells(report).to_csv(folder / "disclosure_report.csv", index=False, lineterminator="\n")
    _readme(folder, fmt, k, dates, max_shift_days, keep, gen, rows)
    return ResearchExport(folder, rows, report, k, gen.smallest_cell)


def _report(gen: Generalisation, clients: pd.DataFrame, qis: list[str]) -> pd.DataFrame:
    steps = gen.steps.assign(section="generalisation")
    cells = cell_sizes(clients, [q for q in qis if q in gen.frame.columns])
    cells = pd.DataFrame(
        {
            "section": "final cells",
            "quasi_identifier": ", ".join(c for c in cells.columns if c != "clients"),
            "action": cells.drop(columns="clients").astype("string").agg(" | ".join, axis=1),
            "clients_changed": cells["clients"],
        }
    )
    return pd.concat([steps, cells], ignore_index=True)[
        ["section", "step", "quasi_identifier", "action", "clients_changed"]
    ]


def _readme(
    folder: Path,
    fmt: str,
    k: int,
    dates: str,
    max_shift: int,
    keep: tuple[str, ...],
    gen: Generalisation,
    rows: dict[str, int],
) -> None:
    from therapy_outcomes import __version__

    date_rule = (
        f"shifted back by 1 to {max_shift} days per client (keyed; intervals within a client kept)"
        if dates == "shift"
        else "shifted per client so that the "
        "referral falls on the first of its month (intervals within a client kept)"
    )
    lines = [
        "De-identified research export (therapy-outcomes " + __version__ + ")",
        "",
        f"Format: {fmt}; load with therapy_outcomes.load(<this folder>).",
        "IDs: HMAC-SHA256 pseudonyms (key not included).",
        f"Dates: {date_rule}.",
        "Free text dropped: "
        + ", ".join(f"{t}.{c}" for t, cols in FREE_TEXT.items() for c in cols if c not in keep)
        + ".",
        "Kept on request: " + (", ".join(keep) if keep else "nothing") + ".",
        "Ages: birth_year replaced by age_band (age at referral).",
        f"Small cells: every combination of {', '.join(gen.frame.columns)} occurs for at "
        f"least {k} clients (smallest: {gen.smallest_cell}); steps in disclosure_report.csv.",
        "Rows: " + ", ".join(f"{n} {c}" for n, c in rows.items()) + ".",
        "",
    ]
    (folder / "README.txt").write_text("\n".join(lines), encoding="utf-8")
