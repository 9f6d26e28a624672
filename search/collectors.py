"""What is done with the documents a query matched, one concern each, as tantivy's
collectors: the page of best hits, the page in date order, the facet counts.

A search matches once (`Matched`: a bitmap of documents, and where the query was ranked
in bulk, every document's score), then hands the match to the collectors it needs.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from whoosh.sorting import FieldFacet, ScoreFacet

from dwsearch.index.facetview import FacetMap

from .facets import FacetMatrix, disjunctive_counts
from .matching import BitmapDocs, BulkQuery

if TYPE_CHECKING:
    from .ranking import BulkRanker

Scored = list[tuple[float, int]]  # (score, document number)


class Matched(NamedTuple):
    """What a query matched: the documents, and their scores where ranked in bulk."""

    tree: Any
    bits: int
    scores: Any = None  # every document's score (numpy), for a query ranked in bulk
    bulk: BulkQuery | None = None


class Collecting(NamedTuple):
    """What the collectors read of a session: its searcher, facet bitmaps and ranker."""

    searcher: Any
    facets: FacetMap
    ranker: Callable[[], BulkRanker]

    def order_array(self) -> Any:
        """Every document's place among the pages (`FacetMap.order_keys`), in numpy."""
        return self.facets.order_array(self.ranker().np)

    def page_of(self, docnum: int) -> int:
        """A document's page, as a number (its source's rank among the sources)."""
        return self.facets.page_numbers[docnum]


class FacetCounts:
    """Counts per value of each facet over the whole match, each ignoring its own
    filter (Elasticsearch's post_filter); on a large index, by its `FacetMatrix`."""

    def __init__(self, facets: FacetMap, in_bulk: FacetMatrix | None = None) -> None:
        self.facets, self.in_bulk = facets, in_bulk

    def collect(self, matched: Matched, allowed: dict[str, int]) -> dict[str, dict[str, int]]:
        return disjunctive_counts(self.facets, matched.bits, allowed, self.in_bulk)


class TopHits:
    """The page of best hits, from `offset`: by the bulk ranking's scores, or Whoosh's
    own top-k search; equal scores keep the order of the pages.

    With `crowding` (and a `PageTally` of the result), a page's hits after its first
    `crowding` wait below the leading hits of every other page, as a web search
    engine's host crowding does: demoted, never dropped."""

    def __init__(
        self,
        context: Collecting,
        offset: int,
        limit: int,
        crowding: int = 0,
        tally: PageTally | None = None,
        depth: int = 32,
    ) -> None:
        self.context, self.offset, self.limit = context, offset, limit
        self.crowding, self.tally, self.depth = crowding, tally, depth

    def collect(self, matched: Matched, final: int, filtered: bool) -> Scored:
        if not final or not self.limit:
            return []
        tally = self.tally
        if self.crowding and tally is not None and tally.pages > 1:
            page_of = self.context.page_of

            def best(depth: int) -> Scored:
                return self._best(matched, final, filtered, 0, depth)

            return crowded(best, page_of, tally, self.crowding, self.offset, self.limit, self.depth)
        return self._best(matched, final, filtered, self.offset, self.limit)

    def _best(
        self, matched: Matched, final: int, filtered: bool, offset: int, limit: int
    ) -> Scored:
        context, wanted = self.context, offset + limit
        if matched.bulk is not None:
            size = context.facets.size
            bonuses = matched.bulk.bonuses
            shown = self.offset + self.limit
            ranker = context.ranker()
            order = context.order_array
            scored = ranker.top(matched.scores, bonuses, final, size, wanted, shown, order)
        else:
            # Sorting by score, then page order, inside Whoosh: a cut through a group of
            # equal scores then falls the same way however the index is laid out.
            keep = BitmapDocs(final, context.facets.size) if filtered else None
            ranked = context.searcher.search(
                matched.tree,
                limit=wanted,
                filter=keep,
                sortedby=[ScoreFacet(), FieldFacet("order")],
            )
            scored = [(-hit.score[0], hit.docnum) for hit in ranked]
        return page_by_score(context.facets.order_keys, scored, offset, limit)


class DateOrder:
    """The page of hits by the date they are about, newest or oldest first, then by
    score, then by the order of the pages; undated hits after every dated one."""

    def __init__(self, context: Collecting, newest: bool, offset: int, limit: int) -> None:
        self.context, self.newest = context, newest
        self.offset, self.limit = offset, limit

    def collect(self, matched: Matched, final: int, filtered: bool) -> Scored:
        if not final or not self.limit:
            return []
        every = self._every_score(matched, final)
        return by_date(every, self.context.facets, self.newest, self.offset + self.limit)[
            self.offset :
        ]

    def _every_score(self, matched: Matched, final: int) -> Scored:
        size = self.context.facets.size
        if matched.scores is not None:
            return [(float(matched.scores[docnum]), docnum) for docnum in BitmapDocs(final, size)]
        found = self.context.searcher.search(
            matched.tree, limit=None, filter=BitmapDocs(final, size)
        )
        return [(hit.score or 0.0, hit.docnum) for hit in found]


