"""Every use of Whoosh beyond its documented API, in one place, for the pinned
whoosh-reloaded 2.7.5.

dwsearch is fast because it reads posting blocks whole and writes segments itself,
below Whoosh's public API. All of that goes through this module, and only on the
Whoosh version it was written and tested against, whose classes have the methods and
whose objects have the attributes used here (each kind of object is checked the first
time it is met). Otherwise it says so once (a `WhooshVersionWarning`) and every function
here falls back to Whoosh's public API: the same results, only slower. `FAST` says
which; `DWSEARCH_WHOOSH_PUBLIC=1` takes the public path on purpose (CI runs the quick
tests so).

The modules of Whoosh's public API (index, fields, analysis, query, qparser as
documented, searching, scoring, highlight, sorting) may be used anywhere; any other
Whoosh module is named only here.

What it owns:
- posting lists read a block at a time, as stored, encoded positions and all
  (`posting_blocks`);
- each segment's column of quantised field lengths (`length_bytes`);
- writing a segment's files directly through Whoosh's codec (`CodecSegments`): posting
  blocks filled 128 postings at a time, stored fields and columns handed to their
  column writers, both deflated by ISA-L where it is installed (zlib's format, read back
  by Whoosh's zlib); and the table of contents that lists segments (`segments_of`,
  `write_toc`);
- a fix to Whoosh's per-document reader that a build's commit needs, for the length
  of the call that needs it (`lengths_remembered`);
- where each part of a segment's compound file lies (`compound_parts`), for damage tests;
- an exclusion's matcher that checks its first document too (`excluding_matcher`).
"""

from __future__ import annotations

import os
import warnings
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from itertools import accumulate
from pickle import dumps
from typing import Any, NamedTuple

import whoosh
from whoosh import columns, formats
from whoosh import fields as whoosh_fields
from whoosh import index as whoosh_index
from whoosh.analysis import IDTokenizer
from whoosh.codec import whoosh3
from whoosh.columns import VarBytesColumn
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.matching import AndNotMatcher, ListMatcher, NullMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte

SUPPORTED_VERSION = (2, 7, 5)
PUBLIC_ONLY_VARIABLE = "DWSEARCH_WHOOSH_PUBLIC"
# Private methods this module calls, checked as well as the version number, so that a
# patched build of the same version that lacks them takes the public path too.
_PRIVATE_METHODS = (
    (whoosh3.W3LeafMatcher, ("_read_data", "_read_values", "_next_block")),
    (whoosh3.W3PerDocReader, ("_cached_reader",)),
    (whoosh3.W3PostingsWriter, ("_new_block", "_mini_ids", "_mini_weights", "_mini_values")),
    (whoosh3.W3PerDocWriter, ("_create_column",)),
)
# The attributes of Whoosh's objects this module reads or sets, by the kind of object;
# each kind is checked on the first object met (`_has_attributes`).
MATCHER_ATTRIBUTES = ("_data", "_byteids", "_values", "_i")
PERDOC_READER_ATTRIBUTES = ("_readers",)
LENGTH_COLUMN_ATTRIBUTES = ("_fixedlen", "_count", "_dbfile", "_basepos")
PERDOC_WRITER_ATTRIBUTES = ("_storedfields", "_fieldlengths", "_colwriters")
POSTINGS_WRITER_ATTRIBUTES = (
    "_blocklimit", "_ids", "_weights", "_values", "_maxweight", "_minlength",
    "_maxlength", "_postfile", "_blockcount", "_terminfo", "_compression",
)  # fmt: skip


@cache
def deflater() -> Callable[[bytes, int], bytes]:
    """zlib's `compress`, or ISA-L's (the same format, twice as fast), where installed."""
    try:
        from isal.isal_zlib import compress  # declared deferred: only writing needs it
    except ImportError:  # no wheel for this machine
        return zlib.compress
    return compress


class WhooshVersionWarning(UserWarning):
    """The installed Whoosh is not the version dwsearch's fast paths were written for."""


def _public_asked() -> bool:
    return os.environ.get(PUBLIC_ONLY_VARIABLE, "").strip() not in ("", "0")


def _supported() -> bool:
    if _public_asked():
        return False
    if tuple(whoosh.__version__[:3]) != SUPPORTED_VERSION:
        return False
    stored = whoosh3.STORED_COLUMN  # pickled, then deflated: written so here too
    if not (
        isinstance(stored, columns.PickleColumn)
        and isinstance(stored._child, columns.CompressedBytesColumn)
    ):
        return False
    return all(hasattr(kind, name) for kind, names in _PRIVATE_METHODS for name in names)


def _warn_public(why: str) -> None:
    warnings.warn(
        f"{why}; searching and building use Whoosh's public API (slower)",
        WhooshVersionWarning,
        stacklevel=3,
    )


FAST = _supported()
if not FAST and not _public_asked():
    _warn_public(
        f"Whoosh {whoosh.versionstring()} is not the {'.'.join(map(str, SUPPORTED_VERSION))} "
        "dwsearch was written for"
    )
