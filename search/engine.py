"""The search side: an opened index, a query and filters in, Results out.

`SearchSession` searches one opened generation; the application API
(`dwsearch.app.api`) opens the index and hands it one. Nothing here imports ingestion
or the builder.
"""

from __future__ import annotations

import heapq
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from itertools import islice
from typing import TYPE_CHECKING, Any

from whoosh.query import MultiTerm, NullQuery, Prefix, TermRange, Wildcard
from whoosh.sorting import FieldFacet, ScoreFacet

from dwsearch.index import IndexDamaged, IndexProblem
from dwsearch.index.documents import stored_chunk
from dwsearch.index.facetmap import FacetMap
from dwsearch.index.location import read_vocabulary
from dwsearch.index.reading import OpenIndex, live_terms
from dwsearch.ingest.chunk import Chunk

from .errors import ChunkNotFound, SearchError
from .facets import disjunctive_counts, filter_bits
from .feedback import FEEDBACK_DOCS, rm3_query
from .filters import nearest_value
from .highlight import Highlighter, QueryMarks
from .matching import BitmapDocs, bulk_query, matching_bits
from .query import (
    SEARCH_FIELDS,
    clean_query_text,
    correct_query,
    has_required_word,
    parse_query,
    with_compound_forms,
)
from .results import MAX_LIMIT, MAX_OFFSET, SORTS, Filters, Hit, Results, Snippet
from .scoring import weighting

if TYPE_CHECKING:
    from .ranking import BulkRanker

# Below this many documents Whoosh's own search is fast enough, and numpy's import
# (and the bulk ranking's) is not.
BULK_FROM_DOCS = 5_000

__all__ = [
    "Filters",
    "IndexProblem",
    "IndexStats",
    "Results",
    "SearchError",
    "SearchSession",
    "index_stats",
    "show_chunk",
]

# The most words one pattern may stand for (`cyber*` is 15 on the bundled corpus).
MAX_PATTERN_WORDS = 500
# The facets a filter may name by value (years and dates are ranges).
FILTER_FACETS = ("type", "kind", "sector", "topic", "basket")


def _check_paging(limit: int, offset: int) -> None:
    if limit < 0 or limit > MAX_LIMIT:
        raise SearchError(f"must be between 0 and {MAX_LIMIT}", "limit", limit)
    if offset < 0 or offset > MAX_OFFSET:
        raise SearchError(f"must be between 0 and {MAX_OFFSET}", "offset", offset)


def _known_values(
    vocabulary: dict[str, dict[str, str]], facets: FacetMap
) -> dict[str, dict[str, str]]:
    """For each filterable facet, every accepted spelling of a value, to the value indexed:
    the values the index was built to know (by value or display name), and any it holds."""
    known: dict[str, dict[str, str]] = {}
    for facet in FILTER_FACETS:
        accepted = {}
        for value, name in vocabulary.get(facet, {}).items():
            accepted[name.lower()] = value
            accepted[value.lower()] = value
        for value in facets.values.get(facet, {}):
            accepted.setdefault(value.lower(), value)
        known[facet] = accepted
    return known


def _canonical_filters(filters: Filters, known: dict[str, dict[str, str]]) -> Filters:
    """Filters with values as the index holds them; an unknown value is an error."""

    def resolve(facet: str, given: list[str]) -> list[str]:
        resolved = []
        for value in given:
            match = known[facet].get(value.strip().lower())
            if match is None:
                values = sorted(set(known[facet].values()), key=str.lower)
                nearest = nearest_value(value, known[facet])
                raise SearchError(f"not a {facet} this index knows", facet, value, values, nearest)
            resolved.append(match)
        return resolved

    by_facet = {facet: resolve(facet, wanted) for facet, wanted in filters.by_facet().items()}
    return replace(
        filters,
        types=by_facet["type"],
        kinds=by_facet["kind"],
        sectors=by_facet["sector"],
        topics=by_facet["topic"],
        baskets=by_facet["basket"],
    )


