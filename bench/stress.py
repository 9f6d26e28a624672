"""Stress: what a hostile corpus, a fuzzed query, a killed build and a damaged index do.

    python bench/stress.py [--queries 5000] [--kills 20] [--pages 250] [--json]
                           [--workdir DIR] [--seed 1]

Six parts, each counting its tries and its failures (the run exits 1 on any failure):

- queries: random queries (operators, quotes, wildcards, fields, ranges, accents,
  control characters, very long ones) through the Python API, and a sample through the
  real CLI. A failure is an exception other than a SearchError, or from the CLI an exit
  code outside 0/1/2, a traceback, or a line on stderr that is not one of dwsearch's
  (one per problem: a build names each bad file).
- files: hostile page files (a FIFO, links to /dev/zero and out of the folder, a file
  over the size cap, binary, empty, UTF-16 without a byte-order mark, names that are
  not UTF-8 or hold escape sequences, nesting 100,000 deep, entity bombs, 8,000
  paragraphs in one element) built and listed by the CLI under a time limit. A failure
  is a hang, a traceback, or a control character reaching the output.
- kills: parallel builds of `--pages` pages killed at random moments (SIGKILL, SIGTERM
  or SIGINT). A failure is a worker left running, a live index that no longer answers
  as it did, or a next build that does not complete.
- terms: builds of HTML pages TERMed at random while they read them (inside
  trafilatura, htmldate, lxml). A failure is an exit other than 143, a published
  generation, or a half-built one left behind.
- corruptions: each file of an index truncated, zeroed, bit-flipped and deleted in
  turn. A failure is a wrong answer, or a damaged index not mended by a plain build.
- large damage: random bytes flipped in one part (length columns, terms, postings,
  stored fields) of a segment over 4 MiB. A failure is a traceback, a wrong answer where
  the damage can be seen, or a damaged index not mended by a plain build.

A small slice of each part runs in the tests (tests/test_stress.py).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from dwsearch.search.settings import SearchOptions

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import write_pages  # noqa: E402

from dwsearch.app import api  # noqa: E402
from dwsearch.index.location import current_generation  # noqa: E402
from dwsearch.index.whoosh_internals import compound_parts  # noqa: E402
from dwsearch.search.errors import SearchError  # noqa: E402

CLI = [sys.executable, "-m", "dwsearch.app"]
TIME_LIMIT = 60.0
# The escape character and the bell: nothing from a page or a file name may print them.
_TERMINAL_CONTROLS = ("\x1b", "\x07", "\x9b")


@dataclass
class Part:
    """One part's tally."""

    tried: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.failures.append(what[:300])


def _run(args: list[str], timeout: float = TIME_LIMIT) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, timeout=timeout, check=False)


def _cli_failure(result: subprocess.CompletedProcess) -> str | None:
    """What is wrong with how a command ended, or None."""
    err = result.stderr.decode("utf-8", "replace")
    out = result.stdout.decode("utf-8", "replace")
    if result.returncode not in (0, 1, 2):
        return f"exit {result.returncode}: {err[-200:]}"
    if "Traceback" in err or "Traceback" in out:
        return f"traceback: {err[-300:]}"
    lines = err.splitlines()
    if result.returncode == 2 and not lines:
        return "exit 2 with nothing said"
    if any(not line.startswith("dwsearch: ") for line in lines):
        return f"a line on stderr that is not one of dwsearch's: {err[:200]}"
    if any(c in out or c in err for c in _TERMINAL_CONTROLS):
        return f"a control character reached the terminal: {out[:100]!r}"
    return None


# ------------------------------------------------------------------------- queries
_PIECES = [
    '"',
    "'",
    "*",
    "?",
    "-",
    "+",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "~",
    "^",
    "\\",
    "/",
    " OR ",
    " AND ",
    " NOT ",
    " TO ",
    "title:",
    "type:",
    "topic:",
    "sector:",
    "year:",
    "kind:",
    "basket:",
    "year:[2015 TO 2017]",
    "year:[2015 TO",
    "ITU-T",
    "e-commerce",
    "Genève",
    "İ",
    "ß",
    "ﬁ",
    "\u202e",
    "\x00",
    "\x1b[2J",
    "\x07",
    "٢٠١٨",
    "𝔸𝕀",
    "🙂",
    "AI",
    "WHO",
    "the",
    "a*",
    "**?*",
    "*a*",
    "i*",
    "cyber*",
    "privacy",
    "shield",
]


