"""The direct segment writer writes what Whoosh's own writer writes."""

from __future__ import annotations

import pytest

from dwsearch.index import segments
from dwsearch.index.stored import STORED_FILE, StoredFields
from helpers import segment_documents, whoosh_postings, written_both_ways


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


@pytest.mark.parametrize("per_segment", [10**6, 97])
def test_direct_segments_equal_whoosh_writer(tmp_path, documents, per_segment, monkeypatch):
    from whoosh import index as whoosh_index

    monkeypatch.setattr(segments, "DOCS_PER_SEGMENT", per_segment)
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
