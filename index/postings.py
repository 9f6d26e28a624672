"""Posting lists as flat arrays, beside each segment: read with no decoding at all.

Whoosh stores a posting list as zlib-compressed pickles of 128 postings, each posting's
positions pickled as its own bytes object; a search that ranks a common word in bulk
spends most of its time undoing that. This file keeps the same postings of the ranked
fields (document numbers, term frequencies, and the positions exactly as Whoosh encodes
them) as arrays a reader maps into memory and slices. Whoosh never changes a segment,
so the file is written once, when its segment is: by dwsearch's own segment writer from
the postings it holds, or from the segment itself when Whoosh's writer made it. A
segment without one is read through Whoosh, as before; the file only makes it faster.

Layout: a magic line, the CRC-32 of all that follows, the header's length, a JSON
header (per field: its term and posting counts, the byte offset of each array and the
type of those stored narrower than their widest), then 8-byte aligned arrays. Terms are
found by a 64-bit hash of their bytes, in a sorted array. Document numbers take two
bytes where the segment has fewer than 65,536 documents, and the offsets into the
postings and the positions four where they fit: a reader widens a slice when it
converts it anyway, so narrower arrays cost a search nothing. A file of the first
version (every array at its widest) is read as it is. A file whose checksum fails is not
used: a damaged byte there never becomes a wrong answer or a crash, only a slower search
until a build mends it.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import struct
import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .location import write_new_bytes
from .whoosh_internals import all_postings, crc32, flat_postings, index_segments, open_segment

SEGMENT_POSTINGS = "postings-{}.bin"
MAGIC = b"dwsearch postings 2\n"
# The first version: the same layout, every array at its widest and no types said.
FORMER_MAGIC = b"dwsearch postings 1\n"
# The fields a search ranks in bulk.
RANKED_FIELDS = ("title", "text")
_ARRAYS = (  # name, typecode at its widest: the order they are written in
    ("hashes", "Q"),
    ("starts", "Q"),
    ("ids", "i"),
    ("tfs", "f"),
    ("value_starts", "Q"),
)
# An array's narrower type, and the largest value it holds.
_NARROWER = {"starts": ("I", 2**32 - 1), "ids": ("H", 2**16 - 1), "value_starts": ("I", 2**32 - 1)}

# (term bytes, document numbers, term frequencies, each posting's encoded value)
TermPostings = tuple[bytes, Sequence[int], Sequence[float], Sequence[bytes]]


def term_hash(term: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(term, digest_size=8).digest(), "little")


def write_postings(path: Path, fields: Iterable[tuple[str, Iterable[TermPostings]]]) -> bool:
    """Write a segment's postings file, atomically (a half-written one is never read).

    False, and no file, if two terms share a hash (the segment is then read through
    Whoosh; at 64 bits, about once in 37 million segments of a million terms)."""
    header: dict[str, Any] = {"fields": {}}
    chunks: list[bytes] = []
    size = 0

    def add(data: bytes) -> int:
        nonlocal size
        at = size
        padding = -len(data) % 8
        chunks.append(data + b"\0" * padding)
        size += len(data) + padding
        return at

    for fieldname, terms in fields:
        entries = sorted((term_hash(term), ids, tfs, values) for term, ids, tfs, values in terms)
        built = {name: array(code) for name, code in _ARRAYS}
        built["starts"].append(0)
        built["value_starts"].append(0)
        blob: list[bytes] = []
        value_end = 0
        previous = None
        for hashed, ids, tfs, values in entries:
            if hashed == previous:
                return False
            previous = hashed
            built["hashes"].append(hashed)
            _extend(built["ids"], ids)
            _extend(built["tfs"], tfs)
            built["starts"].append(len(built["ids"]))
            for value in values:
                value_end += len(value)
                built["value_starts"].append(value_end)
            blob.extend(values)
        types = {}
        for name, (typecode, largest) in _NARROWER.items():
            if _fits(built[name], largest):
                built[name] = _narrowed(built[name], typecode)
                types[name] = typecode
        offsets = {name: add(built[name].tobytes()) for name, _ in _ARRAYS}
        offsets["values"] = add(b"".join(blob))
        header["fields"][fieldname] = {
            "terms": len(entries),
            "postings": len(built["ids"]),
            "offsets": offsets,
            "types": types,
        }
    head = json.dumps(header).encode()
    start = len(MAGIC) + 8 + len(head)
    padding = b" " * (-start % 8)
    # A checksum of everything after it, header included.
    rest = [struct.pack("<I", len(head) + len(padding)), head, padding, *chunks]
    checksum = 0
    for data in rest:
        checksum = zlib.crc32(data, checksum)
    write_new_bytes(path, [MAGIC + struct.pack("<I", checksum), *rest])
    return True


def _fits(values: array[int], largest: int) -> bool:
    """Whether every value (none negative) is at most `largest`; only where the
    platform stores the low bytes first, as `_narrowed` needs."""
    return sys.byteorder == "little" and (not values or max(values) <= largest)


def _narrowed(values: array[int], typecode: str) -> array[int]:
    """Non-negative values that fit `typecode`, as an array of it: each value's low
    bytes, copied by slices rather than value by value."""
    narrow = array(typecode)
    width, wide = narrow.itemsize, values.itemsize
    data = values.tobytes()
    out = bytearray(width * len(values))
    for byte in range(width):
        out[byte::width] = data[byte::wide]
    narrow.frombytes(bytes(out))
    return narrow


def _extend(target: array[Any], values: Sequence[Any]) -> None:
    if isinstance(values, array) and values.typecode != target.typecode:
        values = values.tolist()  # an array extends only an array of its own type
    target.extend(values)


def write_missing_postings(whoosh_index: Any, folder: Path) -> None:
    """Give every segment of a generation its postings file, and drop the files of
    segments merged away."""
    kept = set()
    for segment, _ in index_segments(whoosh_index):
        path = folder / SEGMENT_POSTINGS.format(segment.segment_id())
        kept.add(path.name)
        if not path.exists():
            with open_segment(whoosh_index, segment) as segment_reader:
                postings_from_segment(path, segment_reader)
    for stale in folder.glob(SEGMENT_POSTINGS.format("*")):
        if stale.name not in kept:  # a segment merged away since the last generation
            stale.unlink()


def postings_from_segment(path: Path, segment_reader: Any) -> bool:
    """Write a segment's postings file from the segment itself (decoding every list)."""

    def terms(fieldname: str) -> Iterable[TermPostings]:
        for term in segment_reader.lexicon(fieldname):
            yield term, *flat_postings(all_postings(segment_reader, fieldname, term))

    present = [name for name in RANKED_FIELDS if name in segment_reader.indexed_field_names()]
    return write_postings(path, [(name, terms(name)) for name in present])


