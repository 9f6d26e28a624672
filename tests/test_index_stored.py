"""Stored fields in blocks beside each segment: every chunk reads back as it was
ingested (across blocks, segments, deletions, updates and rewrites), whichever way the
index was written and whichever way it is read, and damage is said, never a wrong chunk.

The oracle is ingestion's own chunks of the pages on disk (`api.chunks`), never the
reader under test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dwsearch.app import api
from dwsearch.index import segments, stored, whoosh_internals
from dwsearch.index.documents import stored_chunk
from dwsearch.index.location import IndexDamaged, current_generation
from dwsearch.index.stored import STORED_FILE, SegmentStore
from helpers import run_cli

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
try:
    from synthetic import write_pages
finally:
    sys.path.remove(str(BENCH))

PAGES = 30  # about 1,300 chunks: some 150 blocks
# dwsearch's writers, which keep stored fields in blocks, in this process (with the
# internals switched off, Whoosh's writer keeps them in its column; the subprocess test
# covers that path whichever way the suite runs).
needs_own_writers = pytest.mark.skipif(
    not whoosh_internals.can_write_segments(), reason="Whoosh's public API alone"
)

# Every live chunk of an index, as the search reads them (by the reader under test).
READ_BACK = """
import json, sys
from dwsearch.app.api import session
from dwsearch.index.documents import stored_chunk
with session(sys.argv[1]) as opened:
    ids = opened.searcher.reader().all_doc_ids()
    chunks = [stored_chunk(opened.stored(docnum)).to_dict() for docnum in ids]
print(json.dumps(chunks))
"""


def _ingested(pages: Path) -> dict[str, dict]:
    """The oracle: what ingestion makes of the pages now on disk, by chunk id."""
    found = {}
    for chunk in api.chunks([pages]):
        assert not isinstance(chunk, Exception), chunk
        found[chunk.id] = chunk.to_dict()
    return found


def _by_id(chunks: list[dict]) -> dict[str, dict]:
    found = {chunk["id"]: chunk for chunk in chunks}
    assert len(found) == len(chunks), "a chunk read back twice"
    return found


def _env(public: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DWSEARCH_WHOOSH_PUBLIC", None)
    if public:  # Whoosh's public API alone: its writer, its stored fields
        env["DWSEARCH_WHOOSH_PUBLIC"] = "1"
    return env


def _run(public: bool, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, *args], env=_env(public), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


def _build(public: bool, pages: Path | None, index: Path) -> None:
    where = [str(pages)] if pages else []
    _run(public, "-m", "dwsearch.app", "build", *where, "--index", str(index))


def _read_back(public: bool, index: Path) -> dict[str, dict]:
    return _by_id(json.loads(_run(public, "-c", READ_BACK, str(index)).stdout))


def _stored_files(index: Path) -> list[Path]:
    generation = current_generation(index)
    assert generation is not None
    return sorted(generation.glob(STORED_FILE.format("*")))


def _edit_pages(pages: Path) -> None:
    """An edited page, a removed one, a new one: over 10% of the chunks deleted from the
    first segment, so the update rewrites it from its stored fields as well."""
    for number in (3, 4, 5):
        edited = pages / f"page-{number:05}.txt"
        edited.write_text(edited.read_text() + "\n\nA new paragraph on spectrum policy.\n")
    (pages / "page-00007.txt").unlink()
    shutil.copy(pages / "page-00011.txt", pages / "page-new.txt")


@pytest.mark.slow
@pytest.mark.parametrize("built", ["internals", "public"])
@pytest.mark.parametrize("updated", ["internals", "public"])
def test_chunks_read_back_as_ingested_either_way(tmp_path, built, updated):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    write_pages(pages, PAGES)
    _build(built == "public", pages, index)
    assert bool(_stored_files(index)) == (built == "internals")
    wanted = _ingested(pages)
    for public in (False, True):
        assert _read_back(public, index) == wanted, f"read with public={public}"
    _edit_pages(pages)
    _build(updated == "public", None, index)
    wanted = _ingested(pages)
    for public in (False, True):
        assert _read_back(public, index) == wanted, f"read with public={public}"


@pytest.fixture
def segmented(tmp_path, monkeypatch):
    """An index built in this process in segments of 200 chunks, with an update."""
    monkeypatch.setattr(segments, "DOCS_PER_SEGMENT", 200)
    pages, index = tmp_path / "pages", tmp_path / "ix"
    write_pages(pages, 12)
    api.build([pages], index=index)
    return pages, index


@needs_own_writers
def test_chunks_read_back_across_blocks_and_segments(segmented):
    pages, index = segmented
    files = _stored_files(index)
    assert len(files) > 1
    wanted = _ingested(pages)
    with api.session(index) as opened:
        generation = opened.opened.generation
        blocks = [len(SegmentStore(path, index).crcs) for path in files]
        assert min(blocks) > 1  # every segment's chunks span blocks
        docnums = list(opened.searcher.reader().all_doc_ids())
        # Backwards and then by strides: each block read anew and from the cache.
        order = docnums[::-1] + docnums[::7] + docnums[3::5]
        got = {}
        for docnum in order:
            chunk = stored_chunk(opened.stored(docnum)).to_dict()
            assert got.setdefault(chunk["id"], chunk) == chunk
        assert got == wanted
        # Whoosh's own column holds none of them: they are read from the blocks alone.
        for leaf, _ in opened.searcher.reader().leaf_readers():
            assert leaf.stored_fields(0) == {}
            assert (generation / STORED_FILE.format(leaf.segment().segment_id())).exists()


@needs_own_writers
def test_an_update_keeps_no_stored_file_of_a_segment_gone(segmented):
    pages, index = segmented
    _edit_pages(pages)
    api.build(index=index)
    with api.session(index) as opened:
        leaves = opened.searcher.reader().leaf_readers()
        ids = {leaf.segment().segment_id() for leaf, _ in leaves}
        got = [
            stored_chunk(opened.stored(d)).to_dict() for d in opened.searcher.reader().all_doc_ids()
        ]
    assert {path.name for path in _stored_files(index)} == {STORED_FILE.format(i) for i in ids}
    assert _by_id(got) == _ingested(pages)


def _flipped(path: Path, at: int) -> None:
    """Invert one byte, keeping the file's time: only reading it shows the damage."""
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[at] ^= 0xFF
    path.write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@needs_own_writers
