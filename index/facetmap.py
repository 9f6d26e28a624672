"""Facet bitmaps: for each facet value, the set of documents that have it.

Written beside each generation of the index when it is built, so that a search counts
facets with a few big-integer ANDs and popcounts instead of looking at every matching
document. Bit n stands for Whoosh's document number n. The same file carries numbers
per document: its day numbers (the date it is about, and the end of its range), for
sorting by date and filtering by a range of dates; and where it stands in its page (the
rank of its source file's name, and its place there), so that equal scores keep the
order of the page without opening a column of every document's name. And a checksum of
everything in it.
"""

from __future__ import annotations

import json
import mmap
from array import array
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .location import write_new_bytes
from .reading import segment_leaves
from .whoosh_internals import crc32, index_segments, open_segment

FACETMAP = "facets.bin"
# The facet as users name it, and the Whoosh column it is read from.
FACET_COLUMNS = {
    "type": "type",
    "kind": "kind",
    "sector": "sectors",
    "topic": "topics",
    "basket": "baskets",
    "year": "year_facet",
}
_MULTI_VALUED = {"sectors", "topics", "baskets", "year_facet"}
DAY_COLUMNS = ("day", "day_end")
# Where a chunk stands in its page: the rank of its source's name among the sources
# (in a segment's file, its index in that segment's own sorted list), and its place.
SOURCE, PLACE = "source", "place"


SEGMENT_MAP = "facets-{}.bin"  # one per segment: Whoosh never changes a segment


def write_facetmap(whoosh_index: Any, folder: Path, previous: Path | None = None) -> None:
    """Write the generation's bitmaps, from each segment's own bitmaps.

    A segment's bitmaps are read from its columns once, when it is new, and kept beside
    it; an update that adds one small segment opens only that one. Deleted documents are
    left out of every bitmap. Where the generation is `previous` (a folder) with segments
    added after its own, and no page new to it, its file is extended rather than joined
    again from every segment's file.
    """
    listed = index_segments(whoosh_index)
    kept = {SEGMENT_MAP.format(segment.segment_id()) for segment, _ in listed}
    for stale in folder.glob(SEGMENT_MAP.format("*")):
        if stale.name not in kept:  # a segment merged away since the last generation
            stale.unlink()
    lives = [_live_bits(segment) for segment, _ in listed]
    if previous is None or not _extend_previous(whoosh_index, folder, previous, listed, lives):
        _join_segments(whoosh_index, folder, listed, lives)


def _live_bits(segment: Any) -> int:
    """A segment's live documents, as a bitmap (bit n: its own document n)."""
    bits = (1 << segment.doc_count_all()) - 1
    if segment.has_deletions():
        for docnum in segment.deleted_docs():
            bits &= ~(1 << docnum)
    return bits


def _segment_bitmaps(whoosh_index: Any, folder: Path, segment: Any) -> _Bitmaps:
    """A segment's bitmaps, as kept beside it or worked out from its columns now."""
    path = folder / SEGMENT_MAP.format(segment.segment_id())
    found = _kept_values(path, segment.doc_count_all())
    if found is None:
        with open_segment(whoosh_index, segment) as segment_reader:
            found = _segment_values(segment_reader, path)
    return found


def _join_segments(
    whoosh_index: Any, folder: Path, listed: list[tuple[Any, int]], lives: list[int]
) -> None:
    """The generation's file joined from every segment's own."""
    values: dict[str, dict[str, _Merged]] = {facet: {} for facet in FACET_COLUMNS}
    live = _Merged()
    numbers = {column: array("I") for column in (*DAY_COLUMNS, PLACE)}
    segments = []
    size = 0
    for (segment, offset), segment_live in zip(listed, lives, strict=True):
        found = _segment_bitmaps(whoosh_index, folder, segment)
        segments.append(found)
        for column in numbers:
            numbers[column].extend(found.numbers[column])
        live.add(segment_live, offset)
        for facet, segment_values in found.values.items():
            merged = values[facet]
            for value, bits in segment_values.items():
                merged.setdefault(value, _Merged()).add(bits & segment_live, offset)
        size = offset + segment.doc_count_all()
    # Every segment's sources, ranked together: a chunk's source's rank in the index.
    names = sorted({n for f in segments for n in f.sources})
    ranks = {name: rank for rank, name in enumerate(names)}
    sources = array("I")
    for found in segments:
        ranked = [ranks[name] for name in found.sources]
        sources.extend(map(ranked.__getitem__, found.numbers[SOURCE]))
    numbers[SOURCE] = sources
    bitmaps = {
        facet: {value: bits.bytes(size) for value, bits in merged.items()}
        for facet, merged in values.items()
    }
    listing = [[segment.segment_id(), segment.doc_count_all()] for segment, _ in listed]
    _write_bitmaps(
        folder / FACETMAP, size, bitmaps, live.bytes(size), numbers, [], (listing, names)
    )


