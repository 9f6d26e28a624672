"""Ranking an OR of words in bulk: Whoosh's own BM25F, computed over whole posting lists.

Whoosh's top-k search walks every matching document through a tree of Python matcher
objects; for common words that is ten thousand documents and hundreds of milliseconds.
Here each word's posting list is read a block at a time and scored with numpy, using
exactly the formula, statistics and quantised lengths Whoosh's scorer uses, so the
scores are the same. The phrase bonus of short queries (see `query.add_proximity`) is
then scored by Whoosh itself, for the best candidates only.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from whoosh import query

from .query import SEARCH_FIELDS

# Below this many documents Whoosh's own search is fast enough and numpy's import is not.
BULK_FROM_DOCS = 5_000
# Candidates whose phrase bonus is computed, per hit asked for.
CANDIDATES_PER_HIT = 10
MIN_CANDIDATES = 100


def bulk_leaves(
    tree: query.Query, boost: float = 1.0
) -> tuple[list[tuple[str, str, float]], list[tuple[query.Phrase, float]]] | None:
    """The words (field, term, weight) and optional phrases of an OR of words, or None."""
    if type(tree) is query.Term and tree.fieldname in SEARCH_FIELDS:
        return [(tree.fieldname, tree.text, boost * tree.boost)], []
    if not isinstance(tree, query.Or) or tree.minmatch or tree.scale:
        return None
    words: list[tuple[str, str, float]] = []
    phrases: list[tuple[query.Phrase, float]] = []
    for child in tree.subqueries:
        if isinstance(child, query.Phrase):
            phrases.append((child, boost * tree.boost))
            continue
        found = bulk_leaves(child, boost * tree.boost)
        if found is None:
            return None
        words += found[0]
        phrases += found[1]
    # A phrase only adds to documents its first word already matches; one that stands
    # alone (a quoted phrase) decides what matches, which needs Whoosh's matcher.
    present = {(fieldname, text) for fieldname, text, _ in words}
    if any(not p.words or (p.fieldname, p.words[0]) not in present for p, _ in phrases):
        return None
    return words, phrases


# Decoded posting lists kept per session, so a word searched again is not decoded again.
POSTINGS_CACHE_BYTES = 64 * 2**20


class BulkRanker:
    """Per-session state: document lengths, and recently decoded posting lists."""

    def __init__(self, searcher: Any) -> None:
        import numpy as np
        from whoosh.util.numeric import byte_to_length

        self.np = np
        self.searcher = searcher
        self.byte_lengths = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
        self.lengths: dict[tuple[int, str], Any] = {}
        self.postings: OrderedDict[tuple[int, str, str], tuple[Any, Any]] = OrderedDict()
        self.postings_bytes = 0

    def _postings(self, segment: int, reader: Any, fieldname: str, text: str) -> tuple[Any, Any]:
        key = (segment, fieldname, text)
        found = self.postings.get(key)
        if found is not None:
            self.postings.move_to_end(key)
            return found
        found = _postings(self.np, reader.postings(fieldname, text))
        self.postings[key] = found
        self.postings_bytes += found[0].nbytes + found[1].nbytes
        while self.postings_bytes > POSTINGS_CACHE_BYTES and len(self.postings) > 1:
            _, (ids, tfs) = self.postings.popitem(last=False)
            self.postings_bytes -= ids.nbytes + tfs.nbytes
        return found

    def _field_lengths(self, segment: int, reader: Any, fieldname: str) -> Any:
        key = (segment, fieldname)
        if key not in self.lengths:
            from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

            size = reader.doc_count_all()
            column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            raw = [column[n] for n in range(size)] if column is not None else [0] * size
            self.lengths[key] = self.byte_lengths[self.np.array(raw, dtype=self.np.uint8)]
        return self.lengths[key]

    def scores(self, words: list[tuple[str, str, float]], size: int) -> Any:
        """Each document's BM25F score for the words, as Whoosh's scorer gives it."""
        np = self.np
        searcher = self.searcher
        weighting = searcher.weighting
        k1, b = weighting.K1, weighting.B
        total = np.zeros(size, dtype=np.float64)
        for segment, (leaf, offset) in enumerate(searcher.leaf_searchers()):
            reader = leaf.reader()
            for fieldname, text, boost in words:
                if (fieldname, text) not in reader:
                    continue
                ids, tf = self._postings(segment, reader, fieldname, text)
                if not len(ids):
                    continue
                idf = searcher.idf(fieldname, text)
                average = searcher.avg_field_length(fieldname) or 1
                lengths = self._field_lengths(segment, reader, fieldname)[ids]
                norm = k1 * ((1 - b) + b * lengths / average)
                total[ids + offset] += boost * idf * (tf * (k1 + 1)) / (tf + norm)
        return total

    def matched(self, scores: Any) -> int:
        """The documents with any score: for an OR of words, exactly those that match."""
        packed = self.np.packbits(scores > 0, bitorder="little")
        return int.from_bytes(packed.tobytes(), "little")

    def top(
        self,
        scores: Any,
        phrases: list[tuple[query.Phrase, float]],
        allowed: int,
        size: int,
        wanted: int,
    ) -> list[tuple[float, int]]:
        """The `wanted` best (score, docnum) among the `allowed` bitmap, ties included."""
        np = self.np
        scores = scores.copy()
        mask = np.unpackbits(
            np.frombuffer(allowed.to_bytes((size + 7) // 8 or 1, "little"), dtype=np.uint8),
            bitorder="little",
        )[:size].astype(bool)
        scores[~mask] = -1.0
        count = int(mask.sum())
        if not count:
            return []
        keep = min(count, max(MIN_CANDIDATES, wanted * CANDIDATES_PER_HIT) if phrases else wanted)
        chosen = np.argpartition(-scores, keep - 1)[:keep]
        # Everything tied with the last candidate comes too, so ties break by page order.
        floor = scores[chosen].min()
        chosen = np.flatnonzero((scores >= floor) & mask)
        found = {int(d): float(scores[d]) for d in chosen}
        for phrase, boost in phrases:
            for docnum, bonus in _phrase_scores(self.searcher, phrase, sorted(found)):
                found[docnum] += boost * bonus
        return [(score, docnum) for docnum, score in found.items()]


def _postings(np: Any, matcher: Any) -> tuple[Any, Any]:
    """A posting list's document numbers and term frequencies, decoded a block at a time."""
    if not hasattr(matcher, "_read_data"):
        ids, tfs = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            tfs.append(matcher.weight())
            matcher.next()
        return np.array(ids, dtype=np.int64), np.array(tfs, dtype=np.float64)
    id_blocks, tf_blocks = [], []
    while matcher.is_active():  # private, but whoosh-reloaded 2.7.5 is pinned
        if matcher._data is None:
            matcher._read_data()
        raw_ids, raw_weights = matcher._data[0], matcher._data[1]
        count = matcher._blocklength
        ids = np.asarray(raw_ids, dtype=np.int64)
        if not matcher._byteids:
            ids = np.cumsum(ids)  # blocks store the gaps between document numbers
        if raw_weights is None:
            tfs = np.ones(count, dtype=np.float64)
        elif isinstance(raw_weights, float):
            tfs = np.full(count, raw_weights, dtype=np.float64)
        else:
            tfs = np.asarray(raw_weights, dtype=np.float64)
        id_blocks.append(ids[matcher._i :])
        tf_blocks.append(tfs[matcher._i :])
        matcher._next_block()
    if not id_blocks:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.concatenate(id_blocks), np.concatenate(tf_blocks)


def _phrase_scores(
    searcher: Any, phrase: query.Phrase, docnums: list[int]
) -> list[tuple[int, float]]:
    """Whoosh's score of a phrase in each of these documents that has it."""
    found = []
    matcher = phrase.matcher(searcher)
    for docnum in docnums:
        if not matcher.is_active():
            break
        if matcher.id() < docnum:
            matcher.skip_to(docnum)
            if not matcher.is_active():
                break
        if matcher.id() == docnum:
            found.append((docnum, matcher.score()))
    return found
