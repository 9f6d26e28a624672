"""Filters, facet counts and date order, checked against a plain Python pass over the chunks.

The oracle here never calls dwsearch's search code: it reads the chunks the index was
built from, and decides which match, how many of each facet value there are, and in
what order dates come. Indexes of one segment and of several are both checked.
"""

from __future__ import annotations

import gc
import random
import threading
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dwsearch.app.api import Filters, open_index
from dwsearch.index import segments
from dwsearch.index.analysis import english_analyzer
from dwsearch.index.builder import build_from_chunks
from dwsearch.ingest import Chunk
from dwsearch.search.engine import SearchSession
from dwsearch.search.errors import SearchError
from dwsearch.search.facets import FacetMatrix
from dwsearch.search.matching import BitmapDocs
from dwsearch.search.ranking import BulkRanker
from dwsearch.search.results import SORTS
from dwsearch.search.settings import SearchOptions
from helpers import BULK_ALWAYS, searching_by

# Words that analysis keeps as they are (checked below), so the oracle can match by word.
WORDS = ("zebra", "quartz", "violin", "harbor", "lantern", "meadow", "copper", "tundra")
FACETS = {
    "type": ("profile", "event_report", "resource", "overview"),
    "kind": ("actor", "event", "update", "page"),
    "sector": ("ITU-R", "ITU-T", "ITU-D"),
    "topic": ("cybersecurity", "privacy", "spectrum", "education", "trade"),
    "basket": ("legal", "economic", "development"),
}
PLURAL = {"type": "types", "kind": "kinds", "sector": "sectors", "topic": "topics"}
PLURAL["basket"] = "baskets"


def _chunks(count: int, seed: int) -> list[Chunk]:
    rng = random.Random(seed)
    chunks = []
    for number in range(count):
        words = rng.choices(WORDS, k=rng.randint(1, 6))
        # Dated by days, by years alone (as most event reports are), or not at all.
        dated = rng.random() < 0.6
        by_years = (
            ()
            if dated or rng.random() < 0.4
            else tuple(sorted(set(rng.sample(range(2013, 2023), rng.randint(1, 2)))))
        )
        start = date(2014, 1, 1) + timedelta(days=rng.randint(0, 3000))
        end = start + timedelta(days=rng.choice([0, 0, 0, 3, 40]))
        chunks.append(
            Chunk(
                id=f"c{number:04d}",
                page=f"page-{number % 7}",
                page_title=f"Page {number % 7}",
                type=rng.choice(FACETS["type"]),
                kind=rng.choice(FACETS["kind"]),
                section="",
                title="",
                text=" ".join(words),
                years=tuple(range(start.year, end.year + 1)) if dated else by_years,
                topics=tuple(sorted(set(rng.sample(FACETS["topic"], rng.randint(0, 2))))),
                sectors=tuple(sorted(set(rng.sample(FACETS["sector"], rng.randint(0, 2))))),
                baskets=tuple(sorted(set(rng.sample(FACETS["basket"], rng.randint(0, 2))))),
                source=f"page-{number % 7}.txt",
                lines=(number, number),
                date=start.isoformat() if dated else "",
                date_end=end.isoformat() if dated and end != start else "",
            )
        )
    return chunks


@pytest.fixture(scope="module", params=["one segment", "several segments"])
def indexed(request, tmp_path_factory):
    chunks = _chunks(400, seed=7)
    folder = tmp_path_factory.mktemp("filters")
    original = segments.DOCS_PER_SEGMENT
    segments.DOCS_PER_SEGMENT = 10**9 if request.param == "one segment" else 70
    try:
        build_from_chunks(folder, chunks, "<oracle>")
    finally:
        segments.DOCS_PER_SEGMENT = original
    with SearchSession(open_index(folder)) as session:
        if request.param == "several segments":
            assert len(session.searcher.reader().leaf_readers()) > 1
        yield chunks, session


def test_the_oracles_words_are_indexed_as_written():
    analyzer = english_analyzer()
    for word in WORDS:
        assert [t.text for t in analyzer(word)] == [word]


