"""Each segment's stored fields, deflated in blocks of documents, in a file beside it.

Whoosh pickles and deflates each document's stored fields alone: about 355 bytes a
chunk at 25,000 pages, half a segment. Most of a chunk's fields repeat its page's
(origin, page, title, address, section, facets) and its neighbours' words, which a
deflate of one document cannot see. Here a block of neighbouring documents (about 4 KB
of pickles) is deflated together, with a preset dictionary sampled from the segment's
first documents: about 100 bytes a chunk. Reading a document inflates its block, a few
microseconds more than one document's; the last few blocks are kept, since a page of
hits often holds neighbours. zlib, not zstd: as small at this block size, and no
dependency or 13 ms import for a search from the shell (docs/architecture.md).

The file is written with its segment by dwsearch's own segment writer, and by Whoosh's
writer through the codec an update hands it; either gives Whoosh's column no stored
fields. A segment Whoosh wrote alone (on a Whoosh the internals package does not know)
has no such file and keeps its stored fields in Whoosh's column: `StoredFields` reads
each segment from where it is, so an index written either way reads the same either
way.

The file also finds a chunk by its id, which the index does not hold as a term: a
Whoosh term per chunk (its table entry and its one-posting list) took 150 of the 711 MB
of a million chunks. Here each id costs 12 bytes: a 64-bit key (the id's first sixteen
hex digits, so that the keys of a prefix are one range) in a sorted table beside the
document it names. A key only says where to look; the document's own id decides.

Layout: a magic line; `<IIII`: the CRC-32 of what follows up to the blocks, the number
of documents, of blocks, and the dictionary's length; the dictionary; each block's
first document (uint32, one more: the document count); where each block ends (uint64,
from the start of the blocks); each block's CRC-32 (uint32); the ids' keys, sorted
(uint64, one a document), and the document of each (uint32); then the blocks. A block
inflated is its document count n (uint32), n + 1 offsets (uint32), and the documents'
pickles (empty: no stored fields). Damage is an `IndexDamaged`, never a wrong chunk.
(The file's first version, without the ids' table, belongs to an index of an earlier
schema, which is rebuilt.)
"""

from __future__ import annotations

import hashlib
import mmap
import pickle
import re
import struct
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cache, partial
from pathlib import Path
from typing import Any

from .location import IndexDamaged, write_new_bytes
from .reading import segment_leaves
from .whoosh_internals import crc32

STORED_FILE = "stored-{}.bin"
MAGIC = b"dwsearch stored 2\n"
_HEAD = struct.Struct("<IIIII")
# A block is closed once its pickles reach this many bytes (or documents): measured on
# 25,000 synthetic pages, 4 KB blocks with an 8 KB dictionary take 100 bytes a chunk
# (today's 355) and 18 us to read one (today's 9); 8 KB blocks 93 bytes and 30 us.
BLOCK_BYTES = 4096
BLOCK_DOCS = 32
DICTIONARY_BYTES = 8192
# The dictionary is the end of a sample of this many documents spread over the segment's
# first DICTIONARY_FROM (blocks are deflated as documents come): a 2,500-page build's
# stored files 1.4% larger than with one spread over each whole segment (three builds
# each; the index 0.4%), and no smaller with a sample over the first 8,192.
DICTIONARY_SAMPLE = 256
DICTIONARY_FROM = 2048
DEFLATE_LEVEL = 6
# ISA-L's level where it is installed: the same format, which zlib reads, deflated in
# half the time (a build spent 6% of its time here) into blocks 8% larger.
ISAL_LEVEL = 3
# Blocks kept inflated per segment: a page of hits reads 10 to 30 chunks.
CACHED_BLOCKS = 16
KEY_DIGITS = 16  # an id's leading hex digits that make its key
_HEX = re.compile(r"[0-9a-f]+")


@cache
def compressor() -> Callable[..., Any]:
    """A maker of deflate streams: ISA-L's where installed, else zlib's."""
    try:
        from isal.isal_zlib import compressobj  # declared deferred: only writing needs it
    except ImportError:  # no wheel for this machine
        return partial(zlib.compressobj, DEFLATE_LEVEL)
    return partial(compressobj, ISAL_LEVEL)


