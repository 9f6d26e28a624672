"""Writing a Whoosh segment directly, for full builds.

Whoosh's writer sends every posting through a general-purpose pool: a tuple per posting,
sorted in runs spilled to temporary files, merged at commit, and each posting's field
length looked up again from the columns just written. A full build knows everything in
advance, so this writer keeps each term's postings in memory as it goes, and hands them
to Whoosh's own codec (the same W3 files, blocks and term table) already sorted, with
their lengths. The files are the ones Whoosh's writer makes; a test compares them term by
term, posting by posting.
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from whoosh.analysis import IDTokenizer
from whoosh.fields import ID
from whoosh.formats import Existence, Frequency, Positions
from whoosh.system import pack_uint

from .analysis import counts_indexer, positions_indexer

# A segment is closed and a new one started after this many documents, which bounds the
# memory its postings take (about 50 postings a chunk, 60 bytes each).
DOCS_PER_SEGMENT = 30_000
# zlib's level for posting blocks: Whoosh's default is 3; level 1 measured as fast to
# read, faster to write, and 0.5% larger.
ZLIB_LEVEL = 1


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


class SegmentWriter:
    """Whoosh's writer for a new, empty index: `add_document(**fields)`, then `commit()`."""

    def __init__(self, folder: str, schema: Any, indexname: str = "MAIN") -> None:
        from whoosh import index as whoosh_index
        from whoosh.codec.whoosh3 import W3Codec
        from whoosh.filedb.filestore import FileStorage

        whoosh_index.create_in(folder, schema, indexname)
        self.storage = FileStorage(folder)
        self.schema = schema
        self.indexname = indexname
        self.codec = W3Codec(compression=ZLIB_LEVEL)
        self.segments: list[Any] = []
        self._plans = {name: _plan(schema[name]) for name in schema.names()}
        self._start()

    def _start(self) -> None:
        self._segment = self.codec.new_segment(self.storage, self.indexname)
        self._perdoc = self.codec.per_document_writer(self.storage, self._segment)
        # field name -> term bytes -> (document numbers, weights, values)
        self._postings: dict[str, dict[bytes, tuple[array[int], array[float], list[Any]]]] = {}
        self._lengths: dict[str, dict[int, int]] = {}
        self._docnum = 0

    def add_document(self, **document: Any) -> None:
        """What Whoosh's `add_document` does for dwsearch's fields, postings kept in memory."""
        docnum = self._docnum
        perdoc = self._perdoc
        perdoc.start_doc(docnum)
        for fieldname in sorted(document):
            value = document[fieldname]
            if value is None:
                continue
            field, index, scorable, stored, column = self._plans[fieldname]
            length = 0
            if index is not None:
                terms = self._postings.setdefault(fieldname, {})
                for text, frequency, weight, encoded in index(value):
                    if scorable:
                        length += frequency
                    found = terms.get(text)
                    if found is None:
                        found = terms[text] = (array("i"), array("d"), [])
                    found[0].append(docnum)
                    found[1].append(weight)
                    found[2].append(encoded)
                if length:
                    self._lengths.setdefault(fieldname, {})[docnum] = length
            perdoc.add_field(fieldname, field, value if stored else None, length)
            if column:
                perdoc.add_column_value(fieldname, column, field.to_column_value(value))
        perdoc.finish_doc()
        self._docnum += 1
        if self._docnum >= DOCS_PER_SEGMENT:
            self.flush()

    def flush(self) -> None:
        """Write out the segment in progress, if it has any documents."""
        if not self._docnum:
            return
        self._perdoc.close()
        writer = self.codec.field_writer(self.storage, self._segment)
        for fieldname in sorted(self._postings):
            field = self._plans[fieldname][0]
            lengths = self._lengths.get(fieldname, {})
            writer.start_field(fieldname, field)
            terms = self._postings[fieldname]
            for text in sorted(terms):
                docnums, weights, values = terms[text]
                writer.start_term(text)
                for docnum, weight, encoded in zip(docnums, weights, values, strict=True):
                    writer.add(docnum, weight, encoded, lengths.get(docnum, 0))
                writer.finish_term()
            writer.finish_field()
        writer.close()
        self._segment.set_doc_count(self._docnum)
        self._segment.create_compound_file(self.storage)
        self._segment.compound = True
        self.segments.append(self._segment)
        self._start()

    def commit(self) -> None:
        """Finish the last segment and list every segment in a new table of contents."""
        from whoosh.index import TOC, clean_files

        self.flush()
        TOC(self.schema, self.segments, 1).write(self.storage, self.indexname)
        clean_files(self.storage, self.indexname, 1, self.segments)  # the empty first TOC

    def cancel(self) -> None:
        """Nothing to undo: a cancelled build's folder is removed whole."""


Indexer = Callable[[Any], Iterable[tuple[bytes, int, float, bytes]]]


def _plan(field: Any) -> tuple[Any, Indexer | None, bool, bool, Any]:
    """How to write one field: (field, indexer, scorable, stored, column type)."""
    index = _indexer(field) if field.indexed else None
    return field, index, bool(field.scorable), bool(field.stored), field.column_type


def _indexer(field: Any) -> Indexer:
    """The field's (term, frequency, weight, encoded value)s, as `field.index` gives.

    For dwsearch's own analyzers the terms come from the analysis module's indexers,
    without a token object per word; the encoding is Whoosh's.
    """
    form, analyzer = field.format, field.analyzer
    if form.field_boost != 1.0:
        return field.index
    if type(form) is Positions and (positions := positions_indexer(analyzer)):
        encode = form.encode

        def by_positions(value: Any) -> Iterable[tuple[bytes, int, float, bytes]]:
            if not isinstance(value, str):
                return field.index(value)
            return [
                (term.encode(), len(places), float(len(places)), encode(places))
                for term, places in positions(value).items()
            ]

        return by_positions
    if type(form) is Frequency and (counts := counts_indexer(analyzer)):

        def by_counts(value: Any) -> Iterable[tuple[bytes, int, float, bytes]]:
            if not isinstance(value, str):
                return field.index(value)
            return [
                (term.encode(), count, float(count), pack_uint(count))
                for term, count in counts(value).items()
            ]

        return by_counts
    if type(field) is ID and type(form) is Existence and type(analyzer) is IDTokenizer:

        def whole(value: Any) -> Iterable[tuple[bytes, int, float, bytes]]:
            if not isinstance(value, str):
                return field.index(value)
            return [(value.encode(), 1, 1.0, b"")]  # an ID is one term, however it reads

        return whole
    return field.index
