"""Benchmark: load + validate + score a large demo clinic against a plain pyarrow read.

Generates the demo clinic with 100,000 clients (about a million item-level administrations)
under ``benchmarks/out/`` when missing, then times, each in a fresh process:

- the floor: ``pyarrow.csv.read_csv`` of every table file (multi-threaded, types inferred);
- ``therapy_outcomes.load`` (read as text, parse, validate every row, check references, tidy
  the items and score every administration).

Prints both times, their ratio (target: at most 3) and each process's peak memory (target:
under 4 GB). Usage: ``python benchmarks/load_validate_score.py [--clients N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FLOOR = """
import json, resource, sys, time
from pathlib import Path
import pyarrow.csv as pacsv
folder = Path(sys.argv[1])
start = time.perf_counter()
rows = sum(pacsv.read_csv(p).num_rows for p in sorted(folder.glob("*.csv")))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak}))
"""

LOAD = """
import json, resource, sys, time
from therapy_outcomes import load  # imports happen before the clock starts, as for the floor
from therapy_outcomes.instruments import default_registry
default_registry()
start = time.perf_counter()
ds = load(sys.argv[1], as_of="2026-10-31")
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rows": int(ds.counts["read"].sum()),
                  "rejected": ds.n_rejected, "administrations": len(ds.scores),
                  "peak_mb": peak}))
"""


def _run(code: str, folder: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, str(folder)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = HERE / "out" / f"demo_{args.clients}"
    if not (folder / "clients.csv").exists():
        from therapy_outcomes.demo import write_demo_clinic

        start = time.perf_counter()
        counts = write_demo_clinic(folder, n_clients=args.clients, seed=11, as_of="2026-10-31")
        print(f"generated {counts} in {time.perf_counter() - start:.1f} s")
    floor = min((_run(FLOOR, folder) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    load = min((_run(LOAD, folder) for _ in range(args.repeat)), key=lambda r: r["seconds"])
    ratio = load["seconds"] / floor["seconds"]
    print(
        f"rows read:          {floor['rows']:,} (load: {load['rows']:,}, "
        f"rejected {load['rejected']:,}, administrations scored {load['administrations']:,})"
    )
    print(f"pyarrow read only:  {floor['seconds']:.2f} s, peak {floor['peak_mb']:.0f} MB")
    print(f"load+validate+score:{load['seconds']:.2f} s, peak {load['peak_mb']:.0f} MB")
    print(f"ratio load / pyarrow: {ratio:.2f} (target <= 3)")
    print(f"peak memory of load: {load['peak_mb'] / 1024:.2f} GB (target < 4 GB)")


if __name__ == "__main__":
    main()
