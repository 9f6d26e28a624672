"""Facet filters and counts, from the index's facet bitmaps.

Filters within one facet are OR'd and facets are AND'd. Each facet's counts ignore that
facet's own filter, so a user filtering by one year still sees how many results every
other year has, as Elasticsearch's post_filter gives them. A range of dates is a filter
too, but not a facet: it narrows every count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from dwsearch.index.facetmap import FACET_COLUMNS
from dwsearch.index.facetview import FacetMap

from .results import Filters

DATE_FILTER = "date"


def filter_bits(facets: FacetMap, filters: Filters) -> dict[str, int]:
    """For each facet with filters (and for a range of dates), the documents allowed."""
    allowed: dict[str, int] = {}
    for facet, wanted in filters.by_facet().items():
        if wanted:
            known = facets.values.get(facet, {})
            bits = 0
            for value in wanted:
                bits |= known.get(value, 0)
            allowed[facet] = bits
    if filters.years:
        bits = 0
        for year, year_bits in facets.values.get("year", {}).items():
            if any(
                (low is None or int(year) >= low) and (high is None or int(year) <= high)
                for low, high in filters.years
            ):
                bits |= year_bits
        allowed["year"] = bits
    if filters.since or filters.until:
        allowed[DATE_FILTER] = dated_between(facets, filters.since, filters.until)
    return allowed


def dated_between(facets: FacetMap, since: str, until: str) -> int:
    """The documents whose date, or range of dates, overlaps since..until (inclusive).

    A chunk dated only by years covers each of them whole; its day numbers span its first
    to its last year, so one of its years must fall in the range too (1988 and 2012 say
    nothing of 2000). A dated chunk's years are those of its date: no change for it.
    """
    import numpy as np  # declared heavy import: only a filter by date needs it

    first = date.fromisoformat(since).toordinal() if since else 1
    last = date.fromisoformat(until).toordinal() if until else date.max.toordinal()
    starts = np.frombuffer(facets.days, dtype=np.uint32)
    ends = np.frombuffer(facets.days_end, dtype=np.uint32)
    inside = (starts > 0) & (starts <= last) & (ends >= first)
    packed = np.packbits(inside, bitorder="little")
    low, high = date.fromordinal(first).year, date.fromordinal(last).year
    in_years = 0
    for year, bits in facets.values.get("year", {}).items():
        if year.isdigit() and low <= int(year) <= high:
            in_years |= bits
    return int.from_bytes(packed.tobytes(), "little") & in_years


# A large index's counts: each facet's base (the documents it counts) in, counts out.
BulkCounts = Callable[[dict[str, int]], dict[str, dict[str, int]]]


def disjunctive_counts(
    facets: FacetMap,
    matched: int,
    allowed: dict[str, int],
    in_bulk: BulkCounts | None = None,
) -> dict[str, dict[str, int]]:
    """Counts per value of each facet over the results, each ignoring its own filter:
    one big-integer AND and popcount a value, or on a large index, `in_bulk`
    (`facetlists.FacetLists.counts`)."""
    bases = {}
    for facet in FACET_COLUMNS:
        base = matched
        for other, bits in allowed.items():
            if other != facet:
                base &= bits
        bases[facet] = base
    if in_bulk is not None:
        return in_bulk(bases)
    return {facet: facets.counts(facet, base) for facet, base in bases.items()}
