"""Each segment's postings file holds exactly the postings Whoosh reads from the segment,
whichever writer made it, and the bulk ranking gives the same answers with or without it."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import index as whoosh_index

import dwsearch.search.ranking as ranking
from dwsearch.app.api import Filters, build, session
from dwsearch.index import segments
from dwsearch.index.builder import MergePolicy, build_index
from dwsearch.index.postings import (
    MAGIC,
    RANKED_FIELDS,
    SEGMENT_POSTINGS,
    FlatPositions,
    SegmentPostings,
    postings_from_segment,
    write_postings,
)
from dwsearch.index.schema import build_schema
from dwsearch.index.segments import SegmentWriter
from dwsearch.search.settings import SearchOptions, SearchSettings
from helpers import (
    BULK_ALWAYS,
    WHOOSH_ONLY,
    bench_module,
    segment_documents,
    synthetic_index,
    written_both_ways,
)


@pytest.fixture(scope="module")
def documents(tmp_path_factory, seed_text):
    return segment_documents(tmp_path_factory.mktemp("pages"), seed_text, 10)


def _file_postings(arrays, fieldname, text):  # type: ignore[no-untyped-def]
    """(document, frequency, positions) of each posting, as the file holds them."""
    number = arrays.find(fieldname, text)
    if number is None:
        return None
    ids, tfs, positions = arrays.postings(fieldname, number)
    assert isinstance(positions, FlatPositions)
    flat, counts = positions.gather(np.arange(len(ids)))
    ends = np.cumsum(counts).tolist()
    each = [
        flat[end - count : end].tolist() for end, count in zip(ends, counts.tolist(), strict=True)
    ]
    return list(zip(ids.tolist(), tfs.tolist(), each, strict=True))


def _whooshs(reader, fieldname, text):  # type: ignore[no-untyped-def]
    """The oracle: (document, weight, positions) through Whoosh's public matcher."""
    matcher = reader.postings(fieldname, text)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value_as("positions")))
        matcher.next()
    return found


