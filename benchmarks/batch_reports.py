"""Batch rendering against the loop a user would write by hand, on the same machine and data.

For N demo clients active in October 2026 (default 200), times

- the batch: ``render_batch`` in a fresh Python process (warm kernels, ``--workers`` local
  processes, shared plotly.js, scrubbed offline HTML, manifest and index), and
- the hand-written loop: for each client ``papermill client_progress.ipynb ...`` and then
  ``jupyter nbconvert --to html`` on its output, one after the other,

and prints both times, the ratio and reports per minute. Not a timed test: run it by hand.

Usage::

    .venv/bin/python benchmarks/batch_reports.py [--clients N] [--workers W] [--keep DIR]

``--manual-sample K`` times the hand loop on K of the N clients only and scales its time to N
(say so when you quote the result); by default the loop runs for every client.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MONTH, AS_OF = "2026-10", "2026-10-31"
BIN = Path(sys.executable).parent


def demo_with_active(folder: Path, n: int) -> list[str]:
    """Write a demo clinic with at least ``n`` clients active in the month; the first ``n``."""
    import therapy_outcomes as to
    from therapy_outcomes.batch.jobs import active_clients
    from therapy_outcomes.demo import write_demo_clinic

    size = max(60, 6 * n)
    while True:
        if folder.exists():
            shutil.rmtree(folder)
        write_demo_clinic(folder, n_clients=size, seed=7, as_of=AS_OF)
        active = active_clients(to.load(folder, as_of=AS_OF), MONTH)
        if len(active) >= n:
            return active[:n]
        size *= 2


def run_batch(data: Path, out: Path, clients: list[str], workers: int) -> float:
    """Seconds for the batch in a new process (start-up included, as for the command)."""
    script = (
        "from therapy_outcomes.batch import render_batch\n"
        f"r = render_batch({str(data)!r}, {MONTH!r}, {str(out)!r}, workers={workers}, "
        f"clients={clients!r})\n"
        "assert not r.failed, r.failed[:3]\n"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], check=True)
    return time.perf_counter() - started


def run_by_hand(data: Path, out: Path, clients: list[str]) -> float:
    """Seconds for papermill then nbconvert per client, as a user's shell loop would."""
    from therapy_outcomes.client_report.render import CLIENT_NOTEBOOK
    from therapy_outcomes.rendering.paths import notebooks_folder

    notebook = notebooks_folder() / CLIENT_NOTEBOOK
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for client in clients:
        executed = out / f"{client}.ipynb"
        subprocess.run(
            [str(BIN / "papermill"), str(notebook), str(executed), "--no-progress-bar",
             "-p", "data", str(data), "-p", "client_id", client, "-p", "as_of", AS_OF,
             "-p", "audience", "clinician"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    """Run the comparison and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="reports to render (N)")
    parser.add_argument("--workers", type=int, default=None, help="batch workers (CPU count)")
    parser.add_argument("--manual-sample", type=int, default=None, help="time K hand runs")
    parser.add_argument("--keep", type=Path, default=None, help="keep outputs in this folder")
    args = parser.parse_args()
    import os

    workers = args.workers or os.cpu_count() or 1
    root = args.keep or Path(tempfile.mkdtemp(prefix="batch-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        clients = demo_with_active(root / "data", args.clients)
        n = len(clients)
        batch_s = run_batch(root / "data", root / "batch", clients, workers)
        sample = clients[: args.manual_sample] if args.manual_sample else clients
        hand_s = run_by_hand(root / "data", root / "by-hand", sample) * n / len(sample)
        scaled = f" (timed on {len(sample)}, scaled to {n})" if len(sample) < n else ""
        print(f"reports: {n} clinician reports, {workers} batch workers, {os.cpu_count()} CPUs")
        print(f"batch:   {batch_s:8.1f} s   {60 * n / batch_s:6.1f} reports/min")
        print(f"by hand: {hand_s:8.1f} s   {60 * n / hand_s:6.1f} reports/min{scaled}")
        print(f"ratio:   {hand_s / batch_s:8.1f}x faster")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
