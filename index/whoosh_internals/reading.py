"""Posting lists read a block at a time, and each segment's column of field lengths."""

from __future__ import annotations

import contextlib
import mmap
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any, NamedTuple

from whoosh import index as whoosh_index
from whoosh.codec import whoosh3
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.matching import AndNotMatcher, ListMatcher, NullMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import SegmentReader
from whoosh.util.numeric import length_to_byte

from .guard import FAST, LENGTH_COLUMN_ATTRIBUTES, MATCHER_ATTRIBUTES, has_attributes


# ------------------------------------------------------------------- opening an index
def open_index(folder: str) -> Any:
    """Whoosh's index in `folder`, opened so that a segment's parts are read in place.

    Whoosh maps a segment's compound file into memory, then copies each part it opens
    (terms, postings, stored fields, columns) into a `BytesIO`: opening a large index
    read most of it. Here the parts are views of the mapped file, copied only if
    something reads one as a stream. Through Whoosh's extension points: a storage whose
    files hand out such parts (`subset`), which Whoosh's compound storage asks for
    when told the storage maps nothing itself.
    """
    if not FAST:
        return whoosh_index.open_dir(folder)
    return _OpenedIndex(_MappedStorage(folder))


class _OpenedIndex(whoosh_index.FileIndex):
    """Whoosh's index whose table of contents, read to open it, serves its first reader
    too: Whoosh reads it (and unpickles the schema) once for each, and a search from the
    shell opens one reader. Later readers, and every writer (which reads it under its
    lock), read it again, as Whoosh's do."""

    def __init__(self, storage: Any) -> None:
        # `FileIndex.__init__`, keeping what it reads.
        self.storage = storage
        self._schema = None
        self.indexname = whoosh_index._DEF_INDEX_NAME
        self._first_toc: Any = whoosh_index.TOC.read(storage, self.indexname, schema=None)

    def reader(self, reuse: Any = None) -> Any:
        toc, self._first_toc = self._first_toc, None
        if toc is None:
            return super().reader(reuse=reuse)
        return self._reader(self.storage, toc.schema, toc.segments, toc.generation, reuse=reuse)


class _MappedStorage(FileStorage):
    """A folder's files, each opened as one memory map that parts are cut from."""

    def __init__(self, folder: str) -> None:
        super().__init__(folder, supports_mmap=False)

    def open_file(self, name: str, **kwargs: Any) -> Any:
        handle = open(self._fpath(name), "rb")  # noqa: SIM115 (the file object owns it)
        if not name.endswith(".seg"):
            return StructFile(handle, name=name, **kwargs)
        return _MappedFile(handle, name=name, **kwargs)


class _MappedFile(StructFile):
    """A compound file: read as any file, and mapped for its parts (`subset`)."""

    def __init__(self, handle: Any, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(handle, name=name, **kwargs)
        self._map: Any = None

    def subset(self, offset: int, length: int, name: str | None = None) -> Any:
        if self._map is None:
            self._map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        return _PartFile(self._map, offset, length, name or self._name)

    def close(self) -> None:
        super().close()
        if self._map is not None:
            # A part still in use keeps the map: it goes with the last one.
            with contextlib.suppress(BufferError):
                self._map.close()


class _PartFile(BufferFile):
    """Whoosh's in-memory file, over a part of a mapped file: read in place, as a view
    (`get`) or as a stream (`read`, `seek`), never copied whole."""

    def __init__(self, mapped: Any, offset: int, length: int, name: str | None) -> None:
        self._buf = memoryview(mapped)[offset : offset + length]
        self._name = name
        self.file = _PartStream(mapped, offset, length)
        self.onclose = None
        self.is_real = False
        self.is_closed = False


class _PartStream:
    """A read-only stream over bytes `start` to `start + length` of a mapped file: what
    Whoosh reads through a `BytesIO` (read, readline, seek, tell), without the copy."""

    def __init__(self, mapped: Any, start: int, length: int) -> None:
        self._map = mapped
        self._start = start
        self._end = start + length
        self._at = start
        self.closed = False

    def read(self, size: int | None = -1) -> bytes:
        end = self._end if size is None or size < 0 else min(self._end, self._at + size)
        data = self._map[self._at : end] if end > self._at else b""
        self._at = max(self._at, end)
        return data

    def readinto(self, target: Any) -> int:
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        newline = self._map.find(b"\n", self._at, self._end)
        end = self._end if newline < 0 else newline + 1
        if size is not None and size >= 0:
            end = min(end, self._at + size)
        return self.read(end - self._at)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (self._start, self._at, self._end)[whence]
        self._at = max(self._start, base + offset)
        return self._at - self._start

    def tell(self) -> int:
        return self._at - self._start

    def close(self) -> None:
        self.closed = True


def index_segments(ix: Any) -> list[tuple[Any, int]]:
    """An open index's segments, each with the number of its first document, read from
    its table of contents alone (no segment is opened)."""
    segments = ix._segments() if FAST and hasattr(ix, "_segments") else None
    if segments is None:
        with ix.reader() as reader:
            segments = [leaf.segment() for leaf, _ in reader.leaf_readers()]
    found, offset = [], 0
    for segment in segments:
        if segment is None:  # an index with no documents: no segment
            continue
        found.append((segment, offset))
        offset += segment.doc_count_all()
    return found


def open_segment(ix: Any, segment: Any) -> Any:
    """A reader of one segment of an open index (close it, or use it in `with`)."""
    return SegmentReader(ix.storage, ix.schema, segment)


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


def length_bytes(reader: Any, fieldname: str) -> bytes:
    """Each document's length in a field, in one segment, quantised to a byte as stored."""
    size = reader.doc_count_all()
    if FAST and hasattr(reader, "_perdoc"):
        column = reader._perdoc._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        if column is None:
            return bytes(size)
        fixed = has_attributes(column, LENGTH_COLUMN_ATTRIBUTES) and column._fixedlen == 1
        if fixed:
            # One byte a document, read in one piece; documents past the stored ones are 0.
            stored = min(column._count, size)
            return bytes(column._dbfile.get(column._basepos, stored)) + bytes(size - stored)
        return bytes(column[n] for n in range(size))
    return bytes(length_to_byte(reader.doc_field_length(n, fieldname, 0)) for n in range(size))
