"""The search side: an opened index, a query and filters in, Results out.

`SearchSession` searches one opened generation; the application API
(`dwsearch.app.api`) opens the index and hands it one. Nothing here imports ingestion
or the builder.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import groupby
from typing import TYPE_CHECKING, Any

from dwsearch.index import IndexProblem, OpenIndex
from dwsearch.index.documents import stored_chunk
from dwsearch.index.facetmap import FacetMap
from dwsearch.ingest.chunk import Chunk

from .errors import SearchError
from .facets import disjunctive_counts, filter_bits
from .highlight import Highlighter
from .matching import BitmapDocs, bulk_query, matching_bits
from .query import (
    SEARCH_FIELDS,
    clean_query_text,
    correct_query,
    parse_query,
    with_compound_forms,
)
from .results import Filters, Hit, Results, Snippet
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

MAX_LIMIT = 10_000


def _check_paging(limit: int, offset: int) -> None:
    if limit < 0 or limit > MAX_LIMIT:
        raise SearchError(f"--limit must be between 0 and {MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise SearchError(f"--offset must be 0 or more, not {offset}")


def _known_values(facets: Any) -> dict[str, dict[str, str]]:
    """Every value a filter may name, by any accepted spelling, to the value indexed."""
    from dwsearch.ingest import load_taxonomy
    from dwsearch.ingest.layout import page_rules

    taxonomy = load_taxonomy()
    indexed = facets.values
    types = {t: t for t in ("profile", "overview")}
    types.update({rule.type: rule.type for rule in page_rules().sections.values()})
    types.update({t: t for t in indexed.get("type", {})})
    sectors = {name: slug for slug, name in taxonomy.sectors.items()}
    sectors.update({slug: slug for slug in taxonomy.sectors})
    sectors.update({v: v for v in indexed.get("sector", {}) if v not in sectors})
    topics = {name: slug for slug, name in taxonomy.topic_names.items()}
    topics.update({slug: slug for slug in taxonomy.topic_names})
    topics.update({v: v for v in indexed.get("topic", {}) if v not in topics})
    return {"type": types, "sector": sectors, "topic": topics}


def _canonical_filters(filters: Filters, known: dict[str, dict[str, str]]) -> Filters:
    """Filters with values as the index holds them; an unknown value is an error."""

    def resolve(kind: str, given: list[str]) -> list[str]:
        resolved = []
        for value in given:
            wanted = value.strip().lower()
            match = next(
                (
                    canon
                    for key, canon in known[kind].items()
                    if wanted in (key.lower(), canon.lower())
                ),
                None,
            )
            if match is None:
                listed = ", ".join(sorted(set(known[kind].values()), key=str.lower))
                raise SearchError(f"unknown {kind} {value!r}; valid {kind}s: {listed}")
            resolved.append(match)
        return resolved

    return Filters(
        types=resolve("type", filters.types),
        sectors=resolve("sector", filters.sectors),
        topics=resolve("topic", filters.topics),
        years=list(filters.years),
    )


def _explain(searcher: Any, parsed: Any, docnum: int) -> tuple[str, ...]:
    """Each query term's share of a hit's score, as BM25F computed it."""
    lines = []
    for leaf in parsed.leaves():
        fieldname = getattr(leaf, "fieldname", None)
        if fieldname not in SEARCH_FIELDS:
            continue
        matcher = leaf.matcher(searcher)
        if matcher.is_active():
            matcher.skip_to(docnum)
        if matcher.is_active() and matcher.id() == docnum:
            boost = f" (field weight {leaf.boost:g})" if leaf.boost != 1 else ""
            lines.append(f"{leaf} = {matcher.score():.4f}{boost}")
    return tuple(lines)


class SearchSession:
    """An open index and searcher, for many searches in one process.

    The module's `search()` opens one per call; a program or benchmark that searches
    repeatedly keeps one open instead.
    """

    def __init__(self, opened: OpenIndex) -> None:
        self.opened = opened
        self.searcher = self.opened.whoosh_index.searcher(weighting=weighting())
        self._ranker: BulkRanker | None = None
        self._order: Any = None
        self._known: dict[str, dict[str, str]] | None = None
        self._highlighter: Highlighter | None = None
        try:
            self.facets = FacetMap(self.opened.generation)
        except (OSError, ValueError) as error:
            self.searcher.close()
            raise IndexProblem(
                f"the index at {self.opened.directory} is damaged ({error}); "
                "rebuild it with: dwsearch build --rebuild"
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
    ) -> Results:
        _check_paging(limit, offset)
        started = time.perf_counter()
        searcher = self.searcher
        filters = filters or Filters()
        if filters.types or filters.sectors or filters.topics:
            if self._known is None:
                self._known = _known_values(self.facets)
            filters = _canonical_filters(filters, self._known)
        text = clean_query_text(query_text)
        parsed = with_compound_forms(parse_query(text, searcher.schema), text, searcher)
        suggestion = None
        if correct:
            parsed, suggestion = correct_query(parsed, text, searcher)

        facets = self.facets
        bulk = bulk_query(parsed) if facets.size >= BULK_FROM_DOCS else None
        scores = None
        if bulk is not None:
            scores = self._bulk().scores(bulk.words, facets.size)
            self._bulk().add_phrases(scores, bulk.phrases)
            matched = self._bulk().matched(scores) & facets.live
        else:
            matched = matching_bits(searcher, parsed, facets.live, facets.size)
        allowed = filter_bits(facets, filters)
        final = matched
        for bits in allowed.values():
            final &= bits
        counts = disjunctive_counts(facets, matched, allowed) if with_facets else {}
        ranked = None
        if bulk is not None and final and limit:
            ranked = self._bulk().top(scores, bulk.bonuses, final, facets.size, offset + limit)
        hits = self._hits(parsed, final, allowed, limit, offset, explain, highlight, ranked)
        return Results(
            query=query_text,
            total=final.bit_count(),
            offset=offset,
            limit=limit,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            suggestion=suggestion,
            hits=hits,
            facets=counts,
        )

    def _page_order(self) -> Any:
        """The column of where each chunk stands in its source, opened once a session.

        Opening it reads an offset for every document of every segment.
        """
        if self._order is None:
            self._order = self.searcher.reader().column_reader("order")
        return self._order

    def _bulk(self) -> BulkRanker:
        if self._ranker is None:
            from .ranking import BulkRanker

            self._ranker = BulkRanker(self.searcher)
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
    ) -> list[Hit]:
        """The page of best hits, from the bulk ranking or Whoosh's own top-k search."""
        if not final or not limit:
            return []
        searcher = self.searcher
        if scored is None:
            from whoosh.sorting import FieldFacet, ScoreFacet

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
        best = _page(self._page_order, scored, offset, limit)
        terms = frozenset(t for f, t in parsed.iter_all_terms() if f in SEARCH_FIELDS)
        terms = frozenset(t.decode() if isinstance(t, bytes) else t for t in terms)
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
            explanation = _explain(searcher, parsed, docnum) if explain else ()
            hits.append(Hit(chunk, round(score, 6), body, title, explanation))
        return hits


