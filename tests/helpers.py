"""Helpers for the tests: where the fixtures are, and a check that ingestion lost nothing."""

from __future__ import annotations

import importlib
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from dwsearch.index.whoosh_internals import can_write_segments
from dwsearch.ingest import Chunk
from dwsearch.ingest.addresses import address_in_line
from dwsearch.ingest.boilerplate import is_boilerplate
from dwsearch.ingest.layout import page_rules
from dwsearch.ingest.text import normalise, source_lines, split_trailing_year, squeeze

FIXTURES = Path(__file__).parent / "fixtures"

# Parallel builds write segments below Whoosh's public API; on the public path
# (DWSEARCH_WHOOSH_PUBLIC=1, or a Whoosh the internals module does not know) a build
# runs in one process, and tests of its workers have nothing to test.
needs_parallel_builds = pytest.mark.skipif(
    not can_write_segments(), reason="parallel builds need Whoosh's fast path"
)
# The direct segment writer writes what Whoosh's own writer does not (facet files).
needs_direct_writer = pytest.mark.skipif(
    not can_write_segments(), reason="Whoosh's own writer is in use"
)
SEED_NAME = "international-telecommunication-union.txt"


def assert_lossless(text: str, chunks: list[Chunk]) -> None:
    """Every content line of a .txt is in exactly one chunk, with its year in `years`.

    Headings are accounted for as the `section` of their chunks; a heading with nothing
    under it makes no chunk, by design. A `URL:` line is the page's address, not content.
    The page's title is every chunk's `page_title`, and the furniture under it (a date
    line, an address) opens the first chunk's text, where that chunk's lines may not
    reach (a page that opens with a list).
    """
    known_headings = set(page_rules().sections)
    sections = {c.section.lower() for c in chunks}
    for number, raw in enumerate(source_lines(normalise(text)), start=1):
        line = squeeze(raw)
        if not line or is_boilerplate(line) or address_in_line(line):
            continue
        owners = [
            c for c in chunks if isinstance(c.lines, tuple) and c.lines[0] <= number <= c.lines[1]
        ]
        if not owners and line.lower() in (known_headings | sections):
            continue
        if (
            not owners
            and chunks
            and (line == chunks[0].page_title or chunks[0].text.startswith(line))
        ):
            continue
        assert len(owners) == 1, f"line {number} {line[:60]!r} is in {len(owners)} chunks"
        chunk = owners[0]
        held = squeeze(f"{chunk.title}\n{chunk.text}")
        body, year = split_trailing_year(line)
        assert line in held or (year in chunk.years and body in held), (
            f"line {number} {line[:60]!r} is not in chunk {chunk.id} ({held[:60]!r})"
        )


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def run_cli(*args: str, env: dict[str, str] | None = None):
    """The real `dwsearch` command, in-process, with stdout and stderr kept apart."""
    from click.testing import CliRunner

    from dwsearch.app.cli import cli

    return CliRunner().invoke(cli, list(args), prog_name="dwsearch", env=env)


def seed_variants(folder: Path, count: int, seed_text: str) -> list[Path]:
    """`count` seed-sized pages, each with a title of its own."""
    title, _, rest = seed_text.partition("\n")
    paths = []
    for number in range(count):
        paths.append(write(folder / f"page-{number:04}.txt", f"{title} {number}\n{rest}"))
    return paths


def session_over(folder: Path, texts: dict[str, str], label: str):  # type: ignore[no-untyped-def]
    """A search session over an index of one paragraph chunk per text, named by its key."""
    from dwsearch.index import live_generation
    from dwsearch.index.builder import build_from_chunks
    from dwsearch.index.reading import open_generation
    from dwsearch.search.engine import SearchSession

    chunks = [
        Chunk(name, "p", "p", "paragraph", "", "", text, lines=(n, n))
        for n, (name, text) in enumerate(texts.items())
    ]
    build_from_chunks(folder, chunks, label)
    live = live_generation(folder)
    assert live is not None
    return SearchSession(open_generation(folder, *live))


def searching_by(session, **changes):  # type: ignore[no-untyped-def]
    """A session on the same open index, searching by other settings (say, the bulk
    ranking whatever the index's size: `bulk_from_docs=BULK_ALWAYS`); close it, or use
    it in `with`."""
    from dataclasses import replace

    from dwsearch.search.engine import SearchSession

    return SearchSession(session.opened, replace(session.settings, **changes))


# Whoosh's own search for every query, or the bulk ranking for every query.
WHOOSH_ONLY, BULK_ALWAYS = 10**9, 0


@contextmanager
def both_paths(session):  # type: ignore[no-untyped-def]
    """Two sessions on one open index, to compare: Whoosh's own search for every query,
    and the bulk ranking for every query."""
    whoosh = searching_by(session, bulk_from_docs=WHOOSH_ONLY)
    bulk = searching_by(session, bulk_from_docs=BULK_ALWAYS)
    try:
        yield whoosh, bulk
    finally:
        whoosh.close()
        bulk.close()


BENCH = Path(__file__).resolve().parent.parent / "bench"


def bench_module(name: str) -> ModuleType:
    """A module of bench/ (`synthetic`, the page writer; `run`, the query mix)."""
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))


def synthetic_index(folder: Path, pages: int) -> Path:
    """An index of `pages` synthetic pages, written to `folder/pages` and built into
    `folder/index`, which it returns."""
    from dwsearch.app.api import build

    bench_module("synthetic").write_pages(folder / "pages", pages)
    build([folder / "pages"], index=folder / "index")
    return folder / "index"


def segment_documents(folder: Path, seed_text: str, pages: int) -> list[dict]:
    """The documents a build makes of `pages` synthetic pages and the seed page."""
    from dwsearch.index.documents import chunk_document
    from dwsearch.ingest.pages import chunk_paths

    bench_module("synthetic").write_pages(folder, pages)
    (folder / "itu.txt").write_text(seed_text, encoding="utf-8")
    chunks = [c for c in chunk_paths([folder]) if not isinstance(c, Exception)]
    return [chunk_document(chunk, position) for position, chunk in enumerate(chunks)]


def written_both_ways(folder: Path, documents: list[dict], optimize: bool = False) -> tuple:
    """The documents written by dwsearch's segment writer (`folder/ours`) and by Whoosh's
    own writer (`folder/theirs`): the two folders."""
    from whoosh import index as whoosh_index

    from dwsearch.index.schema import build_schema
    from dwsearch.index.segments import SegmentWriter

    ours, theirs = folder / "ours", folder / "theirs"
    ours.mkdir()
    theirs.mkdir()
    writer = SegmentWriter(str(ours), build_schema())
    whoosh = whoosh_index.create_in(str(theirs), build_schema()).writer()
    for document in documents:
        writer.add_document(**document)
        whoosh.add_document(**document)
    writer.commit()
    whoosh.commit(optimize=optimize)
    return ours, theirs


def whoosh_postings(reader, fieldname: str, text: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    """(document, weight, encoded value) of a term, through Whoosh's public matcher."""
    matcher = reader.postings(fieldname, text)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return found


def crowded_by_hand(plain: list[dict]) -> list[str]:
    """Host crowding's oracle, from a plain (uncrowded) ranking of JSON hits: every
    page's first two hits in plain order, then the rest in it."""
    seen: Counter[str] = Counter()
    first, rest = [], []
    for hit in plain:
        seen[hit["source"]] += 1
        (first if seen[hit["source"]] <= 2 else rest).append(hit["id"])
    return first + rest
