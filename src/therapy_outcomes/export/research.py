"""De-identified research export of a dataset, for sharing.

What is done to the accepted rows of a loaded dataset:

- **IDs** (clients, therapists, sessions, goals, administrations, homework, events) are replaced
  by a keyed hash: ``HMAC-SHA256(key, "<kind>:" + id)``, the first 16 hex digits after a letter
  (``P`` clients, ``T`` therapists, ``S``, ``G``, ``A``, ``H``, ``E``). The same key gives the
  same pseudonyms in every export, so exports can be linked by whoever holds the key, and by
  nobody else. The key is read from a file or the environment and is never written out.
- **Dates** are moved per client (:mod:`~therapy_outcomes.export.dates`): with
  ``dates="shift"`` back by the span of the data plus a week plus a keyed 1 to
  ``max_shift_days`` days (every exported date is earlier than every input date), with
  ``dates="month"`` so that the referral falls on the first of its month; intervals from the
  referral are rounded to whole weeks (``intervals="days"`` keeps them exactly, outside the
  privacy model).
- **Free text** (``goals.statement``, ``unit``, ``values``, ``strengths``, ``homework.task``,
  ``events.description``) is dropped unless named in ``keep``: required text columns are set to
  ``[removed]`` so the export still loads; undeclared columns are dropped too.
  ``clients.problem`` and ``clients.modality`` become a documented category, ``goals.measure``
  an instrument code, ``GAS``, ``GBO`` or ``count`` (:mod:`~therapy_outcomes.export.categories`;
  anything unlisted becomes ``other``, never copied).
- **Scores**: every administration carries its ``total`` and ``band``; item answers only with
  ``items=True`` (and for administrations that could not be scored, which have no total).
- **Ages**: ``birth_year`` becomes ``age_band`` (age at referral).
- **Small cells**: every quasi-identifier exported (site, therapist pseudonym, sex, age band,
  problem category, modality, end reason, episode length band) is generalised, then
  suppressed, until every combination occurs for at least ``k`` clients and holds at least
  ``l`` outcome categories where they apply (:mod:`~therapy_outcomes.export.anonymity`); a
  session's therapist is the client's as exported. What was done and why is reported.
- **Row order** is by pseudonym, so the order of the source (often by referral) does not leak.

The privacy model, its assumptions and its limits are stated in ``docs/privacy.md``.

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
from therapy_outcomes.export.anonymity import QUASI_IDENTIFIERS, anonymise, outcome_categories
from therapy_outcomes.export.categories import measure_code
from therapy_outcomes.export.dates import client_offsets, date_offset, shift_dates, span_days
from therapy_outcomes.export.kanon import cell_sizes
from therapy_outcomes.export.research_report import disclosure_report, write_readme
from therapy_outcomes.export.spreadsheet import safe_cells
from therapy_outcomes.export.tables_out import dataset_tables, write_table
from therapy_outcomes.loading.tables import spec

if TYPE_CHECKING:
    from therapy_outcomes.loading.dataset import Dataset

__all__ = [
    "KEY_ENV",
    "QUASI_IDENTIFIERS",
    "ResearchExport",
    "date_offset",
    "export_research",
    "pseudonym",
    "read_key",
]

KEY_ENV = "THERAPY_OUTCOMES_RESEARCH_KEY"
MIN_KEY_BYTES = 16
REMOVED = "[removed]"
FREE_TEXT = {
    "goals": ("statement", "unit", "values", "strengths"),
    "homework": ("task",),
    "events": ("description",),
}
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
#: Values written as they are, not pseudonymised (a therapist generalised away).
UNCHANGED = {"other"}


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


@dataclass
class ResearchExport:
    """What :func:`export_research` wrote.

    ``smallest_cell`` is the smallest group of clients sharing one combination of the
    exported quasi-identifiers; ``smallest_diversity`` the fewest outcome categories in such a
    group (None when no outcome applies); ``generalised`` and ``suppressed`` count clients.
    """

    folder: Path
    rows: dict[str, int]
    report: pd.DataFrame
    k: int
    smallest_cell: int
    l: int = 1  # noqa: E741
    smallest_diversity: int | None = None
    generalised: int = 0
    suppressed: int = 0
    quasi_identifiers: tuple[str, ...] = ()


def _pseudonymise(frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    out = frame.copy()
    for kind, (_, columns) in ID_KINDS.items():
        for col in columns:
            if col in out:
                values = out[col]
                mapped = {
                    v: v if kind == "therapist" and v in UNCHANGED else pseudonym(key, kind, str(v))
                    for v in values.dropna().unique()
                }
                out[col] = values.map(mapped).astype("string")
    return out


def _drop_text(name: str, frame: pd.DataFrame, keep: set[str]) -> pd.DataFrame:
    declared = set(spec(name).names)
    if name == "administrations":
        declared |= {c for c in frame.columns if c.startswith("item_")} | {"band"}
    if name == "clients":
        declared = (declared - {"birth_year"}) | set(QUASI_IDENTIFIERS)
    out = frame[[c for c in frame.columns if c in declared or c in keep]].copy()
    for col in FREE_TEXT.get(name, ()):
        if col not in out or col in keep:
            continue
        if spec(name).column(col).required:
            out[col] = pd.Series(REMOVED, index=out.index, dtype="string").where(out[col].notna())
        else:
            out = out.drop(columns=col)
    return out


def _administrations(ds: Dataset, items: bool) -> pd.DataFrame:
    """One row per administration with its total and band; item answers when asked (and for
    administrations without a total, which would not load otherwise)."""
    scores = ds.scores.set_index("administration_id")
    head = ds.administrations.drop(columns=["total"], errors="ignore")
    head = head.assign(
        total=head["administration_id"].map(scores["total"]),
        band=head["administration_id"].map(scores["band"]).astype("string"),
    )
    answers = ds.responses.pivot_table(
        index="administration_id", columns="item", values="value", aggfunc="first"
    )
    answers.columns = [f"item_{int(c)}" for c in answers.columns]
    if not items:
        answers = answers[answers.index.isin(head["administration_id"][head["total"].isna()])]
    return head.merge(answers, left_on="administration_id", right_index=True, how="left")


def export_research(
    ds: Dataset,
    out: str | Path,
    key: bytes,
    *,
    fmt: Literal["csv", "parquet"] = "csv",
    k: int = 5,
    l: int = 2,  # noqa: E741
    dates: Literal["shift", "month"] = "shift",
    intervals: Literal["weeks", "days"] = "weeks",
    max_shift_days: int = 365,
    keep: tuple[str, ...] = (),
    items: bool = False,
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
    l : int
        Every combination holding outcome categories must hold at least ``l`` distinct ones
        (1: no l-diversity).
    dates : {"shift", "month"}
        Move each client's dates back by the span of the data plus a keyed number of days, or
        so that the referral falls on the first of its month.
    intervals : {"weeks", "days"}
        Round intervals from the referral to whole weeks, or keep them (outside the model).
    max_shift_days : int
        Largest keyed part of the shift.
    keep : tuple of str
        Free-text or undeclared columns to keep (e.g. ``("statement",)``); outside the model.
    items : bool
        Also export item answers.
    quasi_identifiers : tuple of str
        Client columns checked for small cells; a standard one left out is withheld.

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
    if intervals not in ("weeks", "days"):
        raise ParameterError(f"intervals must be weeks or days, got {intervals!r}")
    if max_shift_days < 1:
        raise ParameterError("max_shift_days must be at least 1")
    tables = dataset_tables(ds)
    tables["administrations"] = _administrations(ds, items)
    if "measure" in tables["goals"]:
        tables["goals"]["measure"] = measure_code(tables["goals"]["measure"], ds.registry)
    original = tables["clients"]
    referrals = pd.Series(
        pd.to_datetime(original["referred_on"]).to_numpy(), index=original["client_id"]
    )
    offsets = client_offsets(
        original, key, dates=dates, max_shift_days=max_shift_days, span=span_days(tables)
    )
    shifted = {
        name: shift_dates(frame, name, referrals, offsets, intervals)
        for name, frame in tables.items()
    }
    outcomes = outcome_categories(ds) if l > 1 else None
    clients, gen = anonymise(
        original, shifted["clients"], tuple(quasi_identifiers), k, l=l, outcomes=outcomes
    )
    shifted["clients"] = clients
    if "therapist_id" in shifted["sessions"]:
        therapist = clients.set_index("client_id")["therapist_id"]
        sessions = shifted["sessions"]
        sessions["therapist_id"] = sessions["client_id"].map(therapist).astype("string")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, frame in shifted.items():
        frame = _drop_text(name, frame, set(keep))
        frame = _pseudonymise(frame, key)
        sort = [c for c in (spec(name).names[0], "client_id") if c in frame]
        frame = frame.sort_values(sort, kind="stable").reset_index(drop=True)
        for suffix in (".csv", ".parquet"):
            (folder / f"{name}{suffix}").unlink(missing_ok=True)
        write_table(frame, folder / name, fmt)
        rows[name] = len(frame)
    qis = tuple(gen.frame.columns)
    settings = {
        "k": k,
        "l": l,
        "dates": dates,
        "intervals": intervals,
        "max_shift_days": max_shift_days,
        "keep": keep,
        "items": items,
    }
    report = disclosure_report(gen, cell_sizes(clients, list(qis)), original, settings, outcomes)
    safe_cells(report).to_csv(folder / "disclosure_report.csv", index=False, lineterminator="\n")
    write_readme(folder, fmt, settings, gen, rows, FREE_TEXT)
    return ResearchExport(
        folder,
        rows,
        report,
        k,
        gen.smallest_cell,
        l,
        gen.smallest_diversity,
        gen.generalised,
        gen.suppressed,
        qis,
    )
