"""Segments written through Whoosh's own codec, its extension points, and the table of
contents that lists them."""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from io import BytesIO
from itertools import chain
from operator import sub
from pickle import dumps
from typing import Any, NamedTuple

from whoosh import columns, formats
from whoosh import fields as whoosh_fields
from whoosh import index as whoosh_index
from whoosh.analysis import IDTokenizer
from whoosh.codec import whoosh3
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.filedb.structfile import StructFile
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

    def finish(
        self,
        doc_count: int,
        postings: Iterable[tuple[str, Any, Iterable[TermPostings]]],
        lengths: Iterable[tuple[str, Sequence[int], Sequence[int]]],
        columns: Iterable[tuple[str, Any, Sequence[int], Sequence[Any]]],
    ) -> None:
        """Write the segment and close it: each field's lengths `(name, documents,
        lengths)` (only those not 0), its columns `(name, column type, documents,
        values)`, and its postings, `(field name, field, [(term, docnums, weights,
        encoded values, lengths or None)])` in sorted order. Stored fields go to
        dwsearch's own blocks (`index.stored`), not here.

        What Whoosh's `add_field` and `add_column_value` do document by document, a
        column at a time: each column's writer is given the same values in the same
        order, so it writes the same bytes.
        """
        # Whoosh's per-document writer makes the folder `<indexname>.tmp` for its
        # columns, and where it is left from the last segment keeps the error it
        # caught, whose traceback holds every frame below, this method's and the
        # caller's locals with them: a segment's postings, until the cycle collector
        # runs (a build pauses it). Left empty by the last segment, it is removed.
        with suppress(OSError):
            os.rmdir(os.path.join(self.storage.folder, f"{self.indexname}.tmp"))
        perdoc = self.codec.per_document_writer(self.storage, self.segment)
        for docnum in range(doc_count):  # numbered, with no stored fields
            perdoc.start_doc(docnum)
            perdoc.finish_doc()
        totals = perdoc._fieldlengths
        for fieldname, docnums, counts in lengths:
            if docnums:
                name = whoosh3._lenfield(fieldname)
                values = _length_bytes(counts)
                _write_column(perdoc, name, whoosh3.LENGTHS_COLUMN, docnums, values, doc_count)
                totals[fieldname] += sum(counts)
        for fieldname, column_type, docnums, values in columns:
            if docnums:
                _write_column(perdoc, fieldname, column_type, docnums, values, doc_count)
        perdoc.close()
        writer = self.writing.field_writer(self.storage, self.segment)
        for fieldname, field, terms in postings:
            writer.start_field(fieldname, field)
            for text, docnums, weights, values, term_lengths in terms:
                writer.start_term(text)
                _add_postings(writer._postwriter, docnums, weights, values, term_lengths)
                writer.finish_term()
            writer.finish_field()
        writer.close()
        self.segment.set_doc_count(doc_count)
        self.segment.create_compound_file(self.storage)
        self.segment.compound = True
        self.segments.append(self.segment)
        self.start()

    def commit(self) -> None:
        """List every finished segment in a new table of contents."""
        write_toc(self.folder, self.schema, self.segments, self.indexname)


def _write_column(
    perdoc: Any,
    fieldname: str,
    column_type: Any,
    docnums: Sequence[int],
    values: Sequence[Any],
    doc_count: int,
) -> None:
    """A whole column, written by Whoosh's own column writer (`add` a value at a time,
    then `finish`) into memory, and handed to the segment's file of the column at once:
    the same bytes as its writer writes there, without a call through two file layers
    a value. (Whoosh's per-document writer finishes only the columns it created.)"""
    buffer = BytesIO()
    held = StructFile(buffer)
    held.write = buffer.write  # type: ignore[method-assign]
    if not _column_at_once(held, column_type, docnums, values, doc_count):
        writer = column_type.writer(held)
        add = writer.add
        for docnum, value in zip(docnums, values, strict=True):
            add(docnum, value)
        writer.finish(doc_count)
    perdoc._cols.create_file(fieldname).write(buffer.getvalue())


# The attributes of a column type that say how its writer writes.
_COLUMN_ATTRIBUTES = {
    columns.VarBytesColumn: ("allow_offsets", "write_offsets_cutoff"),
    columns.NumericColumn: ("_typecode", "_default"),
}