class PageTally(NamedTuple):
    """How a result's hits fall on pages (a page: the file or address its chunks came
    from), counted over the whole result, not only the hits shown."""

    pages: int  # pages holding a hit
    leading: int  # hits among the first `crowding` of their page: listed before the rest
    held: Callable[[int], int]  # a page's number to the hits it holds


def tally_pages(context: Collecting, final: int, crowding: int, in_bulk: bool) -> PageTally:
    """Each page's hits in `final`: with numpy on a large index (a bitmap unpacked and
    counted by page at once), one by one on a small one."""
    if not final:
        return PageTally(0, 0, lambda page: 0)
    size = context.facets.size
    if in_bulk:
        ranker = context.ranker()
        np = ranker.np
        pages = np.frombuffer(context.facets.page_numbers, dtype=np.uint32)
        counts = np.bincount(pages[ranker.docs_of(final, size)])
        held = counts[counts > 0]
        leading = int(np.minimum(held, crowding).sum()) if crowding else 0
        # Asked of the few pages listed: not made a list of every page's count.
        return PageTally(
            len(held), leading, lambda page: int(counts[page]) if page < len(counts) else 0
        )
    numbers = context.facets.page_numbers
    tally = Counter(numbers[docnum] for docnum in BitmapDocs(final, size))
    leading = sum(min(count, crowding) for count in tally.values())
    return PageTally(len(tally), leading, lambda page: tally.get(page, 0))


CROWDING_DEEPER = 4  # how much deeper crowding reads the plain ranking each time


def crowded(
    best: Callable[[int], Scored],
    page_of: Callable[[int], int],
    tally: PageTally,
    crowding: int,
    offset: int,
    limit: int,
    depth: int = 32,
) -> Scored:
    """The hits from `offset` in crowded order: every page's first `crowding` hits, best
    first, then the rest, best first. `best(depth)` is the plain ranking's first `depth`
    hits; it is read from `depth` deeper until the hits the page needs are all known,
    so any page of the crowded order continues the one before it."""
    wanted = offset + limit
    while depth < wanted:
        depth *= CROWDING_DEEPER
    while True:
        ranked = best(depth)
        leading: Scored = []
        demoted: Scored = []
        seen: Counter[int] = Counter()
        for item in ranked:
            page = page_of(item[1])
            seen[page] += 1
            (leading if seen[page] <= crowding else demoted).append(item)
        if wanted <= tally.leading:
            known = len(leading) >= wanted
        else:
            known = len(leading) >= tally.leading and len(leading) + len(demoted) >= wanted
        if known or len(ranked) < depth:
            return (leading + demoted)[offset:wanted]
        depth *= CROWDING_DEEPER


def page_by_score(order: Sequence[int], scored: Scored, offset: int, limit: int) -> Scored:
    """The hits from `offset`, best first; equal scores keep the order of the page
    (`order`: each document's place among the pages).

    Only the groups of equal scores that reach the page are put in page order, and of
    a large group only as many as the page needs.
    """
    wanted = offset + limit
    by_score: dict[float, list[int]] = {}
    for score, docnum in scored:
        by_score.setdefault(round(score, 9), []).append(docnum)
    page: Scored = []
    for score in sorted(by_score, reverse=True):
        needed = wanted - len(page)
        docs = by_score[score]
        if len(docs) > 1 and len(page) + len(docs) > offset:
            docs = heapq.nsmallest(needed, docs, key=order.__getitem__)
        page += [(score, docnum) for docnum in docs[:needed]]
        if len(page) >= wanted:
            break
    return page[offset:wanted]


def by_date(scored: Scored, facets: FacetMap, newest: bool, wanted: int) -> Scored:
    """The first `wanted` of these (score, docnum)s by date, then score, then the order
    of the pages (as ties by score keep it); undated documents after every dated one.
    Newest first goes by the last day a chunk is about (a range's end, 31 December of a
    year), oldest first by the first. Not by document number, which changes with how
    the index was built."""
    days = facets.days_end if newest else facets.days
    order = facets.order_keys

    def key(item: tuple[float, int]) -> tuple[int, int, float, int]:
        score, docnum = item
        day = days[docnum]
        return (0 if day else 1, -day if newest else day, -round(score, 9), order[docnum])

    return heapq.nsmallest(wanted, scored, key=key)
