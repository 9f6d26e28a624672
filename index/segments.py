"""Writing a Whoosh segment directly, for full builds.

Whoosh's writer sends every posting through a general-purpose pool: a tuple per posting,
sorted in runs spilled to temporary files, merged at commit, and each posting's field
length looked up again from the columns just written. A full build knows everything in
advance, so this writer keeps each term's postings in memory as it goes, and hands them
to Whoosh's own codec (the same W3 files, blocks and term table, through
`whoosh_internals.CodecSegments`) already sorted, with their lengths. A test compares
the result with Whoosh's own writer's term by term and posting by posting (the files
differ only in their deflated bytes). On a Whoosh version the internals module does not
know, it is Whoosh's own writer.
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from . import whoosh_internals
from .indexers import counts_indexer, positions_indexer
from .postings import (
    HYPHENATED_FIELD,
    RANKED_FIELDS,
    SEGMENT_POSTINGS,
    write_missing_postings,
    write_postings,
)
from .stored import STORED_FILE, write_stored
from .whoosh_internals import field_indexer, position_decoder

# A segment is closed and a new one started after this many documents, which bounds the
# memory its postings take (a 25,000-page build on two workers peaked at 224 MB in all).
# Fewer, larger segments make every search cheaper (each word is looked up, and each
# posting list sliced, once a segment): at a million chunks, 34 segments of 30,000 took
# a query 14 ms of CPU at the median, 11 of 100,000 took 10.5. Under 65,536, a segment's
# postings file keeps document numbers in two bytes.
DOCS_PER_SEGMENT = 60_000
# The deflate level for posting blocks: Whoosh's default is 3; level 1 measured as fast
# to read, faster to write, and 0.5% larger.
DEFLATE_LEVEL = 1


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
        self._plans = {name: _plan(schema[name]) for name in schema.names()}
        self._start()

    def _start(self) -> None:
        # field name -> term bytes -> (document numbers, weights, values)
        self._postings: dict[str, dict[bytes, tuple[array[int], array[float], list[Any]]]] = {}
        # A ranked field's term -> every posting's positions in turn, for the postings
        # file (index.postings), kept as indexing gives them rather than decoded again.
        self._positions: dict[str, dict[bytes, array[int]]] = {
            name: {} for name in RANKED_FIELDS if name in self._plans
        }
        self._lengths: dict[str, dict[int, int]] = {}
        self._stored: list[dict[str, Any]] = []  # each document's, written in blocks
        self._docnum = 0

    def add_document(self, **document: Any) -> None:
        """What Whoosh's `add_document` does for dwsearch's fields, postings kept in memory."""
        if self._public is not None:
            self._public.add_document(**document)
            return
        docnum = self._docnum
        lengths: list[tuple[str, int]] = []
        kept: dict[str, Any] = {}
        columns: list[tuple[str, Any, Any]] = []
        for fieldname in sorted(document):
            value = document[fieldname]
            if value is None:
                continue
            field, index, scorable, is_stored, column = self._plans[fieldname]
            length = 0
            if index is not None:
                terms = self._postings.setdefault(fieldname, {})
                kept_positions = self._positions.get(fieldname)
                for text, frequency, weight, encoded, places in index(value):
                    if scorable:
                        length += frequency
                    found = terms.get(text)
                    if found is None:
                        found = terms[text] = (array("i"), array("d"), [])
                    found[0].append(docnum)
                    found[1].append(weight)
                    found[2].append(encoded)
                    if kept_positions is not None:
                        if places is None:  # an analyzer the indexers do not know
                            places = position_decoder(field)(encoded)
                        if text in kept_positions:
                            kept_positions[text].extend(places)
                        else:
                            kept_positions[text] = array("i", places)
                if length:
                    self._lengths.setdefault(fieldname, {})[docnum] = length
                    lengths.append((fieldname, length))
            if is_stored:  # to the segment's blocks (index.stored), not Whoosh's column
                kept[fieldname] = value
            if column:
                columns.append((fieldname, column, field.to_column_value(value)))
        self.files.add_document(docnum, lengths, columns)
        self._stored.append(kept)
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
        postings = (
            (fieldname, self._plans[fieldname][0], self._sorted_terms(fieldname))
            for fieldname in sorted(self._postings)
        )
        self.files.finish(self._docnum, postings)
        self._write_arrays()
        segment_id = self.files.segment.segment_id()
        write_stored(self.folder / STORED_FILE.format(segment_id), self._stored)
        self.files.start()
        self._start()

    def _write_arrays(self) -> None:
        """The segment's postings file (dwsearch.index.postings), from the postings in
        memory; without one, the build writes it from the segment."""
        name = SEGMENT_POSTINGS.format(self.files.segment.segment_id())
        fields = [
            (
                fieldname,
                [
                    (text, ids, weights, self._positions[fieldname][text])
                    for text, (ids, weights, _) in self._postings[fieldname].items()
                ],
            )
            for fieldname in RANKED_FIELDS
            if fieldname in self._postings
        ]
        if HYPHENATED_FIELD in self._plans:
            spelled = self._postings.get(HYPHENATED_FIELD, {})
            fields.append((HYPHENATED_FIELD, [(t, (), (), ()) for t in spelled if b"-" in t]))
        write_postings(self.folder / name, fields)

    def _sorted_terms(self, fieldname: str) -> Iterator[whoosh_internals.TermPostings]:
        found = self._lengths.get(fieldname)
        by_doc = None
        if found:  # a field with lengths: each posting carries its document's
            by_doc = [0] * self._docnum
            for docnum, length in found.items():
                by_doc[docnum] = length
        terms = self._postings[fieldname]
        for text in sorted(terms):
            docnums, weights, values = terms[text]
            lengths = [by_doc[d] for d in docnums] if by_doc is not None else None
            yield text, docnums, weights, values, lengths

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


def _plan(field: Any) -> tuple[Any, Any, bool, bool, Any]:
    """How to write one field: (field, indexer, scorable, stored, column type)."""
    index = field_indexer(field, positions_indexer, counts_indexer) if field.indexed else None
    return field, index, bool(field.scorable), bool(field.stored), field.column_type