def _column_at_once(
    held: Any, column_type: Any, docnums: Sequence[int], values: Sequence[Any], doc_count: int
) -> bool:
    """Write a column of Whoosh's two kinds dwsearch uses whole, as their writers would
    write it value by value; False, and nothing written, for any other column.

    A column of bytes (`VarBytesColumn`) is its values one after another, then the
    length of each document's (0 where it has none), then, past a number of documents,
    where each starts; each array in the narrowest type Whoosh's growing array would
    have reached, followed by its type code. A column of numbers (`NumericColumn`) is
    each document's number packed, the default where it has none, up to the last
    document with another.
    """
    import numpy as np  # declared deferred: only writing a segment needs it

    kind = type(column_type)
    if not all(hasattr(column_type, name) for name in _COLUMN_ATTRIBUTES.get(kind, ("?",))):
        return False
    if kind is columns.VarBytesColumn:
        held.write(b"".join(values))
        lengths = np.zeros(doc_count, dtype=np.int64)
        lengths[np.asarray(docnums, dtype=np.int64)] = np.fromiter(
            map(len, values), dtype=np.int64, count=len(values)
        )
        offsets = np.cumsum(lengths) - lengths
        written = [lengths]
        if column_type.allow_offsets and doc_count > column_type.write_offsets_cutoff:
            written.append(offsets)
        codes = []
        for numbers in written:
            code = _growable_type(int(numbers.max()) if doc_count else 0)
            held.write_array(array(code, numbers.tolist()))
            codes.append(code)
        held.write(codes[0].encode("ascii"))
        if len(codes) > 1:
            held.write(codes[1].encode("ascii") + b"X")
        return True
    if kind is columns.NumericColumn and column_type._typecode in "BHI":
        default = column_type._default
        numbers = np.asarray(values)
        if numbers.dtype.kind not in "iu" or not isinstance(default, int) or default < 0:
            return False  # left to Whoosh's writer
        kept = numbers != default  # a default value is not written
        if not kept.any():
            return True
        places = np.asarray(docnums, dtype=np.int64)[kept]
        numbers = numbers[kept]
        dtype = np.dtype(">" + column_type._typecode)
        if numbers.min() < 0 or numbers.max() > np.iinfo(dtype).max:
            return False  # left to Whoosh's writer, which says what is wrong
        packed = np.full(int(places[-1]) + 1, default, dtype=dtype)
        packed[places] = numbers
        held.write(packed.tobytes())
        return True
    return False


def _growable_type(largest: int) -> str:
    """The type code Whoosh's `GrowableArray` (begun as bytes) ends with, given the
    largest number appended to it."""
    if largest < 2**8:
        return "B"
    if largest < 2**16:
        return "H"
    return "i" if largest < 2**31 else "I"


def _length_bytes(counts: Sequence[int]) -> list[int]:
    """Whoosh's quantised byte of each field length, looked up in a table once made."""
    longest = max(counts, default=0)
    if longest > 1 << 20:  # 255 from 106,374 words on
        return [length_to_byte(count) for count in counts]
    table = [length_to_byte(count) for count in range(longest + 1)]
    return [table[count] for count in counts]


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
        writer._values = list(filter(None, values[start:end]))  # as add_posting keeps them
        writer._maxweight = max(0, max(block_weights))
        if lengths is not None:
            present = list(filter(None, lengths[start:end]))
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
    data = dumps((_mini_ids(writer), _mini_weights(writer), writer._mini_values()), 2)
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


def _mini_ids(writer: Any) -> tuple[Any, ...]:
    """Whoosh's `_mini_ids`: a block's document numbers as gaps (from 0), in C."""
    ids = writer._ids
    return tuple(ids) if writer._byteids else tuple(map(sub, ids, chain((0,), ids)))


def _mini_weights(writer: Any) -> Any:
    """Whoosh's `_mini_weights`: None if every weight is 1, the one weight if all are
    equal, else all of them; counted in C rather than compared one at a time."""
    weights = writer._weights
    if weights.count(1.0) == len(weights):
        return None
    if weights.count(weights[0]) == len(weights):
        return weights[0]
    return tuple(weights)


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
# What Whoosh's `field.index` gives: (term, frequency, weight, encoded value).
Posting = tuple[bytes, int, float, bytes]
PositionsIndexer = Callable[[Any], "Callable[[str], dict[str, list[int]]] | None"]
CountsIndexer = Callable[[Any], "Callable[[str], dict[str, int]] | None"]