def _explain(searcher: Any, parsed: Any, docnums: list[int]) -> dict[int, tuple[str, ...]]:
    """Each query term's share of each hit's score, as BM25F computed it.

    Each term's matcher is made once and walked through the hits in document order: a
    prefix's matcher gathers every word it begins, and made once a hit, 20 prefixes over
    100 hits took 74 s on 85,000 chunks.
    """
    wanted = sorted(set(docnums))
    lines: dict[int, list[str]] = {docnum: [] for docnum in wanted}
    for leaf in parsed.leaves():
        if getattr(leaf, "fieldname", None) not in SEARCH_FIELDS:
            continue
        matcher = leaf.matcher(searcher)
        boost = f" (weight {leaf.boost:.4g})" if leaf.boost != 1 else ""
        for docnum in wanted:
            if not matcher.is_active():
                break
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
            if matcher.is_active() and matcher.id() == docnum:
                lines[docnum].append(f"{leaf} = {matcher.score():.4f}{boost}")
    return {docnum: tuple(found) for docnum, found in lines.items()}


class SearchSession:
    """An open index and searcher, for many searches in one process.

    The module's `search()` opens one per call; a program or benchmark that searches
    repeatedly keeps one open instead.
    """

    def __init__(self, opened: OpenIndex) -> None:
        self.opened = opened
        self.searcher = self.opened.whoosh_index.searcher(weighting=weighting())
        self._ranker: BulkRanker | None = None
        self._known: dict[str, dict[str, str]] | None = None
        self._highlighter: Highlighter | None = None
        try:
            self.facets = FacetMap(self.opened.generation)
        except (OSError, ValueError) as error:
            self.searcher.close()
            raise IndexDamaged(
                f"the index at {self.opened.directory} is damaged ({error})",
                self.opened.directory,
            ) from None

    def __enter__(self) -> SearchSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.searcher.close()

    def search(
        self,
        query_text: str = "",
        filters: Filters | None = None,
        limit: int = 10,
        offset: int = 0,
        explain: bool = False,
        correct: bool = True,
        with_facets: bool = True,
        highlight: bool = True,
        sort: str = "relevance",
        feedback: bool = False,
    ) -> Results:
        """A page of hits for the query and filters, best first or by date (`sort` is
        "relevance", "newest" or "oldest"; undated chunks come last, by relevance)."""
        _check_paging(limit, offset)
        if sort not in SORTS:
            raise SearchError(f"must be one of {', '.join(SORTS)}", "sort", sort, SORTS)
        started = time.perf_counter()
        searcher = self.searcher
        filters = filters or Filters()
        if any(filters.by_facet().values()):
            if self._known is None:
                vocabulary = read_vocabulary(self.opened.generation)
                self._known = _known_values(vocabulary, self.facets)
            filters = _canonical_filters(filters, self._known)
        text = clean_query_text(query_text)
        # An empty query (or one of spaces) means every chunk; one of other invisible
        # characters means none.
        blank = not query_text.strip()
        parsed = parse_query(text, searcher.schema) if text or blank else NullQuery
        parsed = with_compound_forms(parsed, text, searcher)
        suggestion = None
        if correct:
            parsed, suggestion = correct_query(parsed, text, searcher)
        check_patterns(parsed, searcher.reader())
        if feedback and not has_required_word(text):  # RM3: the best chunks lend their words
            first = self.search(
                query_text,
                filters,
                FEEDBACK_DOCS,
                correct=correct,
                with_facets=False,
                highlight=False,
                feedback=False,
            )
            parsed = rm3_query(parsed, first.hits, searcher.schema["text"].analyzer)

        facets = self.facets
        bulk = bulk_query(parsed) if facets.size >= BULK_FROM_DOCS else None
        scores = None
        if bulk is not None:
            scores = self._bulk().scores(bulk.words, facets.size)
            self._bulk().add_phrases(scores, bulk.phrases)
            self._bulk().add_prefixes(scores, bulk.prefixes)
            matched = self._bulk().matched(scores) & facets.live
        else:
            matched = matching_bits(searcher, parsed, facets.live, facets.size)
        allowed = filter_bits(facets, filters)
        final = matched
        for bits in allowed.values():
            final &= bits
        counts = disjunctive_counts(facets, matched, allowed) if with_facets else {}
        ranked = None
        if final and limit and sort != "relevance":
            every = self._all_scores(parsed, final, scores)
            ranked = _by_date(every, facets, newest=sort == "newest", wanted=offset + limit)
        elif bulk is not None and final and limit:
            ranked = self._bulk().top(scores, bulk.bonuses, final, facets.size, offset + limit)
        hits = self._hits(
            parsed, final, allowed, limit, offset, explain, highlight, ranked, sort == "relevance"
        )
        return Results(
            query=query_text,
            total=final.bit_count(),
            offset=offset,
            limit=limit,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            suggestion=suggestion,
            hits=hits,
            facets=counts,
            sort=sort,
        )

    def _all_scores(self, parsed: Any, final: int, scores: Any) -> list[tuple[float, int]]:
        """(score, docnum) for every document in `final`, for sorting them another way."""
        if scores is not None:
            docs = BitmapDocs(final, self.facets.size)
            return [(float(scores[docnum]), docnum) for docnum in docs]
        found = self.searcher.search(parsed, limit=None, filter=BitmapDocs(final, self.facets.size))
        return [(hit.score or 0.0, hit.docnum) for hit in found]

    def _bulk(self) -> BulkRanker:
        if self._ranker is None:
            from .ranking import BulkRanker

            self._ranker = BulkRanker(self.searcher, self.opened.generation)
        return self._ranker

    def _hits(
        self,
        parsed: Any,
        final: int,
        allowed: dict[str, int],
        limit: int,
        offset: int,
        explain: bool,
        highlight: bool,
        scored: list[tuple[float, int]] | None,
        by_score: bool = True,
    ) -> list[Hit]:
        """The page of best hits, from the bulk ranking or Whoosh's own top-k search;
        `scored` already in order when not `by_score`."""
        if not final or not limit:
            return []
        searcher = self.searcher
        if scored is None:
            # Sorting by score, then page order, inside Whoosh: a cut through a group of
            # equal scores then falls the same way however the index is laid out.
            keep = BitmapDocs(final, self.facets.size) if allowed else None
            ranked = searcher.search(
                parsed,
                limit=offset + limit,
                filter=keep,
                sortedby=[ScoreFacet(), FieldFacet("order")],
            )
            scored = [(-hit.score[0], hit.docnum) for hit in ranked]
        best = (
            _page(self.facets.order_keys, scored, offset, limit)
            if by_score
            else scored[offset : offset + limit]
        )
        terms = QueryMarks.of(parsed)
        explained = _explain(searcher, parsed, [docnum for _, docnum in best]) if explain else {}
        hits = []
        for score, docnum in best:
            chunk = stored_chunk(searcher.stored_fields(docnum))
            body = title = Snippet(())
            if highlight:
                if self._highlighter is None:
                    # The index's own analyzer, so matches are marked as they were found.
                    self._highlighter = Highlighter(searcher.schema["text"].analyzer)
                body = self._highlighter.snippet(chunk.text or chunk.title, terms)
                title = self._highlighter.snippet(chunk.display_title, terms, window=10_000)
            hits.append(Hit(chunk, round(score, 6), body, title, explained.get(docnum, ())))
        return hits


