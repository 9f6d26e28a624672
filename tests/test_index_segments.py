"""The direct segment writer writes what Whoosh's own writer writes."""

from __future__ import annotations

import numpy as np
import pytest

from dwsearch.index import segments
from dwsearch.index.stored import STORED_FILE, StoredFields
from helpers import needs_direct_writer, segment_documents, whoosh_postings, written_both_ways


@pytest.fixture(scope="module")
def documents(tmp_path_factory, seed_text):
    return segment_documents(tmp_path_factory.mktemp("pages"), seed_text, 12)


def _blocks(reader, fieldname, text):
    """Each block's statistics: its length, last id, top weight, shortest and longest."""
    matcher = reader.postings(fieldname, text)
    found = []
    while matcher.is_active():
        found.append(
            (
                matcher.block_max_id(),
                matcher.block_max_weight(),
                matcher.block_min_length(),
                matcher.block_max_length(),
            )
        )
        if not matcher.supports_block_quality():
            break
        matcher.skip_to_quality(10**9)  # past this block, to the next one's start
    return found


@pytest.mark.parametrize(
    ("per_segment", "batch"),
    [(10**6, 65_536), (97, 65_536), (10**6, 5)],  # 5: terms made into lists a few at a time
)
def test_direct_segments_equal_whoosh_writer(tmp_path, documents, per_segment, batch, monkeypatch):
    from whoosh import index as whoosh_index

    monkeypatch.setattr(segments, "DOCS_PER_SEGMENT", per_segment)
    monkeypatch.setattr(segments, "_BATCH_POSTINGS", batch)
    ours, theirs = written_both_ways(tmp_path, documents, optimize=True)

    a, b = whoosh_index.open_dir(str(ours)).reader(), whoosh_index.open_dir(str(theirs)).reader()
    assert len(list(a.leaf_readers())) == -(-len(documents) // per_segment)
    assert a.doc_count_all() == b.doc_count_all() == len(documents)
    terms = list(a.all_terms())
    assert terms == list(b.all_terms())
    for fieldname, text in terms:
        assert whoosh_postings(a, fieldname, text) == whoosh_postings(b, fieldname, text), (
            fieldname,
            text,
        )
        assert a.frequency(fieldname, text) == b.frequency(fieldname, text)
        mine, whooshs = a.term_info(fieldname, text), b.term_info(fieldname, text)
        # The statistics Whoosh's block-max search reads, per term and per block.
        assert (mine.min_length(), mine.max_length(), mine.max_weight()) == (
            whooshs.min_length(),
            whooshs.max_length(),
            whooshs.max_weight(),
        ), (fieldname, text)
        if per_segment > len(documents):  # one segment each: the same blocks
            assert _blocks(a, fieldname, text) == _blocks(b, fieldname, text), (fieldname, text)
    stored_a, stored_b = StoredFields(a, ours), StoredFields(b, theirs)
    assert not list(ours.glob(STORED_FILE.format("*"))) or not any(
        leaf.stored_fields(0) for leaf, _ in a.leaf_readers()
    )  # each segment's stored fields are in one place: its blocks, or Whoosh's column
    for docnum in range(len(documents)):
        assert stored_a(docnum) == stored_b(docnum)
    for fieldname in ("title", "text", "spell"):
        assert a.field_length(fieldname) == b.field_length(fieldname)
        # (Whoosh answers None for an empty field when its segment has the column, else 0.)
        lengths = [a.doc_field_length(n, fieldname) or 0 for n in range(len(documents))]
        assert lengths == [b.doc_field_length(n, fieldname) or 0 for n in range(len(documents))]
    for column in ("order", "year_facet", "type", "topics", "sectors"):
        mine, whooshs = a.column_reader(column), b.column_reader(column)
        assert [mine[n] for n in range(len(documents))] == [
            whooshs[n] for n in range(len(documents))
        ]
    assert len(list(ours.glob("_MAIN_*.toc"))) == 1  # the empty one removed


def test_without_isal_segments_are_written_with_zlib(tmp_path, seed_path):
    """Where ISA-L has no wheel, the build deflates with zlib, and reads the same."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['isal'] = None  # as if it were not installed\n"
        "from dwsearch.index import whoosh_internals\n"
        "assert whoosh_internals.deflater().__module__ == 'zlib'\n"
        "from dwsearch.index import stored\n"
        "assert stored.compressor().func.__module__ == 'zlib'\n"
        "from dwsearch.app.api import build, search\n"
        f"build([{str(seed_path)!r}], index={str(tmp_path / 'ix')!r})\n"
        f"found = search('satellites', index={str(tmp_path / 'ix')!r})\n"
        "print(found.total, found.hits[0].id)\n"
    )
    without = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert without.returncode == 0, without.stderr
    from dwsearch.app.api import build, search

    build([seed_path], index=tmp_path / "with")
    found = search("satellites", index=tmp_path / "with")
    assert without.stdout.split() == [str(found.total), found.hits[0].id]


def _column_parts(folder):  # type: ignore[no-untyped-def]
    """Each column's bytes in the folder's one segment, by the part's name less the
    segment's id."""
    from dwsearch.index.whoosh_internals import compound_parts

    (segment,) = folder.glob("*.seg")
    data = segment.read_bytes()
    stem = segment.stem
    return {
        name.replace(stem, ""): data[offset : offset + length]
        for name, (offset, length) in compound_parts(str(folder), segment.name).items()
        if name.endswith(".col")
    }


def test_columns_are_whooshs_byte_for_byte(tmp_path):
    """Columns written whole at a segment's end are the bytes Whoosh's column writers
    write a value at a time (and the postings Whoosh's writer writes, numbers given
    alone or in lists): values missing here and there and at the end, lengths and
    offsets past one and two bytes, the per-document offsets Whoosh adds past a number
    of documents, numbers that are the default (not written), the largest number."""
    import random

    from whoosh import index as whoosh_index

    from dwsearch.index.schema import build_schema

    schema = build_schema()
    for name in ("order", "year_facet", "type", "topics"):
        schema[name].column_type.write_offsets_cutoff = 40  # Whoosh's 32,768, scaled down
    draw = random.Random(7)
    documents = []
    for number in range(300):
        document = {"id": f"{number:040x}", "text": "word " * draw.randrange(0, 3)}
        if number % 7 and number < 290:  # some missing, and none in the last ten
            size = draw.choice([0, 1, 5, 300, 70_000]) if number % 50 == 1 else draw.randrange(9)
            document["order"] = bytes(draw.randrange(256) for _ in range(size))
        if number % 3:
            document["day"] = draw.choice([0, 0, 1, 738_000, 2**32 - 1])
        if number % 5:
            document["type"] = draw.choice(["", "event", "ébène", "profile"])
            document["topics"] = ",".join(draw.sample(["a", "bb", "ccc"], draw.randrange(3)))
        document["day_end"] = 0 if number > 250 else draw.randrange(3)
        if number % 6 == 1:  # a number alone, or a list of them, as Whoosh takes either
            document["years"] = 2000 + number % 9 if number % 12 == 1 else [1999, 2024 + number % 5]
        if number % 4 == 0:  # none longer than a byte says
            document["year_facet"] = b"y" * (200 if number == 40 else draw.randrange(20))
        documents.append(document)
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    writer = segments.SegmentWriter(str(ours), schema)
    whoosh = whoosh_index.create_in(str(theirs), schema).writer()
    for document in documents:
        writer.add_document(**document)
        whoosh.add_document(**document)
    writer.commit()
    whoosh.commit()
    a, b = whoosh_index.open_dir(str(ours)).reader(), whoosh_index.open_dir(str(theirs)).reader()
    terms = list(a.all_terms())
    assert terms == list(b.all_terms())
    assert [whoosh_postings(a, *term) for term in terms] == [
        whoosh_postings(b, *term) for term in terms
    ]
    assert ("years", a.schema["years"].to_bytes(2024)) in terms
    mine, whooshs = _column_parts(ours), _column_parts(theirs)
    mine.pop("._stored.col", None)  # stored fields are in dwsearch's blocks
    whooshs.pop("._stored.col", None)
    assert set(mine) >= {".order.col", ".year_facet.col", ".day.col", ".type.col", "._text_len.col"}
    assert mine == whooshs


def test_encoded_positions_are_whooshs_byte_for_byte():
    """A posting's positions encoded in bulk are Whoosh's `encode`'s bytes, each value an
    object of its own (a block's pickle would write a repeated object as a reference)."""
    import pickle
    import random

    from whoosh import formats

    from dwsearch.index.whoosh_internals import encoded_positions

    draw = random.Random(3)
    postings = [[5], [5], [0], [-2], [255, 256], [70_000], [0, 2**31 - 1]]
    for _ in range(400):
        count = draw.choice([1, 1, 1, 2, 3, 40, 999, 1000, 1001, 2500])
        places = sorted(draw.randrange(-3, 3000) for _ in range(count))
        postings.append(places if draw.random() < 0.9 else draw.sample(places, count))
    flat = np.array([p for places in postings for p in places], dtype=np.int32)
    found = encoded_positions(np, flat.tobytes(), [len(places) for places in postings])
    expected = [formats.Positions().encode(places) for places in postings]
    assert found == expected
    assert len({id(value) for value in found}) == len(found)
    assert pickle.dumps(tuple(found), 2) == pickle.dumps(tuple(expected), 2)


@needs_direct_writer
def test_facet_files_from_memory_are_those_read_from_the_columns(tmp_path, documents, monkeypatch):
    """The writer makes each segment's facets file from the values it holds; worked out
    again from the columns it wrote (as for a segment Whoosh's writer made), every file
    is the same, byte for byte."""
    from whoosh import index as whoosh_index

    from dwsearch.index.facetmap import SEGMENT_MAP, write_segment_facetmaps

    monkeypatch.setattr(segments, "DOCS_PER_SEGMENT", 97)
    ours, _ = written_both_ways(tmp_path, documents)
    written = {path.name: path.read_bytes() for path in ours.glob(SEGMENT_MAP.format("*"))}
    assert len(written) == -(-len(documents) // 97)
    for name in written:
        (ours / name).unlink()
    write_segment_facetmaps(whoosh_index.open_dir(str(ours)), ours)
    assert {path.name: path.read_bytes() for path in ours.glob(SEGMENT_MAP.format("*"))} == written


@needs_direct_writer
def test_a_written_segment_is_let_go_with_the_cycle_collector_paused(
    tmp_path, documents, monkeypatch
):
    """A build pauses Python's cycle collector, so a segment's postings must be freed
    by their last reference as soon as the segment is written: held in a cycle, each
    segment a worker wrote stayed in its memory (2.3 GB for a build of a million
    chunks on two workers, against 0.8 once let go)."""
    import gc
    import weakref

    from dwsearch.index.schema import build_schema

    monkeypatch.setattr(segments, "DOCS_PER_SEGMENT", 10**6)
    writer = segments.SegmentWriter(str(tmp_path), build_schema())
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(3):  # the second segment on meets the folder the first left
            for document in documents[:20]:
                writer.add_document(**document)
            written = [weakref.ref(field) for field in writer._fields.values()]
            writer.flush()
            assert [field() for field in written if field() is not None] == []
    finally:
        if enabled:
            gc.enable()
