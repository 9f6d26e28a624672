"""`dwsearch serve` under load, beside the same queries in process.

    python bench/serve.py [--pages 2500] [--queries 240] [--seconds 10] [--json]
                          [--workdir DIR] [--clients 1,8,32]

Generates the benchmark's synthetic pages (bench/synthetic.py) and builds them, then
runs bench/run.py's query mix (every query counts facets and highlights its top 10):

- in process, on one thread, through `api.Service`, as the server's threads do;
- over HTTP against `dwsearch serve` on loopback, from 1, 8 and 32 clients that each
  send their next request as soon as the last is answered (keep-alive connections, a
  small asyncio load generator in this process, bounded by --seconds per level);
- from 8 clients while a full `dwsearch build --rebuild` of the same index runs.

A failed request is any answer but 200 with a whole JSON body, or a broken connection.
The load generator shares the machine with the server: on 2 cores it takes part of one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from dwsearch.search.settings import SearchOptions

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import _percentile, query_mix  # noqa: E402
from synthetic import write_pages  # noqa: E402

LOOPBACK = "127.0.0.1"
MAX_REQUESTS_PER_LEVEL = 200_000  # a bound besides time, whatever the machine's speed
WARM_UP_ROUNDS = 3  # times through the mix before measuring


def query_path(text: str, filters: dict[str, Any]) -> str:
    """The /api/search address of one query of the mix."""
    params: list[tuple[str, str]] = [("q", text), ("limit", "10")]
    if "type" in filters:
        params.append(("type", filters["type"]))
    if "topic" in filters:
        params.append(("topic", filters["topic"]))
    if "years" in filters:
        first, last = filters["years"]
        params.append(("year", f"{first}..{last}"))
    return "/api/search?" + urlencode(params)


# ----------------------------------------------------------------- in process
def in_process(index: Path, mix: list[tuple[str, dict[str, Any]]], seconds: float) -> dict:
    """The mix on one thread through api.Service, warmed as a running server would be."""
    from dwsearch.app.api import Filters, Service

    service = Service(index)

    def search(text: str, filters: dict[str, Any]) -> None:
        chosen = Filters(
            types=[filters["type"]] if "type" in filters else [],
            topics=[filters["topic"]] if "topic" in filters else [],
            years=[filters["years"]] if "years" in filters else [],
        )
        service.search(text, chosen, SearchOptions(limit=10))

    for text, filters in mix:
        search(text, filters)
    times: list[float] = []
    started, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        for text, filters in mix:
            began = time.perf_counter()
            search(text, filters)
            times.append((time.perf_counter() - began) * 1000)
    elapsed = time.perf_counter() - started
    summary = _summary(times, elapsed, failed=0)
    summary["cpu_ms"] = (time.process_time() - cpu) * 1000 / len(times)
    service.session().close()
    return summary


def _summary(times: list[float], elapsed: float, failed: int) -> dict[str, Any]:
    return {
        "requests": len(times) + failed,
        "per_second": len(times) / elapsed if elapsed else 0.0,
        "p50_ms": _percentile(times, 50) if times else 0.0,
        "p95_ms": _percentile(times, 95) if times else 0.0,
        "p99_ms": _percentile(times, 99) if times else 0.0,
        "failed": failed,
    }


# --------------------------------------------------------------- over HTTP
class Load:
    """Closed-loop clients on keep-alive connections, each sending its next request when
    the last is answered; stops at a deadline or a request count, whichever comes first."""

    def __init__(self, port: int, paths: list[str]) -> None:
        self.port = port
        self.paths = paths
        self.times: list[float] = []
        self.failed = 0
        self.failures: list[str] = []

    async def _client(
        self, number: int, deadline: float, budget: list[int], done: Callable[[], bool]
    ) -> None:
        connection = None
        turn = number * 37  # clients start at different places in the mix
        while time.perf_counter() < deadline and budget[0] > 0 and not done():
            budget[0] -= 1
            path = self.paths[turn % len(self.paths)]
            turn += 1
            began = time.perf_counter()
            try:
                if connection is None:
                    connection = await asyncio.open_connection(LOOPBACK, self.port)
                status, body = await _get(*connection, path)
                json.loads(body)
                if status != 200:
                    raise ValueError(f"HTTP {status}: {body[:200]!r}")
            except (OSError, ValueError, asyncio.IncompleteReadError) as error:
                self.failed += 1
                self.failures.append(f"{path}: {type(error).__name__}: {error}"[:300])
                if connection is not None:
                    connection[1].close()
                connection = None
                continue
            self.times.append((time.perf_counter() - began) * 1000)
        if connection is not None:
            connection[1].close()

    async def _run(self, clients: int, seconds: float, done: Callable[[], bool]) -> float:
        deadline = time.perf_counter() + seconds
        budget = [MAX_REQUESTS_PER_LEVEL]
        started = time.perf_counter()
        await asyncio.gather(*(self._client(n, deadline, budget, done) for n in range(clients)))
        return time.perf_counter() - started

    def run(
        self, clients: int, seconds: float, done: Callable[[], bool] = lambda: False
    ) -> dict[str, Any]:
        """Load from `clients` for `seconds` at most, or until `done()`."""
        elapsed = asyncio.run(self._run(clients, seconds, done))
        return _summary(self.times, elapsed, self.failed)


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str
) -> tuple[int, bytes]:
    """One GET on a kept-alive HTTP/1.1 connection: the status and the body."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\n\r\n".encode())
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection")
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


