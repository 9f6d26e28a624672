"""Writing a Whoosh segment directly, for full builds.

Whoosh's writer sends every posting through a general-purpose pool: a tuple per posting,
sorted in runs spilled to temporary files, merged at commit, and each posting's field
length looked up again from the columns just written. A full build knows everything in
advance, so this writer keeps a segment's postings in memory as it goes, as flat arrays
a field filled by a few C-level calls a document (the postings' term numbers, documents
and frequencies, and their positions in turn), groups them by term with numpy once the
segment is complete, and hands them to Whoosh's own codec (the same W3 files, blocks
and term table, through `whoosh_internals.CodecSegments`) already sorted, with their
lengths, encoded values and columns. A test compares the result with Whoosh's own
writer's term by term and posting by posting (the files differ only in their deflated
bytes). On a Whoosh version the internals module does not know, it is Whoosh's own
writer.
"""

from __future__ import annotations

import gc
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain, repeat
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from . import whoosh_internals
from .facetmap import FACET_SOURCE_COLUMNS, SEGMENT_MAP, write_segment_facets
from .indexers import counts_indexer, positions_indexer
from .postings import (
    HYPHENATED_FIELD,
    RANKED_FIELDS,
    SEGMENT_POSTINGS,
    runs,
    write_missing_postings,
    write_postings,
)
from .stored import STORED_FILE, StoredBlocks, pickled
from .whoosh_internals import (
    column_converter,
    counted_values,
    encoded_positions,
    field_terms,
    position_decoder,
)

# A segment is closed and a new one started after this many documents, which bounds the
# memory its postings take (a 25,000-page build's parent and two workers peaked at 545 to
# 619 MB together; 322 to 329 at 2,500 pages, a segment of 51,000 chunks a worker).
# Fewer, larger segments make every search cheaper (each word is looked up, and each
# posting list sliced, once a segment): at a million chunks, 34 segments of 30,000 took
# a query 14 ms of CPU at the median, 11 of 100,000 took 10.5. Under 65,536, a segment's
# postings file keeps document numbers in two bytes.
DOCS_PER_SEGMENT = 60_000
# The deflate level for posting blocks: Whoosh's default is 3; level 1 measured as fast
# to read, faster to write, and 0.5% larger.
DEFLATE_LEVEL = 1
# Postings made into Python lists at a time when a segment is written (see _Grouped).
_BATCH_POSTINGS = 16_384


@contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cycle collector off while a build piles up postings (5% of its time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _PublicWriter:
    """Whoosh's own writer, laying segments out as the direct writer does: at most
    DOCS_PER_SEGMENT documents each, each with its postings file."""

    def __init__(self, folder: str, schema: Any, indexname: str) -> None:
        self.folder = Path(folder)
        self.index = whoosh_index.create_in(folder, schema, indexname)
        self.writer: Any = None
        self.count = 0

    def add_document(self, **document: Any) -> None:
        if self.writer is None:
            self.writer = self.index.writer()
        self.writer.add_document(**document)
        self.count += 1
        if self.count >= DOCS_PER_SEGMENT:
            self.flush()

    def flush(self) -> None:
        if self.writer is not None:
            self.writer.commit(merge=False)
            self.writer, self.count = None, 0

    def commit(self) -> None:
        self.flush()
        write_missing_postings(self.index, self.folder)

    def cancel(self) -> None:
        if self.writer is not None:
            self.writer.cancel()


class SegmentWriter:
    """Whoosh's writer for a new, empty index: `add_document(**fields)`, then `commit()`."""

    def __init__(self, folder: str, schema: Any, indexname: str = "MAIN") -> None:
        self.schema = schema
        self._public = None
        if not whoosh_internals.can_write_segments():
            self._public = _PublicWriter(folder, schema, indexname)
            return
        self.folder = Path(folder)
        self.files = whoosh_internals.CodecSegments(folder, schema, DEFLATE_LEVEL, indexname)
        self._start()

    def _start(self) -> None:
        self._fields = {
            name: _FieldPostings(name, self.schema[name]) for name in self.schema.names()
        }
        self._plans = {name: field.plan() for name, field in self._fields.items()}
        # Each document's stored fields, pickled and deflated in blocks as they come.
        # Kept as dicts, a segment's took 40 MB, and 40 more to pickle at once.
        self._stored = StoredBlocks()
        self._docnum = 0

    def add_document(self, **document: Any) -> None:
        """What Whoosh's `add_document` does for dwsearch's fields, postings kept in memory."""
        if self._public is not None:
            self._public.add_document(**document)
            return
        docnum = self._docnum
        kept: dict[str, Any] = {}
        plans = self._plans
        for fieldname in sorted(document):  # stored fields are kept in this order
            value = document[fieldname]
            if value is None:
                continue
            keep_value, keep_doc, add, stored = plans[fieldname]
            if keep_value is not None:  # for its column, or its one term, at the end
                keep_value(value)
                keep_doc(docnum)
            if add is not None:
                add(value, docnum)
            if stored:  # to the segment's blocks (index.stored), not Whoosh's column
                kept[fieldname] = value
        self._stored.add(pickled(kept), kept.get("id"))
        self._docnum += 1
        if self._docnum >= DOCS_PER_SEGMENT:
            self.flush()

    def flush(self) -> None:
        """Write out the segment in progress, if it has any documents."""
        if self._public is not None:
            self._public.flush()
            return
        if not self._docnum:
            return
        import numpy as np  # declared deferred: a build's postings are grouped in bulk

        segment_id = self.files.segment.segment_id()
        self._stored.write(self.folder / STORED_FILE.format(segment_id))
        self._stored = StoredBlocks()  # its blocks let go now, before postings are grouped
        for field in self._fields.values():
            field.settle()
        grouped = {}
        for name, field in sorted(self._fields.items()):
            if field.has_postings():
                grouped[name] = field.grouped(np, self._docnum)
                field.let_go_postings()  # copied in their new order: let go at once
        columns = {
            name: field.column_values()
            for name, field in sorted(self._fields.items())
            if field.column is not None
        }
        self.files.finish(
            self._docnum,
            ((name, self._fields[name].field, terms.whooshs()) for name, terms in grouped.items()),
            [(name, field.length_docs, field.lengths) for name, field in self._fields.items()],
            [
                (name, self._fields[name].column, self._fields[name].value_docs, values)
                for name, values in columns.items()
            ],
        )
        self._write_facets(segment_id, columns)
        self._write_arrays(segment_id, grouped)
        self._start()

    def _write_facets(self, segment_id: str, columns: dict[str, list[Any]]) -> None:
        """The segment's facets file (dwsearch.index.facetmap), from the column values
        in memory rather than read back from the columns just written."""
        by_doc = {}
        for name in FACET_SOURCE_COLUMNS:
            if name in columns:
                values: list[Any] = [None] * self._docnum
                for docnum, value in zip(self._fields[name].value_docs, columns[name], strict=True):
                    values[docnum] = value
                by_doc[name] = values
        write_segment_facets(self.folder / SEGMENT_MAP.format(segment_id), self._docnum, by_doc)

    def _write_arrays(self, segment_id: str, grouped: dict[str, _Grouped]) -> None:
        """The segment's postings file (dwsearch.index.postings), from the postings in
        memory; without one, the build writes it from the segment."""
        fields: list[tuple[str, Any]] = [
            (fieldname, grouped[fieldname].flat())
            for fieldname in RANKED_FIELDS
            if fieldname in grouped
        ]
        if HYPHENATED_FIELD in self._fields:
            spelled = grouped[HYPHENATED_FIELD].texts if HYPHENATED_FIELD in grouped else []
            fields.append((HYPHENATED_FIELD, [(t, (), (), ()) for t in spelled if b"-" in t]))
        write_postings(self.folder / SEGMENT_POSTINGS.format(segment_id), fields)

    def commit(self) -> None:
        """Finish the last segment and list every segment in a new table of contents."""
        if self._public is not None:
            self._public.commit()
            return
        self.flush()
        self.files.commit()

    def cancel(self) -> None:
        """Nothing to undo: a cancelled build's folder is removed whole."""
        if self._public is not None:
            self._public.cancel()


class _TermNumbers(dict[Any, int]):
    """Each term's number, given in the order terms are first met, by its text (or by a
    value whose term's text `to_bytes` gives: values with the same text share one)."""

    def __init__(self, to_bytes: Callable[[Any], bytes] = str.encode) -> None:
        super().__init__()
        self.to_bytes = to_bytes
        self.texts: list[bytes] = []
        self._by_text: dict[bytes, int] = {}

    def __missing__(self, key: Any) -> int:
        text = self.to_bytes(key)
        number = self._by_text.get(text)
        if number is None:
            number = self._by_text[text] = len(self.texts)
            self.texts.append(text)
        self[key] = number
        return number


class _FieldPostings:
    """One field's postings in a segment in progress, as flat arrays in the order they
    were made (a posting's term number, document, frequency; its positions in turn),
    grouped by term only when the segment is written: a few C-level calls a document
    rather than several a posting. Its lengths and column values beside them."""

    def __init__(self, name: str, field: Any) -> None:
        self.name = name
        self.field = field
        self.stored = bool(field.stored)
        self.column = field.column_type
        self.scorable = bool(field.scorable)
        self.length_docs: array[int] = array("i")
        self.lengths: array[int] = array("i")
        self.terms: array[int] = array("i")
        self.docs: array[int] = array("i")
        self.counts: array[int] = array("i")
        self.positions: array[int] = array("i")
        # Postings Whoosh's own `field.index` gave: (term, frequency, weight, value)
        # each, with their documents, for a field of a kind the indexers do not know.
        self.whooshs: list[tuple[bytes, int, float, bytes]] = []
        self.whoosh_docs: array[int] = array("i")
        self.kind = ""
        if field.indexed:
            self.kind, self.indexer, self.index = field_terms(
                field, positions_indexer, counts_indexer
            )
        self.numbers = _TermNumbers(field.to_bytes if self.kind == "numbers" else str.encode)
        # Each document's value, where the field has a column or is one term a value.
        self.keeps_values = self.column is not None or self.kind == "whole"
        self.values: list[Any] = []
        self.value_docs: array[int] = array("i")
        self._column_value = column_converter(field)

    def plan(self) -> tuple[Any, Any, Any, bool]:
        """What a document's value is given to: (keep the value, keep its document, add
        its postings, whether it is stored), each None where it is not. Made anew, not
        kept: a bound method kept on its object is a cycle, which holds a segment's
        postings until the cycle collector runs (a build pauses it)."""
        add = None
        if self.kind and self.kind != "whole":  # a whole value's term is taken at the end
            add = getattr(self, "_add_" + self.kind)
        if not self.keeps_values:
            return None, None, add, self.stored
        return self.values.append, self.value_docs.append, add, self.stored

    def column_values(self) -> list[Any]:
        """The column's value of each document in `value_docs`."""
        return self._column_value(self.values)

    def has_postings(self) -> bool:
        return bool(self.terms) or bool(self.whooshs)

    def let_go_postings(self) -> None:
        """Drop the postings in the order they were made, once grouped (`grouped`)."""
        self.terms, self.docs, self.counts, self.positions = (
            array("i"), array("i"), array("i"), array("i")
        )  # fmt: skip

    def _length(self, docnum: int, length: int) -> None:
        if length and self.scorable:
            self.length_docs.append(docnum)
            self.lengths.append(length)

    def _indexed(self, value: Any, docnum: int) -> dict[str, Any] | None:
        """A text's terms, each given a posting in `docnum` (its frequency and positions
        are the caller's to add); a value of another kind goes through Whoosh."""
        if not isinstance(value, str):
            self._add_whoosh(value, docnum)
            return None
        found: dict[str, Any] = self.indexer(value)
        if found:
            self.terms.extend(map(self.numbers.__getitem__, found))
            self.docs.extend(repeat(docnum, len(found)))
        return found

    def _add_positions(self, value: Any, docnum: int) -> None:
        found = self._indexed(value, docnum)
        if found:
            self.counts.extend(map(len, found.values()))
            before = len(self.positions)
            self.positions.extend(chain.from_iterable(found.values()))
            self._length(docnum, len(self.positions) - before)

    def _add_counts(self, value: Any, docnum: int) -> None:
        found = self._indexed(value, docnum)
        if found:
            self.counts.extend(found.values())
            self._length(docnum, sum(found.values()))

    def _add_numbers(self, value: Any, docnum: int) -> None:
        if type(value) is int:
            value = (value,)
        elif not isinstance(value, (list, tuple)) or not all(type(n) is int for n in value):
            self._add_whoosh(value, docnum)
            return
        self.terms.extend(map(self.numbers.__getitem__, value))
        self.docs.extend(repeat(docnum, len(value)))
        self.counts.extend(repeat(1, len(value)))
        self._length(docnum, len(value))

    def _take_whole_values(self) -> None:
        """Each value's one term (an ID's), from the values kept."""
        values, docs = self.values, self.value_docs
        if all(type(value) is str for value in values):
            self.terms.extend(map(self.numbers.__getitem__, values))
            self.docs.extend(docs)
            self.counts.extend(repeat(1, len(values)))
            return
        for value, docnum in zip(values, docs, strict=True):
            if type(value) is str:
                self.terms.append(self.numbers[value])
                self.docs.append(docnum)
                self.counts.append(1)
            else:
                self._add_whoosh(value, docnum)

    def _add_whoosh(self, value: Any, docnum: int) -> None:
        found = self.index(value)
        self.whooshs.extend(found)
        self.whoosh_docs.extend(repeat(docnum, len(found)))
        self._length(docnum, sum(frequency for _, frequency, _, _ in found))

    def grouped(self, np: Any, doc_count: int) -> _Grouped:
        """The field's postings grouped by term, terms in order."""
        return _Grouped(np, self, doc_count)

    def settle(self) -> None:
        """Take what was left for the end (the one term of each value), once."""
        if self.kind == "whole":
            self._take_whole_values()


class _Grouped:
    """A field's postings in a finished segment, by term, in the terms' sorted order.

    Kept as arrays, and made into the lists Whoosh's writer takes a batch of terms at a
    time: with a field's postings made into Python objects at once (a list of ints,
    floats or encoded values each), a 51,000-chunk segment's traced memory reached 109
    MB while Whoosh's writer wrote it; a batch at a time, 71."""

    def __init__(self, np: Any, postings: _FieldPostings, doc_count: int) -> None:
        self.postings = postings
        kind = postings.kind
        terms = postings.terms
        docs, counts = postings.docs, postings.counts
        positions = postings.positions
        texts = list(postings.numbers.texts)
        # Positions where the field keeps them: for its Whoosh format, or for the
        # postings file (a field ranked in bulk).
        self.has_positions = kind == "positions" or postings.name in RANKED_FIELDS
        if postings.whooshs:  # postings Whoosh's `field.index` gave, merged in
            terms, docs, counts, positions = (
                array("i", terms), array("i", docs), array("i", counts), array("i", positions)
            )  # fmt: skip
            numbers = {text: number for number, text in enumerate(texts)}
            decode = position_decoder(postings.field) if self.has_positions else None
            for (text, frequency, _, value), docnum in zip(
                postings.whooshs, postings.whoosh_docs, strict=True
            ):
                number = numbers.get(text)
                if number is None:
                    number = numbers[text] = len(texts)
                    texts.append(text)
                terms.append(number)
                docs.append(docnum)
                counts.append(frequency)
                if decode is not None:
                    positions.extend(decode(value))
        self.kind = kind
        # Each term's place in sorted order, so that its postings follow the previous
        # term's: a batch of terms is one run of postings.
        by_text = sorted(range(len(texts)), key=texts.__getitem__)
        self.texts = [texts[number] for number in by_text]
        rank = np.empty(len(texts), dtype=np.int32)
        rank[by_text] = np.arange(len(texts), dtype=np.int32)
        found = rank[np.frombuffer(terms, dtype=np.int32)]
        # Each term's postings in document order (a document's own in the order given).
        given_docs = np.frombuffer(docs, dtype=np.int32)
        order = np.lexsort((given_docs, found))
        ends = np.cumsum(np.bincount(found, minlength=len(texts)))
        del found
        self.bounds: list[int] = np.concatenate(([0], ends)).tolist()
        frequencies = np.frombuffer(counts, dtype=np.int32)
        ordered_docs = given_docs[order]
        self.docs = array("i", ordered_docs.tobytes())
        self.counts = frequencies[order]
        self.positions: array[int] | None = None
        self.places: Any = None
        if self.has_positions:
            # The postings' positions, in the postings' new order.
            starts = np.cumsum(frequencies, dtype=np.int64) - frequencies
            flat = np.frombuffer(positions, dtype=np.int32)
            moved = flat[runs(np, starts[order], self.counts)]
            self.positions = array("i", moved.astype(np.int32).tobytes())
            del starts, moved
            self.places = np.concatenate(([0], np.cumsum(self.counts, dtype=np.int64)))
        self.doc_lengths: Any = None
        if postings.scorable:
            by_doc = np.zeros(doc_count, dtype=np.int64)
            by_doc[np.frombuffer(postings.length_docs, dtype=np.int32)] = np.frombuffer(
                postings.lengths, dtype=np.int32
            )
            self.doc_lengths = by_doc[ordered_docs]
        del ordered_docs
        # Where each posting came from: only Whoosh's own postings are looked up by it.
        self._order = order if kind == "whoosh" else None
        self._np = np
        self._postings = postings
        self._given: tuple[list[float], list[bytes]] | None = None

    def _batches(self) -> Iterator[tuple[int, int, int, int]]:
        """(first term, term after the last, first posting, posting after the last) of
        each batch: whole terms, about _BATCH_POSTINGS postings (one term may be more)."""
        bounds = self.bounds
        first, count = 0, len(self.texts)
        while first < count:
            start = bounds[first]
            last = max(bisect_right(bounds, start + _BATCH_POSTINGS, first + 1) - 1, first + 1)
            yield first, last, start, bounds[last]
            first = last

    def _whoosh_given(self) -> tuple[list[float], list[bytes]]:
        """The weights and values of Whoosh's own postings, in the order it gave them."""
        if self._given is None:
            found = self._postings.whooshs
            self._given = [w for _, _, w, _ in found], [v for _, _, _, v in found]
        return self._given

    def _values(self, start: int, end: int) -> list[bytes]:
        if self.kind == "positions":
            assert self.positions is not None
            places = self.places
            counts = self.counts[start:end].tolist()
            return encoded_positions(self._np, self.positions[places[start] : places[end]], counts)
        if self.kind == "counts":
            return counted_values(self.counts[start:end].tolist())
        if self.kind in ("whole", "numbers"):
            return [b""] * (end - start)
        # Whoosh's own postings, as it gave them.
        given = self._whoosh_given()[1]
        return [given[at] for at in self._order[start:end].tolist()]

    def _weights(self, start: int, end: int) -> list[float]:
        if self.kind != "whoosh":  # a posting's weight is its frequency
            return self.counts[start:end].astype(float).tolist()
        given = self._whoosh_given()[0]
        return [given[at] for at in self._order[start:end].tolist()]

    def whooshs(self) -> Iterator[whoosh_internals.TermPostings]:
        """(term, document numbers, weights, encoded values, lengths or None), in order."""
        bounds, docs, texts, doc_lengths = self.bounds, self.docs, self.texts, self.doc_lengths
        for first, last, start, end in self._batches():
            values, weights = self._values(start, end), self._weights(start, end)
            lengths = None if doc_lengths is None else doc_lengths[start:end].tolist()
            for number in range(first, last):
                at, until = bounds[number], bounds[number + 1]
                since, to = at - start, until - start
                yield (
                    texts[number],
                    docs[at:until],
                    weights[since:to],
                    values[since:to],
                    None if lengths is None else lengths[since:to],
                )

    def flat(self) -> Iterator[tuple[bytes, Any, Any, Any]]:
        """(term, document numbers, frequencies, positions), for the postings file."""
        bounds, docs, texts, positions = self.bounds, self.docs, self.texts, self.positions
        assert positions is not None
        for first, last, start, end in self._batches():
            counts = self.counts[start:end].tolist()
            places = self.places[start : end + 1].tolist()
            for number in range(first, last):
                at, until = bounds[number], bounds[number + 1]
                yield (
                    texts[number],
                    docs[at:until],
                    counts[at - start : until - start],
                    positions[places[at - start] : places[until - start]],
                )