def _values(chunk: Chunk, facet: str) -> tuple[str, ...]:
    if facet == "type":
        return (chunk.type,)
    if facet == "kind":
        return (chunk.kind,)
    if facet == "year":
        return tuple(str(y) for y in chunk.years)
    return getattr(chunk, PLURAL[facet])


def _spans(chunk: Chunk) -> list[tuple[str, str]]:
    """The days a chunk is about: its date or range, else each of its years whole."""
    if chunk.date:
        return [(chunk.date, chunk.date_end or chunk.date)]
    return [(f"{year}-01-01", f"{year}-12-31") for year in chunk.years]


def _overlaps(chunk: Chunk, since: str, until: str) -> bool:
    return any(
        (not until or start <= until) and (not since or end >= since)
        for start, end in _spans(chunk)
    )


def _date_key(chunk: Chunk, newest: bool) -> str:
    """The latest day a chunk is about (newest first), or its earliest; "" undated."""
    spans = _spans(chunk)
    if not spans:
        return ""
    return max(end for _, end in spans) if newest else min(start for start, _ in spans)


def _allowed_by(chunk: Chunk, filters: Filters, skip: str = "") -> bool:
    for facet, wanted in filters.by_facet().items():
        if wanted and facet != skip and not set(_values(chunk, facet)) & set(wanted):
            return False
    if filters.years and skip != "year":
        inside = [
            y
            for y in chunk.years
            if any((lo is None or y >= lo) and (hi is None or y <= hi) for lo, hi in filters.years)
        ]
        if not inside:
            return False
    return not (
        (filters.since or filters.until) and not _overlaps(chunk, filters.since, filters.until)
    )


def _random_filters(rng: random.Random) -> Filters:
    given = {}
    for facet, values in FACETS.items():
        if rng.random() < 0.35:
            given[PLURAL[facet]] = rng.sample(values, rng.randint(1, 2))
    filters = Filters(**given)
    if rng.random() < 0.3:
        low = rng.randint(2013, 2021)
        filters.years = [(low, low + rng.randint(0, 3))]
    if rng.random() < 0.3:
        first = date(2014, 1, 1) + timedelta(days=rng.randint(0, 3000))
        filters.since = first.isoformat() if rng.random() < 0.8 else ""
        filters.until = (first + timedelta(days=rng.randint(0, 900))).isoformat()
    return filters


# How a session counts facets: by Python integers (a small index), or in bulk by numpy
# (a large index), reading each value's bitmap whole or only where the match has
# documents; and a filtered result's documents read within the match's, or its bitmap
# unpacked whole. (FacetMatrix.SPARSE, BulkRanker.NARROW_SHARE)
COUNTING = {
    "one by one": None,
    "in bulk, whole, within the match": (10**9, 0),
    "in bulk, where matched, unpacked whole": (0, 10**9),
}


@pytest.mark.parametrize("counting", COUNTING)
def test_filters_and_counts_match_the_oracle(indexed, counting, monkeypatch):
    chunks, session = indexed
    if COUNTING[counting] is not None:
        sparse, narrow = COUNTING[counting]
        monkeypatch.setattr(FacetMatrix, "SPARSE", sparse)
        monkeypatch.setattr(BulkRanker, "NARROW_SHARE", narrow)
        session = searching_by(session, bulk_from_docs=BULK_ALWAYS)
    rng = random.Random(11)
    for _ in range(150):
        words = rng.sample(WORDS, rng.randint(0, 2))
        filters = _random_filters(rng)
        matching = [c for c in chunks if not words or set(c.text.split()) & set(words)]
        expected = [c for c in matching if _allowed_by(c, filters)]
        results = session.search(
            " ".join(words), filters, SearchOptions(limit=500, highlight=False)
        )
        assert results.total == len(expected), (words, filters)
        assert {h.id for h in results.hits} == {c.id for c in expected}, (words, filters)
        for facet in (*FACETS, "year"):
            counts: dict[str, int] = {}
            for chunk in matching:
                if _allowed_by(chunk, filters, skip=facet):
                    for value in _values(chunk, facet):
                        counts[value] = counts.get(value, 0) + 1
            # In order too: the most common value first, as every printer lists them.
            assert list(results.facets[facet].items()) == sorted(
                counts.items(), key=lambda item: (-item[1], item[0])
            ), (facet, words, filters)


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sorting_by_date_matches_the_oracle(indexed, sort):
    chunks, session = indexed
    rng = random.Random(5)
    for _ in range(20):
        words = rng.sample(WORDS, rng.randint(0, 2))
        matching = [c for c in chunks if not words or set(c.text.split()) & set(words)]
        newest = sort == "newest"
        keys = [_date_key(c, newest) for c in matching]
        dated = sorted((k for k in keys if k), reverse=newest)
        expected = dated + [""] * (len(matching) - len(dated))
        offset = rng.choice([0, 0, 5, 40])
        results = session.search(
            " ".join(words),
            None,
            SearchOptions(limit=30, offset=offset, sort=sort, highlight=False),
        )
        assert [_date_key(h.chunk, newest) for h in results.hits] == expected[offset : offset + 30]
        assert results.sort == sort


