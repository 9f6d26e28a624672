"""The bulk ranking of large indexes gives exactly what Whoosh's own search gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwsearch.app.api import Filters, build, session
from dwsearch.index.builder import MergePolicy, build_index
from dwsearch.search.settings import SearchOptions
from helpers import bench_module, both_paths

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def synthetic_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    bench_module("synthetic").write_pages(folder / "pages", 40)
    build([folder / "pages"], index=folder / "index")
    return folder / "index", bench_module("run").query_mix(folder / "pages", 90)


def test_bulk_and_whoosh_rankings_agree(synthetic_index):
    index, mix = synthetic_index
    with session(index) as opened, both_paths(opened) as paths:
        for text, wanted in mix:
            filters = Filters(
                types=[wanted["type"]] if "type" in wanted else [],
                topics=[wanted["topic"]] if "topic" in wanted else [],
                years=[wanted["years"]] if "years" in wanted else [],
            )
            outcomes = []
            for by in paths:  # Whoosh's search, then the bulk ranking
                results = by.search(text, filters, SearchOptions(limit=10, highlight=False))
                hits = [(hit.id, hit.score) for hit in results.hits]
                outcomes.append((hits, results.total, results.facets))
            assert outcomes[0] == outcomes[1], text


def _phrase_queries(pages: Path) -> list[str]:
    """Quoted runs of 2–4 words from the pages, with slop, a word beside, a repeat; in
    one session, so a phrase searched again (or with another slop) is searched again."""
    lines = [
        line.split()
        for path in sorted(pages.glob("*.txt"))[:6]
        for line in path.read_text(encoding="utf-8").splitlines()
        if len(line.split()) > 30
    ]
    queries = []
    for number, words in enumerate(lines[:12]):
        words = [w.strip(".,;()") for w in words]
        start = (number * 7) % (len(words) - 5)
        run = words[start : start + 2 + number % 3]
        queries += [
            '"' + " ".join(run) + '"',
            '"' + " ".join(reversed(run)) + '"~3',
            '"' + " ".join(run[:2]) + '"~4',  # the same words as before, further apart
            '"' + " ".join(run) + '" ' + words[-1],
            '"' + run[0] + " " + run[0] + '"',
        ]
    return [*queries, "ITU-T", "ITU-T standards", '"e-commerce" data', "ITU-D OR ITU-R"]


def test_bulk_and_whoosh_agree_on_phrases(synthetic_index):
    index, _ = synthetic_index
    queries = _phrase_queries(index.parent / "pages")
    matched_some = 0
    with session(index) as opened, both_paths(opened) as paths:
        for text in queries:
            outcomes = []
            for by in paths:
                results = by.search(text, None, SearchOptions(limit=20, highlight=False))
                hits = [(hit.id, hit.score) for hit in results.hits]
                outcomes.append((hits, results.total, results.facets))
            assert outcomes[0] == outcomes[1], text
            matched_some += outcomes[0][1] > 0
    assert matched_some >= len(queries) // 2  # the phrases were found, not all missed


def test_bulk_and_whoosh_agree_after_updates_delete_documents(tmp_path):
    """An update leaves deleted documents in old segments; neither path may count them."""
    query_mix = bench_module("run").query_mix
    pages = tmp_path / "pages"
    written = bench_module("synthetic").write_pages(pages, 30)
    keep_deleted = MergePolicy(purge_share=1.0)  # the deleted documents stay
    build_index(tmp_path / "index", [pages], policy=keep_deleted)
    for path in written[:6]:
        path.write_text(path.read_text(encoding="utf-8")[:2000], encoding="utf-8")
    written[6].unlink()
    report = build_index(tmp_path / "index", [pages], policy=keep_deleted)
    assert len(report.updated) == 6 and report.removed
    with session(tmp_path / "index") as opened, both_paths(opened) as paths:
        assert opened.searcher.reader().has_deletions()
        for text, _ in query_mix(pages, 60):
            outcomes = []
            for by in paths:
                results = by.search(text, None, SearchOptions(limit=10, highlight=False))
                outcomes.append(([(h.id, h.score) for h in results.hits], results.total))
            assert outcomes[0] == outcomes[1], text


def test_a_session_that_keeps_little_ranks_as_one_that_keeps_much(synthetic_index, monkeypatch):
    """A long-running session keeps posting lists, their scores and phrases' matches
    within a budget; dropping the oldest must never change a result, only its cost."""
    from dwsearch.search import ranking

    index, mix = synthetic_index
    texts = [text for text, _ in mix] * 2  # each query twice: kept, or dropped and read again
    options = SearchOptions(limit=10, highlight=False)
    with session(index) as opened, both_paths(opened) as (_, roomy):
        expected = [roomy.search(text, None, options) for text in texts]
    budgets = [name for name in dir(ranking) if name.endswith("_CACHE_BYTES")]
    assert len(budgets) >= 7
    for name in budgets:
        monkeypatch.setattr(ranking, name, 1)  # keeps only the newest entry of each
    with session(index) as opened, both_paths(opened) as (_, tight):
        for text, wanted in zip(texts, expected, strict=True):
            found = tight.search(text, None, options)
            assert [(h.id, h.score) for h in found.hits] == [
                (h.id, h.score) for h in wanted.hits
            ], text
            assert (found.total, found.facets) == (wanted.total, wanted.facets), text
        ranker = tight._bulk()
        kept = [value for value in vars(ranker).values() if isinstance(value, ranking.KeptWithin)]
        assert len(kept) == len(budgets)
        for each in kept:
            assert len(each.entries) <= 1


def test_a_kept_answer_of_none_is_kept_not_asked_again():
    """A word with no positions to slice is answered None: kept as an answer, its cost
    counted once, not worked out again and counted again at every search."""
    from dwsearch.search import ranking

    kept = ranking.KeptWithin(10_000, lambda found: 0)
    asked: list[str] = []
    for _ in range(3):
        assert kept.get("word", lambda: asked.append("word")) is None
    assert asked == ["word"]
    assert kept.used == ranking.KeptWithin.ENTRY_BYTES


def test_a_field_weighed_at_nothing_matches_nothing_in_bulk(synthetic_index):
    """A title weight of 0 (a setting a program may choose) gives a title-only match
    no score; the bulk ranking counts as matches only what scores, so its total is the
    chunks whose text holds a word, as Whoosh finds them in the text field alone."""
    from dataclasses import replace

    from whoosh.query import Or, Term

    from dwsearch.search.engine import SearchSession
    from helpers import BULK_ALWAYS

    index, mix = synthetic_index
    with session(index) as opened:
        weighed = replace(opened.settings, title_weight=0.0, bulk_from_docs=BULK_ALWAYS)
        with SearchSession(opened.opened, weighed) as bulk:
            analyzer = bulk.searcher.schema["text"].analyzer
            checked = 0
            for text, _ in mix[:30]:
                if any(mark in text for mark in '"*-'):  # phrases, patterns, compounds
                    continue
                words = [token.text for token in analyzer(text)]
                results = bulk.search(text, None, SearchOptions(limit=1, correct=False))
                in_text = bulk.searcher.docs_for_query(Or([Term("text", w) for w in words]))
                live = {doc for doc in in_text if not bulk.searcher.reader().is_deleted(doc)}
                assert results.total == len(live), text
                checked += 1
            assert checked >= 10