def test_a_damaged_block_is_said_never_a_wrong_chunk(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    write_pages(pages, 6)
    api.build([pages], index=index)
    (path,) = _stored_files(index)
    original = path.read_bytes()
    whole = SegmentStore(path, index)
    everything = [whole.fields(n) for n in range(whole.documents)]
    size = len(original)
    for at in sorted({*range(0, 64), *range(0, size, max(1, size // 300)), size - 1}):
        path.write_bytes(original)
        _flipped(path, at)
        try:
            store = SegmentStore(path, index)
        except IndexDamaged:
            continue
        for number, fields in enumerate(everything):
            try:
                found = store.fields(number)
            except IndexDamaged as error:
                assert path.name in error.what
                continue
            assert found == fields, (at, number)
    path.write_bytes(original)
    # A flipped byte in the middle of the blocks: a search that shows that chunk says so.
    last_block = whole.blocks_at + whole.ends[-2]
    _flipped(path, last_block + 10)
    docnum = whole.firsts[-2]
    chunk_id = everything[docnum]["id"]
    result = run_cli("show", chunk_id, "--index", str(index))
    assert result.exit_code == 2, result.stdout
    assert result.stderr.count("\n") == 1 and "damaged" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_blocks_follow_their_bounds(tmp_path, monkeypatch):
    """A block closes at its byte or document bound, whether its documents came before
    the dictionary was made or after; a document with no stored fields reads back
    empty; a lone document, and no dictionary, still read."""
    documents = [{"id": str(n), "text": "word " * (n % 50)} for n in range(100)]
    documents[17] = {}
    for bytes_bound, docs_bound in ((4096, 32), (1, 32), (10**9, 5), (10**9, 10**6)):
        monkeypatch.setattr(stored, "BLOCK_BYTES", bytes_bound)
        monkeypatch.setattr(stored, "BLOCK_DOCS", docs_bound)
        for count in (1, 2, 100):
            layouts = []
            for dictionary_from in (2048, 7):  # 7: most blocks deflated as documents come
                monkeypatch.setattr(stored, "DICTIONARY_FROM", dictionary_from)
                path = tmp_path / f"s-{bytes_bound}-{docs_bound}-{count}-{dictionary_from}.bin"
                stored.write_stored(path, documents[:count])
                store = SegmentStore(path, tmp_path)
                assert [store.fields(n) for n in range(count)] == documents[:count]
                sizes = [b - a for a, b in zip(store.firsts, store.firsts[1:], strict=False)]
                assert max(sizes) <= docs_bound
                with pytest.raises(IndexDamaged):
                    store.fields(count)
                layouts.append(list(store.firsts))
            assert layouts[0] == layouts[1]


# What `dwsearch show` finds for each of the ids or starts given (by the reader under test).
SHOW = """
import json, sys
from dwsearch.app import api
from dwsearch.search.errors import SearchError
found = {}
for wanted in json.loads(sys.argv[2]):
    try:
        found[wanted] = api.show(wanted, index=sys.argv[1]).id
    except LookupError:
        found[wanted] = "missing"
    except SearchError as error:
        found[wanted] = "ambiguous " + str(error).split("start of ")[1].split()[0]
print(json.dumps(found))
"""


def _shown(ids: set[str], asked: list[str]) -> dict[str, str]:
    """The oracle: the id an exact id names, else the one id a start names, else
    "ambiguous N" or "missing", from the set of live ids alone."""
    expected = {}
    for wanted in asked:
        starting = sorted(i for i in ids if i.startswith(wanted))
        if wanted in ids:
            expected[wanted] = wanted
        elif len(wanted) < 4 or not starting:
            expected[wanted] = "missing"
        elif len(starting) == 1:
            expected[wanted] = starting[0]
        else:
            expected[wanted] = f"ambiguous {len(starting)}"
    return expected


@pytest.mark.slow
@pytest.mark.parametrize("written", ["internals", "public"])
def test_chunks_found_by_id_or_its_start(tmp_path, written):
    """Every live chunk by its id and by starts of it, an id that is the start of its
    repeat's ("…-2"), starts shared by several ids, and the ids of deleted chunks."""
    pages, index = tmp_path / "pages", tmp_path / "ix"
    write_pages(pages, 12)
    item = "<li>Resolution 101 on spectrum</li>"
    (pages / "twice.html").write_text(
        f"<html><body><main><h1>Twice</h1><p>Spectrum and orbits.</p><h2>Resolutions</h2>"
        f"<ul>{item * 2}</ul></main></body></html>"
    )
    public = written == "public"
    _build(public, pages, index)
    before = set(_ingested(pages))
    _edit_pages(pages)
    _build(public, None, index)
    # A page removed alone: too few chunks to rewrite a segment, so they stay in it,
    # deleted.
    (pages / "page-00002.txt").unlink()
    _build(public, None, index)
    ids = set(_ingested(pages))
    assert any(i.endswith("-2") and i[:-2] in ids for i in ids)
    gone = sorted(before - ids)
    assert gone
    live = sorted(ids)[:: 1 if not public else 4]  # the public path reads every chunk
    asked = [*live, *gone, *(i[:n] for i in live[::3] for n in (3, 4, 5, 9)), "zz-not-hex"]
    asked += [start for i in ids if i.endswith("-2") for start in (i[:-2], i[:12])]
    asked = list(dict.fromkeys(asked))
    expected = _shown(ids, asked)
    assert any(v.startswith("ambiguous") for v in expected.values())
    for reader in (False, True):
        got = json.loads(_run(reader, "-c", SHOW, str(index), json.dumps(asked)).stdout)
        assert got == expected, f"read with public={reader}"
