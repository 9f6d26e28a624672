"""Facet counts on a large index, in time with the result where it is small.

The facets file gives each document a row of slots holding its values (see
`facetmap.ValueLists`); a result's counts are a gather of its documents' rows and one
`bincount`, at a million chunks about 1 ms for a typical result of 20,000. Every
value's bitmap ANDed with the result costs the same however few documents match (2.5
ms for 87 values), and is the cheaper way for a result of more than about one chunk in
twenty-four: both are kept, and the size of the result chooses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dwsearch.index.facetmap import SLOTS, more_slot
from dwsearch.index.facetview import FacetMap
from dwsearch.index.postings import runs

Counts = dict[str, dict[str, int]]


class FacetLists:
    """Counts per value from every document's slots of values (`FacetMap.lists`), or
    for a large result, from every value's bitmap (`FacetMatrix`)."""

    DENSE_SHARE = 24  # a result of more than one document in this many: by bitmaps

    def __init__(self, facets: FacetMap, docs_of: Callable[[int], Any]) -> None:
        lists = facets.lists
        self.facets = facets
        self.matrix: FacetMatrix | None = None
        self.docs_of = docs_of  # a bitmap's documents, as a sorted array
        self.names = lists.names
        code = lists.slots.format
        self.narrow = code == "B"  # counted straight into 256 places, EMPTY and MORE too
        self.more = more_slot(code)
        self.dtype = np.dtype(_DTYPES[code])
        # A document's row of slots as one item, gathered by a single take (a row of
        # eight bytes is one 64-bit number): rows of a 2-d array gathered three times slower.
        width = SLOTS * self.dtype.itemsize
        self.rows = np.frombuffer(lists.slots, dtype=np.uint64 if width == 8 else f"V{width}")
        self.extra_docs = np.frombuffer(lists.extra_docs, dtype=np.uint32)
        extra_counts = np.frombuffer(lists.extra_counts, dtype=np.uint32).astype(np.int64)
        self.extra_counts = extra_counts
        self.extra_starts = np.cumsum(extra_counts) - extra_counts
        self.extra_ids = np.frombuffer(lists.extra_ids, dtype=_DTYPES[code])
        if len(self.extra_ids) != int(extra_counts.sum()) or len(self.rows) != facets.size:
            raise ValueError("the facets file's value lists do not add up")

    def counts(self, bases: dict[str, int]) -> Counts:
        """For each facet, how many of its base's documents have each value, most
        common first; facets with the same base are counted together."""
        groups: list[tuple[int, list[str]]] = []
        for facet, base in bases.items():
            for shared, members in groups:
                if shared is base or shared == base:
                    members.append(facet)
                    break
            else:
                groups.append((base, [facet]))
        found: Counts = {facet: {} for facet in bases}
        for base, members in groups:
            docs = self.docs_of(base)
            if len(docs) * self.DENSE_SHARE > self.facets.size:
                if self.matrix is None:
                    self.matrix = FacetMatrix(self.facets, self.names)
                totals = self.matrix.totals(base)
            else:
                totals = self._totals(docs)
            wanted = set(members)
            for number, (facet, value) in enumerate(self.names):
                if facet in wanted and totals[number]:
                    found[facet][value] = totals[number]
        return {
            facet: dict(sorted(having.items(), key=lambda item: (-item[1], item[0])))
            for facet, having in found.items()
        }

    def _totals(self, docs: Any) -> list[int]:
        """How many of these documents have each value, by its number."""
        slots = self.rows[docs].view(self.dtype)
        values = self._counted(slots)
        going_on = np.flatnonzero(slots[SLOTS - 1 :: SLOTS] == self.more)
        if len(going_on):  # documents with more values than slots
            at = np.searchsorted(self.extra_docs, docs[going_on])
            more = self.extra_ids[runs(np, self.extra_starts[at], self.extra_counts[at])]
            values += self._counted(more)
        return values[: len(self.names)].tolist()

    def _counted(self, values: Any) -> Any:
        if self.narrow:
            return np.bincount(values, minlength=256)
        return np.bincount(values[values < len(self.names)], minlength=len(self.names))


class FacetMatrix:
    """Every value's bitmap as a row of one matrix of 64-bit words, in the order of
    the value numbers: a result's counts are a row-wise AND and popcount."""

    def __init__(self, facets: FacetMap, names: list[tuple[str, str]]) -> None:
        self.words = (facets.size + 63) // 64
        self.matrix = np.zeros((len(names), self.words), dtype=np.uint64)
        as_bytes = self.matrix.view(np.uint8)
        for row, (facet, value) in enumerate(names):
            if value in facets.values.get(facet, {}):
                raw = facets.bitmap_bytes(facet, value)
                as_bytes[row, : len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        self.scratch = np.empty_like(self.matrix)
        self.counted = np.empty(self.matrix.shape, dtype=np.uint8)

    def totals(self, base: int) -> list[int]:
        """How many of the documents in `base` have each value, by its number."""
        words = np.frombuffer(base.to_bytes(self.words * 8, "little"), dtype=np.uint64)
        np.bitwise_and(self.matrix, words, out=self.scratch)
        # Counted into bytes: an eighth of the memory to write and sum.
        counted = np.bitwise_count(self.scratch, out=self.counted)
        return counted.sum(axis=1, dtype=np.int64).tolist()


_DTYPES = {"B": np.uint8, "H": np.uint16, "I": np.uint32}
