"""Ranking an OR of words and phrases in bulk: Whoosh's own BM25F, over whole posting lists.

Whoosh's top-k search walks every matching document through a tree of Python matcher
objects; for common words that is ten thousand documents and hundreds of milliseconds.
Here each word's whole posting list is sliced from its segment's postings arrays
(`dwsearch.index.postings`; or, for a segment without them, read from Whoosh a block at
a time) and scored with numpy, using exactly the formula, statistics and quantised
lengths Whoosh's scorer uses, so the scores are the same. Phrases follow Whoosh's rule
too: a quoted phrase's words' positions are read over the whole index once a session,
each numbered with its document, and matched in numpy, all documents at once; the
phrase bonus of short queries (see `query.add_proximity`) reads only the best
candidates' positions.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from itertools import accumulate, islice, pairwise
from pathlib import Path
from typing import Any, NamedTuple

from whoosh import query

from dwsearch.index.postings import (
    FEW_POSTINGS,
    HYPHENATED_FIELD,
    SEGMENT_POSTINGS,
    FlatPositions,
    SegmentPostings,
    place_of_hash,
    runs,
    term_hash,
)
from dwsearch.index.whoosh_internals import (
    all_postings,
    flat_postings,
    length_bytes,
    length_table,
    position_decoder,
)

from .matching import BulkQuery, Constant, Weighted

# Where the last search scored more than a seventh of the documents, the next sets
# every score back to zero at once rather than theirs one by one.
ZERO_WHOLE_FROM = 7
# Candidates whose phrase bonus is computed, per hit asked for.
CANDIDATES_PER_HIT = 10
MIN_CANDIDATES = 100


# Decoded posting lists kept per session, so a word searched again is not decoded again.
POSTINGS_CACHE_BYTES = 128 * 2**20
# Scored posting lists kept per session (8 bytes a posting).
IMPACTS_CACHE_BYTES = 64 * 2**20
# Phrases' matches kept per session (16 bytes a document).
PHRASES_CACHE_BYTES = 32 * 2**20
# Words' postings over the whole index kept per session (17 bytes a posting).
GATHERED_CACHE_BYTES = 64 * 2**20
# Words' positions over the whole index kept per session (8 bytes a position).
POSITIONS_CACHE_BYTES = 64 * 2**20
# Prefixes' documents kept per session.
PREFIXES_CACHE_BYTES = 32 * 2**20
# Prefixes' words, each segment's, kept per session.
PREFIX_WORDS_CACHE_BYTES = 16 * 2**20
# Answers to "does this segment hold the word" kept per session.
PRESENT_ENTRIES = 100_000
# A phrase looked for in this many documents or fewer reads only their positions,
# unless its words' positions over the whole index are already kept.
FEW_PHRASE_DOCS = 256
# Documents are placed in a posting list by a table, not a binary search, from one
# for every this many postings.
DENSE_PLACES_FROM = 8
_UNKNOWN = object()  # a word not yet looked up in a segment
# What a posting's stored value (its encoded positions) costs in memory, roughly.
_VALUE_BYTES = 48


class Postings(NamedTuple):
    """A posting list: document numbers and term frequencies as arrays, and its
    positions: a `FlatPositions` view of the postings file, or (for a segment read
    through Whoosh) each posting's value as Whoosh encodes it."""

    ids: Any
    tfs: Any
    values: Sequence[Any]

    @property
    def nbytes(self) -> int:
        decoded = _VALUE_BYTES * len(self.values) if isinstance(self.values, list) else 0
        return int(self.ids.nbytes + self.tfs.nbytes) + decoded


class WordPostings(NamedTuple):
    """A word's postings in every segment, its documents numbered in the whole index:
    their frequencies, and their field lengths as Whoosh's quantised bytes; segment n's
    are at `bounds[n]:bounds[n + 1]`, in its posting list's order."""

    docs: Any
    tfs: Any
    codes: Any
    bounds: list[int]

    @property
    def nbytes(self) -> int:
        return int(self.docs.nbytes + self.tfs.nbytes + self.codes.nbytes)


class WordScores(NamedTuple):
    """A word's documents in every segment, numbered in the whole index, and its score
    in each; segment n's are at `bounds[n]:bounds[n + 1]`, in its posting list's order."""

    docs: Any
    scores: Any
    bounds: list[int]

    @property
    def nbytes(self) -> int:
        return int(self.docs.nbytes + self.scores.nbytes)


class Unread(NamedTuple):
    """A match's documents, not yet read: flags for every document (`held`), and where
    each was given a positive score, the arrays of those scored (two are merged faster
    than the flags are searched), less the deleted ones where `live` flags are given."""

    held: Any
    arrays: list[Any] | None
    live: Any

    MERGED_UP_TO = 2  # arrays: a merge of more costs more than a search of the flags

    def read(self, np: Any) -> Any:
        if self.arrays is None or len(self.arrays) > self.MERGED_UP_TO:
            return np.flatnonzero(self.held)
        docs = sorted_union(np, self.arrays)
        return docs if self.live is None else docs[self.live[docs]]


class KeptWithin:
    """What a session keeps, most recently used last, dropped oldest first once its
    entries' bytes (`size_of`, and what an entry itself costs) pass `budget`; the
    newest is always kept. An empty entry (a phrase found nowhere) costs bytes too, so
    a server asked many such queries keeps a bounded number of them."""

    ENTRY_BYTES = 200  # a key, an entry of the ordered dict, two empty arrays

    def __init__(self, budget: int, size_of: Callable[[Any], int]) -> None:
        self.budget = budget
        self.size_of = lambda found: size_of(found) + self.ENTRY_BYTES
        self.entries: OrderedDict[Any, Any] = OrderedDict()
        self.used = 0

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        found = self.entries.get(key, _UNKNOWN)
        if found is not _UNKNOWN:  # None is an answer too (no positions to slice)
            self.entries.move_to_end(key)
            return found
        return self.put(key, make())

    def put(self, key: Any, found: Any) -> Any:
        """Keep `found` for `key`, in place of what was kept for it."""
        kept = self.entries.pop(key, _UNKNOWN)
        if kept is not _UNKNOWN:
            self.used -= self.size_of(kept)
        self.entries[key] = found
        self.used += self.size_of(found)
        while self.used > self.budget and len(self.entries) > 1:
            _, dropped = self.entries.popitem(last=False)
            self.used -= self.size_of(dropped)
        return found


