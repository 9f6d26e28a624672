"""What is done with the documents a query matched, one concern each, as tantivy's
collectors: the page of best hits, the page in date order, the facet counts.

A search matches once (`Matched`: a bitmap of documents, and where the query was ranked
in bulk, every document's score), then hands the match to the collectors it needs.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from whoosh.sorting import FieldFacet, ScoreFacet

from dwsearch.index.facetmap import FacetMap

from .facets import disjunctive_counts
from .matching import BitmapDocs, BulkQuery

if TYPE_CHECKING:
    from .ranking import BulkRanker

Scored = list[tuple[float, int]]  # (score, document number)


@dataclass
class Matched:
    """What a query matched: the documents, and their scores where ranked in bulk."""

    tree: Any
    bits: int
    scores: Any = None  # every document's score (numpy), for a query ranked in bulk
    bulk: BulkQuery | None = None


@dataclass
class Collecting:
    """What the collectors read of a session: its searcher, facet bitmaps and ranker."""

    searcher: Any
    facets: FacetMap
    ranker: Callable[[], BulkRanker]


class FacetCounts:
    """Counts per value of each facet over the whole match, each ignoring its own
    filter (Elasticsearch's post_filter)."""

    def __init__(self, facets: FacetMap) -> None:
        self.facets = facets

    def collect(self, matched: Matched, allowed: dict[str, int]) -> dict[str, dict[str, int]]:
        return disjunctive_counts(self.facets, matched.bits, allowed)


class TopHits:
    """The page of best hits, from `offset`: by the bulk ranking's scores, or Whoosh's
    own top-k search; equal scores keep the order of the pages."""

    def __init__(self, context: Collecting, offset: int, limit: int) -> None:
        self.context, self.offset, self.limit = context, offset, limit

    def collect(self, matched: Matched, final: int, filtered: bool) -> Scored:
        if not final or not self.limit:
            return []
        context, wanted = self.context, self.offset + self.limit
        if matched.bulk is not None:
            size = context.facets.size
            bonuses = matched.bulk.bonuses
            scored = context.ranker().top(matched.scores, bonuses, final, size, wanted)
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
        return page_by_score(context.facets.order_keys, scored, self.offset, self.limit)


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