_CHECKED: dict[type, bool] = {}


def _has_attributes(thing: Any, names: tuple[str, ...]) -> bool:
    """Whether objects of this kind carry the attributes this module uses (checked on the
    first one met); a kind that does not is read through the public API, said once."""
    kind = type(thing)
    found = _CHECKED.get(kind)
    if found is None:
        missing = [name for name in names if not hasattr(thing, name)]
        found = _CHECKED[kind] = not missing
        if missing:
            _warn_public(f"Whoosh's {kind.__name__} has no {', '.join(missing)}")
    return found


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
    if not (FAST and fast and _has_attributes(matcher, MATCHER_ATTRIBUTES)):
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
        fixed = _has_attributes(column, LENGTH_COLUMN_ATTRIBUTES) and column._fixedlen == 1
        if fixed:
            # One byte a document, read in one piece; documents past the stored ones are 0.
            stored = min(column._count, size)
            return [*column._dbfile.get(column._basepos, stored), *bytes(size - stored)]
        return [column[n] for n in range(size)]
    return [length_to_byte(reader.doc_field_length(n, fieldname, 0)) for n in range(size)]


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

    def add_stored(
        self,
        docnum: int,
        fields: Iterable[tuple[str, Any, Any, int]],
        columns: Iterable[tuple[str, Any, Any]],
    ) -> None:
        """A document's stored fields `(name, field, value or None, length)` and columns
        `(name, column type, value)`.

        What Whoosh's `add_field` and `add_column_value` do, with each column's writer
        looked up once a segment rather than through three calls a value.
        """
        perdoc = self.perdoc
        perdoc.start_doc(docnum)
        stored = perdoc._storedfields
        totals = perdoc._fieldlengths
        for fieldname, _, value, length in fields:
            if value is not None:
                stored[fieldname] = value
            if length:
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
        if stored:
            # What the stored-fields column does (pickle, deflate), with a faster deflate.
            column = writers.get("_stored") or self._column("_stored", whoosh3.STORED_COLUMN)
            VarBytesColumn.Writer.add(column._child, docnum, deflater()(dumps(stored, -1), 3))
            stored.clear()
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


class _DeflatingPostingsWriter(whoosh3.W3PostingsWriter):
    """Whoosh's postings writer, deflating its blocks with the faster deflater."""

    def _write_block(self, last: bool = False) -> None:
        _write_block(self, last)


class _WritingCodec(whoosh3.W3Codec):
    """Whoosh's codec for writing, through Whoosh's extension points: its per-document
    reader remembers missing columns, its postings writer deflates faster. The segments
    it makes name Whoosh's own codec, so an index it wrote reads as any other."""

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


def writing_codec(compression: int = 3) -> Any:
    """The codec to give Whoosh's writer (`ix.writer(codec=...)`); None: Whoosh's own."""
    return _WritingCodec(compression=compression) if can_write_segments() else None


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
    ready = _has_attributes(perdoc, PERDOC_WRITER_ATTRIBUTES) and _has_attributes(
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
Indexer = Callable[[Any], Iterable[tuple[bytes, int, float, bytes]]]
PositionsIndexer = Callable[[Any], "Callable[[str], dict[str, list[int]]] | None"]
CountsIndexer = Callable[[Any], "Callable[[str], dict[str, int]] | None"]


def field_indexer(field: Any, positions: PositionsIndexer, counts: CountsIndexer) -> Indexer:
    """The field's (term, frequency, weight, encoded value)s, as `field.index` gives.

    For dwsearch's own analyzers the terms come from the analysis module's indexers
    (`positions` and `counts` give them for an analyzer they know), without a token
    object per word; the encoding is Whoosh's format's.
    """
    form, analyzer = field.format, field.analyzer
    if form.field_boost != 1.0:
        return field.index
    if type(form) is formats.Positions and (by_word := positions(analyzer)):
        encode = form.encode

        def by_positions(value: Any) -> Iterable[tuple[bytes, int, float, bytes]]:
            if not isinstance(value, str):
                return field.index(value)
            return [
                (term.encode(), len(places), float(len(places)), encode(places))
                for term, places in by_word(value).items()
            ]

        return by_positions
    if type(form) is formats.Frequency and (counted := counts(analyzer)):

        def by_counts(value: Any) -> Iterable[tuple[bytes, int, float, bytes]]:
            if not isinstance(value, str):
                return field.index(value)
            return [
                (term.encode(), count, float(count), pack_uint(count))
                for term, count in counted(value).items()
            ]

        return by_counts
    plain_id = type(field) is whoosh_fields.ID and type(analyzer) is IDTokenizer
    if plain_id and type(form) is formats.Existence:

        def whole(value: Any) -> Iterable[tuple[bytes, int, float, bytes]]:
            if not isinstance(value, str):
                return field.index(value)
            return [(value.encode(), 1, 1.0, b"")]  # an ID is one term, however it reads

        return whole
    return field.index


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