def _random_query(rng: random.Random) -> str:
    pieces = []
    for _ in range(rng.randint(0, 12)):
        roll = rng.random()
        if roll < 0.5:
            pieces.append(rng.choice(_PIECES))
        elif roll < 0.8:
            pieces.append("".join(rng.choices(string.ascii_letters, k=rng.randint(1, 12))))
        else:
            pieces.append(chr(rng.randint(1, 0x2FFF)))
        if rng.random() < 0.6:
            pieces.append(" ")
    text = "".join(pieces)
    return text * rng.randint(50, 400) if rng.random() < 0.02 else text


def fuzz_queries(index: Path, count: int, rng: random.Random, cli_share: float = 0.02) -> Part:
    part = Part()
    service = api.Service(index)
    kinds = [[], ["--type", "event_report"], ["--year", "2015..2018"], ["--sort", "newest"]]
    for _ in range(count):
        text = _random_query(rng)
        part.tried += 1
        filters = api.Filters(years=[(2015, 2018)]) if rng.random() < 0.2 else None
        try:
            service.search(
                text,
                filters,
                SearchOptions(limit=rng.choice([0, 1, 10, 50]), offset=rng.choice([0, 3])),
            )
        except SearchError:
            pass
        except Exception as error:  # any other is a failure, and worth its message
            part.fail(f"{text!r}: {type(error).__name__}: {error}")
        if rng.random() < cli_share:
            clean = text.replace("\x00", "")  # a command line cannot hold a NUL
            result = _run(["search", clean, *rng.choice(kinds), "--index", str(index)])
            problem = _cli_failure(result)
            if problem:
                part.fail(f"CLI {clean!r}: {problem}")
    return part


# ------------------------------------------------------------------------- files
def _hostile_folder(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "good.txt").write_text("Good actor\n\nA paragraph on privacy.\n", encoding="utf-8")
    os.mkfifo(folder / "fifo.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    outside = folder.parent / "outside.txt"
    outside.write_text("Outside\n\nSecret text.\n", encoding="utf-8")
    (folder / "out.txt").symlink_to(outside)
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    with (folder / "huge.txt").open("wb") as handle:
        handle.truncate(30 * 2**20)  # sparse, over the 20 MB cap
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "empty.html").write_bytes(b"")
    (folder / "utf16.txt").write_bytes("Actor sixteen\n\nText in UTF-16.\n".encode("utf-16-le"))
    (folder / os.fsdecode(b"name-\xff.txt")).write_text("Odd name\n\nText.\n", encoding="utf-8")
    (folder / "esc-\x1b[2J-\u202e.txt").write_text("Escape name\n\nText.\n", encoding="utf-8")
    (folder / "deep.html").write_text("<div>" * 100_000 + "deep" + "</div>" * 100_000)
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{n} "{"&lol;" * 10 if n == 1 else f"&lol{n - 1};" * 10}">'
            for n in range(1, 10)
        )
        + "]><html><body><p>&lol9;</p></body></html>"
    )
    (folder / "bomb.html").write_text(bomb)
    many = "<html><body><div>" + "<p>same words</p>" * 8000 + "</div></body></html>"
    (folder / "many.html").write_text(many)
    (folder / "escapes.html").write_text(
        "<html><body><main><h1>Escapes</h1><p>Text &#27;]52;c;ZXZpbA==&#7; and &#27;[2J "
        "and &#x9b;31m.</p></main></body></html>"
    )


def hostile_files(work: Path) -> Part:
    part = Part()
    folder = work / "hostile"
    _hostile_folder(folder)
    index = work / "hostile-index"
    for args in (
        ["build", str(folder), "--index", str(index)],
        ["build", "--index", str(index)],
        ["chunks", str(folder)],
        ["search", "text", "--index", str(index)],
        ["search", "escapes", "--color", "always", "--index", str(index)],
        ["search", "escapes", "--json", "--index", str(index)],
    ):
        part.tried += 1
        try:
            result = _run(args)
        except subprocess.TimeoutExpired:
            part.fail(f"{args[0]}: still running after {TIME_LIMIT:.0f} s")
            continue
        problem = _cli_failure(result)
        colour = "--color" in args
        if problem and not (colour and "control character" in problem):
            part.fail(f"{' '.join(args[:2])}: {problem}")
        if colour and "\x1b]52" in result.stdout.decode("utf-8", "replace"):
            part.fail("an OSC 52 sequence from a page reached the terminal")
    return part