class SegmentPostings:
    """One segment's postings file, mapped into memory; `None` from `open` if unusable."""

    def __init__(self, np: Any, data: Any, fields: dict[str, dict[str, Any]], base: int) -> None:
        self.np = np
        self.data = data
        self.fields: dict[str, dict[str, Any]] = {}
        dtypes = {"Q": np.uint64, "I": np.uint32, "i": np.int32, "H": np.uint16, "f": np.float32}
        for fieldname, found in fields.items():
            types = found.get("types", {})  # none in a file of the first version
            views = {}
            counts = {
                "hashes": found["terms"],
                "starts": found["terms"] + 1,
                "ids": found["postings"],
                "tfs": found["postings"],
                "value_starts": found["postings"] + 1,
            }
            for name, widest in _ARRAYS:
                code = types.get(name, widest)
                if code not in (widest, _NARROWER.get(name, ("",))[0]):
                    raise ValueError(f"{name} cannot be of type {code}")
                dtype = dtypes[code]
                views[name] = np.frombuffer(
                    data, dtype=dtype, count=counts[name], offset=base + found["offsets"][name]
                )
            views["values_at"] = base + found["offsets"]["values"]
            self.fields[fieldname] = views

    @classmethod
    def open(cls, np: Any, path: Path) -> SegmentPostings | None:
        try:
            with path.open("rb") as handle:
                data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None
        try:
            if data[: len(MAGIC)] in (MAGIC, FORMER_MAGIC):  # of the same length
                checksum, length = struct.unpack_from("<II", data, len(MAGIC))
                with memoryview(data) as view:
                    whole = crc32()(view[len(MAGIC) + 4 :]) == checksum
                if whole:  # else damaged: the segment is read through Whoosh
                    base = len(MAGIC) + 8 + length
                    header = json.loads(data[len(MAGIC) + 8 : base])
                    return cls(np, data, header["fields"], base)
        except (ValueError, KeyError, TypeError, AttributeError, struct.error):
            pass
        data.close()
        return None

    def find(self, fieldname: str, text: str) -> int | None:
        """The term's number in this file, or None when the segment lacks it."""
        views = self.fields.get(fieldname)
        if views is None:
            return None
        hashes = views["hashes"]
        hashed = term_hash(text.encode("utf-8"))
        at = int(self.np.searchsorted(hashes, hashed))
        if at < len(hashes) and int(hashes[at]) == hashed:
            return at
        return None

    def has_field(self, fieldname: str) -> bool:
        return fieldname in self.fields

    def postings(self, fieldname: str, number: int) -> tuple[Any, Any, EncodedValues]:
        """The term's document numbers, frequencies and encoded positions."""
        views = self.fields[fieldname]
        start, end = int(views["starts"][number]), int(views["starts"][number + 1])
        values = EncodedValues(
            self.data, views["values_at"], views["value_starts"][start : end + 1]
        )
        return views["ids"][start:end], views["tfs"][start:end], values


class EncodedValues:
    """The encoded positions of a posting list's postings, sliced out when asked."""

    def __init__(self, data: Any, base: int, starts: Any) -> None:
        self.data = data
        self.base = base
        self.starts = starts

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, place: int) -> bytes:
        start, end = int(self.starts[place]), int(self.starts[place + 1])
        return self.data[self.base + start : self.base + end]