class Server:
    """`dwsearch serve` in a child process, on a free loopback port."""

    def __init__(self, index: Path, workers: int) -> None:
        command = [sys.executable, "-m", "dwsearch.app", "serve", "--index", str(index)]
        command += ["--host", LOOPBACK, "--port", "0", "--workers", str(workers)]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        assert self.process.stderr is not None
        for line in self.process.stderr:
            found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if found:
                self.port = int(found.group(1))
                break
        else:
            raise RuntimeError(f"dwsearch serve did not start (exit {self.process.wait()})")
        # Keep reading its stderr so a chatty server never blocks on a full pipe.
        self.log: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def cpu_seconds(self) -> float:
        """CPU time the server has used so far, its worker processes included (NaN
        without psutil, which the bench extra brings)."""
        try:
            import psutil
        except ImportError:
            return math.nan
        parent = psutil.Process(self.process.pid)
        total = 0.0
        for process in [parent, *parent.children(recursive=True)]:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
        return total

    def loaded(self, clients: int, paths: list[str], seconds: float) -> dict[str, Any]:
        """One level of load, with the server's CPU time per answered request."""
        cpu = self.cpu_seconds()
        summary = Load(self.port, paths).run(clients, seconds)
        answered = summary["requests"] - summary["failed"]
        summary["cpu_ms"] = (self.cpu_seconds() - cpu) * 1000 / max(1, answered)
        return summary

    def rss_mb(self) -> float:
        """Resident memory of the server's processes, summed (NaN without psutil)."""
        try:
            import psutil
        except ImportError:
            return math.nan
        parent = psutil.Process(self.process.pid)
        total = 0
        for process in [parent, *parent.children(recursive=True)]:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        return total / 2**20

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# --------------------------------------------------------------------- main
def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    from dwsearch.app.api import IndexProblem, build, open_index

    pages, index = workdir / "pages", workdir / "index"
    if not pages.exists():
        write_pages(pages, args.pages)
    try:
        open_index(index)  # a --workdir's index, kept from an earlier run
    except IndexProblem:
        build([pages], index=index, rebuild=True)
    mix = query_mix(pages, args.queries)
    paths = [query_path(text, filters) for text, filters in mix]
    results: dict[str, Any] = {
        "pages": args.pages,
        "queries": len(mix),
        "cores": os.cpu_count(),
        "workers": args.workers,
    }
    results["in_process"] = in_process(index, mix, args.seconds)

    server = Server(index, args.workers)
    try:
        # Warm every worker's session as the in-process run is warmed: the whole mix, on
        # enough connections that each worker process takes some.
        warm = Load(server.port, paths)
        warm.run(4, 60, done=lambda: len(warm.times) >= WARM_UP_ROUNDS * len(paths))
        results["http"] = {}
        for clients in args.clients:
            results["http"][str(clients)] = server.loaded(clients, paths, args.seconds)
        results["server_rss_mb"] = server.rss_mb()
        if args.rebuild:
            results["during_rebuild"] = _during_rebuild(server.port, paths, index)
    finally:
        server.stop()
    return results


