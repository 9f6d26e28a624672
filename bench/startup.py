"""What a user waits for: `dwsearch search` end to end, against Python's own floor.

    python bench/startup.py [--runs 20]

Medians of wall time over RUNS runs each, on the bundled corpus (its index built first).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    dwsearch = shutil.which("dwsearch") or sys.exit("dwsearch is not installed")
    query = [dwsearch, "search", "artificial intelligence", "--year", "2018"]
    subprocess.run(query, capture_output=True, check=False)  # first use builds the index
    rows = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("python -c 'import whoosh.index'", [sys.executable, "-c", "import whoosh.index"]),
        ("dwsearch search (bundled corpus)", query),
    ]
    floor = None
    for name, command in rows:
        seconds = median_seconds(command, args.runs)
        if "whoosh" in name:
            floor = seconds
        ratio = f"  {seconds / floor:.2f}x the whoosh floor" if floor and "dwsearch" in name else ""
        print(f"{name:<36} {seconds * 1000:7.1f} ms{ratio}")


if __name__ == "__main__":
    main()