def test_an_unknown_value_is_an_error_naming_the_valid_ones(indexed):
    _, session = indexed
    with pytest.raises(SearchError) as refused:
        session.search("", Filters(baskets=["sports"]))
    assert (refused.value.field, refused.value.value) == ("basket", "sports")
    assert "not a basket this index knows" in str(refused.value)
    assert "development" in refused.value.allowed
    assert session.search("", Filters(kinds=["ACTOR"])).total > 0  # any case


def test_a_sort_that_does_not_exist_is_an_error(indexed):
    _, session = indexed
    with pytest.raises(SearchError, match="must be one of relevance, newest, oldest") as refused:
        session.search("zebra", None, SearchOptions(sort="latest"))
    assert refused.value.field == "sort" and refused.value.allowed == SORTS


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 70).flatmap(lambda size: st.tuples(
    st.just(size), st.sets(st.integers(0, max(size - 1, 0)), max_size=size)
)))  # fmt: skip
def test_a_bitmap_of_documents_holds_and_lists_what_a_set_does(size_and_docs):
    """The bitmap Whoosh filters by (and date sorting walks), against a plain set."""
    size, docs = size_and_docs
    docs = {d for d in docs if d < size}
    bitmap = BitmapDocs(sum(1 << d for d in docs), size)
    assert list(iter(bitmap)) == sorted(docs)
    for docnum in range(-2, size + 9):
        assert (docnum in bitmap) == (docnum in docs)


def test_a_session_keeps_one_counting_thread_and_lets_it_go(indexed):
    """A large index's facets are counted in a thread the session keeps for its
    searches: one thread however many searches, ended when the session is closed, or
    dropped unclosed, so a program that opens sessions is left with nothing running."""
    _, session = indexed

    def started_since(before):  # type: ignore[no-untyped-def]
        return [t for t in threading.enumerate() if t.name == "dwsearch-beside" and t not in before]

    before = threading.enumerate()
    bulk = searching_by(session, bulk_from_docs=BULK_ALWAYS)
    for text in ("zebra", "alpha", "zebra alpha", ""):
        bulk.search(text, None, SearchOptions(limit=5))
    (kept,) = started_since(before)
    bulk.close()
    kept.join(timeout=10)
    assert not kept.is_alive()

    dropped = searching_by(session, bulk_from_docs=BULK_ALWAYS)
    dropped.search("zebra", None, SearchOptions(limit=5))
    (left,) = started_since(before)
    del dropped
    gc.collect()
    left.join(timeout=10)
    assert not left.is_alive()


def test_a_failure_counting_in_bulk_reaches_the_caller(indexed, monkeypatch):
    """A large index counts its facets beside the ranking, in a thread of their own:
    what goes wrong there is raised to the search's caller, never a result without its
    counts."""
    _, session = indexed

    def broken(self, bases):  # type: ignore[no-untyped-def]
        raise ValueError("counting failed")

    monkeypatch.setattr(FacetMatrix, "counts", broken)
    with searching_by(session, bulk_from_docs=BULK_ALWAYS) as bulk:
        with pytest.raises(ValueError, match="counting failed"):
            bulk.search("zebra", None, SearchOptions(limit=5))
        assert bulk.search("zebra", None, SearchOptions(limit=5, facets=False)).total
