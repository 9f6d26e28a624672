"""The search side: an opened index, a query and filters in, Results out.

`SearchSession` searches one opened generation; the application API
(`dwsearch.app.api`) opens the index and hands it one. Nothing here imports ingestion
or the builder.
"""

from __future__ import annotations

import queue
import re
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from itertools import islice
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from whoosh.query import MultiTerm, NullQuery, Prefix, Term, TermRange, Wildcard

from dwsearch.index import IndexDamaged, IndexProblem
from dwsearch.index.documents import stored_chunk
from dwsearch.index.facetview import FacetMap
from dwsearch.index.location import read_vocabulary
from dwsearch.index.reading import OpenIndex, live_terms
from dwsearch.index.stored import StoredFields
from dwsearch.ingest.chunk import Chunk

from .collectors import Collecting, DateOrder, FacetCounts, Matched, TopHits, tally_pages
from .compounds import with_compound_forms
from .errors import ChunkNotFound, SearchError
from .explain import explain_hits
from .facets import FacetMatrix, filter_bits
from .feedback import rm3_query
from .filters import nearest_value
from .highlight import Highlighter, QueryMarks
from .matching import bulk_query, matching_bits
from .query import SEARCH_FIELDS, clean_query_text, has_required_word, parse_query
from .results import Filters, Hit, Results, Snippet
from .scoring import weighting
from .settings import DEFAULT_OPTIONS, DEFAULT_SETTINGS, SearchOptions, SearchSettings
from .typos import correct_query, expansion_words, folded_words, spelled_words

if TYPE_CHECKING:
    from .ranking import BulkRanker


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

# The facets a filter may name by value (years and dates are ranges).
FILTER_FACETS = ("type", "kind", "sector", "topic", "basket")
# A filter by page narrows every facet's counts, as a range of dates does.
PAGE_FILTER = "page"


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


