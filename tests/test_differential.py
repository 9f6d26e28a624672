"""dwsearch's own matching, ranking and facet counting against Whoosh's own search.

Over three layouts of the same pages (one segment; a parallel build of several
segments; an index updated with deleted documents left in it) and every kind of query
(words, phrases, prefixes, each filter alone and all together, pages past the first),
the hits, scores and totals must be what Whoosh's searcher gives, and the facet counts
what a plain pass over the matching documents' stored fields gives. dwsearch's bulk
ranking (numpy over whole posting lists) is forced on, so it is the path checked.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from whoosh import query
from whoosh.sorting import FieldFacet, ScoreFacet
from whoosh.support.levenshtein import distance as whoosh_distance

from dwsearch.app.api import Filters, session
from dwsearch.index import parallel, segments
from dwsearch.index.builder import MergePolicy, build_index
from dwsearch.search import ranking
from dwsearch.search.query import parse_query
from dwsearch.search.scoring import weighting
from dwsearch.search.settings import SearchOptions
from dwsearch.search.typos import spelled_words, typos_allowed, words_within
from helpers import BULK_ALWAYS, bench_module, searching_by

pytestmark = pytest.mark.slow
FACET_FIELDS = {"type": "type", "kind": "kind", "sector": "sectors", "topic": "topics"}
FACET_FIELDS["basket"] = "baskets"


@pytest.fixture(
    scope="module",
    params=["one segment", "several segments", "updated", "a segment without its arrays"],
)
def layout(request, tmp_path_factory):
    run, synthetic = bench_module("run"), bench_module("synthetic")
    folder = tmp_path_factory.mktemp(request.param.replace(" ", "-"))
    pages, index = folder / "pages", folder / "index"
    written = synthetic.write_pages(pages, 40)
    patch = pytest.MonkeyPatch()
    try:
        if request.param in ("several segments", "a segment without its arrays"):
            patch.setattr(parallel, "PARALLEL_FROM_FILES", 10)
            patch.setattr(segments, "DOCS_PER_SEGMENT", 300)
        keep_deleted = MergePolicy(purge_share=1.0)  # deleted documents stay in place
        build_index(index, [pages], policy=keep_deleted)
        if request.param == "updated":
            for path in written[:8]:
                path.write_text(path.read_text(encoding="utf-8")[:1500], encoding="utf-8")
            written[9].unlink()
            build_index(index, policy=keep_deleted)
    finally:
        patch.undo()
    if request.param == "a segment without its arrays":
        # As a segment whose postings file could not be written (two of its words
        # sharing a hash): the search reads that one through Whoosh.
        found = ranking.BulkRanker._arrays

        def without_third(self, segment, reader, fieldname):  # type: ignore[no-untyped-def]
            return None if segment == 2 else found(self, segment, reader, fieldname)

        patch.setattr(ranking.BulkRanker, "_arrays", without_third)
    with session(index) as opened:
        reader = opened.searcher.reader()
        if request.param == "several segments":
            assert len(reader.leaf_readers()) > 3
        if request.param == "updated":
            assert reader.has_deletions()
        if request.param == "a segment without its arrays":
            with searching_by(opened, bulk_from_docs=BULK_ALWAYS) as bulk:
                assert bulk._bulk()._segments("text") is None  # the arrays not all there
        yield request.param, opened, _queries(run, pages)
    patch.undo()


def _queries(run, pages: Path) -> list[str]:  # type: ignore[no-untyped-def]
    words = [text for text, _ in run.query_mix(pages, 30)]
    prefixes = [w.split()[0].strip('"')[:4] + "*" for w in words[:6] if len(w) > 5]
    phrases = ['"digital divide"', '"artificial intelligence" policy', "ITU-T standards"]
    return [*words, *prefixes, *phrases, ""]


def _filters(rng: random.Random, opened) -> list[Filters]:  # type: ignore[no-untyped-def]
    values = opened.facets.values
    one_each = [
        Filters(types=[rng.choice(sorted(values["type"]))]),
        Filters(kinds=[rng.choice(sorted(values["kind"]))]),
        Filters(topics=rng.sample(sorted(values["topic"]), 2)),
        Filters(sectors=[rng.choice(sorted(values["sector"]))]),
        Filters(baskets=[rng.choice(sorted(values["basket"]))]),
        Filters(years=[(2012, 2016)]),
    ]
    together = Filters(
        types=sorted(values["type"])[:3],
        topics=sorted(values["topic"])[:6],
        baskets=sorted(values["basket"])[:4],
        years=[(2005, None)],
    )
    return [Filters(), *one_each, together]


def _filter_query(filters: Filters) -> query.Query | None:
    """The same filters as Whoosh queries on the indexed fields."""
    parts = []
    for facet, wanted in filters.by_facet().items():
        if wanted:
            field = FACET_FIELDS[facet]
            lower = field in ("sectors", "topics", "baskets")  # lower-cased keywords
            parts.append(query.Or([query.Term(field, v.lower() if lower else v) for v in wanted]))
    if filters.years:
        parts.append(
            query.Or([query.NumericRange("years", low, high) for low, high in filters.years])
        )
    return query.And(parts) if parts else None


def _stored_values(fields: dict, facet: str) -> list[str]:
    if facet == "year":
        years = fields.get("years") or []
        return [str(y) for y in ([years] if isinstance(years, int) else years)]
    value = fields.get(FACET_FIELDS[facet], "")
    return [v for v in value.split(",") if v] if facet not in ("type", "kind") else [value]


def _oracle(searcher, stored, text: str, filters: Filters, offset: int, limit: int):  # type: ignore[no-untyped-def]
    parsed = parse_query(text, searcher.schema)
    keep = _filter_query(filters)
    ranked = searcher.search(
        parsed,
        limit=offset + limit,
        filter=keep,
        sortedby=[ScoreFacet(), FieldFacet("order")],
    )
    hits = [(stored(hit.docnum)["id"], round(-hit.score[0], 6)) for hit in ranked][offset:]
    total = len(list(searcher.docs_for_query(query.And([parsed, keep]) if keep else parsed)))
    matching = set(searcher.docs_for_query(parsed))
    counts = {}
    for facet in (*FACET_FIELDS, "year"):
        others = Filters(**{k: v for k, v in vars(filters).items()})
        if facet == "year":
            others.years = []
        else:
            setattr(others, {"type": "types", "kind": "kinds"}.get(facet, facet + "s"), [])
        allowed = _filter_query(others)
        docs = matching & set(searcher.docs_for_query(allowed)) if allowed else matching
        found: dict[str, int] = {}
        for docnum in docs:
            for value in _stored_values(stored(docnum), facet):
                found[value] = found.get(value, 0) + 1
        counts[facet] = dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))
    return hits, total, counts


def _tied_groups(hits: list[tuple[float, str]]) -> list[frozenset[str]]:
    """The ids of a page of hits in rank order, equal scores as one unordered group; the
    last group left out, as the page may cut it anywhere.

    Equal scores are ordered by page order in dwsearch and by document number in Whoosh,
    and a parallel build numbers documents in whichever order its workers finish files.
    """
    groups: list[set[str]] = []
    last = None
    for score, found in hits:
        if last is None or abs(score - last) > 1e-5:
            groups.append(set())
        groups[-1].add(found)
        last = score
    return [frozenset(group) for group in groups[:-1]]


def test_dwsearch_gives_what_whoosh_gives(layout):
    name, whole, queries = layout
    with searching_by(whole, bulk_from_docs=BULK_ALWAYS) as opened:  # bulk, on a small index
        _compare(name, opened, queries)


def test_a_sampled_score_bar_gives_what_whoosh_gives(layout, monkeypatch):
    """The top hits' bar found through a sample of the scores, as a large index finds
    it, here forced on a small one (every second score sampled, from eight matches)."""
    monkeypatch.setattr(ranking, "SAMPLED_FROM", 8)
    monkeypatch.setattr(ranking, "SAMPLE_STEP", 2)
    name, whole, queries = layout
    with searching_by(whole, bulk_from_docs=BULK_ALWAYS) as opened:
        _compare(name, opened, queries)


def test_phrases_read_over_the_whole_index_give_what_whoosh_gives(layout, monkeypatch):
    """A phrase's positions read over the whole index, and its documents placed in each
    word's postings by a table: forced here, where a large index chooses them by the
    numbers of documents (the other ways are the small index's, in the tests above)."""
    monkeypatch.setattr(ranking, "FEW_PHRASE_DOCS", -1)
    monkeypatch.setattr(ranking, "DENSE_PLACES_FROM", 0)
    name, whole, queries = layout
    with searching_by(whole, bulk_from_docs=BULK_ALWAYS) as opened:
        _compare(name, opened, queries)


def test_a_prefix_is_refused_as_its_distinct_words_across_segments_say(layout):
    """A prefix standing for more words than allowed (in the title or the text) is
    refused, counting each word once however many segments hold it: the bulk ranker's
    own count of each segment's words, against Whoosh's lexicon of the whole index."""
    from dwsearch.search.errors import SearchError

    name, whole, _ = layout
    reader = whole.opened.whoosh_index.reader()
    lexicons = [
        {term.decode() if isinstance(term, bytes) else term for term in reader.lexicon(field)}
        for field in ("title", "text")
    ]
    starts = Counter(term[:2] for term in lexicons[1] if len(term) > 2)
    checked = 0
    for prefix, _ in starts.most_common(6):
        words = max(len({t for t in lexicon if t.startswith(prefix)}) for lexicon in lexicons)
        for most, refused in ((words - 1, True), (words, False)):
            changes = {"bulk_from_docs": BULK_ALWAYS, "max_pattern_words": most}
            with searching_by(whole, **changes) as opened:
                try:
                    opened.search(f"{prefix}*", None, SearchOptions(correct=False))
                    said = ""
                except SearchError as error:
                    said = str(error)
            assert bool(said) == refused, (name, prefix, words, most, said)
            checked += 1
    assert checked == 12, name


def test_a_typos_nearest_words_are_the_same_on_every_layout(layout):
    """The words within a misspelling's budget are those of its first letter that
    Whoosh's own edit distance (optimal string alignment: a swap of two letters is one
    edit) puts within it, however many segments hold them. Whoosh's lookup itself
    differed by layout: one segment's automaton counted a swap as two edits, a reader of
    several segments as one."""
    name, whole, _ = layout
    reader = whole.searcher.reader()
    lexicon = sorted({term.decode() for term in reader.lexicon("spell")})
    spelled = spelled_words(reader)
    rng = random.Random(11)
    checked = swaps = 0
    for word in rng.sample([w for w in lexicon if len(w) >= 6], 25):
        cut = rng.randrange(1, len(word) - 1)
        swapped = word[:cut] + word[cut + 1] + word[cut] + word[cut + 2 :]
        misspelled = {
            word[:cut] + word[cut + 1 :],  # a letter left out
            swapped,  # two swapped
            word[:cut] + "q" + word[cut + 1 :],  # one changed
        }
        for typo in sorted(misspelled):
            budget = typos_allowed(typo)
            wanted = {
                w for w in lexicon if w[:1] == typo[:1] and whoosh_distance(w, typo) <= budget
            }
            found = {w for w, _ in words_within(typo, budget, spelled(typo[:1]))}
            assert found == wanted, (name, typo, budget)
            checked += 1
            if typo == swapped != word:
                swaps += word in found  # one edit away, whatever the budget
    assert checked >= 50 and swaps >= 10, name


def _compare(name, opened, queries):  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    oracle = opened.opened.whoosh_index.searcher(weighting=weighting())
    checked = matched = 0
    for text in queries:
        for filters in _filters(rng, opened):
            offset = rng.choice([0, 0, 7])
            results = opened.search(
                text,
                filters,
                # Whoosh ranks chunks, not pages: the plain order, uncrowded.
                SearchOptions(
                    limit=10, offset=offset, correct=False, highlight=False, all_chunks=True
                ),
            )
            hits, total, counts = _oracle(oracle, opened.stored, text, filters, offset, 10)
            where = (name, text, filters, offset)
            assert results.total == total, where
            assert results.facets["year"] == counts["year"], where
            for facet in FACET_FIELDS:
                assert results.facets[facet] == counts[facet], (facet, *where)
            if text:  # an empty query is every chunk, unranked
                scores = [h.score for h in results.hits]
                assert scores == pytest.approx([s for _, s in hits], abs=1e-5), where
                got = _tied_groups([(h.score, h.id) for h in results.hits])
                assert got == _tied_groups([(s, i) for i, s in hits]), where
            checked += 1
            matched += bool(total)
    assert matched > checked // 2  # most searches found something to compare