class FieldTerms(NamedTuple):
    """How a field's text becomes terms, without a token object per word.

    `kind` says what `terms` gives for a text: "positions" each term's positions (a
    field of Whoosh's Positions format, its postings' weights their frequencies),
    "counts" each term's count (Frequency format, the same), "whole" (an ID of
    Existence format) the text itself as its one term, "numbers" (a NUMERIC without
    tiers) a term for each number, its `to_bytes`, "whoosh" (any other field)
    nothing: `whooshs` is used. `whooshs` is Whoosh's own `field.index`, for a value
    that is not text.
    """

    kind: str
    terms: Callable[[str], Any] | None
    whooshs: Callable[[Any], list[Posting]]


def field_terms(field: Any, positions: PositionsIndexer, counts: CountsIndexer) -> FieldTerms:
    """How to index the field: dwsearch's own analyzers' terms come from the analysis
    module's indexers (`positions` and `counts` give them for an analyzer they know);
    the postings' encoding is Whoosh's format's (`encoded_positions`, `counted_values`)."""
    form, analyzer = field.format, field.analyzer

    def whooshs(value: Any) -> list[Posting]:
        return list(field.index(value))

    if form.field_boost != 1.0:
        return FieldTerms("whoosh", None, whooshs)
    if type(form) is formats.Positions and (by_word := positions(analyzer)):
        return FieldTerms("positions", by_word, whooshs)
    if type(form) is formats.Frequency and (counted := counts(analyzer)):
        return FieldTerms("counts", counted, whooshs)
    plain_id = type(field) is whoosh_fields.ID and type(analyzer) is IDTokenizer
    if plain_id and type(form) is formats.Existence:
        return FieldTerms("whole", None, whooshs)  # an ID is one term, however it reads
    numbers = type(field) is whoosh_fields.NUMERIC and not field.shift_step
    if numbers and type(form) is formats.Existence:
        return FieldTerms("numbers", None, whooshs)  # one term a number: `to_bytes`
    return FieldTerms("whoosh", None, whooshs)


def column_converter(field: Any) -> Callable[[list[Any]], list[Any]]:
    """A function giving the field's column value of each of a list of values, as its
    `to_column_value` does: in one C-level call where that is encoding text, or
    keeping the value."""
    kind = type(field)
    convert = field.to_column_value
    plain = kind.to_column_value is whoosh_fields.FieldType.to_column_value
    if plain and kind.to_bytes is whoosh_fields.COLUMN.to_bytes:
        return list  # a COLUMN's value is its column's as given
    if plain and kind.to_bytes is whoosh_fields.FieldType.to_bytes:

        def encoded(values: list[Any]) -> list[Any]:
            if all(type(value) is str for value in values):
                return list(map(str.encode, values))
            return list(map(convert, values))

        return encoded
    return lambda values: list(map(convert, values))


def encoded_positions(np: Any, positions: Any, counts: Sequence[int]) -> list[bytes]:
    """Whoosh's Positions format's encoded value of each posting (`counts[i]` positions
    each, one posting's after another's in the int32 buffer `positions`), byte for byte
    what its `encode` gives: the count, and the pickled list of gaps between positions
    (the first from 0). The gaps are taken in bulk; a posting of one position (most
    are) pickles one number, made once. Each value is a bytes object of its own: a
    block's pickle writes a value met twice as a reference to the first."""
    flat = np.frombuffer(positions, dtype=np.int32).astype(np.int64)
    gaps = flat.copy()
    gaps[1:] -= flat[:-1]
    sizes = np.asarray(counts, dtype=np.int64)
    firsts = (np.cumsum(sizes) - sizes)[sizes > 0]
    gaps[firsts] = flat[firsts]
    gaps_list = gaps.tolist()
    one = pack_uint(1)
    singles: dict[int, bytes] = {}
    found = []
    at = 0
    for count in counts:
        if count == 1:
            place = gaps_list[at]
            pickled = singles.get(place)
            if pickled is None:
                pickled = singles[place] = dumps([place], 2)
            found.append(one + pickled)  # a new object
        else:
            found.append(pack_uint(count) + dumps(gaps_list[at : at + count], 2))
        at += count
    return found


def counted_values(counts: Sequence[int]) -> list[bytes]:
    """Whoosh's Frequency format's encoded value of each posting: its count. (A block
    joins these values rather than pickling them, so one object may serve many.)"""
    packed = [pack_uint(count) for count in range(max(counts, default=0) + 1)]
    return list(map(packed.__getitem__, counts))


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
