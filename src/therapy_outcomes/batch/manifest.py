"""What a batch rendered: a journal to resume from, ``manifest.csv`` and ``index.html``.

Every finished job is appended to ``OUT/.batch-journal.jsonl`` (flushed to disk) after its
files were written, so a batch killed half-way knows, on the next run, which reports are
done: a job is skipped when its last journal entry succeeded with the same input key and all
its files exist. ``manifest.csv`` has one row per report of the month (kind, parameters,
status, seconds, outputs, error) and ``index.html`` lists them with links; both are rewritten
atomically at the end of every run (also an interrupted one).

Examples
--------
>>> import tempfile, pathlib
>>> journal = Journal(pathlib.Path(tempfile.mkdtemp()))
>>> journal.append({"job_id": "client/C1/client", "key": "k", "status": "rendered"})
>>> journal.load()["client/C1/client"]["key"]
'k'
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from therapy_outcomes.export.spreadsheet import safe_row
from therapy_outcomes.rendering.paths import atomic_write

__all__ = ["JOURNAL_NAME", "MANIFEST_COLUMNS", "Journal", "write_index", "write_manifest"]

JOURNAL_NAME = ".batch-journal.jsonl"
MANIFEST_COLUMNS = (
    "job_id",
    "kind",
    "parameters",
    "status",
    "seconds",
    "html",
    "notebook",
    "pdf",
    "error",
    "key",
)
#: Statuses of a row: done now, done before (inputs unchanged), failed, not run (interrupted).
STATUSES = ("rendered", "skipped", "failed", "pending")
_DONE = ("rendered", "skipped")


class Journal:
    """Append-only record of finished jobs in a batch folder."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / JOURNAL_NAME

    def load(self) -> dict[str, dict[str, Any]]:
        """The last entry of every job (a torn last line from a kill is ignored)."""
        entries: dict[str, dict[str, Any]] = {}
        if not self.path.is_file():
            return entries
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and "job_id" in entry:
                entries[entry["job_id"]] = entry
        return entries

    def append(self, entry: dict[str, Any]) -> None:
        """Add one entry and flush it to disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def compact(self, entries: Iterable[dict[str, Any]]) -> None:
        """Rewrite the journal with one entry per job (atomically)."""
        text = "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries)
        atomic_write(self.path, text)

    @staticmethod
    def is_done(entry: dict[str, Any] | None, key: str, out: Path, outputs: dict[str, str]) -> bool:
        """True when ``entry`` succeeded with input key ``key`` and every output exists."""
        return (
            entry is not None
            and entry.get("status") in _DONE
            and entry.get("key") == key
            and all((out / rel).is_file() for rel in outputs.values())
        )


def write_manifest(out: Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``OUT/manifest.csv`` (:data:`MANIFEST_COLUMNS`), atomically; cells are safe to open
    in a spreadsheet (:func:`~therapy_outcomes.export.spreadsheet.safe_row`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        cells = {k: ("" if row.get(k) is None else row.get(k)) for k in MANIFEST_COLUMNS}
        writer.writerow(safe_row(cells))
    return atomic_write(Path(out) / "manifest.csv", buffer.getvalue())


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:2rem;
color:#1f2933;max-width:72rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;
border-bottom:1px solid #d9e2ec;font-size:.9rem;vertical-align:top}
.rendered,.skipped{color:#1b6e3a}.failed{color:#b42318;font-weight:600}.pending{color:#8a6d00}
.err{color:#b42318;font-size:.8rem}
"""


def write_index(out: Path, rows: list[dict[str, Any]], *, title: str) -> Path:
    """Write ``OUT/index.html``: every report with its status and a relative link (offline)."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts) or "no reports"
    body = []
    for row in rows:
        link = html.escape(row["job_id"])
        if row["status"] in _DONE and row.get("html"):
            link = f'<a href="{html.escape(row["html"], quote=True)}">{link}</a>'
        extra = ""
        if row.get("pdf") and row["status"] in _DONE:
            extra = f' (<a href="{html.escape(row["pdf"], quote=True)}">PDF</a>)'
        error = f'<div class="err">{html.escape(row["error"])}</div>' if row.get("error") else ""
        seconds = f"{float(row['seconds']):.1f}" if row.get("seconds") not in (None, "") else ""
        body.append(
            f"<tr><td>{html.escape(row['kind'])}</td><td>{link}{extra}{error}</td>"
            f'<td class="{row["status"]}">{row["status"]}</td><td>{seconds}</td></tr>'
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body><h1>{html.escape(title)}</h1><p>{html.escape(summary)}</p>
<table><thead><tr><th>Kind</th><th>Report</th><th>Status</th><th>Seconds</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table></body></html>
"""
    return atomic_write(Path(out) / "index.html", page)