def _page(
    order: Sequence[int],
    scored: list[tuple[float, int]],
    offset: int,
    limit: int,
) -> list[tuple[float, int]]:
    """The hits from `offset`, best first; equal scores keep the order of the page
    (`order`: each document's place among the pages).

    Only the groups of equal scores that reach the page are put in page order, and of
    a large group only as many as the page needs.
    """
    wanted = offset + limit
    by_score: dict[float, list[int]] = {}
    for score, docnum in scored:
        by_score.setdefault(round(score, 9), []).append(docnum)
    page: list[tuple[float, int]] = []
    for score in sorted(by_score, reverse=True):
        needed = wanted - len(page)
        docs = by_score[score]
        if len(docs) > 1 and len(page) + len(docs) > offset:
            docs = heapq.nsmallest(needed, docs, key=order.__getitem__)
        page += [(score, docnum) for docnum in docs[:needed]]
        if len(page) >= wanted:
            break
    return page[offset:wanted]


def _by_date(
    scored: list[tuple[float, int]], facets: FacetMap, newest: bool, wanted: int
) -> list[tuple[float, int]]:
    """The first `wanted` of these (score, docnum)s by date, then score, then the order
    of the pages (as ties by score keep it); undated documents after every dated one.
    Not by document number, which changes with how the index was built."""
    days = facets.days
    order = facets.order_keys

    def key(item: tuple[float, int]) -> tuple[int, int, float, int]:
        score, docnum = item
        day = days[docnum]
        return (0 if day else 1, -day if newest else day, -round(score, 9), order[docnum])

    return heapq.nsmallest(wanted, scored, key=key)


