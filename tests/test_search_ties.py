"""Equal scores keep the order of the pages, however the index was built.

The same folder built in one go, by parallel workers, and by updates that add its pages
in another order gives different document numbers; a search's order must not show it.
Every search here runs through `dwsearch search`, on Whoosh's path and the bulk path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dwsearch.app.api import session
from dwsearch.index import parallel
from dwsearch.search.settings import SearchOptions, SearchSettings
from helpers import BULK_ALWAYS, WHOOSH_ONLY, bench_module, run_cli

pytestmark = pytest.mark.slow

# Prefixes score every chunk alike; a common word ties the chunks of equal length; the
# empty query ties every chunk; by date, chunks of one day and score tie.
QUERIES = ["cyb* sec*", "sp*", "digital", "report", "policy 2018", "summit -policy", ""]
SORTS = ["relevance", "newest", "oldest"]


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> dict[str, Path]:
    """One folder of pages, indexed three ways."""
    folder = tmp_path_factory.mktemp("ties")
    pages = bench_module("synthetic").write_pages(folder / "pages", 60)
    indexes = {name: folder / name for name in ("whole", "parallel", "added")}
    assert run_cli("build", str(folder / "pages"), "--index", str(indexes["whole"])).exit_code == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "PARALLEL_FROM_FILES", 2)
        result = run_cli("build", str(folder / "pages"), "--index", str(indexes["parallel"]))
        assert result.exit_code == 0
    # The last pages first, a batch per update: each batch numbered after the one before.
    staged = folder / "staged"
    staged.mkdir()
    for batch in (pages[40:], pages[20:40], pages[:20]):
        for page in batch:
            shutil.copy(page, staged / page.name)
        assert run_cli("build", str(staged), "--index", str(indexes["added"])).exit_code == 0
    return indexes


def _order(
    index: Path, query: str, sort: str, offset: int, bulk_from: int
) -> list[tuple[str, float]]:
    options = SearchOptions(limit=25, offset=offset, sort=sort, correct=False)
    with session(index, settings=SearchSettings(bulk_from_docs=bulk_from)) as opened:
        return [(hit.id, hit.score) for hit in opened.search(query, None, options).hits]


@pytest.mark.parametrize("sort", SORTS)
def test_tied_hits_keep_one_order_across_builds_and_paths(layouts, sort):
    for query in QUERIES:
        for offset in (0, 20):
            orders = {}
            for threshold in (WHOOSH_ONLY, BULK_ALWAYS):  # Whoosh's search, then in bulk
                for name, index in layouts.items():
                    orders[name, threshold] = _order(index, query, sort, offset, threshold)
            first = orders["whole", WHOOSH_ONLY]
            assert len({score for _, score in first}) < len(first), query  # ties to break
            for where, order in orders.items():
                assert order == first, (query, sort, offset, where)
