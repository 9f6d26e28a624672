"""Facet counts from Whoosh's columns, never from stored documents."""

from __future__ import annotations

from collections import Counter
from typing import Any

# The facet as users name it, and the column it is counted from.
FACET_COLUMNS = {"type": "type", "sector": "sectors", "topic": "topics", "year": "year_facet"}
MULTI_VALUED = {"sectors", "topics", "year_facet"}


def count_values(reader: Any, column: str, docnums: set[int]) -> dict[str, int]:
    """How many of `docnums` have each value, most common first."""
    if not docnums or not reader.has_column(column):
        return {}
    values = reader.column_reader(column)
    counts: Counter[str] = Counter()
    if column in MULTI_VALUED:
        for docnum in docnums:
            value = values[docnum]
            if value:
                counts.update(value.split(","))
    else:
        counts.update(values[docnum] for docnum in docnums)
    counts.pop("", None)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def disjunctive_counts(
    reader: Any, matched: set[int], allowed: dict[str, set[int]]
) -> dict[str, dict[str, int]]:
    """Counts per facet over the results, each ignoring that facet's own filter.

    So a user filtering by one year still sees how many results every other year has,
    as Elasticsearch's post_filter gives them.
    """
    counts = {}
    for facet, column in FACET_COLUMNS.items():
        base = matched
        for other, docs in allowed.items():
            if other != facet:
                base = base & docs
        counts[facet] = count_values(reader, column, base)
    return counts