def id_key(chunk_id: str) -> int:
    """The key an id is found by: its first sixteen hex digits (ingestion's ids begin
    with a SHA-1's), or a hash of an id that does not begin with them."""
    head = chunk_id[:KEY_DIGITS]
    if len(head) == KEY_DIGITS and _HEX.fullmatch(head):
        return int(head, 16)
    return int.from_bytes(hashlib.blake2b(chunk_id.encode(), digest_size=8).digest(), "big")


def key_range(wanted: str) -> tuple[int, int]:
    """The keys an id equal to `wanted`, or beginning with it, can have."""
    head = wanted[:KEY_DIGITS]
    if len(wanted) >= KEY_DIGITS or not _HEX.fullmatch(head):
        key = id_key(wanted)
        return key, key
    return int(head.ljust(KEY_DIGITS, "0"), 16), int(head.ljust(KEY_DIGITS, "f"), 16)


def write_stored(path: Path, documents: Sequence[dict[str, Any]]) -> None:
    """Write a segment's stored fields (one dict per document, in document order),
    atomically: a half-written file is never read."""
    blocks = StoredBlocks()
    for fields in documents:
        blocks.add(pickled(fields), fields.get("id"))
    blocks.write(path)


def pickled(fields: dict[str, Any]) -> bytes:
    """A document's stored fields as `StoredBlocks.add` takes them."""
    return pickle.dumps(fields, -1) if fields else b""