@pytest.mark.parametrize(("per_segment", "batch"), [(10**6, 65_536), (97, 65_536), (10**6, 5)])
def test_the_file_holds_what_whoosh_reads(tmp_path, documents, per_segment, batch, monkeypatch):
    monkeypatch.setattr(segments, "DOCS_PER_SEGMENT", per_segment)
    monkeypatch.setattr(segments, "_BATCH_POSTINGS", batch)  # terms a few at a time
    writer = SegmentWriter(str(tmp_path), build_schema())
    for document in documents:
        writer.add_document(**document)
    writer.commit()
    reader = whoosh_index.open_dir(str(tmp_path)).reader()
    leaves = list(reader.leaf_readers())
    assert len(leaves) == -(-len(documents) // per_segment)
    checked = 0
    for leaf, _ in leaves:
        name = SEGMENT_POSTINGS.format(leaf.segment().segment_id())
        arrays = SegmentPostings.open(np, tmp_path / name)
        assert arrays is not None
        for fieldname in RANKED_FIELDS:
            terms = [t.decode() for t in leaf.lexicon(fieldname)]
            assert terms
            for text in terms:
                assert _file_postings(arrays, fieldname, text) == _whooshs(leaf, fieldname, text), (
                    fieldname,
                    text,
                )
                checked += 1
            assert arrays.find(fieldname, "qqqnotaword") is None
        # The spelling field's hyphenated words, and only those, as terms.
        spelled = [t.decode() for t in leaf.lexicon("spell")]
        hyphenated = [t for t in spelled if "-" in t]
        assert hyphenated and all(arrays.find("spell", t) is not None for t in hyphenated)
        assert all(arrays.find("spell", t) is None for t in spelled if "-" not in t)
    assert checked > 500


def test_written_from_whooshs_segment_it_is_the_same_file(tmp_path, documents):
    """A segment Whoosh's writer made (an update's) gets the file a full build writes."""
    ours, theirs = written_both_ways(tmp_path, documents)
    (mine,) = ours.glob(SEGMENT_POSTINGS.format("*"))
    with whoosh_index.open_dir(str(theirs)).reader() as reader:
        assert postings_from_segment(tmp_path / "from-whoosh.bin", reader)
    assert (tmp_path / "from-whoosh.bin").read_bytes() == mine.read_bytes()


def test_arrays_take_their_narrowest_types_and_an_earlier_version_is_not_used(tmp_path, documents):
    """Document numbers in two bytes, frequencies in one, positions in two, where they
    fit; widened to what they hold where they do not. A file of an earlier version
    (positions as Whoosh encodes them) is passed over, never misread."""
    ours, _ = written_both_ways(tmp_path, documents)
    (path,) = ours.glob(SEGMENT_POSTINGS.format("*"))
    arrays = SegmentPostings.open(np, path)
    assert arrays is not None
    for fieldname in RANKED_FIELDS:
        views = arrays.fields[fieldname]
        assert (views["ids"].dtype, views["tfs"].dtype) == (np.uint16, np.uint8)
        assert views["positions"].dtype == np.int16
    wide = tmp_path / "wide.bin"
    far = 70_000  # a position past two bytes, a frequency past one
    assert write_postings(wide, [("text", [(b"word", [3], [300.0], [*range(299), far])])])
    opened = SegmentPostings.open(np, wide)
    assert opened is not None
    assert _file_postings(opened, "text", "word") == [(3, 300, [*range(299), far])]
    assert opened.fields["text"]["positions"].dtype == np.int32
    data = bytearray(path.read_bytes())
    data[: len(MAGIC)] = b"dwsearch postings 2\n"  # its checksum still whole
    path.write_bytes(bytes(data))
    assert SegmentPostings.open(np, path) is None


@pytest.mark.parametrize(
    "content", [b"", b"not a postings file", b"dwsearch postings 1\n\xff\xff\xff\x7f{"]
)
def test_an_unreadable_file_is_not_used(tmp_path, content):
    (tmp_path / "postings.bin").write_bytes(content)
    assert SegmentPostings.open(np, tmp_path / "postings.bin") is None
    assert SegmentPostings.open(np, tmp_path / "missing.bin") is None


def test_a_damaged_file_is_not_used_and_answers_stay_right(tmp_path, documents, monkeypatch):
    """One byte changed anywhere, header or arrays: the file is passed over (the segment
    is read through Whoosh), never read as wrong postings."""
    ours, _ = written_both_ways(tmp_path, documents)
    (path,) = ours.glob(SEGMENT_POSTINGS.format("*"))
    assert SegmentPostings.open(np, path) is not None
    data = bytearray(path.read_bytes())
    header = data.index(b"{")
    for place in (len(data) - 1, len(data) // 2, header + 20, data.index(b"}}}") + 8):
        damaged = bytearray(data)
        damaged[place] ^= 0x01
        path.write_bytes(bytes(damaged))
        assert SegmentPostings.open(np, path) is None, place


@pytest.fixture(scope="module")
def updated(tmp_path_factory):
    """An index built, then updated twice: new segments from Whoosh's writer, and one
    segment rewritten to purge its deleted chunks."""
    folder = tmp_path_factory.mktemp("updated")
    pages, index = folder / "pages", folder / "index"
    written = bench_module("synthetic").write_pages(pages, 12)
    build([pages], index=index)
    for path in written[:2]:
        path.write_text(path.read_text(encoding="utf-8")[:1500], encoding="utf-8")
    build_index(index, policy=MergePolicy(purge_share=1.0))  # deleted chunks stay
    written[3].write_text(written[3].read_text(encoding="utf-8")[:1200], encoding="utf-8")
    build_index(index, policy=MergePolicy(purge_share=0.0))  # any deletion rewrites
    return index, bench_module("run").query_mix(pages, 60)


def test_every_live_segment_has_its_file_and_no_other(updated):
    index, _ = updated
    with session(index) as opened:
        leaves = list(opened.searcher.reader().leaf_readers())
        assert len(leaves) > 1
        folder = opened.opened.generation
        wanted = {SEGMENT_POSTINGS.format(leaf.segment().segment_id()) for leaf, _ in leaves}
        assert {p.name for p in folder.glob(SEGMENT_POSTINGS.format("*"))} == wanted
        for leaf, _ in leaves:
            arrays = SegmentPostings.open(
                np, folder / SEGMENT_POSTINGS.format(leaf.segment().segment_id())
            )
            text = next(iter(leaf.lexicon("text"))).decode()
            assert _file_postings(arrays, "text", text) == _whooshs(leaf, "text", text)


@pytest.fixture(scope="module")
def larger(tmp_path_factory):
    """An index of 150 synthetic pages: words whose lists run to hundreds of postings."""
    folder = tmp_path_factory.mktemp("larger")
    return synthetic_index(folder, 150)


@pytest.mark.parametrize("one_at_a_time", [True, False])
def test_positions_of_any_postings_read_either_way_are_whooshs(larger, one_at_a_time, monkeypatch):
    """A few postings' positions are read one posting at a time, many in numpy: either
    way, for every term and for every posting, every third or every seventh (across the
    kept sums of frequencies), the positions are those Whoosh reads for them."""
    import dwsearch.index.postings as postings

    monkeypatch.setattr(postings, "FEW_POSTINGS", 10**9 if one_at_a_time else -1)
    index = larger
    longest = 0
    with session(index) as opened:
        folder = opened.opened.generation
        for leaf, _ in opened.searcher.reader().leaf_readers():
            name = SEGMENT_POSTINGS.format(leaf.segment().segment_id())
            arrays = SegmentPostings.open(np, folder / name)
            assert arrays is not None
            for fieldname in RANKED_FIELDS:
                for term in leaf.lexicon(fieldname):
                    text = term.decode()
                    expected = [p for _, _, p in _whooshs(leaf, fieldname, text)]
                    longest = max(longest, len(expected))
                    ids, _, positions = arrays.postings(fieldname, arrays.find(fieldname, text))
                    for step in (1, 3, 7):
                        at = np.arange(0, len(ids), step)
                        flat, counts = positions.gather(at)
                        ends = np.cumsum(counts).tolist()
                        got = [
                            flat[end - count : end].tolist()
                            for end, count in zip(ends, counts.tolist(), strict=True)
                        ]
                        assert got == [expected[n] for n in at.tolist()], (text, step)
    assert longest > 4 * postings.MARK_EVERY  # lists that cross several kept sums


def test_ranking_is_the_same_with_and_without_the_files(updated, monkeypatch):
    """The files only make the bulk ranking faster: with them, without them (read
    through Whoosh), and Whoosh's own search agree on hits, scores, totals and facets."""
    index, mix = updated
    # A word written joined, found through its hyphenated form ("e-commerce" in the
    # pages): the compounds' lookups read the files' spelling terms where they are.
    mix = [*mix, ("ecommerce", {}), ("ecommerce trade", {}), ("e-commerce", {})]
    outcomes: dict[str, list] = {}
    for name in ("with", "without"):
        if name == "without":
            monkeypatch.setattr(ranking, "SEGMENT_POSTINGS", "absent-{}.bin")
        with session(index, settings=SearchSettings(bulk_from_docs=BULK_ALWAYS)) as opened:
            for text, wanted in mix:
                filters = Filters(types=[wanted["type"]] if "type" in wanted else [])
                results = opened.search(text, filters, SearchOptions(limit=10, highlight=False))
                outcomes.setdefault(name, []).append(
                    ([(hit.id, hit.score) for hit in results.hits], results.total, results.facets)
                )
            used = [a for a in opened._bulk().arrays.values() if a is not None]
            assert bool(used) == (name == "with")
    with session(index, settings=SearchSettings(bulk_from_docs=WHOOSH_ONLY)) as opened:
        for (text, wanted), found in zip(mix, outcomes["with"], strict=True):
            filters = Filters(types=[wanted["type"]] if "type" in wanted else [])
            results = opened.search(text, filters, SearchOptions(limit=10, highlight=False))
            hits = [(hit.id, hit.score) for hit in results.hits]
            assert found == (hits, results.total, results.facets), text
    assert outcomes["with"] == outcomes["without"]
    assert outcomes["with"][-3][1] > 0  # "ecommerce" found its hyphenated form
