"""dwsearch at observatory scale, beside SQLite FTS5, tantivy and bare Whoosh.

    python bench/run.py --pages N [--json] [--queries 240] [--workdir DIR]
                        [--whoosh-max-pages 2500] [--baseline-seconds 120]

Generates N synthetic pages (bench/synthetic.py), then measures ingestion, build
(time, chunks/s, peak RSS, size on disk), a one-page incremental update, in-process
query latency over a fixed mix (facet counts and top-10 highlights on every query),
the time to open the index (what each search from the shell does first),
`dwsearch search` end to end (alone, and with a `dwsearch serve` of the index up),
and the floors `python -c pass` and
`python -c "import whoosh.index"`. Builds run in child processes, so each peak RSS is
that build's own. 2,500 pages make about 100,000 chunks; 25,000 about a million, where
bare Whoosh is left out (it would take hours). The engines' queries take turns, a round
of the mix each, so that all meet the machine alike (see `taking_turns`). A baseline's
queries stop after `--baseline-seconds` of its own (at 25,000 pages SQLite FTS5 takes
seconds a query), at the end of a round of the mix, so every kind keeps its share; the
table says how many ran.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dwsearch.lexicon import stop_words
from dwsearch.search.settings import SearchOptions

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from baselines import (  # noqa: E402
    FTS5Searcher,
    TantivySearcher,
    WhooshSearcher,
    fts5_build,
    tantivy_build,
    whoosh_build,
)
from synthetic import COMMON, TAXONOMY_PHRASES, write_pages  # noqa: E402

END_TO_END_RUNS = 20  # --runs changes it


# ------------------------------------------------------------- child processes
class TreeMemory:
    """Samples the resident memory of this process and all its children, summed."""

    def __init__(self) -> None:
        import threading

        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        me = psutil.Process()
        while not self._stop.wait(0.05):
            try:
                processes = [me, *me.children(recursive=True)]
                total = sum(p.memory_info().rss for p in processes)
            except psutil.Error:
                continue
            self.peak = max(self.peak, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def _child(kind: str, source: str, target: str) -> None:
    """Run one build in this process and report its time and peak memory as JSON.

    peak_rss_mb is this process's own peak; tree_rss_mb samples it together with any
    worker processes, summed, which is what a parallel build costs the machine.
    """
    memory = TreeMemory()
    started = time.perf_counter()
    if kind == "dwsearch":
        from dwsearch.app.api import build

        report = build([source], index=target)
        count = report.chunks
    elif kind == "whoosh":
        count = whoosh_build(Path(source), Path(target))
    elif kind == "tantivy":
        count = tantivy_build(Path(source), Path(target))
    else:
        count = fts5_build(Path(source), Path(target))
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tree_mb = max(memory.stop(), peak_kb / 1024)
    print(
        json.dumps(
            {"seconds": seconds, "chunks": count, "peak_rss_mb": peak_kb / 1024,
             "tree_rss_mb": tree_mb}
        )
    )  # fmt: skip


def run_child(kind: str, source: Path, target: Path) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(source), str(target)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def live_generation(index: Path) -> Path:
    return index / (index / "CURRENT").read_text().strip()


# ------------------------------------------------------------------ query mix
KINDS = ("1 word", "1 word", "2 words", "3 words", "phrase", "typo", "prefix")


def query_mix(pages: Path, count: int, seed: int = 7) -> list[tuple[str, dict[str, Any]]]:
    """A fixed mix: 1–3 words, phrases, typos, prefixes; a third with facet filters."""
    rng = random.Random(seed)
    vocabulary = [w for w in COMMON[40:] if len(w) > 3] + [
        p for p in TAXONOMY_PHRASES if " " not in p
    ]
    sample = sorted(pages.glob("*.txt"))[:50]
    prose = [
        line for path in sample for line in path.read_text(encoding="utf-8").splitlines()
        if len(line.split()) > 40
    ]  # fmt: skip
    stop = stop_words()
    mix: list[tuple[str, dict[str, Any]]] = []
    for number in range(count):
        kind = number % len(KINDS)
        if kind in (0, 1):
            text = rng.choice(vocabulary)
        elif kind == 2:
            text = " ".join(rng.sample(vocabulary, 2))
        elif kind == 3:
            text = " ".join(rng.sample(vocabulary, 3))
        elif kind == 4:
            words = [w.strip(".,()") for w in rng.choice(prose).split()]
            start = rng.randrange(len(words) - 2)
            # Two words neither of which is a stop word: an index that drops stop words
            # reads "and the" as nothing and "the treaty" as one word, where one that
            # keeps them matches positions. The pair slides to the next such pair (from
            # the line's start again, past its end).
            pairs = len(words) - 1
            for step in range(pairs):
                at = (start + step) % pairs
                if not {w.lower() for w in words[at : at + 2]} & stop:
                    start = at
                    break
            text = f'"{words[start]} {words[start + 1]}"'
        elif kind == 5:
            word = rng.choice([w for w in vocabulary if len(w) >= 7])
            cut = rng.randrange(1, len(word) - 1)
            text = word[:cut] + word[cut + 1 :]  # one letter dropped
        else:
            text = rng.choice([w for w in vocabulary if len(w) >= 6])[:5] + "*"
        filters: dict[str, Any] = {}
        if number % 3 == 0:
            choice = rng.randrange(3)
            if choice == 0:
                filters["type"] = rng.choice(["event_report", "resource", "overview"])
            elif choice == 1:
                first = rng.randint(2005, 2020)
                filters["years"] = (first, first + rng.randint(0, 4))
            else:
                filters["topic"] = rng.choice(
                    ["cybersecurity", "artificial-intelligence", "digital-divide", "access"]
                )
        mix.append((text, filters))
    return mix


def _percentile(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# Queries each engine answers before it is timed, drawn apart from the timed mix.
WARM_QUERIES, WARM_SEED = 20, 8

# The mix cycles through the kinds of query, and filters every third: a prefix of whole
# rounds of this many queries keeps every kind's share.
ROUND = len(KINDS) * 3


def latencies(search, mix, warm=(), budget: float | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Latency percentiles over the mix, after the `warm` queries (others than the
    mix's, so that none is timed with its own answer at hand); past `budget` seconds, at
    the end of a round."""
    return taking_turns({"engine": (search, budget)}, mix, warm)["engine"]


