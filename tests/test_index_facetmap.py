"""Facet bitmaps over an updated index: a chunk whose page changed is deleted in its old
segment, and must leave every count and total, though Whoosh keeps it until a merge.
Checked against a plain pass over the stored fields of the live chunks."""

from __future__ import annotations

import json
import zlib

import pytest

from dwsearch.app.api import Filters, build, session
from dwsearch.index.builder import MergePolicy, build_index
from dwsearch.index.facetmap import FACETMAP, SEGMENT_MAP
from dwsearch.index.facetview import FacetMap
from dwsearch.search.facets import FacetMatrix
from dwsearch.search.settings import SearchOptions
from helpers import BULK_ALWAYS, WHOOSH_ONLY, bench_module, searching_by

FIELDS = {
    "type": "type",
    "kind": "kind",
    "sector": "sectors",
    "topic": "topics",
    "basket": "baskets",
    "year": "years",
}
# How a session counts facets: by Python integers (a small index), or in bulk by numpy
# from every value's bitmap, reading each whole or only where the match has documents:
# (the size of index counted in bulk, FacetMatrix.SPARSE).
COUNTING = {
    "one by one": (WHOOSH_ONLY, 0),
    "in bulk, whole": (BULK_ALWAYS, 10**9),
    "in bulk, where matched": (BULK_ALWAYS, 0),
}


def _oracle(session) -> tuple[int, dict[str, dict[str, int]]]:  # type: ignore[no-untyped-def]
    """Chunks and counts per facet value, from the live chunks' stored fields."""
    counts: dict[str, dict[str, int]] = {facet: {} for facet in FIELDS}
    total = 0
    for fields in map(session.stored, session.searcher.reader().all_doc_ids()):  # live only
        total += 1
        for facet, field in FIELDS.items():
            value = fields.get(field, "")
            if facet == "year":
                value = ",".join(map(str, [value] if isinstance(value, int) else value))
            for one in (
                value.split(",") if facet in ("sector", "topic", "basket", "year") else [value]
            ):
                if one:
                    counts[facet][one] = counts[facet].get(one, 0) + 1
    return total, counts