def _extend_previous(
    whoosh_index: Any, folder: Path, previous: Path, listed: list[tuple[Any, int]], lives: list[int]
) -> bool:
    """Write the generation's file from `previous`'s: its leading segments kept, with
    deletions since cleared, and the segments added since laid in after them; False
    (nothing written) where it cannot be: a segment dropped from among those kept, a
    page new to the index or gone from it (every chunk's page rank would move), or a file
    that is missing or damaged.

    An update drops at most its last segments (a small segment whose chunks were all
    replaced, say) and adds new ones: this costs it a few operations on whole bitmaps and
    the new segments' files, rather than reading every segment's file and renumbering
    every chunk's page."""
    listing = [[segment.segment_id(), segment.doc_count_all()] for segment, _ in listed]
    try:
        data = (previous / FACETMAP).read_bytes()
        before = read_bitmaps(data, FACETMAP)
        end = data.index(b"\n")
        header = json.loads(data[:end])
        earlier = header["segments"]
        start, length = header["ranked"]
        names = json.loads(data[end + 1 + start : end + 1 + start + length])
        kept = 0
        while kept < min(len(earlier), len(listing)) and listing[kept] == earlier[kept]:
            kept += 1
        dropped, added_ids = earlier[kept:], {segment_id for segment_id, _ in listing[kept:]}
        usable = (
            not any(segment_id in added_ids for segment_id, _ in dropped)
            and before.size == sum(size for _, size in earlier)
            and before.live is not None
            and set(before.numbers) == {*DAY_COLUMNS, PLACE, SOURCE}
            and isinstance(names, list)
            and all(isinstance(name, str) for name in names)
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not usable:
        return False
    ranks = {name: rank for rank, name in enumerate(names)}
    added = [_segment_bitmaps(whoosh_index, folder, s) for s, _ in listed[kept:]]
    new_names = {name for found in added for name in found.sources}
    if any(name not in ranks for name in new_names):
        return False
    for segment_id, size in dropped:  # each of its pages must still be in the index
        found = _kept_values(previous / SEGMENT_MAP.format(segment_id), size)
        if found is None or any(name not in new_names for name in found.sources):
            return False
    live = _Merged()
    for (_, offset), segment_live in zip(listed, lives, strict=True):
        live.add(segment_live, offset)
    size = sum(size for _, size in listing)
    live_bytes = live.bytes(size)
    kept_size = sum(size for _, size in listing[:kept])
    kept_live = int.from_bytes(live_bytes[: (kept_size + 7) // 8], "little")
    kept_live &= (1 << kept_size) - 1
    values = {
        facet: {value: bits & kept_live for value, bits in found.items()}
        for facet, found in before.values.items()
    }
    # Read into arrays of their own: cut to the kept segments and extended in place.
    numbers = before.numbers
    for column in numbers:
        del numbers[column][kept_size:]
    for found, (_, offset), segment_live in zip(added, listed[kept:], lives[kept:], strict=True):
        for facet, segment_values in found.values.items():
            merged = values.setdefault(facet, {})
            for value, bits in segment_values.items():
                merged[value] = merged.get(value, 0) | ((bits & segment_live) << offset)
        for column in (*DAY_COLUMNS, PLACE):
            numbers[column].extend(found.numbers[column])
        ranked = [ranks[name] for name in found.sources]
        numbers[SOURCE].extend(map(ranked.__getitem__, found.numbers[SOURCE]))
    _write_bitmaps(folder / FACETMAP, size, values, live_bytes, numbers, [], (listing, names))
    return True


class _Merged:
    """A bitmap put together from segments' bitmaps, in the order of their documents:
    each is shifted by less than a byte and laid in at its byte, so that joining many
    segments costs their bytes once (ORing shifted integers costs the whole bitmap for
    each segment)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def add(self, bits: int, offset: int) -> None:
        if not bits:
            return
        start = offset >> 3
        piece = (bits << (offset & 7)).to_bytes(
            (bits.bit_length() + (offset & 7) + 7) >> 3, "little"
        )
        data = self.data
        if len(data) < start + len(piece):
            data.extend(bytes(start + len(piece) - len(data)))
        data[start] |= piece[0]  # the byte an earlier segment may have begun
        data[start + 1 : start + len(piece)] = piece[1:]

    def bytes(self, size: int) -> bytes:
        width = (size + 7) // 8
        return bytes(self.data[:width]) + bytes(width - len(self.data))


def _kept_values(path: Path, size: int) -> _Bitmaps | None:
    """A segment's bitmaps as kept beside it, if they are whole and its own."""
    if not path.exists():
        return None
    try:
        found = read_bitmaps(path.read_bytes(), str(path))
    except (OSError, ValueError):
        return None  # damaged: worked out again from the segment's columns
    return found if found.size == size and SOURCE in found.numbers else None


def write_segment_facetmaps(whoosh_index: Any, folder: Path) -> None:
    """Each segment's own bitmaps, for a build worker to work out beside its segments
    while the other workers are still indexing; `write_facetmap` then only reads them."""
    with whoosh_index.reader() as reader:
        for segment_reader, _ in segment_leaves(reader):
            name = SEGMENT_MAP.format(segment_reader.segment().segment_id())
            _segment_values(segment_reader, folder / name)


def _segment_values(segment_reader: Any, path: Path) -> _Bitmaps:
    """One segment's bitmaps (bit n = its own document n) and numbers, read or worked
    out from its columns and kept."""
    size = segment_reader.doc_count_all()
    kept = _kept_values(path, size)
    if kept is not None:
        return kept
    columns: dict[str, list[Any]] = {}
    for column in FACET_SOURCE_COLUMNS:
        if segment_reader.has_column(column):
            # Facets' values as stored (their text); days and the order as values.
            translate = column not in _FACET_COLUMN_NAMES
            entries = segment_reader.column_reader(column, translate=translate)
            columns[column] = [entries[n] for n in range(size)] if translate else list(entries)
    return write_segment_facets(path, size, columns)


# The columns a segment's facets file is worked out from.
_FACET_COLUMN_NAMES = frozenset(FACET_COLUMNS.values())
FACET_SOURCE_COLUMNS = (*DAY_COLUMNS, "order", *FACET_COLUMNS.values())


def write_segment_facets(path: Path, size: int, columns: dict[str, list[Any]]) -> _Bitmaps:
    """A segment's facets file, from its columns' values (FACET_SOURCE_COLUMNS, each a
    value a document, None or empty where it has none): as the segment's columns give
    them, or as the writer that wrote them holds them."""
    numbers = {}
    for column in DAY_COLUMNS:
        numbers[column] = array("I", (value or 0 for value in columns.get(column, [0] * size)))
    names, numbers[SOURCE], numbers[PLACE] = _page_order(columns.get("order"), size)
    values: dict[str, dict[str, int]] = {}
    for facet, column in FACET_COLUMNS.items():
        found: dict[str, bytearray] = {}
        for docnum, value in enumerate(columns.get(column, ())):
            if not value:
                continue
            text = value.decode() if isinstance(value, bytes) else str(value)
            for one in text.split(",") if column in _MULTI_VALUED else (text,):
                raw = found.get(one)
                if raw is None:
                    raw = found[one] = bytearray((size + 7) // 8)
                raw[docnum >> 3] |= 1 << (docnum & 7)
        values[facet] = {value: int.from_bytes(raw, "little") for value, raw in found.items()}
    _write_bitmaps(path, size, values, None, numbers, names)
    return _Bitmaps(size, None, values, numbers, names)


def _page_order(entries: list[Any] | None, size: int) -> tuple[list[str], array[int], array[int]]:
    """The segment's sources, sorted, and each chunk's source (as an index into them)
    and place in it, from the column of "source\\0place" values."""
    keys = [bytes(entry or b"") for entry in entries] if entries is not None else [b""] * size
    split = [key.rpartition(b"\x00") for key in keys]
    names = sorted({source.decode("utf-8", "replace") for source, _, _ in split})
    local = {name.encode("utf-8", "replace"): n for n, name in enumerate(names)}
    sources = array("I", (local.get(source, 0) for source, _, _ in split))
    places = array("I", (int(place) if place.isdigit() else 0 for _, _, place in split))
    return names, sources, places


def _write_bitmaps(
    path: Path,
    size: int,
    values: dict[str, dict[str, int]] | dict[str, dict[str, bytes]],
    live: int | bytes | None,
    numbers: dict[str, array[int]],
    sources: list[str],
    generation: tuple[list[list[Any]], list[str]] | None = None,
) -> None:
    """A JSON header of spans, then the bitmaps, renamed into place when whole.

    A generation's file also lists its segments (id, documents) and, in a blob a search
    never reads, every page name in the order of their ranks: what an update needs to
    extend it (`_extend_previous`)."""
    header: dict[str, Any] = {"size": size, "facets": {}, "numbers": {}, "sources": sources}
    blobs: list[bytes] = []
    offset = 0
    width = (size + 7) // 8

    def add(bits: int | bytes) -> list[int]:
        nonlocal offset
        blob = bits if isinstance(bits, bytes) else bits.to_bytes(width, "little")
        blobs.append(blob)
        offset += len(blob)
        return [offset - len(blob), len(blob)]

    if live is not None:
        header["live"] = add(live)
    for facet, found in values.items():
        header["facets"][facet] = {v: add(bits) for v, bits in sorted(found.items())}
    for column, found in numbers.items():
        blob = found.tobytes() if found.itemsize == 4 else array("I", found).tobytes()
        blobs.append(blob)
        header["numbers"][column] = [offset, len(blob)]
        offset += len(blob)
    if generation is not None:
        header["segments"] = generation[0]
        blob = json.dumps(generation[1], ensure_ascii=False).encode()
        blobs.append(blob)
        header["ranked"] = [offset, len(blob)]
        offset += len(blob)
    checksum = 0
    for blob in blobs:
        checksum = crc32()(blob, checksum)
    header["crc32"] = checksum
    # A new file renamed into place: never write through a name another generation shares.
    write_new_bytes(path, [json.dumps(header).encode() + b"\n", *blobs])


class LazyBitmaps(Mapping[str, int]):
    """A facet's bitmaps by value, each made a Python integer when first asked: a search
    asks for a few (its filters), and a large index's counts read the bytes."""

    def __init__(self, body: memoryview, spans: dict[str, tuple[int, int]]) -> None:
        self._body, self._spans = body, spans
        self._made: dict[str, int] = {}

    def __getitem__(self, value: str) -> int:
        found = self._made.get(value)
        if found is None:
            start, length = self._spans[value]
            found = self._made[value] = int.from_bytes(self._body[start : start + length], "little")
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)

    def raw(self, value: str) -> memoryview:
        """The value's bitmap as stored: little-endian bytes, bit n for document n."""
        start, length = self._spans[value]
        return self._body[start : start + length]


class _Bitmaps:
    """What a facets file holds."""

    def __init__(
        self,
        size: int,
        live: int | None,
        values: dict[str, dict[str, int]] | dict[str, LazyBitmaps],
        numbers: dict[str, array[int]],
        sources: list[str],
    ) -> None:
        self.size, self.live, self.values = size, live, values
        self.numbers, self.sources = numbers, sources


def read_bitmaps(data: bytes | mmap.mmap, origin: str) -> _Bitmaps:
    """A facets file's contents; a damaged file is a ValueError that names it."""
    try:
        end = data.find(b"\n")
        if end < 0:
            raise ValueError("no header")
        header = json.loads(data[:end])
        body = memoryview(data)[end + 1 :]
        if crc32()(body) != header["crc32"]:
            raise ValueError("checksum mismatch")

        def number(span: list[int]) -> int:
            return int.from_bytes(body[span[0] : span[0] + span[1]], "little")

        live = number(header["live"]) if "live" in header else None
        values = {
            facet: LazyBitmaps(body, {value: (int(s), int(n)) for value, (s, n) in spans.items()})
            for facet, spans in header["facets"].items()
        }
        numbers = {}
        for column, (start, length) in header["numbers"].items():
            numbers[column] = array("I")
            numbers[column].frombytes(body[start : start + length])
        if any(len(found) != header["size"] for found in numbers.values()):
            raise ValueError("numbers do not cover every document")
        sources = [str(name) for name in header["sources"]]
        return _Bitmaps(int(header["size"]), live, values, numbers, sources)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as error:
        raise ValueError(f"{origin} is damaged ({error})") from None
