"""The bulk ranking of large indexes gives exactly what Whoosh's own search gives."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import dwsearch.search.engine as engine
from dwsearch.index import build
from dwsearch.search.engine import Filters, SearchSession

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def synthetic_index(tmp_path_factory):
    sys.path.insert(0, str(BENCH))
    try:
        from run import query_mix
        from synthetic import write_pages
    finally:
        sys.path.remove(str(BENCH))
    folder = tmp_path_factory.mktemp("synthetic")
    write_pages(folder / "pages", 40)
    build([folder / "pages"], index=folder / "index")
    return folder / "index", query_mix(folder / "pages", 90)


def test_bulk_and_whoosh_rankings_agree(synthetic_index, monkeypatch):
    index, mix = synthetic_index
    with SearchSession(index) as session:
        for text, wanted in mix:
            filters = Filters(
                types=[wanted["type"]] if "type" in wanted else [],
                topics=[wanted["topic"]] if "topic" in wanted else [],
                years=[wanted["years"]] if "years" in wanted else [],
            )
            outcomes = []
            for threshold in (10**9, 0):  # Whoosh's search, then the bulk ranking
                monkeypatch.setattr(engine, "BULK_FROM_DOCS", threshold)
                results = session.search(text, filters, limit=10, highlight=False)
                hits = [(hit.id, hit.score) for hit in results.hits]
                outcomes.append((hits, results.total, results.facets))
            assert outcomes[0] == outcomes[1], text