class BulkRanker:
    """Per-session state: document lengths, and recently decoded posting lists."""

    def __init__(self, searcher: Any, folder: Path | None = None) -> None:
        import numpy as np

        self.np = np
        self.searcher = searcher
        # Each segment's postings file (see dwsearch.index.postings), where it has one.
        self.folder = folder
        self.arrays: dict[int, SegmentPostings | None] = {}
        self.byte_lengths = np.array(length_table(), dtype=np.float64)
        self.lengths: dict[tuple[int, str], Any] = {}
        self.norms: dict[str, Any] = {}
        self.postings = KeptWithin(POSTINGS_CACHE_BYTES, lambda found: found.nbytes)
        # Where a segment holds a word: its number in the segment's postings file (None
        # if absent), or for a segment without one, whether Whoosh's term table has it.
        # Each answer costs a hash of the word and a lookup, and a search asks it for a
        # word's presence, its postings and its document frequency, in every segment.
        self.present: dict[tuple[int, str, str], int | bool | None] = {}
        self._docs_of: list[tuple[int, Any]] = []  # (bitmap, its documents), newest first
        self._live: tuple[int, Any] | None = None  # see `_live_flags`
        # Each posting list's scores, and the session's array of every document's.
        self.impacts = KeptWithin(IMPACTS_CACHE_BYTES, lambda found: found.nbytes)
        self._total: Any = None
        # Each phrase's documents and scores, kept per session.
        self.phrases = KeptWithin(
            PHRASES_CACHE_BYTES, lambda found: found[0].nbytes + found[1].nbytes
        )
        # Each word's postings over the whole index, kept per session.
        self.gathered = KeptWithin(GATHERED_CACHE_BYTES, lambda found: found.nbytes)
        # Each word's positions over the whole index, kept per session.
        self.positions = KeptWithin(
            POSITIONS_CACHE_BYTES, lambda found: 0 if found is None else found.nbytes
        )
        # Each prefix's documents, kept per session (8 bytes a document).
        self.prefixes = KeptWithin(PREFIXES_CACHE_BYTES, lambda found: found.nbytes)
        self._touched: list[Any] = []  # each array of documents scored this search
        self._all_raised = True  # whether each was given a positive score
        self._every_hyphenated: Any = None  # see `_hyphenated`
        self._segment_offsets: Any = None  # see `_offsets`
        self._place_table: Any = None  # see `_places`
        # Per field, each segment's first document, postings file and length codes
        # (None where a segment has no postings file); per word, the segments holding
        # it and its number in each: looked up once, not once a segment a reading.
        self._segment_fields: dict[str, list[tuple[int, Any, Any]] | None] = {}
        self.homes: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self._field_hashes: dict[str, list[tuple[int, Any]]] = {}
        # Per prefix, each segment's words it begins; or a number some segment has more.
        self.expansions = KeptWithin(PREFIX_WORDS_CACHE_BYTES, _words_bytes)

    def _arrays(self, segment: int, reader: Any, fieldname: str) -> SegmentPostings | None:
        """The segment's postings file, if it has one with this field."""
        if segment not in self.arrays:
            found = None
            if self.folder is not None:
                name = SEGMENT_POSTINGS.format(reader.segment().segment_id())
                found = SegmentPostings.open(self.np, self.folder / name)
            self.arrays[segment] = found
        found = self.arrays[segment]
        return found if found is not None and found.has_field(fieldname) else None

    def _holds(self, segment: int, reader: Any, fieldname: str, text: str) -> bool:
        found = self._where(segment, reader, fieldname, text)
        return found is not None and found is not False

    def _where(self, segment: int, reader: Any, fieldname: str, text: str) -> int | bool | None:
        """The word's number in the segment's postings file, or None if it lacks it;
        for a segment without the file, whether Whoosh's term table holds it."""
        key = (segment, fieldname, text)
        found = self.present.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            if len(self.present) > PRESENT_ENTRIES:
                self.present.clear()
            arrays = self._arrays(segment, reader, fieldname)
            if arrays is not None:
                found = arrays.find(fieldname, text)
            else:
                found = (fieldname, text) in reader
            self.present[key] = found
        return found  # type: ignore[return-value]

    def document_frequency(self, fieldname: str, text: str | bytes) -> int:
        """How many documents hold the word in the field, deleted ones too, as Whoosh's
        term tables say: from each segment's postings file where it has the field, a
        hash lookup instead of a walk through Whoosh's table."""
        if isinstance(text, bytes):  # as Whoosh's own callers give a term
            text = text.decode("utf-8")
        segments = self._segments(fieldname)
        if segments is not None:
            return sum(
                segments[segment][1].count(fieldname, number)
                for segment, number in self._homes(fieldname, text)
            )
        total = 0
        for segment, (leaf, _) in enumerate(self.searcher.leaf_searchers()):
            reader = leaf.reader()
            arrays = self._arrays(segment, reader, fieldname)
            if arrays is None:
                total += reader.doc_frequency(fieldname, text)
                continue
            number = self._where(segment, reader, fieldname, text)
            if number is not None:
                total += arrays.count(fieldname, number)
        return total

    def holds(self, fieldname: str, text: str) -> bool:
        """Whether any segment holds the word in the field (a ranked field, or the
        spelling field's hyphenated words)."""
        if fieldname == HYPHENATED_FIELD:
            every = self._hyphenated()
            if every is not None:  # one lookup, not one a segment
                np = self.np
                hashed = np.uint64(term_hash(text.encode("utf-8")))
                at = int(np.searchsorted(every, hashed))
                return bool(at < len(every) and every[at] == hashed)
        if self._segments(fieldname) is not None:
            return bool(self._homes(fieldname, text))
        return any(
            self._holds(segment, leaf.reader(), fieldname, text)
            for segment, (leaf, _) in enumerate(self.searcher.leaf_searchers())
        )

    def _hyphenated(self) -> Any:
        """Every segment's hyphenated spelling words' hashes, sorted, made once a
        session; None where a segment's postings file lacks them."""
        if self._every_hyphenated is None:
            found = []
            for segment, (leaf, _) in enumerate(self.searcher.leaf_searchers()):
                arrays = self._arrays(segment, leaf.reader(), HYPHENATED_FIELD)
                if arrays is None:
                    self._every_hyphenated = False
                    return None
                found.append(arrays.fields[HYPHENATED_FIELD]["hashes"])
            self._every_hyphenated = self.np.unique(self.np.concatenate(found or [[]]))
        return self._every_hyphenated if self._every_hyphenated is not False else None

    def _postings(self, segment: int, reader: Any, fieldname: str, text: str) -> Postings:
        def decode() -> Postings:
            arrays = self._arrays(segment, reader, fieldname)
            if arrays is not None:
                number = self._where(segment, reader, fieldname, text)
                return _postings_from(self.np, arrays, fieldname, number)
            return _postings(self.np, all_postings(reader, fieldname, text))

        found: Postings = self.postings.get((segment, fieldname, text), decode)
        return found

    def _length_codes(self, segment: int, reader: Any, fieldname: str) -> Any:
        """Each document's field length, as the byte Whoosh quantises it to: a
        segment's fit in a fast cache, where their decoded floats would not."""
        key = (segment, fieldname)
        if key not in self.lengths:
            raw = length_bytes(reader, fieldname)
            self.lengths[key] = self.np.frombuffer(raw, dtype=self.np.uint8)
        return self.lengths[key]

    def scores(self, words: list[tuple[str, str, float]], size: int) -> Any:
        """Each document's BM25F score for the words, as Whoosh's scorer gives it.

        The array is the session's own, valid until its next search: a million
        documents' scores are not allocated anew each time, and only the documents the
        last search scored are set back to zero."""
        np = self.np
        total = self._total
        if total is None or len(total) != size:
            total = self._total = np.zeros(size, dtype=np.float64)
        elif sum(len(docs) for docs in self._touched) * ZERO_WHOLE_FROM > size:
            total.fill(0.0)
        else:
            for docs in self._touched:
                total[docs] = 0.0
        self._touched = []
        self._all_raised = True
        for fieldname, text, boost in words:
            docs, impacts, _ = self._word_scores(fieldname, text)
            if len(docs):
                # A word's documents are distinct: `add.at` adds as `+=` would, faster.
                np.add.at(total, docs, impacts if boost == 1 else boost * impacts)
                self.touched(docs, boost)
        return total

    def _word_scores(self, fieldname: str, text: str) -> WordScores:
        """A word's documents in every segment (numbered in the whole index) and its
        BM25F score in each, kept per session like its postings."""
        found: WordScores = self.impacts.get(
            (fieldname, text), lambda: self._scores_everywhere(fieldname, text)
        )
        return found

    def _scores_everywhere(self, fieldname: str, text: str) -> WordScores:
        """`_word_scores`, worked out for all segments at once (from `_word_postings`):
        per segment, the dozen numpy calls of a score cost more than its arithmetic."""
        found = self._word_postings(fieldname, text)
        scores = self._bm25(fieldname, text, found.tfs, found.codes) if len(found.docs) else None
        return WordScores(found.docs, self.np.zeros(0) if scores is None else scores, found.bounds)

    def _word_postings(self, fieldname: str, text: str) -> WordPostings:
        """A word's postings in every segment, kept per session: a phrase reads its
        words' documents, and scores them only where it is found."""
        found: WordPostings = self.gathered.get(
            (fieldname, text), lambda: self._postings_everywhere(fieldname, text)
        )
        return found

    def _segments(self, fieldname: str) -> list[tuple[int, Any, Any]] | None:
        """Each segment's first document number, postings file and length codes of
        the field (None, None where its postings file has no such field: nothing of the
        segment's holds it); None if a segment has no postings file."""
        if fieldname not in self._segment_fields:
            found: list[tuple[int, Any, Any]] | None = []
            for segment, (leaf, offset) in enumerate(self.searcher.leaf_searchers()):
                reader = leaf.reader()
                arrays = self._arrays(segment, reader, fieldname)
                if arrays is None and self.arrays.get(segment) is not None:
                    found.append((offset, None, None))
                    continue
                if arrays is None:
                    found = None
                    break
                found.append((offset, arrays, self._length_codes(segment, reader, fieldname)))
            self._segment_fields[fieldname] = found
        return self._segment_fields[fieldname]

    def _homes(self, fieldname: str, text: str) -> list[tuple[int, int]]:
        """The segments holding the word (all with postings files), each with the
        word's number there: its hash worked out once, looked up in each segment."""
        key = (fieldname, text)
        found = self.homes.get(key)
        if found is None:
            if len(self.homes) > PRESENT_ENTRIES:
                self.homes.clear()
            hashed = self.np.uint64(term_hash(text.encode("utf-8")))
            found = []
            for segment, hashes in self._hash_tables(fieldname):
                number = place_of_hash(hashes, hashed)  # the hash converted once, not each
                if number is not None:
                    found.append((segment, number))
            self.homes[key] = found
        return found

    def _hash_tables(self, fieldname: str) -> list[tuple[int, Any]]:
        """Each segment holding the field, with its terms' sorted hashes (none where a
        segment has no postings file: see `_segments`)."""
        found = self._field_hashes.get(fieldname)
        if found is None:
            tables = (
                (segment, None if arrays is None else arrays.hashes(fieldname))
                for segment, (_, arrays, _) in enumerate(self._segments(fieldname) or ())
            )
            found = self._field_hashes[fieldname] = [
                (segment, hashes) for segment, hashes in tables if hashes is not None
            ]
        return found

    def _postings_everywhere(self, fieldname: str, text: str) -> WordPostings:
        segments = self._segments(fieldname)
        if segments is None:
            return self._postings_segment_by_segment(fieldname, text)
        found = []
        held = [0] * len(segments)
        for segment, number in self._homes(fieldname, text):
            offset, arrays, codes = segments[segment]
            some, tfs, _ = arrays.postings(fieldname, number)
            if len(some):
                found.append((offset, some, tfs, codes))
                held[segment] = len(some)
        return self._joined(found, [0, *accumulate(held)])

    def _postings_segment_by_segment(self, fieldname: str, text: str) -> WordPostings:
        """`_postings_everywhere` where a segment is read through Whoosh."""
        found_in = []
        bounds = [0]
        for segment, (leaf, offset) in enumerate(self.searcher.leaf_searchers()):
            reader = leaf.reader()
            held = 0
            arrays = self._arrays(segment, reader, fieldname)
            if arrays is not None:
                number = self._where(segment, reader, fieldname, text)
                found = None if number is None else arrays.postings(fieldname, number)
            elif self._holds(segment, reader, fieldname, text):
                found = self._postings(segment, reader, fieldname, text)
            else:
                found = None
            if found is not None and len(found[0]):
                held = len(found[0])
                codes = self._length_codes(segment, reader, fieldname)
                found_in.append((offset, found[0], found[1], codes))
            bounds.append(bounds[-1] + held)
        return self._joined(found_in, bounds)

    def _joined(self, found: list[tuple[int, Any, Any, Any]], bounds: list[int]) -> WordPostings:
        """Segments' postings (each segment's first document, ids, frequencies and length
        codes of every document) as one list, numbered in the whole index: each
        segment's written once into it, widened as it is copied, with no concatenation,
        shift or conversion of a hundred thousand postings after."""
        np = self.np
        docs = np.empty(bounds[-1], dtype=np.int64)
        frequencies = np.empty(bounds[-1], dtype=np.float64)
        lengths = np.empty(bounds[-1], dtype=np.uint8)
        start = 0
        for offset, ids, tfs, codes in found:
            end = start + len(ids)
            np.add(ids, np.int64(offset), out=docs[start:end])
            frequencies[start:end] = tfs
            np.take(codes, ids, out=lengths[start:end])
            start = end
        return WordPostings(docs, frequencies, lengths, bounds)

    def touched(self, docs: Any, weight: float) -> None:
        """Note documents given a score, each a positive one times `weight` (a word's
        BM25, a phrase's, a prefix's constant)."""
        self._touched.append(docs)
        if not weight > 0:  # a score of zero or less: not a match by its score alone
            self._all_raised = False

    DOCS_KEPT = 4  # bitmaps whose documents are kept: a search reads a few, often again
    NARROW_SHARE = 8  # a bitmap within one of under 1/8 of the documents: read at those

    def docs_of(self, bits: int, size: int) -> Any:
        """A bitmap's documents, as a sorted array. The last few asked are kept, since
        counting a result's pages and facets and ranking it read the same few bitmaps;
        one within a kept bitmap of few documents (a filtered result, within the match)
        is read at those documents only, not unpacked whole."""
        np = self.np
        for number, (known, _) in enumerate(self._docs_of):
            if known is bits or known == bits:
                return self._kept(number)
        raw = np.frombuffer(bits.to_bytes((size + 7) // 8 or 1, "little"), dtype=np.uint8)
        found = None
        for known, docs in self._docs_of:
            if isinstance(docs, Unread):  # a match's, not read: reading it costs more
                continue
            if len(docs) * self.NARROW_SHARE < size and (bits & known) == bits:
                held = (raw[docs >> 3] >> (docs & 7).astype(np.uint8)) & 1
                found = docs[held.view(bool)]
                break
        if found is None:
            found = np.flatnonzero(np.unpackbits(raw, bitorder="little")[:size].view(bool))
        self._keep_docs(bits, found)
        return found

    def _kept(self, number: int) -> Any:
        """The documents of the `number`th bitmap kept, read now if kept unread."""
        known, docs = self._docs_of[number]
        if isinstance(docs, Unread):  # a match's, read only when asked: see `matched`
            docs = docs.read(self.np)
            self._docs_of[number] = (known, docs)
        return docs

    def _keep_docs(self, bits: int, docs: Any) -> None:
        self._docs_of.insert(0, (bits, docs))
        del self._docs_of[self.DOCS_KEPT :]

    def matched(self, scores: Any, live: int, early: int | None = None) -> int:
        """The live documents with any score: for an OR of words, exactly those that
        match (`early`, where `match_before` told them). Kept as `docs_of` them too,
        which counting and ranking ask next."""
        if early is not None:  # worked out before the scores (`match_before`)
            return early
        if self._all_raised:  # the documents scored this search: marked, not searched for
            return self._marked(list(self._touched), live, len(scores))
        np = self.np
        held = scores > 0
        found = int.from_bytes(np.packbits(held, bitorder="little").tobytes(), "little")
        bits = found & live
        if bits != found:  # deleted documents among them (an update's): not held
            held &= self._live_flags(live, len(held))
        # Their numbers are read once asked for: the facets are counted from the bits
        # meanwhile.
        self._keep_docs(bits, Unread(held, None, None))
        return bits

    def match_before(self, bulk: BulkQuery, live: int, size: int) -> int | None:
        """The live documents `bulk` matches, before they are scored: where every word,
        phrase and prefix weighs above zero, those holding any of them (read from the
        lists their scores will be read from). None where a weight is zero or less: a
        document it alone holds scores nothing, and is matched by its score."""
        weights = [boost for _, _, boost in bulk.words]
        weights += [boost * phrase.boost for phrase, boost in bulk.phrases]
        weights += [boost * prefix.boost for prefix, boost in bulk.prefixes]
        if not all(weight > 0 for weight in weights):
            return None
        arrays = [self._word_postings(fieldname, text).docs for fieldname, text, _ in bulk.words]
        arrays += [self._phrase_matches(phrase)[0] for phrase, _ in bulk.phrases]
        arrays += [self._prefixed(prefix.fieldname, prefix.text) for prefix, _ in bulk.prefixes]
        return self._marked([docs for docs in arrays if len(docs)], live, size)

    def _marked(self, arrays: list[Any], live: int, size: int) -> int:
        """The live documents of these arrays, as a bitmap; kept, unread, as the match."""
        np = self.np
        held = np.zeros(size, dtype=bool)
        for docs in arrays:
            held[docs] = True
        found = int.from_bytes(np.packbits(held, bitorder="little").tobytes(), "little")
        bits = found & live
        flags = None
        if bits != found:  # deleted documents among them (an update's): not held
            flags = self._live_flags(live, size)
            held &= flags
        # Their numbers are read once asked for: the facets are counted from the bits
        # meanwhile.
        self._keep_docs(bits, Unread(held, arrays, flags))
        return bits

    def _live_flags(self, live: int, size: int) -> Any:
        """The live documents as an array of flags, made once a session."""
        kept = self._live
        if kept is None or kept[0] is not live:
            np = self.np
            raw = np.frombuffer(live.to_bytes((size + 7) // 8 or 1, "little"), dtype=np.uint8)
            kept = self._live = (live, np.unpackbits(raw, bitorder="little")[:size].view(bool))
        return kept[1]

    def top(
        self,
        scores: Any,
        bonuses: list[Weighted],
        allowed: int,
        size: int,
        wanted: int,
        shown: int = 0,
        order: Callable[[], Any] | None = None,
    ) -> list[tuple[float, int]]:
        """The `wanted` best (score, docnum) among the `allowed` bitmap, ties included.

        With bonuses, they are added to the best by score alone, as many as `shown` (the
        hits a page shows, `wanted` unless said) calls for: crowding, which reads deeper
        than the page it shows, costs no more phrase positions than the page would.
        `order()` gives every document's place among the pages (numpy), to cut a large
        tie short."""
        np = self.np
        allowed_docs = self.docs_of(allowed, size)
        if not len(allowed_docs):
            return []
        scores = scores[allowed_docs]
        if bonuses:
            wanted = max(MIN_CANDIDATES, (shown or wanted) * CANDIDATES_PER_HIT, wanted)
        keep = min(len(allowed_docs), wanted)
        floor = kth_largest(np, scores, keep)
        # Everything tied with the last candidate comes too, so ties break by page order.
        chosen = scores >= floor
        if not bonuses and order is not None and int(chosen.sum()) > 2 * wanted:
            # A large tie (a prefix scores every chunk alike): of the documents tied with
            # the last, only the `wanted` first in page order can be listed.
            tied = allowed_docs[scores == floor]
            first = tied[np.argpartition(order()[tied], wanted - 1)[:wanted]]
            chosen = scores > floor
            chosen[np.searchsorted(allowed_docs, first)] = True
        scores = scores[chosen]
        chosen = allowed_docs[chosen]
        for phrase, boost in bonuses:
            docs, bonus = self.phrase_scores(phrase, chosen)
            scores[np.searchsorted(chosen, docs)] += boost * phrase.boost * bonus
        return list(zip(scores.tolist(), chosen.tolist(), strict=True))

    def add_prefixes(self, scores: Any, prefixes: list[Constant]) -> None:
        """Add each prefix's boost to every document holding a word it begins (once)."""
        for prefix, boost in prefixes:
            docs = self._prefixed(prefix.fieldname, prefix.text)
            if len(docs):
                self.np.add.at(scores, docs, boost * prefix.boost)
                self.touched(docs, boost * prefix.boost)

    def _prefixed(self, fieldname: str, text: str) -> Any:
        """Every document holding a word that begins with `text`, read once a session:
        a prefix begins hundreds of words, each looked up in every segment."""
        found: Any = self.prefixes.get(
            (fieldname, text), lambda: self._find_prefixed(fieldname, text)
        )
        return found

    def prefix_words(self, fieldname: str, text: str, most: int) -> int:
        """How many distinct words begin with `text` in the field, counted up to one
        past `most`: each segment's are read once a session, for the search as well."""
        found = self._prefix_words(fieldname, text, most)
        if found is None:
            return most + 1
        return len({word for words in found for word in words})

    def _prefix_words(self, fieldname: str, text: str, most: int | None) -> list[list[str]] | None:
        """Each segment's words that begin with `text`; None if a segment has more than
        `most`. (Whoosh's reader of all segments merges their words through a heap.)"""
        key = (fieldname, text)
        known = self.expansions.entries.get(key)
        if isinstance(known, list):  # each segment's words, all of them
            if most is not None and any(len(words) > most for words in known):
                return None
            return known
        if known is not None and most is not None and most <= known:
            return None  # a segment has more than `known`, so more than `most`
        found = []
        bound = None if most is None else most + 1
        for leaf, _ in self.searcher.leaf_searchers():
            terms = islice(leaf.reader().expand_prefix(fieldname, text), bound)
            words = [term.decode() if isinstance(term, bytes) else term for term in terms]
            if most is not None and len(words) > most:
                self.expansions.put(key, most)
                return None
            found.append(words)
        self.expansions.put(key, found)
        return found

    def _find_prefixed(self, fieldname: str, text: str) -> Any:
        np = self.np
        holds = None
        every = self._prefix_words(fieldname, text, None)
        assert every is not None  # read without a bound
        for segment, ((leaf, offset), words) in enumerate(
            zip(self.searcher.leaf_searchers(), every, strict=True)
        ):
            reader = leaf.reader()
            arrays = self._arrays(segment, reader, fieldname)
            for word in words:
                if arrays is not None:  # the file's ids as they lie: no copy kept
                    number = self._where(segment, reader, fieldname, word)
                    ids = arrays.postings(fieldname, number)[0] if number is not None else ()
                else:
                    ids = self._postings(segment, reader, fieldname, word)[0]
                if len(ids):
                    if holds is None:
                        holds = np.zeros(self.searcher.doc_count_all(), dtype=bool)
                    segment_holds = holds[offset:]  # the ids are the segment's own
                    segment_holds[ids] = True
        return np.zeros(0, dtype=np.int64) if holds is None else np.flatnonzero(holds)

    def add_phrases(self, scores: Any, phrases: list[Weighted]) -> None:
        """Add to `scores` each phrase's score, in every document that holds the phrase."""
        for phrase, boost in phrases:
            found, found_scores = self._phrase_matches(phrase)
            if len(found):
                self.np.add.at(scores, found, boost * phrase.boost * found_scores)
                self.touched(found, boost * phrase.boost)

    def _phrase_matches(self, phrase: query.Phrase) -> tuple[Any, Any]:
        """Every document holding the phrase, and its score there: read once a session,
        since a phrase of common words ("e-commerce") costs the positions of thousands."""
        key = (phrase.fieldname, tuple(phrase.words), phrase.slop)
        found: tuple[Any, Any] = self.phrases.get(key, lambda: self._find_phrase(phrase))
        return found

    def _find_phrase(self, phrase: query.Phrase) -> tuple[Any, Any]:
        """The phrase's documents and scores, over the whole index."""
        return self.phrase_scores(phrase, None)

    def phrase_scores(self, phrase: query.Phrase, docs: Any) -> tuple[Any, Any]:
        """Of these sorted documents (None: of every document), those holding the
        phrase, and Whoosh's score for it.

        Whoosh scores a phrase as the sum of its words' scores where its span matcher
        finds them in order within the slop. Here each word's positions over the whole
        index are numbered once a session (`_word_numbers`), and matched all documents
        at once (`spans_reaching`); for a few documents (the phrase bonus's) whose
        words are not yet numbered, only their positions are read. Each word is then
        scored only in the documents found.
        """
        np = self.np
        fieldname = phrase.fieldname
        nothing = np.zeros(0, dtype=np.int64), np.zeros(0)
        words = [self._word_postings(fieldname, word) for word in phrase.words]
        if any(not len(found.docs) for found in words) or (docs is not None and not len(docs)):
            return nothing
        few = docs is not None and len(docs) <= FEW_PHRASE_DOCS
        if few and not all((fieldname, word) in self.positions.entries for word in phrase.words):
            numbers = None  # a few candidates: their positions only
        else:
            numbers = [self._word_numbers(fieldname, word) for word in phrase.words]
        if numbers is not None and all(found is not None for found in numbers):
            if docs is not None:
                numbers = [_within(np, found, docs) for found in numbers]
        else:  # few documents, or a segment read through Whoosh: segment by segment
            if docs is None:
                docs = min(words, key=lambda found: len(found.docs)).docs
            numbers = self._numbers_of(phrase, words, docs)
            if numbers is None:
                return nothing
        matched = spans_reaching(np, numbers, phrase.slop)
        if not len(matched):
            return nothing
        total = np.zeros(len(matched))
        for word, found in zip(phrase.words, words, strict=True):
            # Scored only where the phrase is: BM25 is worked out posting by posting,
            # so these are the very numbers the word's whole list would give.
            at = self._places(found.docs, matched)
            total += self._bm25(fieldname, word, found.tfs[at], found.codes[at])
        return matched, total

    def _numbers_of(
        self, phrase: query.Phrase, words: list[WordPostings], docs: Any
    ) -> list[Any] | None:
        """Each word's positions in those of `docs` that hold every word, numbered
        (see `numbered`), read segment by segment; None if no document holds them all."""
        np = self.np
        places: list[Any] = []  # per word, where each document is in its postings
        for found in words:
            if found.docs is docs:  # the documents are this word's own
                places = [*places, np.arange(len(docs))]
                continue
            at = self._places(found.docs, docs)
            holds = at >= 0
            docs = docs[holds]
            places = [place[holds] for place in places] + [at[holds]]
        if not len(docs):
            return None
        positions = self._positions_by_segment(phrase, words, places, docs)
        return [numbered(np, docs, flat, counts) for flat, counts in positions]

    def _places(self, every: Any, docs: Any) -> Any:
        """Where each of the sorted `docs` is in the sorted `every`, -1 where absent:
        by binary search for a few, by a table of every document for many (a search
        per document misses the cache once `docs` are thousands)."""
        np = self.np
        if len(docs) * DENSE_PLACES_FROM < len(every):
            at = np.minimum(np.searchsorted(every, docs), len(every) - 1)
            return np.where(every[at] == docs, at, -1)
        table = self._place_table
        if table is None or len(table) != self.searcher.doc_count_all():
            table = self._place_table = np.full(self.searcher.doc_count_all(), -1, np.int32)
        try:
            table[every] = np.arange(len(every), dtype=np.int32)
            return table[docs].astype(np.int64)
        finally:
            table[every] = -1  # as it was, for the next, even if interrupted

    def _positions_by_segment(
        self, phrase: query.Phrase, words: list[WordPostings], places: list[Any], docs: Any
    ) -> list[tuple[Any, Any]]:
        """Each word's positions in `docs` (at `places` in its postings), segment by
        segment, as each segment holds them: from its postings file where it has one.
        A segment's few postings are read into one list for every segment, not into
        arrays of their own (the phrase bonus reads a few in each of dozens)."""
        np = self.np
        fieldname = phrase.fieldname
        leaves = self.searcher.leaf_searchers()
        segments = np.searchsorted(self._offsets(), docs, "right") - 1
        cuts = [0, *(np.flatnonzero(np.diff(segments)) + 1).tolist(), len(docs)]
        decode = position_decoder(self.searcher.schema[fieldname])
        positions = []
        for found, place, word in zip(words, places, phrase.words, strict=True):
            homes = dict(self._homes(fieldname, word))
            parts = []
            flat: list[int] = []
            counts: list[int] = []
            # Each document's place in its own segment's list, worked out at once.
            local = place - np.array(found.bounds, dtype=np.int64)[segments]
            few = local.tolist()
            for first, last in pairwise(cuts):
                segment = int(segments[first])
                values = self._segment_positions(leaves, segment, fieldname, word, homes)
                if isinstance(values, FlatPositions) and last - first <= FEW_POSTINGS:
                    values.extend_few(few[first:last], flat, counts)
                    continue
                if counts:  # the lists so far, before this segment's
                    parts.append((np.array(flat, np.int64), np.array(counts, np.int64)))
                    flat, counts = [], []
                parts.append(_positions_at(np, values, local[first:last], decode))
            if counts:
                parts.append((np.array(flat, np.int64), np.array(counts, np.int64)))
            positions.append(tuple(np.concatenate(part) for part in zip(*parts, strict=True)))
        return positions

    def _segment_positions(
        self, leaves: Any, segment: int, fieldname: str, text: str, homes: dict[int, int]
    ) -> Any:
        """A word's positions in one segment (`homes`: its number in each segment that
        holds it): a view of its postings file, or Whoosh's encoded values."""
        every = self._segments(fieldname)
        if every is not None:
            return every[segment][1].positions(fieldname, homes[segment])
        reader = leaves[segment][0].reader()
        return self._postings(segment, reader, fieldname, text).values

    def _word_numbers(self, fieldname: str, text: str) -> Any:
        """A word's positions in every segment, numbered (see `numbered`) and sorted:
        kept per session; None where a segment has no postings file to read them from."""
        return self.positions.get(
            (fieldname, text), lambda: self._numbers_everywhere(fieldname, text)
        )

    def _numbers_everywhere(self, fieldname: str, text: str) -> Any:
        segments = self._segments(fieldname)
        if segments is None:
            return None  # a segment read through Whoosh: read segment by segment
        np = self.np
        flats, counts = [], []
        for segment, number in self._homes(fieldname, text):
            flat, count = segments[segment][1].postings(fieldname, number)[2].whole()
            if len(count):
                flats.append(flat)
                counts.append(count)
        if not counts:
            return np.zeros(0, dtype=np.int64)
        # In the order of `_word_postings`: segment by segment, each one's postings.
        docs = self._word_postings(fieldname, text).docs
        return numbered(np, docs, np.concatenate(flats), np.concatenate(counts))

    def _offsets(self) -> Any:
        """Each segment's first document number, in order."""
        if self._segment_offsets is None:
            offsets = [offset for _, offset in self.searcher.leaf_searchers()]
            self._segment_offsets = self.np.array(offsets, dtype=self.np.int64)
        return self._segment_offsets

    def _bm25(self, fieldname: str, text: str, tf: Any, length_codes: Any) -> Any:
        """The word's BM25F score at postings of these frequencies and field lengths."""
        k1 = self.searcher.weighting.K1
        idf = self.searcher.idf(fieldname, text)
        # idf * (tf * (k1 + 1)) / (tf + norm), each step in place: the same numbers.
        below = self._norms(fieldname)[length_codes]
        below += tf
        found = tf * (k1 + 1)
        found *= idf
        found /= below
        return found

    def _norms(self, fieldname: str) -> Any:
        """BM25's length norm for each of the 256 quantised lengths of the field: the
        same arithmetic, on each length once, as on each posting's."""
        found = self.norms.get(fieldname)
        if found is None:
            weighting = self.searcher.weighting
            k1, b = weighting.K1, weighting.B
            average = weighting.average_length(self.searcher, fieldname)
            found = self.norms[fieldname] = k1 * ((1 - b) + b * self.byte_lengths / average)
        return found


# A top-k among this many scores or more is looked for through a sample first.
SAMPLED_FROM = 4096
SAMPLE_STEP = 16


def _words_bytes(found: list[list[str]] | int) -> int:
    """What a prefix's words cost in memory, roughly (a bound read costs nothing)."""
    if isinstance(found, int):
        return 0
    return sum(64 + sum(56 + len(word) for word in words) for words in found)


def kth_largest(np: Any, values: Any, k: int) -> Any:
    """The `k`th largest of the values (1 <= k <= their number).

    A sample's best (every 16th value's) gives a bar that, most of the time, a few
    more than k values clear; the answer is then the kth largest of those few. Where
    fewer than k clear it, all the values are partitioned, so the answer is exact
    either way, and costs a pass over the values, not a partition of them all.
    """
    if len(values) >= SAMPLED_FROM and k * SAMPLE_STEP * 4 <= len(values):
        sample = values[::SAMPLE_STEP]
        rank = 2 * k // SAMPLE_STEP + 4  # the sample's, about 2k + 64 in the whole
        bar = np.partition(sample, len(sample) - rank)[len(sample) - rank]
        above = values[values >= bar]
        if len(above) >= k:
            return np.partition(above, len(above) - k)[len(above) - k]
    return np.partition(values, len(values) - k)[len(values) - k]


def _postings(np: Any, matcher: Any) -> Postings:
    """A posting list's document numbers, term frequencies and values, as arrays."""
    ids, tfs, values = flat_postings(matcher)
    return Postings(np.array(ids, dtype=np.int64), np.array(tfs, dtype=np.float64), values)


def _postings_from(
    np: Any, arrays: SegmentPostings, fieldname: str, number: int | None
) -> Postings:
    """A posting list from a segment's postings file (the word's `number` there, None
    if it has none), as arrays of the decoded kind."""
    if number is None:
        return Postings(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), [])
    ids, tfs, values = arrays.postings(fieldname, number)
    return Postings(ids.astype(np.int64), tfs.astype(np.float64), values)


def _positions_at(
    np: Any, values: Any, at: Any, decode: Callable[[Any], list[int]]
) -> tuple[Any, Any]:
    """The positions of the postings at `at`, one posting's after another's, and how
    many each has: sliced from the postings file, or decoded from Whoosh's encoding."""
    if isinstance(values, FlatPositions):
        return values.gather(at)
    found = [decode(values[place]) for place in at.tolist()]
    counts = np.array([len(each) for each in found], dtype=np.int64)
    flat = np.fromiter((p for each in found for p in each), dtype=np.int64, count=int(counts.sum()))
    return flat, counts


# A position numbered with its document: the document's number times 2**32, plus the
# position moved up by 2**31 (positions are signed 32-bit: an alias may stand before 0).
POSITION_SHIFT = 32
POSITION_BIAS = 2**31


def numbered(np: Any, docs: Any, flat: Any, counts: Any) -> Any:
    """Positions as single numbers in one order over many documents: the `counts[i]`
    positions of `flat` that follow the ones before are document `docs[i]`'s. Sorted,
    each once: `docs` are sorted, and a word's positions in a document almost always
    are (sorted again where they are not)."""
    found = np.repeat(docs.astype(np.int64, copy=False), counts)
    found <<= POSITION_SHIFT
    found += POSITION_BIAS
    found += flat  # in place, each step: a word's positions can be a million
    if len(found) < 2 or bool((found[1:] > found[:-1]).all()):
        return found  # sorted, each once: as a word's positions nearly always are
    return distinct(np, np.sort(found, kind="stable"))


def _within(np: Any, numbers: Any, docs: Any) -> Any:
    """The numbered positions (sorted) that lie in these sorted documents."""
    starts = docs.astype(np.int64) << POSITION_SHIFT
    low = np.searchsorted(numbers, starts)
    high = np.searchsorted(numbers, starts + (1 << POSITION_SHIFT))
    return numbers[runs(np, low, high - low)]


def spans_reaching(np: Any, numbers: list[Any], slop: int) -> Any:
    """The documents that hold the words in order, each within `slop` of the one
    before: the rule of Whoosh's SpanNear2 matcher for phrases (ordered, minimum
    distance 1), for spans of single positions. `numbers` gives each word's positions
    numbered (see `numbered`), sorted.

    A span can grow only from its end, so the spans kept are the ends reached so far,
    sorted: the next word's positions within `slop` after an end are one range of its
    sorted numbers (an end and its range lie in one document).
    """
    ends = numbers[0]
    last = len(numbers) - 1
    for word, following in enumerate(numbers[1:], start=1):
        if not len(ends):
            break
        if word == last:  # a span reaching the last word: its document holds the phrase
            ends = _reaching(np, ends, following, slop)
            break
        low = np.searchsorted(following, ends, "right")
        high = np.searchsorted(following, ends + slop, "right")
        # The positions inside any end's range, in order: ranges overlap where ends
        # are close, so they are marked, not listed.
        size = len(following) + 1
        marks = np.bincount(low, minlength=size) - np.bincount(high, minlength=size)
        ends = following[np.cumsum(marks[:-1]) > 0]
    return distinct(np, ends >> POSITION_SHIFT)


def _reaching(np: Any, ends: Any, following: Any, slop: int) -> Any:
    """Of the sorted `ends`, some in each document where a `following` position lies
    after an end by 1 to `slop`: by a search of the shorter array in the longer."""
    if not len(following):
        return following
    if len(ends) <= len(following):
        at = np.searchsorted(following, ends, "right")  # the first after each end
        inside = at < len(following)
        ends = ends[inside]
        return ends[following[at[inside]] <= ends + slop]
    at = np.searchsorted(ends, following - slop)  # the first end at most `slop` before
    inside = at < len(ends)
    reached, at = following[inside], at[inside]
    return ends[at[ends[at] < reached]]


def sorted_union(np: Any, arrays: list[Any]) -> Any:
    """The distinct values of sorted arrays, sorted (not to be written to). A stable
    sort of their concatenation merges them as the runs they are, where `np.unique`
    would sort it anew."""
    if len(arrays) == 1:
        found = arrays[0].view()
        found.flags.writeable = False  # a word's own, kept for the session
        return found
    if not arrays:
        return np.zeros(0, dtype=np.int64)
    return distinct(np, np.sort(np.concatenate(arrays), kind="stable"))


def distinct(np: Any, ordered: Any) -> Any:
    """A sorted array's distinct values (`np.unique` sorts it again)."""
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]
