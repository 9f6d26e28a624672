"""A generation's facet file as a search sees it: its bitmaps, each chunk's days and
place among the pages, mapped in place.

Kept apart from `facetmap`, which writes the file: that module is part of the index's
schema fingerprint (a change to how the file is written rebuilds every index), and a
change to how a session reads the file should not.
"""

from __future__ import annotations

import mmap
from array import array
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, overload

from .facetmap import FACETMAP, PLACE, SOURCE, LazyBitmaps, read_bitmaps


def _mapped(path: Path) -> mmap.mmap:
    """A generation's facets file, mapped rather than read: a generation's files never
    change, and at a million chunks reading its 27 MB cost a search from the shell
    25 ms where mapping costs nothing."""
    with path.open("rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


class PageOrder(Sequence[int]):
    """Where each document stands among the pages, as one number: its source's rank,
    then its place there. One number, so that ties among thousands of hits (a prefix
    scores every chunk alike) sort by a plain key.

    Worked out document by document (a search from the shell asks about a few ties,
    not about a million chunks); `FacetMap.order_keys` hands out the whole list once a
    session has asked about many.
    """

    def __init__(self, sources: array[int], places: array[int]) -> None:
        self._sources, self._places = sources, places
        self.asked = 0

    def __len__(self) -> int:
        return len(self._sources)

    @overload
    def __getitem__(self, docnum: int) -> int: ...
    @overload
    def __getitem__(self, docnum: slice) -> list[int]: ...
    def __getitem__(self, docnum: int | slice) -> int | list[int]:
        if isinstance(docnum, slice):
            return [self[n] for n in range(*docnum.indices(len(self)))]
        self.asked += 1
        return (self._sources[docnum] << 32) | self._places[docnum]

    def every(self) -> list[int]:
        """Every document's number, in a list."""
        return [(s << 32) | p for s, p in zip(self._sources, self._places, strict=True)]

    def in_numpy(self, np: Any) -> Any:
        """Every document's number, as one numpy array (the same numbers as `every`)."""
        sources = np.frombuffer(self._sources, dtype=np.uint32).astype(np.uint64)
        return (sources << np.uint64(32)) | np.frombuffer(self._places, dtype=np.uint32)


class FacetMap:
    """The bitmaps of one generation, as Python integers (bit n = document n)."""

    def __init__(self, folder: Path) -> None:
        found = read_bitmaps(_mapped(folder / FACETMAP), FACETMAP)
        if found.live is None:
            raise ValueError(f"{FACETMAP} has no bitmap of live documents")
        self.size: int = found.size
        self.live: int = found.live
        self.values: dict[str, Mapping[str, int]] = found.values
        # Day numbers by document (0: no date): the day a chunk is about, and its last day.
        self.days: array[int] = found.numbers["day"]
        self.days_end: array[int] = found.numbers["day_end"]
        self._order = PageOrder(found.numbers[SOURCE], found.numbers[PLACE])
        self._order_keys: list[int] | None = None
        # Each document's page, as a number (its source's rank): for counting hits by
        # page and crowding them, read in place.
        self.page_numbers: array[int] = found.numbers[SOURCE]
        self._order_array: Any = None

    BY_DOCUMENT = 20_000  # documents' places asked before all are worked out at once

    @property
    def order_keys(self) -> Sequence[int]:
        """Where each document stands among the pages (see `PageOrder`): worked out as
        asked, and once a session has asked about many, for all of them, in a list."""
        if self._order_keys is not None:
            return self._order_keys
        if self._order.asked > self.BY_DOCUMENT:
            self._order_keys = self._order.every()
            return self._order_keys
        return self._order

    def order_array(self, np: Any) -> Any:
        """`order_keys` for every document at once, in numpy (a large index's session
        cuts ties with it), worked out on first use."""
        if self._order_array is None:
            self._order_array = self._order.in_numpy(np)
        return self._order_array

    def bitmap_bytes(self, facet: str, value: str) -> bytes | memoryview:
        """A value's bitmap as little-endian bytes, without making it an integer."""
        found = self.values[facet]
        if isinstance(found, LazyBitmaps):
            return found.raw(value)
        return found[value].to_bytes((self.size + 7) // 8 or 1, "little")

    def counts(self, facet: str, docs: int) -> dict[str, int]:
        """How many of `docs` have each value of `facet`, most common first."""
        found = {}
        for value, bits in self.values.get(facet, {}).items():
            count = (bits & docs).bit_count()
            if count:
                found[value] = count
        return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))
