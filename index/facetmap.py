"""Facet bitmaps: for each facet value, the set of documents that have it.

Written beside each generation of the index when it is built, so that a search counts
facets with a few big-integer ANDs and popcounts instead of looking at every matching
document. Bit n stands for Whoosh's document number n.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FACETMAP = "facets.bin"
# The facet as users name it, and the Whoosh column it is read from.
FACET_COLUMNS = {"type": "type", "sector": "sectors", "topic": "topics", "year": "year_facet"}
_MULTI_VALUED = {"sectors", "topics", "year_facet"}


SEGMENT_MAP = "facets-{}.bin"  # one per segment: Whoosh never changes a segment


def write_facetmap(whoosh_index: Any, folder: Path) -> None:
    """Write the generation's bitmaps, from each segment's own bitmaps.

    A segment's bitmaps are read from its columns once, when it is new, and kept beside
    it; an update that adds one small segment reads only that one. Deleted documents are
    left out of every bitmap.
    """
    size = 0
    live = 0
    values: dict[str, dict[str, int]] = {facet: {} for facet in FACET_COLUMNS}
    kept = set()
    with whoosh_index.reader() as reader:
        size = reader.doc_count_all()
        for segment_reader, offset in reader.leaf_readers():
            name = SEGMENT_MAP.format(segment_reader.segment().segment_id())
            kept.add(name)
            segment_values = _segment_values(segment_reader, folder / name)
            segment_live = (1 << segment_reader.doc_count_all()) - 1
            if segment_reader.has_deletions():
                for docnum in segment_reader.deleted_docs_set:
                    segment_live &= ~(1 << docnum)
            live |= segment_live << offset
            for facet, found in segment_values.items():
                merged = values[facet]
                for value, bits in found.items():
                    merged[value] = merged.get(value, 0) | (bits & segment_live) << offset
    for stale in folder.glob(SEGMENT_MAP.format("*")):
        if stale.name not in kept:  # a segment merged away since the last generation
            stale.unlink()
    _write_bitmaps(folder / FACETMAP, size, values, live)


def _segment_values(segment_reader: Any, path: Path) -> dict[str, dict[str, int]]:
    """One segment's bitmaps (bit n = its own document n), read or worked out and kept."""
    if path.exists():
        return _read_bitmaps(path.read_bytes())[2]
    size = segment_reader.doc_count_all()
    values: dict[str, dict[str, int]] = {}
    for facet, column in FACET_COLUMNS.items():
        found: dict[str, bytearray] = {}
        if segment_reader.has_column(column):
            entries = segment_reader.column_reader(column, translate=False)
            for docnum, value in enumerate(entries):
                if not value:
                    continue
                text = value.decode() if isinstance(value, bytes) else str(value)
                for one in text.split(",") if column in _MULTI_VALUED else (text,):
                    raw = found.get(one)
                    if raw is None:
                        raw = found[one] = bytearray((size + 7) // 8)
                    raw[docnum >> 3] |= 1 << (docnum & 7)
        values[facet] = {value: int.from_bytes(raw, "little") for value, raw in found.items()}
    _write_bitmaps(path, size, values, None)
    return values


def _write_bitmaps(
    path: Path, size: int, values: dict[str, dict[str, int]], live: int | None
) -> None:
    """A JSON header of spans, then the bitmaps, renamed into place when whole."""
    header: dict[str, Any] = {"size": size, "facets": {}}
    blobs: list[bytes] = []
    offset = 0
    width = (size + 7) // 8

    def add(bits: int) -> list[int]:
        nonlocal offset
        blob = bits.to_bytes(width, "little")
        blobs.append(blob)
        offset += len(blob)
        return [offset - len(blob), len(blob)]

    if live is not None:
        header["live"] = add(live)
    for facet, found in values.items():
        header["facets"][facet] = {v: add(bits) for v, bits in sorted(found.items())}
    # A new file renamed into place: never write through a name another generation shares.
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        handle.write(json.dumps(header).encode() + b"\n")
        for blob in blobs:
            handle.write(blob)
    temporary.replace(path)


def _read_bitmaps(data: bytes) -> tuple[int, int | None, dict[str, dict[str, int]]]:
    end = data.index(b"\n")
    header = json.loads(data[:end])
    body = memoryview(data)[end + 1 :]

    def number(span: list[int]) -> int:
        return int.from_bytes(body[span[0] : span[0] + span[1]], "little")

    live = number(header["live"]) if "live" in header else None
    values = {
        facet: {value: number(span) for value, span in spans.items()}
        for facet, spans in header["facets"].items()
    }
    return header["size"], live, values


class FacetMap:
    """The bitmaps of one generation, as Python integers (bit n = document n)."""

    def __init__(self, folder: Path) -> None:
        size, live, values = _read_bitmaps((folder / FACETMAP).read_bytes())
        if live is None:
            raise ValueError(f"{FACETMAP} has no bitmap of live documents")
        self.size: int = size
        self.live: int = live
        self.values: dict[str, dict[str, int]] = values

    def counts(self, facet: str, docs: int) -> dict[str, int]:
        """How many of `docs` have each value of `facet`, most common first."""
        found = {}
        for value, bits in self.values.get(facet, {}).items():
            count = (bits & docs).bit_count()
            if count:
                found[value] = count
        return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))