# ------------------------------------------------------------------------- kills
def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (workers re-parented included, by their group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ours = int(fields[1]) == pid or int(fields[2]) == pid
        if fields[0] != "Z" and ours and int(entry.name) != pid:
            found.append(int(entry.name))
    return found


def random_kills(work: Path, pages: int, count: int, rng: random.Random) -> Part:
    part = Part()
    corpus = work / "kill-pages"
    if not corpus.exists():
        write_pages(corpus, pages)
    reference = work / "kill-reference"
    api.build([corpus], index=reference)
    whole = api.search("privacy", index=reference).total  # what a finished build gives
    index = work / "kill-index"
    api.build([corpus / "page-00000.txt"], index=index)
    before = api.search("privacy", index=index).total
    for _ in range(count):
        part.tried += 1
        process = subprocess.Popen(
            [*CLI, "build", "--rebuild", str(corpus), "--index", str(index)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.2, 3.0))
        how = rng.choice([signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
        try:
            if how == signal.SIGINT:
                os.killpg(process.pid, how)  # as a terminal sends it, to the whole group
            else:
                process.send_signal(how)
        except ProcessLookupError:
            pass
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            part.fail(f"{how.name}: the build did not end within 10 s")
            process.kill()
            process.communicate()
        deadline = time.time() + 5
        while descendants(process.pid) and time.time() < deadline:
            time.sleep(0.05)
        if descendants(process.pid):
            part.fail(f"{how.name}: workers left running: {descendants(process.pid)}")
            for pid in descendants(process.pid):
                os.kill(pid, signal.SIGKILL)
        try:
            found = api.search("privacy", index=index).total
        except Exception as error:
            part.fail(f"{how.name}: the index no longer answers: {error}")
            continue
        if found not in (before, whole):
            part.fail(f"{how.name}: {found} results; the index had {before}, a build gives {whole}")
        before = found
    report = api.build([corpus], index=index, rebuild=True)
    if not report.published or list(index.glob("building-*")):
        part.fail("the last build did not complete and tidy up")
    return part


# ------------------------------------------------------------------------- terms
# Fewer pages than a parallel build takes (200), so the process TERMed reads them itself.
TERM_PAGES = 150


def _html_pages(folder: Path, count: int) -> None:
    """HTML pages of five synthetic pages each, with no <main>: reading one runs htmldate
    and trafilatura, the calls that ingestion guards with `except Exception`."""
    text_pages = write_pages(folder.parent / f"{folder.name}-text", count * 5)
    for number in range(count):
        sections = []
        for path in text_pages[number * 5 : number * 5 + 5]:
            title, _, rest = path.read_text(encoding="utf-8").partition("\n")
            sections.append(f"<h2>{html.escape(title)}</h2>")
            for block in rest.split("\n\n"):
                lines = [html.escape(line) for line in block.strip().splitlines()]
                if len(lines) > 1:  # a list of items
                    sections.append("<ul>" + "".join(f"<li>{x}</li>" for x in lines) + "</ul>")
                elif lines:
                    sections.append(f"<p>{lines[0]}</p>")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"page-{number:05}.html").write_text(
            f"<html><head><title>Page {number}</title></head><body><header>Site</header>"
            f"<div><h1>Page {number}</h1>{''.join(sections)}</div></body></html>",
            encoding="utf-8",
        )


def terms_in_ingestion(work: Path, count: int, rng: random.Random, pages: int = TERM_PAGES) -> Part:
    """Builds of HTML pages sent SIGTERM at random while they read pages. A failure is an
    exit other than 143 with "dwsearch: terminated", a build that read on to its end (it
    then waits at the fault hook, so a swallowed SIGTERM is seen, never published), a
    half-built generation left, or a live index that changed."""
    part = Part()
    corpus = work / "term-pages"
    if not corpus.exists():
        _html_pages(corpus, pages)
    started = time.perf_counter()
    api.build([corpus], index=work / "term-reference")
    reading = time.perf_counter() - started  # about how long a build reads pages
    index = work / "term-index"
    api.build([corpus / "page-00000.html"], index=index)
    before = api.search("privacy", index=index).total
    live = (index / "CURRENT").read_bytes()
    written = work / "term-written"
    env = {**os.environ, "DWSEARCH_FAULT_AT": f"written:pause={written}"}
    for _ in range(count):
        part.tried += 1
        written.unlink(missing_ok=True)
        process = subprocess.Popen(
            [*CLI, "build", "--rebuild", str(corpus), "--index", str(index)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        deadline = time.time() + TIME_LIMIT
        while not list(index.glob("building-*")) and process.poll() is None:
            if time.time() > deadline:
                break
            time.sleep(0.01)  # the new generation's folder: pages are being read
        time.sleep(rng.uniform(0.0, 0.8 * reading))
        read_all = written.exists()
        process.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        while process.poll() is None and time.time() < deadline:
            if written.exists() and not read_all:
                part.fail("SIGTERM swallowed: the build read on to the end of its pages")
                break
            time.sleep(0.02)
        if process.poll() is None:
            if time.time() >= deadline:
                part.fail("the build did not end within 10 s of SIGTERM")
            process.kill()
        _, err = process.communicate()
        ended = (process.returncode, err.decode("utf-8", "replace"))
        if process.returncode == -signal.SIGKILL:
            api.build(index=index)  # tidies what the killed build left
        elif ended != (143, "dwsearch: terminated\n"):
            part.fail(f"exit {ended[0]}: {ended[1][-200:]!r}")
        if list(index.glob("building-*")):
            part.fail("a half-built generation was left")
        if (index / "CURRENT").read_bytes() != live:
            part.fail("a new generation was published")
        try:
            found = api.search("privacy", index=index).total
        except Exception as error:
            part.fail(f"the index no longer answers: {error}")
            continue
        if found != before:
            part.fail(f"{found} results; the index had {before}")
    return part


# ------------------------------------------------------------------------- corruptions
def _corruptions(path: Path, rng: random.Random) -> list[tuple[str, bytes | None]]:
    data = path.read_bytes()
    flipped = bytearray(data)
    for _ in range(max(1, len(data) // 1000)):
        if flipped:
            flipped[rng.randrange(len(flipped))] ^= 0xFF
    return [
        ("truncated", data[: len(data) // 2]),
        ("emptied", b""),
        ("zeroed", bytes(len(data))),
        ("flipped", bytes(flipped)),
        ("deleted", None),
    ]


def corruptions(work: Path, rng: random.Random, limit: int | None = None) -> Part:
    part = Part()
    corpus = work / "corrupt-pages"
    if not corpus.exists():
        write_pages(corpus, 20)
    reference = work / "corrupt-reference"
    api.build([corpus], index=reference)
    queries = ["privacy", "digital divide", '"artificial intelligence"', "cyber*", ""]
    truth = {q: api.search(q, limit=20, index=reference) for q in queries}

    def answers(index: Path) -> dict[str, tuple]:
        return {
            q: (r.total, [h.id for h in r.hits], r.facets)
            for q, r in ((q, api.search(q, limit=20, index=index)) for q in queries)
        }

    wanted = {q: (r.total, [h.id for h in r.hits], r.facets) for q, r in truth.items()}
    generation = current_generation(reference)
    assert generation is not None
    names = sorted(p.name for p in generation.iterdir() if p.is_file())
    tried = 0
    for name in names:
        for how, content in _corruptions(generation / name, rng):
            if limit is not None and tried >= limit:
                return part
            tried += 1
            part.tried += 1
            index = work / "corrupt-copy"
            shutil.rmtree(index, ignore_errors=True)
            shutil.copytree(reference, index, symlinks=True)
            target = current_generation(index) / name  # type: ignore[operator]
            if content is None:
                target.unlink()
            else:
                target.write_bytes(content)
            result = _run(["search", "privacy", "--json", "--index", str(index)])
            problem = _cli_failure(result)
            if problem:
                part.fail(f"{name} {how}: search: {problem}")
            elif result.returncode == 0:
                got = json.loads(result.stdout)
                if got["total"] != wanted["privacy"][0]:
                    part.fail(f"{name} {how}: a wrong answer ({got['total']} results)")
            mended = _run(["build", "--index", str(index)])
            if mended.returncode != 0:
                part.fail(f"{name} {how}: a plain build did not mend it: {mended.stderr[-200:]!r}")
                continue
            try:
                if answers(index) != wanted:
                    part.fail(f"{name} {how}: mended, but answers differ")
            except Exception as error:
                part.fail(f"{name} {how}: mended, but {type(error).__name__}: {error}")
    return part


def large_segment_damage(
    work: Path, rng: random.Random, rounds: int = 12, pages: int = 150, cli_share: float = 0.3
) -> Part:
    """Random bytes flipped in the files over 4 MiB of an index (its segment), `rounds`
    times, each on a fresh copy; queries through the API (a share through the CLI).

    A failure is an answer that differs from the undamaged index's without saying
    "damaged", a traceback or any other error, or a damaged index a plain build does not
    mend. Every other round puts the file's mtime back: that damage shows only when
    Whoosh reads it, where a wrong answer cannot be told from a right one (so is not
    counted), but an error must still say "damaged".
    """
    part = Part()
    corpus = work / "large-pages"
    if not corpus.exists():
        # Four pages a file: a segment over 4 MiB, from files few enough for one process.
        write_pages(corpus, pages, per_file=4)
    reference = work / "large-reference"
    if not (reference / "CURRENT").exists():
        api.build([corpus], index=reference)
    generation = current_generation(reference)
    assert generation is not None
    large = sorted(p.name for p in generation.iterdir() if p.stat().st_size > 4 * 2**20)
    if not large:
        part.fail(f"no file over 4 MiB in an index of {pages} pages")
        return part
    queries = ["spectrum", "privacy", "digital divide", '"artificial intelligence"', "cyber*"]
    queries += ["title:digital", "type:event_report privacy", ""]

    def answer(results: api.Results) -> tuple:
        return results.total, [(h.id, h.score) for h in results.hits], results.facets

    wanted = {q: answer(api.search(q, limit=20, index=reference)) for q in queries}
    for number in range(rounds):
        hidden = number % 2 == 1
        index = work / "large-copy"
        shutil.rmtree(index, ignore_errors=True)
        shutil.copytree(reference, index, symlinks=True)  # file times kept
        target = current_generation(index) / rng.choice(large)  # type: ignore[operator]
        # One part of a segment's compound file (its term file, postings, a column...),
        # so that the small parts where a byte is a ranking are hit as often as the rest.
        parts = {"": (0, target.stat().st_size)}
        if target.suffix == ".seg":
            parts = compound_parts(str(target.parent), target.name)
        name = rng.choice(sorted(n for n, (_, length) in parts.items() if length))
        start, length = parts[name]
        before = target.stat()
        data = bytearray(target.read_bytes())
        flips = rng.choice([1, 2, 8, 64, 512])
        for _ in range(flips):
            data[start + rng.randrange(length)] ^= 1 << rng.randrange(8)
        target.write_bytes(data)
        if hidden:
            os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
        where = name.partition(".")[2] or target.name
        what = f"{where}, {flips} flipped{' (mtime put back)' if hidden else ''}"
        for query in queries:
            part.tried += 1
            try:
                got = answer(api.search(query, limit=20, index=index))
            except api.IndexProblem as error:
                if "damaged" not in str(error):
                    part.fail(f"{what}: {query!r}: {error}")
                continue
            except Exception as error:  # any other is a failure, and worth its message
                part.fail(f"{what}: {query!r}: {type(error).__name__}: {error}")
                continue
            if got != wanted[query] and not hidden:
                part.fail(f"{what}: {query!r}: a wrong answer ({got[0]} results)")
        if rng.random() < cli_share:
            result = _run(["search", rng.choice(queries), "--index", str(index)])
            problem = _cli_failure(result)
            err = result.stderr.decode("utf-8", "replace")
            if problem or (result.returncode == 2 and "damaged" not in err):
                part.fail(f"{what}: CLI search: {problem or err}")
        mended = _run(["build", "--index", str(index)])
        if mended.returncode != 0:
            part.fail(f"{what}: a plain build did not mend it: {mended.stderr[-200:]!r}")
            continue
        got_all = {q: answer(api.search(q, limit=20, index=index)) for q in queries}
        if got_all != wanted:
            part.fail(f"{what}: mended, but answers differ")
    return part


# ------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--pages", type=int, default=250)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="dwsearch-stress-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    index = work / "query-index"
    if not (index / "CURRENT").exists():
        write_pages(work / "query-pages", 60)
        api.build([work / "query-pages"], index=index)
    parts = {
        "queries": fuzz_queries(index, args.queries, rng),
        "files": hostile_files(work),
        "kills": random_kills(work, args.pages, args.kills, rng),
        "terms": terms_in_ingestion(work, args.kills, random.Random(args.seed)),
        "corruptions": corruptions(work, rng),
        "large damage": large_segment_damage(work, rng),
    }
    figures = {
        name: {"tried": part.tried, "failures": len(part.failures), "examples": part.failures[:5]}
        for name, part in parts.items()
    }
    figures["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
    else:
        for name, part in parts.items():
            print(f"{name:<12} {part.tried:>6} tried  {len(part.failures):>3} failures")
            for failure in part.failures[:5]:
                print(f"    {failure}")
        print(f"{figures['seconds']} s in {work}")
    return 1 if any(part.failures for part in parts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