class StoredBlocks:
    """A segment's stored-fields file in the making: each document's pickled fields and
    id added in turn, deflated a block at a time as they come (a 51,000-chunk segment's
    pickles kept whole took 26 MB), then written at once."""

    def __init__(self) -> None:
        self.count = 0
        self._early: list[bytes] = []  # the pickles the dictionary is sampled from
        self._dictionary: bytes | None = None  # made once DICTIONARY_FROM documents came
        self._block: list[bytes] = []  # the block being filled
        self._block_size = 0
        self._firsts = array("I")  # each block's first document
        self._blocked = 0  # documents in blocks so far
        self._ends = array("Q")
        self._crcs = array("I")
        self._packed: list[bytes] = []
        self._size = 0
        self._keys = array("Q")
        self._keyed_docs = array("I")

    def add(self, data: bytes, chunk_id: str | None) -> None:
        """The next document's `pickled` fields, and its id (None: none)."""
        if chunk_id:
            self._keys.append(id_key(chunk_id))
            self._keyed_docs.append(self.count)
        self.count += 1
        if self._dictionary is not None:
            self._append(data)
            return
        self._early.append(data)
        if len(self._early) >= DICTIONARY_FROM:
            self._start_blocks()

    def _start_blocks(self) -> None:
        """The dictionary: the last DICTIONARY_BYTES of DICTIONARY_SAMPLE documents spread
        over the first DICTIONARY_FROM, or over all of a smaller segment's; then those
        documents into blocks."""
        early, self._early = self._early, []
        step = max(1, len(early) // DICTIONARY_SAMPLE)
        self._dictionary = b"".join(early[::step])[-DICTIONARY_BYTES:]
        for data in early:
            self._append(data)

    def _append(self, data: bytes) -> None:
        """A document into the block being filled, which is closed at its bound."""
        self._block.append(data)
        self._block_size += len(data)
        if self._block_size >= BLOCK_BYTES or len(self._block) >= BLOCK_DOCS:
            self._deflate(self._block)
            self._block, self._block_size = [], 0

    def _deflate(self, block: list[bytes]) -> None:
        dictionary = self._dictionary
        deflate = compressor()(zdict=dictionary) if dictionary else None
        data = _inflated_form(block)
        packed = deflate.compress(data) + deflate.flush() if deflate else zlib.compress(data)
        self._firsts.append(self._blocked)  # blocks are deflated in document order
        self._blocked += len(block)
        self._size += len(packed)
        self._ends.append(self._size)
        self._crcs.append(crc32()(packed))
        self._packed.append(packed)

    def write(self, path: Path) -> None:
        """Write the file, atomically: a half-written file is never read."""
        if self._dictionary is None:
            self._start_blocks()
        if self._block:
            self._deflate(self._block)
            self._block, self._block_size = [], 0
        firsts = array("I", self._firsts)
        firsts.append(self.count)
        keys, docs = self._keys, self._keyed_docs
        order = sorted(range(len(keys)), key=keys.__getitem__)  # stable: by document next
        keys = array("Q", map(keys.__getitem__, order))
        keyed_docs = array("I", map(docs.__getitem__, order))
        dictionary = self._dictionary or b""
        tables = b"".join(
            (
                dictionary,
                firsts.tobytes(),
                self._ends.tobytes(),
                self._crcs.tobytes(),
                keys.tobytes(),
                keyed_docs.tobytes(),
            )
        )
        head = struct.pack("<IIII", self.count, len(self._packed), len(dictionary), len(keys))
        checksum = crc32()(head + tables)
        write_new_bytes(path, [MAGIC + struct.pack("<I", checksum) + head + tables, *self._packed])


def write_segment_stored(folder: str, segment_id: str, documents: list[dict[str, Any]]) -> None:
    """Write the stored-fields file of segment `segment_id` in `folder`."""
    write_stored(Path(folder) / STORED_FILE.format(segment_id), documents)


def _inflated_form(block: list[bytes]) -> bytes:
    offsets = array("I", [0])
    for data in block:
        offsets.append(offsets[-1] + len(data))
    return struct.pack("<I", len(block)) + offsets.tobytes() + b"".join(block)


class SegmentStore:
    """One segment's stored-fields file, mapped into memory, its blocks read on demand."""

    def __init__(self, path: Path, index_dir: Path) -> None:
        self.path = path
        self.index_dir = index_dir
        try:
            with path.open("rb") as handle:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as error:
            raise self._damaged(f"cannot be read: {error}") from None
        self._cache: OrderedDict[int, tuple[int, memoryview]] = OrderedDict()
        try:
            self._read_tables()
        except (struct.error, ValueError, IndexError):
            raise self._damaged("its tables are cut short") from None

    def _damaged(self, why: str) -> IndexDamaged:
        return IndexDamaged(self.index_dir, f"{self.path.name} {why}")

    def _read_tables(self) -> None:
        data = self._map
        if data[: len(MAGIC)] != MAGIC:
            raise self._damaged("is not a stored-fields file")
        at = len(MAGIC)
        checksum, documents, blocks, dictionary, keyed_count = _HEAD.unpack_from(data, at)
        start = at + 4
        tables_end = (
            at + _HEAD.size + dictionary + 4 * (blocks + 1) + 12 * blocks + 12 * keyed_count
        )
        if tables_end > len(data) or crc32()(data[start:tables_end]) != checksum:
            raise self._damaged("does not match its checksum")
        at += _HEAD.size
        self.dictionary = bytes(data[at : at + dictionary])
        at += dictionary
        self.firsts = array("I", data[at : at + 4 * (blocks + 1)])
        at += 4 * (blocks + 1)
        self.ends = array("Q", data[at : at + 8 * blocks])
        at += 8 * blocks
        self.crcs = array("I", data[at : at + 4 * blocks])
        at += 4 * blocks
        # The ids' table, left in the map: read by bisection when an id is asked for.
        self.keys = memoryview(data)[at : at + 8 * keyed_count].cast("Q")
        at += 8 * keyed_count
        self.keyed_docs = memoryview(data)[at : at + 4 * keyed_count].cast("I")
        self.blocks_at = tables_end
        self.documents = documents
        if self.firsts[-1] != documents or (blocks and self.blocks_at + self.ends[-1] > len(data)):
            raise self._damaged("does not match its own tables")
        if keyed_count > documents:
            raise self._damaged("does not match its own tables")

    def with_ids_in(self, low: int, high: int) -> list[int]:
        """The documents whose id's key is between `low` and `high` (both included), in
        key order."""
        start = bisect_left(self.keys, low)
        end = bisect_right(self.keys, high, lo=start)
        found = list(self.keyed_docs[start:end])
        if any(docnum >= self.documents for docnum in found):
            raise self._damaged("its ids' table is damaged")
        return found

    def fields(self, docnum: int) -> dict[str, Any]:
        """The stored fields of a document of this segment (0 is its first)."""
        if not 0 <= docnum < self.documents:
            raise self._damaged(f"has no document {docnum}")
        number = bisect_right(self.firsts, docnum) - 1
        first, block = self._block(number)
        count = struct.unpack_from("<I", block)[0]
        place = docnum - first
        if place >= count:
            raise self._damaged(f"block {number} is short of documents")
        start, end = struct.unpack_from("<II", block, 4 + 4 * place)
        base = 4 + 4 * (count + 1)
        if not start <= end <= len(block) - base:
            raise self._damaged(f"block {number} is damaged")
        if start == end:
            return {}
        try:
            found = pickle.loads(block[base + start : base + end])
        except Exception:  # any unpickling error is damage
            raise self._damaged(f"block {number} is damaged") from None
        if not isinstance(found, dict):
            raise self._damaged(f"block {number} is damaged")
        return found

    def _block(self, number: int) -> tuple[int, memoryview]:
        """A block inflated, with its first document's number; recent ones are kept."""
        cached = self._cache.get(number)
        if cached is not None:
            self._cache.move_to_end(number)
            return cached
        start = self.blocks_at + (self.ends[number - 1] if number else 0)
        end = self.blocks_at + self.ends[number]
        packed = self._map[start:end]
        if crc32()(packed) != self.crcs[number]:
            raise self._damaged(f"block {number} does not match its checksum")
        try:
            if self.dictionary:
                inflate = zlib.decompressobj(zdict=self.dictionary)
                data = inflate.decompress(packed)
            else:
                data = zlib.decompress(packed)
        except zlib.error:
            raise self._damaged(f"block {number} cannot be inflated") from None
        found = (self.firsts[number], memoryview(data))
        self._cache[number] = found
        if len(self._cache) > CACHED_BLOCKS:
            self._cache.popitem(last=False)
        return found


class StoredFields:
    """Each document's stored fields in an open index (`reader`: Whoosh's reader of the
    generation in `folder`), by the index's document number: from the segment's blocks
    where it has them, else from Whoosh's own column. Segments are opened on first use."""

    def __init__(self, reader: Any, folder: Path) -> None:
        self.folder = folder
        self._leaves = list(segment_leaves(reader))
        self._offsets = [offset for _, offset in self._leaves]
        self._stores: dict[int, SegmentStore | None] = {}

    def __call__(self, docnum: int) -> dict[str, Any]:
        number = bisect_right(self._offsets, docnum) - 1
        if number < 0:
            raise IndexError(docnum)
        leaf, offset = self._leaves[number]
        store = self._store(number, leaf)
        if store is not None:
            return store.fields(docnum - offset)
        found = leaf.stored_fields(docnum - offset)
        if not found:  # a segment Whoosh wrote keeps every document's id there
            name = STORED_FILE.format(leaf.segment().segment_id())
            raise IndexDamaged(self.folder.parent, f"{name} is missing")
        return found

    def with_id(self, wanted: str, prefix: bool = False) -> dict[int, str]:
        """The live documents whose id is `wanted` (or, with `prefix`, begins with it),
        with their ids. A segment without the ids' table is read a chunk at a time."""
        low, high = key_range(wanted)
        found: dict[int, str] = {}
        for number, (leaf, offset) in enumerate(self._leaves):
            store = self._store(number, leaf)
            candidates = store.with_ids_in(low, high) if store is not None else None
            if candidates is None:
                candidates = range(leaf.doc_count_all())
            for local in candidates:
                if leaf.is_deleted(local):
                    continue
                chunk_id = self(offset + local).get("id", "")
                if chunk_id == wanted or (prefix and chunk_id.startswith(wanted)):
                    found[offset + local] = chunk_id
        return found

    def _store(self, number: int, leaf: Any) -> SegmentStore | None:
        if number not in self._stores:
            path = self.folder / STORED_FILE.format(leaf.segment().segment_id())
            self._stores[number] = SegmentStore(path, self.folder.parent) if path.exists() else None
        return self._stores[number]


def drop_stale_stored(segment_ids: set[str], folder: Path) -> None:
    """Remove the stored-fields files of segments no longer in the generation (merged
    or rewritten by an update)."""
    kept = {STORED_FILE.format(segment_id) for segment_id in segment_ids}
    for stale in folder.glob(STORED_FILE.format("*")):
        if stale.name not in kept:
            stale.unlink()
