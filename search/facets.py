"""Facet filters and counts, from the index's facet bitmaps.

Filters within one facet are OR'd and facets are AND'd. Each facet's counts ignore that
facet's own filter, so a user filtering by one year still sees how many results every
other year has, as Elasticsearch's post_filter gives them.
"""

from __future__ import annotations

from dwsearch.index.facetmap import FACET_COLUMNS, FacetMap

from .results import Filters


def filter_bits(facets: FacetMap, filters: Filters) -> dict[str, int]:
    """For each facet with filters, the documents its values allow."""
    allowed: dict[str, int] = {}

    def union(facet: str, values: list[str]) -> int:
        known = facets.values.get(facet, {})
        bits = 0
        for value in values:
            bits |= known.get(value, 0)
        return bits

    if filters.types:
        allowed["type"] = union("type", filters.types)
    if filters.sectors:
        allowed["sector"] = union("sector", filters.sectors)
    if filters.topics:
        allowed["topic"] = union("topic", filters.topics)
    if filters.years:
        years = [
            year
            for year in facets.values.get("year", {})
            if any(
                (low is None or int(year) >= low) and (high is None or int(year) <= high)
                for low, high in filters.years
            )
        ]
        allowed["year"] = union("year", years)
    return allowed


def disjunctive_counts(
    facets: FacetMap, matched: int, allowed: dict[str, int]
) -> dict[str, dict[str, int]]:
    """Counts per value of each facet over the results, each ignoring its own filter."""
    counts = {}
    for facet in FACET_COLUMNS:
        base = matched
        for other, bits in allowed.items():
            if other != facet:
                base &= bits
        counts[facet] = facets.counts(facet, base)
    return counts
