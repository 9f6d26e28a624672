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


def _bits(docnums: list[int], size: int) -> bytes:
    raw = bytearray((size + 7) // 8)
    for docnum in docnums:
        raw[docnum >> 3] |= 1 << (docnum & 7)
    return bytes(raw)


def write_facetmap(whoosh_index: Any, folder: Path) -> None:
    """Read the facet columns once, at build time, into one bitmap per value."""
    with whoosh_index.reader() as reader:
        size = reader.doc_count_all()
        live = (
            [n for n in range(size) if not reader.is_deleted(n)] if reader.has_deletions() else None
        )
        values: dict[str, dict[str, list[int]]] = {}
        for facet, column in FACET_COLUMNS.items():
            found: dict[str, list[int]] = {}
            if reader.has_column(column):
                docnums = range(size) if live is None else live
                entries = reader.column_reader(column)
                for docnum in docnums:
                    value = entries[docnum]
                    if not value:
                        continue
                    if isinstance(value, bytes):
                        value = value.decode()
                    for one in value.split(",") if column in _MULTI_VALUED else (value,):
                        found.setdefault(one, []).append(docnum)
            values[facet] = found
    header: dict[str, Any] = {"size": size, "facets": {}}
    blobs: list[bytes] = []
    offset = 0

    def add(blob: bytes) -> list[int]:
        nonlocal offset
        blobs.append(blob)
        offset += len(blob)
        return [offset - len(blob), len(blob)]

    header["live"] = add(_bits(list(range(size)) if live is None else live, size))
    for facet, found in values.items():
        header["facets"][facet] = {v: add(_bits(d, size)) for v, d in sorted(found.items())}
    # A new file renamed into place: never write through a name another generation shares.
    temporary = folder / f".{FACETMAP}.tmp"
    with temporary.open("wb") as handle:
        handle.write(json.dumps(header).encode() + b"\n")
        for blob in blobs:
            handle.write(blob)
    temporary.replace(folder / FACETMAP)


class FacetMap:
    """The bitmaps of one generation, as Python integers (bit n = document n)."""

    def __init__(self, folder: Path) -> None:
        data = (folder / FACETMAP).read_bytes()
        end = data.index(b"\n")
        header = json.loads(data[:end])
        body = memoryview(data)[end + 1 :]

        def number(span: list[int]) -> int:
            return int.from_bytes(body[span[0] : span[0] + span[1]], "little")

        self.size: int = header["size"]
        self.live: int = number(header["live"])
        self.values: dict[str, dict[str, int]] = {
            facet: {value: number(span) for value, span in spans.items()}
            for facet, spans in header["facets"].items()
        }

    def counts(self, facet: str, docs: int) -> dict[str, int]:
        """How many of `docs` have each value of `facet`, most common first."""
        found = {}
        for value, bits in self.values.get(facet, {}).items():
            count = (bits & docs).bit_count()
            if count:
                found[value] = count
        return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))