def check_patterns(parsed: Any, reader: Any) -> None:
    """Refuse a pattern (`cyber*`, `c?ber`, a range of words) that would expand to more
    words than a search can afford, or that starts with a wildcard (every word would be
    tried): each costs a posting list, and `i*` alone once took 51 s."""
    for leaf in parsed.leaves():
        if not isinstance(leaf, MultiTerm) or getattr(leaf, "fieldname", None) not in SEARCH_FIELDS:
            continue
        typed = f"{leaf.text}*" if isinstance(leaf, Prefix) else str(getattr(leaf, "text", leaf))
        if isinstance(leaf, Wildcard) and not re.split(r"[*?]", leaf.text)[0]:
            raise SearchError(f"{typed!r} starts with a wildcard; put a letter or more before it")
        expanded = islice(leaf.expanded_terms(reader), MAX_PATTERN_WORDS + 1)
        if sum(1 for _ in expanded) > MAX_PATTERN_WORDS:
            if isinstance(leaf, TermRange):
                raise SearchError(
                    f"the range {typed!r} spans more than {MAX_PATTERN_WORDS} words; narrow it"
                )
            raise SearchError(
                f"{typed!r} matches more than {MAX_PATTERN_WORDS} words; give more letters"
            )


def show_chunk(opened: OpenIndex, chunk_id: str) -> Chunk:
    """The whole chunk with this id (or a unique prefix of it, as git takes hashes)."""
    with opened.whoosh_index.searcher() as searcher:
        wanted = chunk_id.strip()
        fields = searcher.document(id=wanted) if wanted else None
        if fields is None and len(wanted) >= 4:
            matches = list(searcher.reader().expand_prefix("id", wanted))
            if len(matches) > 1:
                raise SearchError(
                    f"{chunk_id!r} is the start of {len(matches)} ids; give more of it"
                )
            if matches:
                found = matches[0]
                fields = searcher.document(id=found.decode() if isinstance(found, bytes) else found)
        if fields is None:
            raise ChunkNotFound(f"no chunk with id {chunk_id!r}")
        return stored_chunk(fields)


@dataclass
class IndexStats:
    """What an index holds and what it was built from, for `dwsearch stats`."""

    index: str
    chunks: int
    chunks_by_type: dict[str, int]
    pages: int
    sources: int
    distinct_terms: int
    size_bytes: int
    built_at: str
    corpus_hash: str
    schema_version: str


def index_stats(session: SearchSession) -> IndexStats:
    """What a session's index holds and what it was built from."""
    opened = session.opened
    reader = session.searcher.reader()
    terms = set()
    for field in SEARCH_FIELDS:
        terms.update(live_terms(reader, field))
    pages = len(set(live_terms(reader, "page")))
    by_type = session.facets.counts("type", session.facets.live)
    chunks = session.facets.live.bit_count()
    size = sum(p.stat().st_size for p in opened.generation.iterdir() if p.is_file())
    built = datetime.fromtimestamp(opened.manifest.built_at, tz=timezone.utc)
    return IndexStats(
        index=str(opened.directory),
        chunks=chunks,
        chunks_by_type=by_type,
        pages=pages,
        sources=opened.manifest.pages,
        distinct_terms=len(terms),
        size_bytes=size,
        built_at=built.isoformat(timespec="seconds"),
        corpus_hash=opened.manifest.corpus_hash,
        schema_version=opened.manifest.schema_version,
    )