def _assert_counts_as_stored(opened, counting: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The whole index's total and counts, as the session counts them, against the
    oracle's."""
    total, counts = _oracle(opened)
    bulk_from, sparse = COUNTING[counting]
    monkeypatch.setattr(FacetMatrix, "SPARSE", sparse)
    with searching_by(opened, bulk_from_docs=bulk_from) as counted:
        results = counted.search("", None, SearchOptions(limit=0))
    assert results.total == total
    for facet in FIELDS:
        assert results.facets[facet] == dict(
            sorted(counts[facet].items(), key=lambda item: (-item[1], item[0]))
        ), facet


@pytest.fixture(scope="module")
def updated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("updated")
    pages, index = folder / "pages", folder / "index"
    written = bench_module("synthetic").write_pages(pages, 8)
    keep_deleted = MergePolicy(purge_share=1.0)  # deleted chunks stay in their segment
    build_index(index, [pages], policy=keep_deleted)
    for path in written[:3]:  # shorter pages: fewer chunks, some values gone
        path.write_text(path.read_text(encoding="utf-8")[:900], encoding="utf-8")
    build_index(index, policy=keep_deleted)
    with session(index) as opened:
        assert opened.searcher.reader().has_deletions()
        yield opened


@pytest.mark.parametrize("counting", COUNTING)
def test_counts_and_totals_leave_deleted_chunks_out(updated, counting, monkeypatch):
    _assert_counts_as_stored(updated, counting, monkeypatch)


@pytest.mark.parametrize("counting", COUNTING)
def test_counts_hold_after_updates_that_bring_new_values(tmp_path, counting, monkeypatch):
    """Pages edited twice, each time with years and words no chunk had: each update lays
    its new segment's values after the generation's own, and every count holds."""
    pages, index = tmp_path / "pages", tmp_path / "index"
    written = bench_module("synthetic").write_pages(pages, 6)
    build([pages], index=index)
    for round_, path in enumerate(written[1:3]):
        text = path.read_text(encoding="utf-8")
        middle = text.index("\n\n", len(text) // 2)
        added = (
            f"\n\nIn {1961 + round_} and {1971 + round_}, the spectrum and standards work "
            "on cybersecurity and data protection went on.\n\n"
        )
        path.write_text(text[:middle] + added + text[middle:], encoding="utf-8")
        build(index=index)
    with session(index) as opened:
        assert {"1961", "1962", "1971"} <= set(opened.facets.values["year"])
        assert len(opened.searcher.reader().leaf_readers()) > 1
        _assert_counts_as_stored(opened, counting, monkeypatch)


def test_a_word_search_leaves_deleted_chunks_out(updated):
    reader = updated.searcher.reader()
    everything = {updated.stored(docnum)["id"] for docnum in reader.all_doc_ids()}
    # Every type asked for, so the listing goes through dwsearch's bitmaps, not Whoosh's.
    every_type = Filters(types=sorted(updated.facets.values["type"]))
    listed = updated.search("", every_type, SearchOptions(limit=10_000, highlight=False))
    assert {hit.id for hit in listed.hits} == everything
    for word in ("policy", "internet", "digital"):
        found = updated.search(word, None, SearchOptions(limit=10_000, highlight=False))
        assert {hit.id for hit in found.hits} <= everything
        assert found.total == len(found.hits)


def test_each_segment_has_its_facets_file_and_no_other(updated):
    """Files of segments merged away are removed; those of live segments are kept, so an
    update reads only its new segment's columns."""
    reader = updated.searcher.reader()
    segments = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
    assert len(segments) > 1
    folder = updated.opened.generation
    assert {p.name for p in folder.glob(SEGMENT_MAP.format("*"))} == {
        SEGMENT_MAP.format(segment) for segment in segments
    }


def _facets_file(header: object, body: bytes = b"") -> bytes:
    return json.dumps(header).encode() + b"\n" + body


_CRC = zlib.crc32(b"")


@pytest.mark.parametrize(
    "content",
    [
        b"not json\n",  # ValueError
        _facets_file({"size": 0}),  # no checksum: KeyError
        _facets_file({"crc32": _CRC, "size": 0, "facets": {"type": {"x": 5}}}),  # TypeError
        _facets_file({"crc32": _CRC, "size": 0, "facets": {"type": {"x": []}}}),  # IndexError
        _facets_file({"crc32": _CRC, "size": 0, "facets": ["type"]}),  # AttributeError
        b"[" * 100_000 + b"\n",  # RecursionError
    ],
    ids=["not-json", "no-checksum", "span-not-a-list", "empty-span", "facets-a-list", "deep"],
)
def test_a_damaged_facets_file_is_named_as_damaged(tmp_path, content):
    """Whatever is wrong inside, one ValueError that names the file: never a traceback
    from deep inside, nor counts read from a header that makes no sense."""
    (tmp_path / FACETMAP).write_bytes(content)
    with pytest.raises(ValueError, match=f"{FACETMAP} is damaged"):
        FacetMap(tmp_path)


def test_a_purged_segments_facets_file_goes_with_it(tmp_path):
    """Past the share of deleted chunks that purges a segment, its facets file is gone."""
    pages, index = tmp_path / "pages", tmp_path / "index"
    written = bench_module("synthetic").write_pages(pages, 6)
    build([pages], index=index)
    with session(index) as opened:
        before = {
            leaf.segment().segment_id() for leaf, _ in opened.searcher.reader().leaf_readers()
        }
    for path in written[:4]:  # most chunks deleted: well past the purge share
        path.write_text(path.read_text(encoding="utf-8")[:700], encoding="utf-8")
    build(index=index)
    with session(index) as opened:
        reader = opened.searcher.reader()
        after = {leaf.segment().segment_id() for leaf, _ in reader.leaf_readers()}
        assert not reader.has_deletions() and before - after  # the old segment was purged
        files = {p.name for p in opened.opened.generation.glob(SEGMENT_MAP.format("*"))}
    assert files == {SEGMENT_MAP.format(segment) for segment in after}
