"""Plan a month's reports: one :class:`Job` per report, each with the hash of its inputs.

A job is a kind (``client`` or ``monthly``), a notebook, the parameters papermill injects and
the output paths (relative to the batch folder). Its :attr:`Job.key` hashes everything the
report depends on: the notebook file, the package version, the parameters (the dataset
location left out, so a moved folder is not "changed") and the rows of the tables that belong
to the report's clients. A rerun skips every job whose key and outputs are unchanged.

A client is *active* in a month when an episode of theirs overlaps the month (started on or
before its last day, not ended before its first) and they have at least one session row
dated in the month. Their report is as of the month's last day.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from therapy_outcomes import __version__
from therapy_outcomes.errors import ParameterError

__all__ = [
    "AUDIENCE_CHOICES",
    "DATA_TABLES",
    "Job",
    "active_clients",
    "client_hashes",
    "combined_hash",
    "file_sha256",
    "month_bounds",
    "plan_client_jobs",
    "plan_monthly_jobs",
]

#: ``--audience`` values and the report audiences each renders.
AUDIENCE_CHOICES = {
    "clinician": ("clinician",),
    "client": ("client",),
    "both": ("clinician", "client"),
}
#: Tables of a :class:`~therapy_outcomes.Dataset` whose rows belong to one client.
DATA_TABLES = (
    "clients",
    "sessions",
    "goals",
    "goal_ratings",
    "administrations",
    "answers",
    "homework",
    "events",
)
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Job:
    """One report of a batch.

    Attributes
    ----------
    job_id : str
        Unique in the batch, for example ``client/C000001/clinician``.
    kind : str
        ``client`` or a monthly kind (``monthly-service``, ``monthly-site``, ...).
    notebook : str
        Path of the notebook to run.
    parameters : dict
        Injected by papermill; ``data`` is the dataset location.
    outputs : dict
        ``html``, ``notebook`` and, with ``--pdf``, ``pdf``: paths relative to the batch folder.
    title, pdf_header : str
        Title of the page and header of every PDF page.
    inputs_hash : str
        Hash of the rows this report reads (see :func:`client_hashes`).
    """

    job_id: str
    kind: str
    notebook: str
    parameters: dict[str, Any]
    outputs: dict[str, str]
    title: str
    pdf_header: str = ""
    inputs_hash: str = ""
    notebook_hash: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        """Hash of the inputs: unchanged key and outputs present = nothing to render."""
        params = {k: v for k, v in self.parameters.items() if k != "data"}
        blob = json.dumps(
            {
                "kind": self.kind,
                "notebook": self.notebook_hash or file_sha256(self.notebook),
                "version": __version__,
                "parameters": params,
                "outputs": self.outputs,
                "inputs": self.inputs_hash,
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"; _ = p.write_bytes(b"")
    >>> file_sha256(p)[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of ``YYYY-MM``, or a one-line :class:`ParameterError`.

    Examples
    --------
    >>> [d.date().isoformat() for d in month_bounds("2026-02")]
    ['2026-02-01', '2026-02-28']
    """
    match = _MONTH.fullmatch(str(month).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ParameterError(f"month '{month}' is not a month (expected YYYY-MM)")
    first = pd.Timestamp(int(match.group(1)), int(match.group(2)), 1)
    return first, first + pd.offsets.MonthEnd(0)


def active_clients(ds: Any, month: str) -> list[str]:
    """Clients with an episode overlapping ``month`` and a session row dated in it, sorted.

    Examples
    --------
    >>> import tempfile
    >>> import therapy_outcomes as to
    >>> from therapy_outcomes.demo import write_demo_clinic
    >>> folder = tempfile.mkdtemp(); _ = write_demo_clinic(folder, n_clients=30, seed=7)
    >>> ds = to.load(folder, as_of="2026-10-31")
    >>> len(active_clients(ds, "2026-10")) > 0
    True
    """
    first, last = month_bounds(month)
    clients = ds.clients
    start = clients["episode_start"].fillna(clients["referred_on"])
    end = clients["episode_end"]
    overlaps = (start <= last) & (end.isna() | (end >= first))
    sessions = ds.sessions
    in_month = sessions[(sessions["session_on"] >= first) & (sessions["session_on"] <= last)]
    spans = clients.loc[overlaps, ["client_id"]].assign(start=start[overlaps], end=end[overlaps])
    merged = in_month.merge(spans, on="client_id")
    inside = (merged["session_on"] >= merged["start"]) & (
        merged["end"].isna() | (merged["session_on"] <= merged["end"])
    )
    return sorted(str(c) for c in merged.loc[inside, "client_id"].unique())


def client_hashes(ds: Any, tables: tuple[str, ...] = DATA_TABLES) -> dict[str, str]:
    """SHA-256 per client of that client's rows in every table (columns and values).

    Rows are hashed with :func:`pandas.util.hash_pandas_object` in the table's order, so a
    changed, added or removed row of a client changes that client's hash only.
    """
    digests: dict[str, Any] = {}
    for name in tables:
        frame = getattr(ds, name, None)
        if frame is None or "client_id" not in frame or frame.empty:
            continue
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        header = (name + "\x1f" + "\x1f".join(map(str, frame.columns))).encode()
        ids = frame["client_id"].astype(str).to_numpy()
        order = np.argsort(ids, kind="stable")
        ids, rows = ids[order], rows[order]
        cuts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
        for chunk_ids, chunk in zip(np.split(ids, cuts), np.split(rows, cuts), strict=True):
            h = digests.setdefault(chunk_ids[0], hashlib.sha256())
            h.update(header)
            h.update(chunk.tobytes())
    return {client: h.hexdigest() for client, h in digests.items()}


def combined_hash(hashes: dict[str, str], clients: list[str] | None = None) -> str:
    """One hash of several clients' hashes (all clients when ``clients`` is None)."""
    h = hashlib.sha256()
    for client in sorted(hashes if clients is None else clients):
        h.update(f"{client}={hashes.get(client, '')};".encode())
    return h.hexdigest()


def plan_client_jobs(
    ds: Any,
    *,
    data: str,
    month: str,
    audiences: tuple[str, ...],
    notebook: str | Path,
    pdf: bool = False,
    hashes: dict[str, str] | None = None,
) -> list[Job]:
    """One client-report job per active client and audience.

    Outputs follow :func:`therapy_outcomes.client_report.render.client_report_path`:
    ``clients/<id>/<as_of>-<audience>.html`` with the notebook (and PDF) beside it.
    """
    from therapy_outcomes.client_report.render import client_report_path

    _, last = month_bounds(month)
    hashes = client_hashes(ds) if hashes is None else hashes
    nb_hash = file_sha256(notebook)
    jobs = []
    for client_id in active_clients(ds, month):
        for audience in audiences:
            html = client_report_path(".", client_id, last, audience)
            outputs = {"html": html.as_posix(), "notebook": html.with_suffix(".ipynb").as_posix()}
            if pdf:
                outputs["pdf"] = html.with_suffix(".pdf").as_posix()
            jobs.append(
                Job(
                    job_id=f"client/{client_id}/{audience}",
                    kind="client",
                    notebook=str(notebook),
                    parameters={
                        "data": data,
                        "client_id": client_id,
                        "as_of": last.date().isoformat(),
                        "audience": audience,
                    },
                    outputs=outputs,
                    title=f"Progress report {client_id}",
                    pdf_header=(
                        f"Client {client_id} \u00b7 {audience} version \u00b7 as of {last.date()}"
                    ),
                    inputs_hash=hashes.get(client_id, ""),
                    notebook_hash=nb_hash,
                )
            )
    return jobs


def plan_monthly_jobs(
    ds: Any,
    *,
    data: str,
    month: str,
    notebook: str | Path,
    pdf: bool = False,
    hashes: dict[str, str] | None = None,
) -> list[Job]:
    """The monthly summary for the service, each site and each therapist (service version).

    Sites and therapists are those of clients with an episode overlapping the month. Nothing
    is planned when the monthly notebook or :mod:`therapy_outcomes.monthly_report` is missing.
    """
    if not Path(notebook).is_file():
        return []
    try:
        from therapy_outcomes.monthly_report.render import monthly_report_path, monthly_scope
    except ImportError:  # pragma: no cover - the monthly report is not installed
        return []
    first, last = month_bounds(month)
    clients = ds.clients
    start = clients["episode_start"].fillna(clients["referred_on"])
    end = clients["episode_end"]
    open_in_month = clients[(start <= last) & (end.isna() | (end >= first))]
    hashes = client_hashes(ds) if hashes is None else hashes
    nb_hash = file_sha256(notebook)
    scopes: list[tuple[str, str | None, str | None, list[str] | None]] = [
        ("monthly-service", None, None, None)
    ]
    for column, kind in (("site", "monthly-site"), ("therapist_id", "monthly-therapist")):
        if column not in clients:
            continue
        for value in sorted(open_in_month[column].dropna().astype(str).unique()):
            members = clients.loc[clients[column].astype(str) == value, "client_id"]
            site, therapist = (value, None) if column == "site" else (None, value)
            scopes.append((kind, site, therapist, sorted(members.astype(str))))
    jobs = []
    for kind, site, therapist, members in scopes:
        html = monthly_report_path(".", month, site, therapist, "service")
        scope = monthly_scope(site, therapist)
        outputs = {"html": html.as_posix(), "notebook": html.with_suffix(".ipynb").as_posix()}
        if pdf:
            outputs["pdf"] = html.with_suffix(".pdf").as_posix()
        jobs.append(
            Job(
                job_id=f"monthly/{scope}",
                kind=kind,
                notebook=str(notebook),
                parameters={
                    "data": data,
                    "month": month,
                    "site": site,
                    "therapist": therapist,
                    "audience": "service",
                    "min_cell": 5,
                },
                outputs=outputs,
                title=f"Monthly summary {month} ({scope})",
                pdf_header=f"Monthly summary {month} \u00b7 {scope} \u00b7 service version",
                inputs_hash=combined_hash(hashes, members),
                notebook_hash=nb_hash,
            )
        )
    return jobs