def _during_rebuild(port: int, paths: list[str], index: Path) -> dict[str, Any]:
    """8 clients for as long as a full rebuild of the index takes, and 2 s after it is
    published, so requests cross over to the new generation."""
    rebuild = [sys.executable, "-m", "dwsearch.app", "build", "--rebuild", "--index", str(index)]
    box: dict[str, Any] = {}

    def build_now() -> None:
        started = time.perf_counter()
        done = subprocess.run(rebuild, capture_output=True, text=True, check=False)
        box["build_seconds"] = time.perf_counter() - started
        box["build_exit"] = done.returncode
        box["finished"] = time.perf_counter()

    builder = threading.Thread(target=build_now)
    builder.start()
    load = Load(port, paths)
    summary = load.run(8, 600, done=lambda: time.perf_counter() > box.get("finished", 1e18) + 2)
    builder.join()
    box.pop("finished", None)
    summary.update(box)
    summary["failures"] = load.failures[:5]
    return summary


def print_table(r: dict[str, Any]) -> None:
    base = r["in_process"]["per_second"]
    print(
        f"## dwsearch serve --workers {r['workers']}: {r['pages']} pages, {r['queries']} "
        f"queries, {r['cores']} cores\n"
    )
    print(
        "| clients | requests | requests/s | p50 ms | p95 ms | p99 ms | failed "
        "| vs in process | server CPU ms/request |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    x = r["in_process"]
    print(
        f"| in process, 1 thread | {x['requests']} | {x['per_second']:.0f} | {x['p50_ms']:.1f} "
        f"| {x['p95_ms']:.1f} | {x['p99_ms']:.1f} | {x['failed']} | 100% | {x['cpu_ms']:.2f} |"
    )
    rows = [(f"{n} over HTTP", x) for n, x in r["http"].items()]
    if "during_rebuild" in r:
        rows.append(("8 during a full rebuild", r["during_rebuild"]))
    for name, x in rows:
        print(
            f"| {name} | {x['requests']} | {x['per_second']:.0f} | {x['p50_ms']:.1f} "
            f"| {x['p95_ms']:.1f} | {x['p99_ms']:.1f} | {x['failed']} "
            f"| {x['per_second'] / base:.0%} | {x.get('cpu_ms', float('nan')):.2f} |"
        )
    print(f"\nserver memory after the load: {r['server_rss_mb']:.0f} MB resident, all processes")
    d = r.get("during_rebuild", {})
    print(f"\nrebuild: {d.get('build_seconds', 0):.1f} s, exit {d.get('build_exit')}")
    for failure in d.get("failures", []):
        print(f"  failed: {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2500)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--seconds", type=float, default=10.0, help="per level of load")
    parser.add_argument("--clients", default="1,8,32", help="levels of concurrency")
    parser.add_argument("--workers", type=int, default=2, help="dwsearch serve --workers")
    parser.add_argument(
        "--no-rebuild", dest="rebuild", action="store_false", help="skip the rebuild level"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--workdir", type=Path, help="keep the pages and index here, and reuse")
    args = parser.parse_args()
    args.clients = [int(n) for n in args.clients.split(",")]
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        results = measure(args, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="dwsearch-serve-") as folder:
            results = measure(args, Path(folder))
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