def taking_turns(engines, mix, warm=()) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Each engine's `latencies`, the engines taking turns a round of the mix at a
    time, in an order that turns each round: each meets the machine as the others do.

    Run one after another, the first engine after the builds met a machine slowed by
    them (its queries about a tenth slower for a minute after two minutes of load on
    both cores, measured here), and each engine a different quarter of an hour. An
    engine with a budget (seconds of its own queries) stops at the end of a round past
    it; its warm-up stops past a quarter of it."""
    for search, budget in engines.values():  # warm caches, as a long-running process
        warmed_by = time.perf_counter() + budget / 4 if budget else None
        for text, filters in warm:
            search(text, filters)
            if warmed_by and time.perf_counter() > warmed_by:
                break
    names = list(engines)
    times: dict[str, list[float]] = {name: [] for name in names}
    found: dict[str, list[int]] = {name: [] for name in names}
    spent = dict.fromkeys(names, 0.0)
    for turn, start in enumerate(range(0, len(mix), ROUND)):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            search, budget = engines[name]
            if budget and times[name] and spent[name] > budget:
                continue
            for text, filters in mix[start : start + ROUND]:
                started = time.perf_counter()
                found[name].append(search(text, filters))
                took = time.perf_counter() - started
                spent[name] += took
                times[name].append(took * 1000)
    return {name: _latency_figures(times[name], found[name], mix) for name in names}


def _latency_figures(times: list[float], found: list[int], mix) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    by_kind: dict[str, list[float]] = {}
    found_by_kind: dict[str, list[int]] = {}
    for number, took in enumerate(times):
        kinds = [KINDS[number % len(KINDS)]] + (["with a filter"] if mix[number][1] else [])
        for kind in kinds:
            by_kind.setdefault(kind, []).append(took)
            found_by_kind.setdefault(kind, []).append(found[number])
    return {
        "p50_ms": _percentile(times, 50),
        "p95_ms": _percentile(times, 95),
        "p99_ms": _percentile(times, 99),
        "queries": len(times),
        "by_kind_p50_p95_ms": {
            kind: [_percentile(t, 50), _percentile(t, 95)] for kind, t in by_kind.items()
        },
        # A baseline that answers a kind of query with nothing has done none of the work.
        "by_kind_share_found": {
            kind: sum(1 for n in counts if n) / len(counts)
            for kind, counts in found_by_kind.items()
        },
    }


def dwsearch_searcher(index: Path, feedback: bool = False):  # type: ignore[no-untyped-def]
    from dwsearch.app.api import Filters
    from dwsearch.app.api import session as open_session

    session = open_session(index)

    def search(text: str, filters: dict[str, Any]) -> int:
        years = [filters["years"]] if "years" in filters else []
        chosen = Filters(
            types=[filters["type"]] if "type" in filters else [],
            topics=[filters["topic"]] if "topic" in filters else [],
            years=years,
        )
        return session.search(text, chosen, SearchOptions(limit=10, feedback=feedback)).total

    return session, search


def open_ms(index: Path) -> float:
    """The median time to open the index for searching, as every `dwsearch search` from
    the shell does first (its files checked against the manifest, Whoosh's opened)."""
    from dwsearch.app.api import open_index

    times = []
    for _ in range(END_TO_END_RUNS):
        started = time.perf_counter()
        open_index(index)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def compile_bytecode() -> None:
    """dwsearch's modules compiled, as `pip install` leaves them: an editable install
    under PYTHONDONTWRITEBYTECODE would otherwise compile them on every start."""
    import compileall
    import importlib.util

    for package in ("lexicon", "ingest", "index", "search", "app", "corpus"):
        spec = importlib.util.find_spec(f"dwsearch.{package}")
        for folder in (spec and spec.submodule_search_locations) or []:
            compileall.compile_dir(folder, quiet=1)


def median_wall(command: list[str], env: dict[str, str] | None = None) -> float:
    return median_walls({"": (command, env)})[""]


def median_walls(commands: dict[str, tuple[list[str], dict[str, str] | None]]) -> dict[str, float]:
    """Each command's median wall time in ms, the commands run in turn, round after
    round: a ratio between two of them (a search against its floors) then compares
    runs made a moment apart, not minutes apart while the machine's speed drifts."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(END_TO_END_RUNS):
        for name, (command, env) in commands.items():
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, check=False, env=env)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(found) * 1000 for name, found in times.items()}


# ------------------------------------------------------------------------ main
def measure(
    pages_count: int, workdir: Path, queries: int, whoosh_max: int, budget: float
) -> dict[str, Any]:
    from dwsearch.ingest.pages import chunk_paths, load_taxonomy

    compile_bytecode()  # before anything is timed: the update's child imports them too
    pages = workdir / "pages"
    write_pages(pages, pages_count)
    results: dict[str, Any] = {"pages": pages_count}

    load_taxonomy()
    chunks_file = workdir / "chunks.jsonl"
    count = 0
    started = time.perf_counter()
    with chunks_file.open("w", encoding="utf-8") as handle:  # streamed: a million chunks
        for chunk in chunk_paths([pages]):
            if hasattr(chunk, "to_dict"):
                handle.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
                count += 1
    seconds = time.perf_counter() - started
    results["ingest"] = {
        "seconds": seconds,
        "pages_per_s": pages_count / seconds,
        "chunks_per_s": count / seconds,
        "chunks": count,
        "with_writing_jsonl": True,
    }

    index = workdir / "dwsearch-index"
    build = run_child("dwsearch", pages, index)
    build["size_mb"] = size_mb(live_generation(index))
    build["chunks_per_s"] = build["chunks"] / build["seconds"]
    results["build"] = {"dwsearch": build}

    edited = sorted(pages.glob("*.txt"))[len(list(pages.glob("*.txt"))) // 2]
    edited.write_text(
        edited.read_text(encoding="utf-8").replace(
            "\n\n", "\n\nA new paragraph about spectrum policy and cybersecurity.\n\n", 1
        ),
        encoding="utf-8",
    )
    results["incremental"] = {"seconds": run_child("dwsearch", pages, index)["seconds"]}

    targets = {
        "fts5": (workdir / "fts5.db", FTS5Searcher),
        "tantivy": (workdir / "tantivy-index", TantivySearcher),
    }
    if pages_count <= whoosh_max:  # bare Whoosh takes hours past a few thousand pages
        targets["whoosh"] = (workdir / "whoosh-index", WhooshSearcher)
    for kind, (target, _) in targets.items():
        built = run_child(kind, chunks_file, target)
        built["size_mb"] = size_mb(target)
        built["chunks_per_s"] = built["chunks"] / built["seconds"]
        results["build"][kind] = built

    mix, warm = query_mix(pages, queries), query_mix(pages, WARM_QUERIES, seed=WARM_SEED)
    session, search = dwsearch_searcher(index)
    # The option, for its cost: a session of its own, so its caches are its own.
    feedback_session, feedback_search = dwsearch_searcher(index, feedback=True)
    searchers = {kind: searcher_class(target) for kind, (target, searcher_class) in targets.items()}
    engines = {"dwsearch": (search, None), "dwsearch --feedback": (feedback_search, None)}
    engines.update({kind: (searcher.search, budget) for kind, searcher in searchers.items()})
    results["query"] = taking_turns(engines, mix, warm)
    session.close()
    feedback_session.close()
    for searcher in searchers.values():
        searcher.close()

    dwsearch = shutil.which("dwsearch") or str(Path(sys.executable).with_name("dwsearch"))
    env = dict(os.environ, XDG_DATA_HOME=str(workdir / "xdg"))
    env.pop("DWSEARCH_INDEX", None)
    bundled = [dwsearch, "search", "artificial intelligence", "--year", "2018"]
    subprocess.run(bundled, capture_output=True, check=False, env=env)  # builds it once
    results["open_index_ms"] = open_ms(index)
    results["end_to_end_ms"] = median_walls(
        {
            "python -c pass": ([sys.executable, "-c", "pass"], None),
            "import whoosh.index": ([sys.executable, "-c", "import whoosh.index"], None),
            "dwsearch search, bundled corpus": (bundled, env),
            "dwsearch search, big index": (
                [dwsearch, "search", "cybersecurity policy", "--index", str(index)],
                env,
            ),
        }
    )
    with running_server(dwsearch, index, env):
        results["end_to_end_ms"]["dwsearch search, big index, serve running"] = median_wall(
            [dwsearch, "search", "cybersecurity policy", "--index", str(index)], env
        )
    return results


@contextlib.contextmanager
def running_server(dwsearch: str, index: Path, env: dict[str, str]) -> Iterator[None]:
    """A `dwsearch serve` of `index`, up (it has announced itself) until the block ends."""
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [dwsearch, "serve", "--index", str(index), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(index.glob(f".serve-{server.pid}.json")):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dwsearch serve did not start")
            time.sleep(0.1)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


def print_table(r: dict[str, Any]) -> None:
    b, q, e = r["build"], r["query"], r["end_to_end_ms"]
    d = b["dwsearch"]
    print(f"## dwsearch benchmark: {r['pages']} pages, {r['ingest']['chunks']} chunks\n")
    print(
        f"ingestion: {r['ingest']['seconds']:.1f} s, {r['ingest']['pages_per_s']:.0f} pages/s, "
        f"{r['ingest']['chunks_per_s']:.0f} chunks/s\n"
    )
    print("| build | seconds | chunks/s | peak RSS MB, all processes | size MB | dwsearch is |")
    print("|---|---|---|---|---|---|")
    systems = [kind for kind in ("dwsearch", "fts5", "tantivy", "whoosh") if kind in b]
    for kind in systems:
        x = b[kind]
        ratio = "" if kind == "dwsearch" else f"{d['chunks_per_s'] / x['chunks_per_s']:.2f}x"
        memory = x.get("tree_rss_mb", x["peak_rss_mb"])
        print(
            f"| {kind} | {x['seconds']:.1f} | {x['chunks_per_s']:.0f} | {memory:.0f} "
            f"| {x['size_mb']:.1f} | {ratio} |"
        )
    print(f"\nincremental update after editing 1 page: {r['incremental']['seconds']:.2f} s\n")
    print(
        f"\nsize on disk: dwsearch is {d['size_mb'] / b['fts5']['size_mb']:.2f}x FTS5's, "
        f"{d['size_mb'] / b['tantivy']['size_mb']:.2f}x tantivy's\n"
    )
    print(
        "| query (facets + top-10 highlights) | queries | p50 ms | p95 ms | p99 ms "
        "| dwsearch p95 is |"
    )
    print("|---|---|---|---|---|---|")
    for kind in [systems[0], *(k for k in q if k.startswith("dwsearch ")), *systems[1:]]:
        x = q[kind]
        ratio = "" if kind == "dwsearch" else f"{q['dwsearch']['p95_ms'] / x['p95_ms']:.2f}x"
        print(
            f"| {kind} | {x['queries']} | {x['p50_ms']:.1f} | {x['p95_ms']:.1f} "
            f"| {x['p99_ms']:.1f} | {ratio} |"
        )
    print("\np50 / p95 ms by kind of query, and the share of queries that found anything:\n")
    print("| kind | " + " | ".join(systems) + " |\n|---|" + "---|" * len(systems))
    for kind in q["dwsearch"]["by_kind_p50_p95_ms"]:
        cells = []
        for system in systems:
            p50, p95 = q[system]["by_kind_p50_p95_ms"].get(kind, (0.0, 0.0))
            share = q[system].get("by_kind_share_found", {}).get(kind, 0.0)
            cells.append(f"{p50:.1f} / {p95:.1f} ({share:.0%})")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    print(f"\nopening the index (median of {END_TO_END_RUNS}): {r['open_index_ms']:.1f} ms")
    floor = e["import whoosh.index"]
    print(f"\n| end to end (median of {END_TO_END_RUNS}) | ms | vs import whoosh.index |")
    print("|---|---|---|")
    for name, value in e.items():
        print(f"| {name} | {value:.0f} | {value / floor:.2f}x |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2500)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--workdir", type=Path, help="keep the pages and indexes here")
    parser.add_argument("--runs", type=int, default=END_TO_END_RUNS, help="end-to-end runs")
    parser.add_argument(
        "--whoosh-max-pages", type=int, default=2500, help="bare Whoosh only up to this size"
    )
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=120.0,
        help="each baseline's queries stop after this long (whole rounds of the mix)",
    )
    args = parser.parse_args()
    globals()["END_TO_END_RUNS"] = args.runs
    if args.workdir:
        shutil.rmtree(args.workdir, ignore_errors=True)
        args.workdir.mkdir(parents=True)
        results = measure(
            args.pages, args.workdir, args.queries, args.whoosh_max_pages, args.baseline_seconds
        )
    else:
        with tempfile.TemporaryDirectory(prefix="dwsearch-bench-") as folder:
            results = measure(
                args.pages, Path(folder), args.queries, args.whoosh_max_pages, args.baseline_seconds
            )
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
