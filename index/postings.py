"""Posting lists as flat arrays, beside each segment: read with no decoding at all.

Whoosh stores a posting list as zlib-compressed pickles of 128 postings, each posting's
positions pickled as its own bytes object; a search that ranks a common word in bulk
spends most of its time undoing that. This file keeps the same postings of the ranked
fields (document numbers, term frequencies, and every posting's positions) as arrays a
reader maps into memory and slices. Whoosh never changes a segment, so the file is
written once, when its segment is: by dwsearch's own segment writer from the postings
it holds, or from the segment itself when Whoosh's writer made it. A segment without
one is read through Whoosh, as before; the file only makes it faster.

Layout: a magic line, the CRC-32 of all that follows, the header's length, a JSON
header (per field: its term, posting and position counts, the byte offset of each array
and the type of those stored narrower than their widest), then 8-byte aligned arrays.
Terms are found by a 64-bit hash of their bytes, in a sorted array. Each array takes the
narrowest type its values fit: document numbers two bytes where the segment has fewer
than 65,536 documents, frequencies one where no word is said 256 times in a chunk,
positions two where no chunk is 65,536 words long. A posting's positions are as many as
its frequency, one posting's after another's through the whole field, so where they
start is a running sum of the frequencies; the sum is kept at every 32nd posting
(`marks`), and a reader adds at most 31 frequencies to it. A posting costs about six
bytes, where Whoosh's pickled positions alone took thirteen.
A file of an earlier version (the positions as Whoosh encodes them) belongs to an index
of an earlier schema, which is rebuilt; like a file whose checksum fails, it is not
used: a damaged byte there never becomes a wrong answer or a crash, only a slower
search until a build mends it.
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
from .whoosh_internals import (
    all_postings,
    crc32,
    flat_postings,
    index_segments,
    open_segment,
    position_decoder,
)

SEGMENT_POSTINGS = "postings-{}.bin"
MAGIC = b"dwsearch postings 3\n"
# The fields a search ranks in bulk.
RANKED_FIELDS = ("title", "text")
# The spelling field's hyphenated words, kept as terms without postings: a search asks
# whether the index writes a word typed joined with a hyphen ("multi-stakeholder"), at
# every place it could part, which through Whoosh's term tables cost a millisecond.
HYPHENATED_FIELD = "spell"
_ARRAYS = (  # name, typecode at its widest: the order they are written in
    ("hashes", "Q"),
    ("starts", "Q"),
    ("ids", "i"),
    ("tfs", "f"),
    ("marks", "Q"),
    ("positions", "i"),  # signed: a word an alias stands for may be placed before 0
)
# An array's narrower types, narrowest first, each with the least and the largest
# value it holds.
_NARROWER = {
    "starts": (("I", 0, 2**32 - 1),),
    "ids": (("H", 0, 2**16 - 1),),
    "tfs": (("B", 0, 2**8 - 1), ("H", 0, 2**16 - 1)),
    "marks": (("I", 0, 2**32 - 1),),
    "positions": (("h", -(2**15), 2**15 - 1),),
}

# (term bytes, document numbers, term frequencies, every posting's positions in turn)
TermPostings = tuple[bytes, Sequence[int], Sequence[float], Sequence[int]]


def term_hash(term: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(term, digest_size=8).digest(), "little")


def write_postings(path: Path, fields: Iterable[tuple[str, Iterable[TermPostings]]]) -> bool:
    """Write a segment's postings file, atomically (a half-written one is never read).

    False, and no file, if two terms share a hash (the segment is then read through
    Whoosh; at 64 bits, about once in 37 million segments of a million terms), or if a
    posting's frequency is not its count of positions (a field boosted at indexing)."""
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
        entries = sorted(
            (term_hash(term), ids, tfs, positions) for term, ids, tfs, positions in terms
        )
        built = {name: array(code) for name, code in _ARRAYS}
        built["starts"].append(0)
        previous = None
        for hashed, ids, tfs, positions in entries:
            if hashed == previous:
                return False
            previous = hashed
            built["hashes"].append(hashed)
            _extend(built["ids"], ids)
            _extend(built["tfs"], tfs)
            built["starts"].append(len(built["ids"]))
            _extend(built["positions"], positions)
        counts = array("I", map(int, built["tfs"]))
        if array("f", counts) != built["tfs"] or sum(counts) != len(built["positions"]):
            return False
        built["tfs"] = counts
        built["marks"] = _marks(counts)
        types = {}
        for name, narrower in _NARROWER.items():
            if name not in built:
                continue
            for typecode, least, largest in narrower:
                if _fits(built[name], least, largest):
                    built[name] = _narrowed(built[name], typecode)
                    types[name] = typecode
                    break
        if "tfs" not in types:  # more than 65,535 times in one chunk: kept as floats
            built["tfs"] = array("f", built["tfs"].tolist())
        offsets = {name: add(built[name].tobytes()) for name, _ in _ARRAYS}
        header["fields"][fieldname] = {
            "terms": len(entries),
            "postings": len(built["ids"]),
            "positions": len(built["positions"]),
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


MARK_EVERY = 32  # postings between two kept sums of frequencies
# Up to this many postings' positions are read one posting at a time (see `gather`).
FEW_POSTINGS = 48


def _marks(counts: array[int]) -> array[int]:
    """The running sum of the frequencies before every MARK_EVERY-th posting."""
    marks = array("Q")
    total = 0
    for first in range(0, len(counts), MARK_EVERY):
        marks.append(total)
        total += sum(counts[first : first + MARK_EVERY])
    return marks


def _fits(values: array[Any], least: int, largest: int) -> bool:
    """Whether every value is between `least` and `largest`; only where the platform
    stores the low bytes first, as `_narrowed` needs."""
    return sys.byteorder == "little" and (
        not values or (min(values) >= least and max(values) <= largest)
    )


def _narrowed(values: array[int], typecode: str) -> array[int]:
    """Values that fit `typecode`, as an array of it: each value's low bytes (in two's
    complement, a negative one's too), copied by slices rather than value by value."""
    narrow = array(typecode)
    width, wide = narrow.itemsize, values.itemsize
    if width == wide:
        narrow.frombytes(values.tobytes())
        return narrow
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
        decode = position_decoder(segment_reader.schema[fieldname])
        for term in segment_reader.lexicon(fieldname):
            ids, tfs, values = flat_postings(all_postings(segment_reader, fieldname, term))
            positions = array("i")
            for value in values:
                positions.extend(decode(value))
            yield term, ids, tfs, positions

    def hyphenated() -> Iterable[TermPostings]:
        for term in segment_reader.lexicon(HYPHENATED_FIELD):
            if b"-" in term:
                yield term, (), (), ()

    indexed = segment_reader.indexed_field_names()
    fields = [(name, terms(name)) for name in RANKED_FIELDS if name in indexed]
    if HYPHENATED_FIELD in indexed:
        fields.append((HYPHENATED_FIELD, hyphenated()))
    return write_postings(path, fields)


class SegmentPostings:
    """One segment's postings file, mapped into memory; `None` from `open` if unusable."""

    def __init__(self, np: Any, data: Any, fields: dict[str, dict[str, Any]], base: int) -> None:
        self.np = np
        self.data = data
        self.fields: dict[str, dict[str, Any]] = {}
        dtypes = {
            "Q": np.uint64, "I": np.uint32, "i": np.int32, "H": np.uint16, "h": np.int16,
            "B": np.uint8, "f": np.float32,
        }  # fmt: skip
        for fieldname, found in fields.items():
            types = found["types"]
            views = {}
            counts = {
                "hashes": found["terms"],
                "starts": found["terms"] + 1,
                "ids": found["postings"],
                "tfs": found["postings"],
                "marks": -(-found["postings"] // MARK_EVERY),
                "positions": found["positions"],
            }
            for name, widest in _ARRAYS:
                code = types.get(name, widest)
                if code != widest and code not in (t for t, _, _ in _NARROWER.get(name, ())):
                    raise ValueError(f"{name} cannot be of type {code}")
                views[name] = np.frombuffer(
                    data,
                    dtype=dtypes[code],
                    count=counts[name],
                    offset=base + found["offsets"][name],
                )
            self.fields[fieldname] = views

    @classmethod
    def open(cls, np: Any, path: Path) -> SegmentPostings | None:
        try:
            with path.open("rb") as handle:
                data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None
        try:
            if data[: len(MAGIC)] == MAGIC:
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
        return self.find_hashed(fieldname, term_hash(text.encode("utf-8")))

    def find_hashed(self, fieldname: str, hashed: int) -> int | None:
        """`find`, for a term whose `term_hash` is known (one hash for every segment)."""
        views = self.fields.get(fieldname)
        if views is None:
            return None
        # As an unsigned 64-bit number: a Python int past 2**63 made numpy compare every
        # hash as an object (180 microseconds a lookup against 1.5).
        return place_of_hash(views["hashes"], self.np.uint64(hashed))

    def hashes(self, fieldname: str) -> Any:
        """The field's terms' hashes, sorted (a term's number is its place), or None."""
        views = self.fields.get(fieldname)
        return None if views is None else views["hashes"]

    def has_field(self, fieldname: str) -> bool:
        return fieldname in self.fields

    def count(self, fieldname: str, number: int) -> int:
        """How many postings the term numbered so has: its document frequency here."""
        starts = self.fields[fieldname]["starts"]
        return int(starts[number + 1]) - int(starts[number])

    def positions(self, fieldname: str, number: int) -> FlatPositions:
        """The term's positions alone (see `postings`)."""
        views = self.fields[fieldname]
        starts = views["starts"]
        return FlatPositions(self.np, views, int(starts[number]), int(starts[number + 1]))

    def postings(self, fieldname: str, number: int) -> tuple[Any, Any, FlatPositions]:
        """The term's document numbers, frequencies and positions."""
        views = self.fields[fieldname]
        start, end = int(views["starts"][number]), int(views["starts"][number + 1])
        ids, tfs = views["ids"][start:end], views["tfs"][start:end]
        return ids, tfs, FlatPositions(self.np, views, start, end)


class FlatPositions:
    """A posting list's positions: each posting has as many as its frequency, one
    posting's after another's through the field's arrays (`views`)."""

    def __init__(self, np: Any, views: dict[str, Any], start: int, end: int) -> None:
        self.np = np
        self.views = views
        self.start = start
        self.end = end

    def __len__(self) -> int:
        return self.end - self.start

    def gather(self, at: Any) -> tuple[Any, Any]:
        """The positions of the postings at `at` (an array of places in the list), one
        after another, and how many each has."""
        np = self.np
        if len(at) <= FEW_POSTINGS:
            return self._gather_few(at.tolist())
        tfs, marks = self.views["tfs"], self.views["marks"]
        postings = self.start + np.asarray(at, dtype=np.int64)
        counts = tfs[postings].astype(np.int64)
        # Where each posting's positions start: the mark before it, and the frequencies
        # of the postings between the mark and it.
        marked = postings - postings % MARK_EVERY
        between = postings - marked
        before = tfs[runs(np, marked, between)].astype(np.int64)
        sums = np.concatenate(([0], np.cumsum(before)))
        ends = np.cumsum(between)
        starts = marks[postings // MARK_EVERY].astype(np.int64) + sums[ends] - sums[ends - between]
        return self.views["positions"][runs(np, starts, counts)].astype(np.int64), counts

    def whole(self) -> tuple[Any, Any]:
        """Every posting's positions, one posting's after another's (a slice of the
        field's positions, as they lie), and how many each has."""
        views = self.views
        tfs = views["tfs"]
        if self.end == self.start:  # no postings: the mark past the last may not exist
            return views["positions"][:0], tfs[:0].astype(self.np.int64)
        marked = self.start - self.start % MARK_EVERY
        first = int(views["marks"][self.start // MARK_EVERY]) + int(
            tfs[marked : self.start].sum(dtype=self.np.int64)
        )
        counts = tfs[self.start : self.end].astype(self.np.int64)
        return views["positions"][first : first + int(counts.sum())], counts

    def _gather_few(self, at: list[int]) -> tuple[Any, Any]:
        """`gather` a posting at a time: for the few candidates a segment holds (the
        phrase bonus's), cheaper than numpy's thirty calls."""
        found: list[int] = []
        counts: list[int] = []
        self.extend_few(at, found, counts)
        np = self.np
        return np.array(found, dtype=np.int64), np.array(counts, dtype=np.int64)

    def extend_few(self, at: list[int], found: list[int], counts: list[int]) -> None:
        """`gather` into lists, a posting at a time: a few postings from each of many
        segments then make one array, not two a segment."""
        tfs, marks = self.views["tfs"].data, self.views["marks"].data
        positions = self.views["positions"].data
        for place in at:
            posting = self.start + place
            marked = posting - posting % MARK_EVERY
            start = int(marks[posting // MARK_EVERY] + sum(tfs[marked:posting]))
            count = int(tfs[posting])
            found.extend(positions[start : start + count])
            counts.append(count)


def place_of_hash(hashes: Any, hashed: Any) -> int | None:
    """Where `hashed` (a numpy uint64) is among a field's sorted `hashes`: the term's
    number, or None when the field lacks it."""
    at = int(hashes.searchsorted(hashed))
    return at if at < len(hashes) and hashes[at] == hashed else None


def runs(np: Any, starts: Any, counts: Any) -> Any:
    """The places start, start + 1, … for each run (`counts[i]` places from
    `starts[i]`), one run after another."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    # Each place is its run's start plus its rank in the run.
    shift = starts - (np.cumsum(counts) - counts)
    return np.repeat(shift, counts) + np.arange(total, dtype=np.int64)
