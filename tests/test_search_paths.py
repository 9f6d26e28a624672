"""The bulk ranking (numpy over whole posting lists) gives what Whoosh's own search gives,
on a small index of two segments with deleted chunks: the quick suite's guard of what
tests/test_search_bulk.py and tests/test_differential.py check at length."""

from __future__ import annotations

import pytest

from dwsearch.app.api import Filters, session
from dwsearch.index.builder import MergePolicy, build_index
from dwsearch.search.settings import SearchOptions
from helpers import bench_module, both_paths


@pytest.fixture(scope="module")
def two_segments_with_deletions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paths")
    pages = folder / "pages"
    written = bench_module("synthetic").write_pages(pages, 6)
    keep_deleted = MergePolicy(purge_share=1.0)  # deleted chunks stay in their segment
    build_index(folder / "index", [pages], policy=keep_deleted)
    written[1].write_text(written[1].read_text(encoding="utf-8")[:1500], encoding="utf-8")
    written[2].unlink()
    build_index(folder / "index", [pages], policy=keep_deleted)
    return folder / "index", bench_module("run").query_mix(pages, 40)


def test_bulk_and_whoosh_agree_over_two_segments_with_deletions(two_segments_with_deletions):
    index, mix = two_segments_with_deletions
    options = SearchOptions(limit=10, highlight=False)
    with session(index) as opened, both_paths(opened) as paths:
        reader = opened.searcher.reader()
        assert len(reader.leaf_readers()) == 2 and reader.has_deletions()
        compared = 0
        for text, wanted in mix:
            filters = Filters(types=[wanted["type"]] if "type" in wanted else [])
            outcomes = []
            for by in paths:
                results = by.search(text, filters, options)
                outcomes.append(([(h.id, h.score) for h in results.hits], results.total))
            assert outcomes[0] == outcomes[1], text
            compared += outcomes[0][1] > 0
    assert compared >= len(mix) // 2  # most queries found something to compare