def _page(
    order: Callable[[], Any], scored: list[tuple[float, int]], offset: int, limit: int
) -> list[tuple[float, int]]:
    """The hits from `offset`, best first; equal scores keep the order of the page.

    Only the groups of equal scores that reach the page need their page order read.
    """
    ranked = sorted(((round(score, 9), docnum) for score, docnum in scored), reverse=True)
    page: list[tuple[float, int]] = []
    for _, group in groupby(ranked, key=lambda item: item[0]):
        tied = list(group)
        if len(page) + len(tied) > offset and len(tied) > 1:
            column = order()
            tied.sort(key=lambda item: column[item[1]])
        page += tied
        if len(page) >= offset + limit:
            break
    return page[offset : offset + limit]


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
            raise LookupError(f"no chunk with id {chunk_id!r}")
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
        terms.update(reader.lexicon(field))
    pages = sum(1 for _ in reader.lexicon("page"))
    by_type = session.facets.counts("type", session.facets.live)
    chunks = session.facets.live.bit_count()
    size = sum(p.stat().st_size for p in opened.generation.iterdir() if p.is_file())
    built = datetime.fromtimestamp(opened.manifest.built_at, tz=timezone.utc)
    return IndexStats(
        index=str(opened.directory),
        chunks=chunks,
        chunks_by_type=by_type,
        pages=pages,
        sources=len(opened.manifest.sources),
        distinct_terms=len(terms),
        size_bytes=size,
        built_at=built.isoformat(timespec="seconds"),
        corpus_hash=opened.manifest.corpus_hash,
        schema_version=opened.manifest.schema_version,
    )
