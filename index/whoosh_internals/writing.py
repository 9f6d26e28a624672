"""Segments written through Whoosh's own codec, its extension points, and the table of
contents that lists them."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pickle import dumps
from typing import Any

from whoosh import columns, formats
from whoosh import fields as whoosh_fields
from whoosh import index as whoosh_index
from whoosh.analysis import IDTokenizer
from whoosh.codec import whoosh3
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte

from .guard import (
    FAST,
    PERDOC_WRITER_ATTRIBUTES,
    POSTINGS_WRITER_ATTRIBUTES,
    deflater,
    has_attributes,
)


# ------------------------------------------------------------------- segments and TOC
def segments_of(folder: str) -> list[Any]:
    """The segments an index folder's table of contents lists."""
    return list(whoosh_index.open_dir(folder)._read_toc().segments)


def write_toc(folder: str, schema: Any, segments: list[Any], indexname: str = "MAIN") -> None:
    """A table of contents listing these segments, replacing the folder's first one."""
    storage = FileStorage(folder)
    whoosh_index.TOC(schema, segments, 1).write(storage, indexname)
    whoosh_index.clean_files(storage, indexname, 1, segments)


class CodecSegments:
    """Segments written through Whoosh's own codec, by a caller that has every posting.

    Whoosh's writer sends postings through a general-purpose pool; a full build knows
    every document in advance and hands each term's postings over sorted.
    """

    def __init__(self, folder: str, schema: Any, compression: int, indexname: str = "MAIN"):
        whoosh_index.create_in(folder, schema, indexname)
        self.folder = folder
        self.schema = schema
        self.indexname = indexname
        self.storage = FileStorage(folder)
        self.codec = whoosh3.W3Codec(compression=compression)
        self.writing = _WritingCodec(compression=compression)
        self.segments: list[Any] = []
        self.start()

    def start(self) -> None:
        """Begin a new segment; documents are numbered from 0 within it."""
        self.segment = self.codec.new_segment(self.storage, self.indexname)
        self.perdoc = self.codec.per_document_writer(self.storage, self.segment)
        self._lengths: dict[str, Any] = {}  # field name -> its lengths column's writer

    def add_document(
        self,
        docnum: int,
        lengths: Iterable[tuple[str, int]],
        columns: Iterable[tuple[str, Any, Any]],
    ) -> None:
        """A document's field lengths `(name, length)` and columns `(name, column type,
        value)`; its stored fields go to dwsearch's own blocks (`index.stored`), not here.

        What Whoosh's `add_field` and `add_column_value` do, with each column's writer
        looked up once a segment rather than through three calls a value.
        """
        perdoc = self.perdoc
        perdoc.start_doc(docnum)
        totals = perdoc._fieldlengths
        for fieldname, length in lengths:
            column = self._lengths.get(fieldname)
            if column is None:
                column = self._column(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
                self._lengths[fieldname] = column
            column.add(docnum, length_to_byte(length))
            totals[fieldname] += length
        writers = perdoc._colwriters
        for fieldname, column_type, value in columns:
            column = writers.get(fieldname) or self._column(fieldname, column_type)
            column.add(docnum, value)
        perdoc.finish_doc()

    def _column(self, fieldname: str, column_type: Any) -> Any:
        """The segment's writer of a column, created on first use."""
        if fieldname not in self.perdoc._colwriters:
            self.perdoc._create_column(fieldname, column_type)
        return self.perdoc._colwriters[fieldname]

    def finish(
        self,
        doc_count: int,
        postings: Iterable[tuple[str, Any, Iterable[TermPostings]]],
    ) -> None:
        """Write the segment's postings, `(field name, field, [(term, docnums, weights,
        encoded values, lengths or None)])` in sorted order, and close it."""
        self.perdoc.close()
        writer = self.writing.field_writer(self.storage, self.segment)
        for fieldname, field, terms in postings:
            writer.start_field(fieldname, field)
            for text, docnums, weights, values, lengths in terms:
                writer.start_term(text)
                _add_postings(writer._postwriter, docnums, weights, values, lengths)
                writer.finish_term()
            writer.finish_field()
        writer.close()
        self.segment.set_doc_count(doc_count)
        self.segment.create_compound_file(self.storage)
        self.segment.compound = True
        self.segments.append(self.segment)

    def commit(self) -> None:
        """List every finished segment in a new table of contents."""
        write_toc(self.folder, self.schema, self.segments, self.indexname)


# (term, document numbers, weights, encoded values, lengths or None for a field without)
TermPostings = tuple[bytes, Sequence[int], Sequence[float], Sequence[bytes], Sequence[int] | None]


def _add_postings(
    writer: Any,
    docnums: Sequence[int],
    weights: Sequence[float],
    values: Sequence[bytes],
    lengths: Sequence[int] | None,
) -> None:
    """What `add_posting` does once a posting, a block (128 postings) at a time.

    The block's buffers and statistics are filled as `add_posting` fills them, and each
    full block is written as Whoosh's `_write_block` writes it; the last one is left for
    `finish_postings` (which may keep a short list inline with its term).
    """
    limit = writer._blocklimit
    total = len(docnums)
    for start in range(0, total, limit):
        end = min(start + limit, total)
        block_weights = array("f", weights[start:end])
        writer._ids = array("I", docnums[start:end])
        writer._weights = block_weights
        writer._values = [v for v in values[start:end] if v]
        writer._maxweight = max(0, max(block_weights))
        if lengths is not None:
            present = [n for n in lengths[start:end] if n]
            if present:
                writer._minlength = min(present)
                writer._maxlength = max(present)
        if end < total:
            writer._write_block()


def _write_block(writer: Any, last: bool = False) -> None:
    """Whoosh's `W3PostingsWriter._write_block`, line for line, but for the deflate."""
    postfile = writer._postfile
    if not writer._blockcount:
        postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
    writer._terminfo.add_block(writer)
    data = dumps((writer._mini_ids(), writer._mini_weights(), writer._mini_values()), 2)
    level = writer._compression
    if level:
        data = deflater()(data, level)
    ids = writer._ids
    info = dumps(
        (
            len(ids),
            ids[-1],
            writer._maxweight,
            level,
            length_to_byte(writer._minlength),
            length_to_byte(writer._maxlength),
        ),
        2,
    )
    size = len(info) + len(data)
    postfile.write_int(-size if last else size)
    postfile.write(info)
    postfile.write(data)
    writer._blockcount += 1
    writer._new_block()


# ------------------------------------------------------------------- compound files
def compound_parts(folder: str, name: str) -> dict[str, tuple[int, int]]:
    """The files inside a segment's compound file (`name`, a `.seg` in `folder`), each
    by its name ("MAIN_x.trm", "MAIN_x._text_len.col"): its offset and length there.

    For tests and the stress run, which damage one part on purpose.
    """
    storage = CompoundStorage(FileStorage(folder).open_file(name), use_mmap=False)
    try:
        return {part: (info["offset"], info["length"]) for part, info in storage._dir.items()}
    finally:
        storage.close()


# ------------------------------------------------------------------- the writing codec
class _LengthCachingReader(whoosh3.W3PerDocReader):
    """Whoosh's per-document reader, remembering that a field has no length column
    instead of asking the file system each time.

    Committing a segment asks the length of every field of every posting; for fields
    without lengths (IDs, keywords) Whoosh asked the file system each time: 136,000 stat
    calls for 200 pages, 10% of a build. Results are unchanged.
    """

    def _cached_reader(self, fieldname: str, column: Any) -> Any:
        try:
            return self._readers[fieldname]
        except KeyError:
            found = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            self._readers[fieldname] = found
            return found


# Where a segment's stored fields go instead of Whoosh's column: called with the
# folder, the segment's id and each document's stored fields, when the segment is closed.
StoredSink = Callable[[str, str, list[dict[str, Any]]], None]


class _DivertingPerDocWriter(whoosh3.W3PerDocWriter):
    """Whoosh's per-document writer, handing each document's stored fields to a sink
    (dwsearch's blocks beside the segment) instead of Whoosh's own column."""

    def __init__(self, codec: Any, storage: Any, segment: Any, sink: StoredSink) -> None:
        super().__init__(codec, storage, segment)
        self._sink = sink
        self._kept: list[dict[str, Any]] = []

    def finish_doc(self) -> None:
        if self._indoc:  # Whoosh's close calls this again, after the last document
            self._kept.append(dict(self._storedfields))
            self._storedfields.clear()
        super().finish_doc()

    def close(self) -> None:
        super().close()
        if self._kept:
            self._sink(self._storage.folder, self._segment.segment_id(), self._kept)


class _DeflatingPostingsWriter(whoosh3.W3PostingsWriter):
    """Whoosh's postings writer, deflating its blocks with the faster deflater."""

    def _write_block(self, last: bool = False) -> None:
        _write_block(self, last)


class _WritingCodec(whoosh3.W3Codec):
    """Whoosh's codec for writing, through Whoosh's extension points: its per-document
    reader remembers missing columns, its postings writer deflates faster, and, given a
    `stored` sink, its per-document writer hands the stored fields to it. The segments
    it makes name Whoosh's own codec, so an index it wrote reads as any other (its
    stored fields read from where the sink put them)."""

    def __init__(self, *args: Any, stored: StoredSink | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stored_sink = stored

    def per_document_writer(self, storage: Any, segment: Any) -> Any:
        if self._stored_sink is None:
            return super().per_document_writer(storage, segment)
        return _DivertingPerDocWriter(self, storage, segment, self._stored_sink)

    def new_segment(self, storage: Any, indexname: str) -> Any:
        plain = whoosh3.W3Codec(self._blocklimit, self._compression, self._inlinelimit)
        return plain.new_segment(storage, indexname)

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        return _LengthCachingReader(storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return _DeflatingPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


def writing_codec(compression: int = 3, stored: StoredSink | None = None) -> Any:
    """The codec to give Whoosh's writer (`ix.writer(codec=...)`); None: Whoosh's own.
    `stored`: where each new segment's stored fields go, instead of Whoosh's column."""
    if not can_write_segments():
        return None
    return _WritingCodec(compression=compression, stored=stored)


class _MemoryOnly(RamStorage):
    """Storage in memory, its temporary storage too (Whoosh's puts that in the system's
    temporary folder, where a probe must leave nothing)."""

    def temp_storage(self, name: str | None = None) -> Any:
        return RamStorage()


@cache
def can_write_segments() -> bool:
    """Whether segments may be written below the public API: the version and methods
    check, and the writing objects' attributes, tried on a small index in memory."""
    if not FAST:
        return False
    schema = whoosh_fields.Schema(text=whoosh_fields.TEXT())
    storage = _MemoryOnly()
    codec = whoosh3.W3Codec()
    segment = codec.new_segment(storage, "PROBE")
    perdoc = codec.per_document_writer(storage, segment)
    fields = _WritingCodec().field_writer(storage, segment)
    fields.start_field("text", schema["text"])
    fields.start_term(b"probe")
    ready = has_attributes(perdoc, PERDOC_WRITER_ATTRIBUTES) and has_attributes(
        fields._postwriter, POSTINGS_WRITER_ATTRIBUTES
    )
    return ready


# ------------------------------------------------------------------- segments read whole
@contextmanager
def segment_reader(writer: Any, segment: Any) -> Iterator[Any]:
    """A reader of one segment of the index `writer` writes, as its merge policy sees it
    (Whoosh's merge policies are handed segments, not readers)."""
    reader = SegmentReader(writer.storage, writer.schema, segment)
    try:
        yield reader
    finally:
        reader.close()


# ------------------------------------------------------------------- indexing a field
# What indexing a field's value gives: (term, frequency, weight, encoded value, the
# positions where the field keeps them and they are known without decoding, else None).
Posting = tuple[bytes, int, float, bytes, "list[int] | None"]
Indexer = Callable[[Any], Iterable[Posting]]
PositionsIndexer = Callable[[Any], "Callable[[str], dict[str, list[int]]] | None"]
CountsIndexer = Callable[[Any], "Callable[[str], dict[str, int]] | None"]


def field_indexer(field: Any, positions: PositionsIndexer, counts: CountsIndexer) -> Indexer:
    """The field's (term, frequency, weight, encoded value, positions)s, as `field.index`
    gives the first four.

    For dwsearch's own analyzers the terms come from the analysis module's indexers
    (`positions` and `counts` give them for an analyzer they know), without a token
    object per word; the encoding is Whoosh's format's.
    """
    form, analyzer = field.format, field.analyzer

    def whooshs(value: Any) -> list[Posting]:
        return [(*posting, None) for posting in field.index(value)]

    if form.field_boost != 1.0:
        return whooshs
    if type(form) is formats.Positions and (by_word := positions(analyzer)):
        encode = form.encode

        def by_positions(value: Any) -> Iterable[Posting]:
            if not isinstance(value, str):
                return whooshs(value)
            return [
                (term.encode(), len(places), float(len(places)), encode(places), places)
                for term, places in by_word(value).items()
            ]

        return by_positions
    if type(form) is formats.Frequency and (counted := counts(analyzer)):

        def by_counts(value: Any) -> Iterable[Posting]:
            if not isinstance(value, str):
                return whooshs(value)
            return [
                (term.encode(), count, float(count), pack_uint(count), None)
                for term, count in counted(value).items()
            ]

        return by_counts
    plain_id = type(field) is whoosh_fields.ID and type(analyzer) is IDTokenizer
    if plain_id and type(form) is formats.Existence:

        def whole(value: Any) -> Iterable[Posting]:
            if not isinstance(value, str):
                return whooshs(value)
            return [(value.encode(), 1, 1.0, b"", None)]  # an ID is one term, however it reads

        return whole
    return whooshs


# ------------------------------------------------------------------- columns and tables
def bytes_column() -> Any:
    """A column of a few bytes per document (Whoosh's columns are read by the facet map)."""
    return columns.VarBytesColumn()


def number_column() -> Any:
    """A column of one unsigned 32-bit number per document, 0 where none is given."""
    return columns.NumericColumn("I", default=0)


def accent_map() -> dict[int, str]:
    """Whoosh's table folding accented letters to plain ones."""
    # Whoosh builds this table at import; only building an analyzer needs it.
    from whoosh.support.charset import accent_map as table

    return table
