"""Posting lists read a block at a time, and each segment's column of field lengths."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any, NamedTuple

from whoosh.codec import whoosh3
from whoosh.matching import AndNotMatcher, ListMatcher, NullMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import length_to_byte

from .guard import FAST, LENGTH_COLUMN_ATTRIBUTES, MATCHER_ATTRIBUTES, has_attributes


# ------------------------------------------------------------------- reading postings
def all_postings(reader: Any, fieldname: str, text: str) -> Any:
    """A term's posting list in one segment, deleted documents included.

    Whoosh hides a segment's deleted documents behind a filter that steps one posting at
    a time; every caller here masks them with a bitmap of live documents instead. The
    filter has already stepped past leading deleted documents, so the list is reset.
    """
    matcher = reader.postings(fieldname, text)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
        matcher.reset()
    return matcher


def constant_matcher(docnums: list[int], score: float) -> Any:
    """A matcher of these sorted documents, each scoring `score` (a prefix's, say)."""
    return ListMatcher(docnums, all_weights=score) if docnums else NullMatcher()


def excluding_matcher(kept: Any, excluded: Any) -> Any:
    """The documents of `kept` that are not in `excluded`, as Whoosh's AndNotMatcher, with
    `excluded` first moved up to `kept`'s first document.

    Whoosh's checked the first document against the excluded list only when both lists
    began at the same document: where the excluded word's list began earlier, that
    document came through even when it held the word (`council -policy` found a chunk
    saying "policy"). Past the first, it keeps the excluded list level itself.
    """
    if kept.is_active() and excluded.is_active() and excluded.id() < kept.id():
        excluded.skip_to(kept.id())
    return AndNotMatcher(kept, excluded)


class Block(NamedTuple):
    """One block of a posting list: document numbers, term frequencies, and each
    posting's stored value (encoded positions), decoded with the rest, for free."""

    ids: Sequence[int]
    weights: Sequence[float] | float | None  # None: every weight is 1; a float: all equal
    values: Sequence[Any]


def posting_blocks(matcher: Any) -> Iterator[Block]:
    """The rest of a posting list, a block at a time, decoded but not unpacked.

    A block is one zlib call and one unpickle for 128 postings, against a Python call
    per posting through the matcher; that difference is most of a search's time.
    """
    fast = isinstance(matcher, whoosh3.W3LeafMatcher)
    if not (FAST and fast and has_attributes(matcher, MATCHER_ATTRIBUTES)):
        # A short list kept inline with its term, or another Whoosh: the public API.
        ids, weights, values = [], [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        if ids:
            yield Block(ids, weights, values)
        return
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        raw_ids, raw_weights = matcher._data[0], matcher._data[1]
        if not matcher._byteids:
            raw_ids = list(accumulate(raw_ids))  # blocks store the gaps between ids
        if matcher._values is None:
            matcher._read_values()  # from the data already read: slices, no decoding
        raw_values = matcher._values
        start = matcher._i
        if start:
            raw_ids = raw_ids[start:]
            raw_values = raw_values[start:]
            if raw_weights is not None and not isinstance(raw_weights, float):
                raw_weights = raw_weights[start:]
        yield Block(raw_ids, raw_weights, raw_values)
        matcher._next_block()


def flat_postings(matcher: Any) -> tuple[list[int], list[float], list[Any]]:
    """The rest of a posting list: its document numbers, weights and stored values."""
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    for block in posting_blocks(matcher):
        ids.extend(block.ids)
        if block.weights is None or isinstance(block.weights, float):
            weights.extend([block.weights or 1.0] * len(block.ids))
        else:
            weights.extend(block.weights)
        values.extend(block.values)
    return ids, weights, values


def posting_ids(matcher: Any) -> list[int]:
    """All document numbers of the rest of a posting list."""
    ids: list[int] = []
    for block in posting_blocks(matcher):
        ids.extend(block.ids)
    return ids


def length_bytes(reader: Any, fieldname: str) -> Sequence[int]:
    """Each document's length in a field, in one segment, quantised to a byte as stored."""
    size = reader.doc_count_all()
    if FAST and hasattr(reader, "_perdoc"):
        column = reader._perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        if column is None:
            return [0] * size
        fixed = has_attributes(column, LENGTH_COLUMN_ATTRIBUTES) and column._fixedlen == 1
        if fixed:
            # One byte a document, read in one piece; documents past the stored ones are 0.
            stored = min(column._count, size)
            return [*column._dbfile.get(column._basepos, stored), *bytes(size - stored)]
        return [column[n] for n in range(size)]
    return [length_to_byte(reader.doc_field_length(n, fieldname, 0)) for n in range(size)]