class SearchSession:
    """An open index and searcher, for many searches in one process, with the settings
    it searches by (`SearchSettings`: ranking, matching, feedback).

    The application's `search()` opens one per call; a program or benchmark that
    searches repeatedly keeps one open instead.
    """

    def __init__(self, opened: OpenIndex, settings: SearchSettings = DEFAULT_SETTINGS) -> None:
        self.opened = opened
        self.settings = settings
        self.searcher = self.opened.whoosh_index.searcher(weighting=weighting(settings))
        self.stored = StoredFields(self.searcher.reader(), self.opened.generation)
        self._ranker: BulkRanker | None = None
        self._matrix: FacetMatrix | None = None
        self._known: dict[str, dict[str, str]] | None = None
        self._lexicon_words: frozenset[str] | None = None
        self._highlighter: Highlighter | None = None
        self._thread: Beside | None = None
        self._spelled = spelled_words(self.searcher.reader())
        try:
            self.facets = FacetMap(self.opened.generation)
        except (OSError, ValueError) as error:
            self.searcher.close()
            raise IndexDamaged(self.opened.directory, str(error)) from None
        self.collecting = Collecting(self.searcher, self.facets, self._bulk)
        if self._in_bulk():  # words counted from the postings files, not Whoosh's tables
            self.searcher.weighting.frequencies = self._document_frequency

    def __enter__(self) -> SearchSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        self.searcher.close()

    def _beside(self) -> Beside:
        """The session's thread for work beside its searches, started when first asked,
        and let go when the session is closed or dropped."""
        if self._thread is None:
            self._thread = Beside()
            weakref.finalize(self, self._thread.stop)
        return self._thread

    def search(
        self,
        query_text: str = "",
        filters: Filters | None = None,
        options: SearchOptions = DEFAULT_OPTIONS,
    ) -> Results:
        """A page of hits for the query and filters, best first or by date, with the
        facet counts of the whole result."""
        options = options.checked()
        started = time.perf_counter()
        filters = self._canonical(filters or Filters())
        parsed, suggestion, text = self._understood(query_text, filters, options)
        allowed = filter_bits(self.facets, filters)
        if filters.pages:
            allowed[PAGE_FILTER] = self._page_bits(filters.pages)
        in_bulk = self._in_bulk()
        counts: dict[str, dict[str, int]] = {}
        counting: Pending | None = None
        in_bulk_facets = options.facets and in_bulk
        # A large index's counts read its facet matrix, made on a session's first count.
        collector = FacetCounts(self.facets, self._facet_matrix() if in_bulk_facets else None)

        def count_beside(bits: int) -> None:
            # Counted beside the ranking (numpy lets go of the GIL as it ANDs), from as
            # soon as the match is known: on a large index, before it is scored.
            nonlocal counting
            counting = self._beside().run(collector.collect, Matched(parsed, bits), allowed)

        matched = self._match(parsed, count_beside if in_bulk_facets else None)
        final = matched.bits
        for bits in allowed.values():
            final &= bits
        if in_bulk_facets and counting is None:
            count_beside(matched.bits)
        elif options.facets and not in_bulk:
            counts = collector.collect(matched, allowed)
        relevance = options.sort == "relevance"
        crowding = self.settings.crowding if relevance and not options.all_chunks else 0
        tally = tally_pages(self.collecting, final, crowding, in_bulk)
        if relevance:
            order: TopHits | DateOrder = TopHits(
                self.collecting,
                options.offset,
                options.limit,
                crowding,
                tally,
                self.settings.crowding_depth,
            )
        else:
            newest = options.sort == "newest"
            order = DateOrder(self.collecting, newest, options.offset, options.limit)
        page = order.collect(matched, final, bool(allowed))
        # Each hit's page's other hits in the result, not listed here.
        page_of = {docnum: self.collecting.page_of(docnum) for _, docnum in page}
        listed = Counter(page_of.values())
        more = {docnum: tally.held(of) - listed[of] for docnum, of in page_of.items()}
        hits = self._hits(parsed, page, options, text, more)
        if counting is not None:
            counts = counting.result()
        return Results(
            query=query_text,
            total=final.bit_count(),
            offset=options.offset,
            limit=options.limit,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            suggestion=suggestion,
            hits=hits,
            facets=counts,
            sort=options.sort,
            pages=tally.pages,
        )

    def _page_bits(self, pages: list[str]) -> int:
        """The live chunks of these pages (each named by its source); a page the index
        does not hold is an error, not an empty result."""
        bits = 0
        for page in pages:
            raw = bytearray((self.facets.size + 7) // 8 or 1)
            for docnum in self.searcher.docs_for_query(Term("source", page.strip())):
                raw[docnum >> 3] |= 1 << (docnum & 7)
            found = int.from_bytes(raw, "little") & self.facets.live
            if not found:
                raise SearchError(
                    "no page of this index has this source",
                    "page",
                    page,
                    suggestion=self._nearest_source(page),
                )
            bits |= found
        return bits

    def _nearest_source(self, given: str) -> str:
        """The source a page filter most likely meant: the file a page's address names
        (`…/actors/itu` for `itu.txt`, as a hit shows a file's `URL:`), else the closest
        name. Read only on this error's path: a large index has many sources."""
        sources = {term.decode("utf-8", "replace") for term in self.searcher.lexicon("source")}
        named = given.strip().rstrip("/").rsplit("/", 1)[-1].lower()
        for source in sorted(sources):
            if named and PurePosixPath(source).stem.lower() == named:
                return source
        return nearest_value(given, {source.lower(): source for source in sources})

    def _canonical(self, filters: Filters) -> Filters:
        if not any(filters.by_facet().values()):
            return filters
        if self._known is None:
            vocabulary = read_vocabulary(self.opened.generation)
            self._known = _known_values(vocabulary, self.facets)
        return _canonical_filters(filters, self._known)

    def _lexicon(self) -> frozenset[str]:
        """Words correction knows besides the index's: the acronyms' expansions, and the
        names of the taxonomy the index was built with."""
        if self._lexicon_words is None:
            names = read_vocabulary(self.opened.generation)
            spelled = " ".join(
                f"{value.replace('-', ' ')} {name}"
                for values in names.values()
                for value, name in values.items()
            )
            self._lexicon_words = expansion_words() | folded_words(spelled)
        return self._lexicon_words

    def _understood(
        self, query_text: str, filters: Filters, options: SearchOptions
    ) -> tuple[Any, str | None, str]:
        """The query as searched (its compounds, typos' corrections, and feedback words
        added), the corrected text to show, if any, and the text searched."""
        searcher, settings = self.searcher, self.settings
        boosts = settings.field_boosts
        text = clean_query_text(query_text)
        # An empty query (or one of spaces) means every chunk; one of other invisible
        # characters means none.
        blank = not query_text.strip()
        parsed = parse_query(text, searcher.schema, settings) if text or blank else NullQuery
        holds = self._bulk().holds if self._in_bulk() else None
        parsed = with_compound_forms(parsed, text, searcher, boosts, holds)
        suggestion = None
        if options.correct:
            parsed, suggestion = correct_query(
                parsed, text, searcher, boosts, self._lexicon, self._spelled
            )
        prefix_words = self._bulk().prefix_words if self._in_bulk() else None
        check_patterns(parsed, searcher.reader(), settings.max_pattern_words, prefix_words)
        if options.feedback and not has_required_word(text):
            # RM3: the best chunks of a first search lend the query their words.
            first = SearchOptions(
                limit=settings.feedback_docs,
                correct=options.correct,
                facets=False,
                highlight=False,
                all_chunks=True,  # the best chunks, wherever they stand
            )
            hits = self.search(query_text, filters, first).hits
            parsed = rm3_query(parsed, hits, searcher.schema["text"].analyzer, settings)
        return parsed, suggestion, text

    def _match(self, parsed: Any, known: Callable[[int], None] | None = None) -> Matched:
        """The documents the query matches, less deleted ones; on a large index, an OR
        of words is ranked in bulk as it is matched, and `known` is told the documents
        before they are scored, where they can be (see `BulkRanker.match_before`)."""
        facets = self.facets
        bulk = bulk_query(parsed) if self._in_bulk() else None
        if bulk is None:
            return Matched(parsed, matching_bits(self.searcher, parsed, facets.live, facets.size))
        ranker = self._bulk()
        early = None
        if known is not None:
            early = ranker.match_before(bulk, facets.live, facets.size)
            if early is not None:
                known(early)
        scores = ranker.scores(bulk.words, facets.size)
        ranker.add_phrases(scores, bulk.phrases)
        ranker.add_prefixes(scores, bulk.prefixes)
        return Matched(parsed, ranker.matched(scores, facets.live, early), scores, bulk)

    def _in_bulk(self) -> bool:
        """Whether the index is large enough to be ranked in bulk, with numpy."""
        return self.facets.size >= self.settings.bulk_from_docs

    def _document_frequency(self, fieldname: str, text: str | bytes) -> int:
        return self._bulk().document_frequency(fieldname, text)

    def _facet_matrix(self) -> FacetMatrix:
        if self._matrix is None:
            self._matrix = FacetMatrix(self.facets)
        return self._matrix

    def _bulk(self) -> BulkRanker:
        if self._ranker is None:
            from .ranking import BulkRanker

            self._ranker = BulkRanker(self.searcher, self.opened.generation)
        return self._ranker

    def _hits(
        self,
        parsed: Any,
        page: list[tuple[float, int]],
        options: SearchOptions,
        text: str,
        more: dict[int, int],
    ) -> list[Hit]:
        """The page's chunks, highlighted and explained as asked."""
        searcher = self.searcher
        terms = QueryMarks.of(parsed)
        docnums = [docnum for _, docnum in page]
        explained = explain_hits(searcher, parsed, docnums, text) if options.explain else {}
        hits = []
        for score, docnum in page:
            chunk = stored_chunk(self.stored(docnum))
            body = title = Snippet(())
            if options.highlight:
                if self._highlighter is None:
                    # The index's own analyzer, so matches are marked as they were found.
                    self._highlighter = Highlighter(searcher.schema["text"].analyzer)
                body = self._highlighter.snippet(chunk.text or chunk.title, terms)
                title = self._highlighter.snippet(chunk.display_title, terms, window=10_000)
            shares = explained.get(docnum, ())
            hits.append(Hit(chunk, round(score, 6), body, title, shares, more.get(docnum, 0)))
        return hits


class Beside:
    """A thread kept for a session, to run a call beside the caller's own work (starting
    a thread for each search cost 0.15 to 0.5 ms). `run` hands it a call and returns at
    once; the `Pending` it gives waits for the call's return, or raises what it raised."""

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        thread = threading.Thread(target=self._serve, name="dwsearch-beside", daemon=True)
        thread.start()

    def _serve(self) -> None:
        while True:
            pending = self._calls.get()
            if pending is None:
                return
            pending.run()
            del pending  # nor what it held, while the thread waits for the next

    def run(self, call: Callable[..., Any], *args: Any) -> Pending:
        pending = Pending(call, args)
        self._calls.put(pending)
        return pending

    def stop(self) -> None:
        """Let the thread end, once the calls already handed to it are done."""
        self._calls.put(None)


class Pending:
    """A call handed to a `Beside` thread: `result()` waits for it to be done."""

    def __init__(self, call: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self._work: tuple[Callable[..., Any], tuple[Any, ...]] | None = (call, args)
        self._found: Any = None
        self._error: BaseException | None = None
        self._done = threading.Lock()
        self._done.acquire()  # released when the call is done

    def run(self) -> None:
        assert self._work is not None, "a call is run once"
        call, args = self._work
        self._work = None  # the match and the counts' data are not kept once counted
        try:
            self._found = call(*args)
        except BaseException as error:  # handed to the caller, which raises it
            self._error = error
        finally:
            self._done.release()

    def result(self) -> Any:
        with self._done:
            pass
        if self._error is not None:
            raise self._error
        return self._found


def check_patterns(
    parsed: Any,
    reader: Any,
    most: int = DEFAULT_SETTINGS.max_pattern_words,
    prefix_words: Callable[[str, str, int], int] | None = None,
) -> None:
    """Refuse a pattern (`cyber*`, `c?ber`, a range of words) that would expand to more
    words than a search can afford, or that starts with a wildcard (every word would be
    tried): each costs a posting list, and `i*` alone once took 51 s. `prefix_words`
    counts a prefix's words where the search will read them again (the bulk ranker)."""
    for leaf in parsed.leaves():
        if not isinstance(leaf, MultiTerm) or getattr(leaf, "fieldname", None) not in SEARCH_FIELDS:
            continue
        typed = f"{leaf.text}*" if isinstance(leaf, Prefix) else str(getattr(leaf, "text", leaf))
        if isinstance(leaf, Wildcard) and not re.split(r"[*?]", leaf.text)[0]:
            raise SearchError(f"{typed!r} starts with a wildcard; put a letter or more before it")
        if isinstance(leaf, Prefix) and prefix_words is not None:
            words = prefix_words(leaf.fieldname, leaf.text, most)
        else:
            words = sum(1 for _ in islice(leaf.expanded_terms(reader), most + 1))
        if words > most:
            if isinstance(leaf, TermRange):
                raise SearchError(f"the range {typed!r} spans more than {most} words; narrow it")
            raise SearchError(f"{typed!r} matches more than {most} words; give more letters")


def show_chunk(opened: OpenIndex, chunk_id: str) -> Chunk:
    """The whole chunk with this id (or a unique prefix of it, as git takes hashes)."""
    with opened.whoosh_index.searcher() as searcher:
        stored = StoredFields(searcher.reader(), opened.generation)
        wanted = chunk_id.strip()
        found = stored.with_id(wanted) if wanted else {}
        if not found and len(wanted) >= 4:
            found = stored.with_id(wanted, prefix=True)
            ids = set(found.values())
            if len(ids) > 1:
                raise SearchError(f"{chunk_id!r} is the start of {len(ids)} ids; give more of it")
        if not found:
            raise ChunkNotFound(f"no chunk with id {chunk_id!r}")
        return stored_chunk(stored(min(found)))


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
