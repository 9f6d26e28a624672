"""Chunks to Whoosh documents and back."""

from __future__ import annotations

from datetime import date
from typing import Any

from dwsearch.ingest.chunk import Chunk


def day_number(iso: str) -> int:
    """An ISO date's day number (0001-01-01 is 1), or 0 when there is none or it is bad."""
    try:
        return date.fromisoformat(iso[:10]).toordinal() if iso else 0
    except ValueError:
        return 0


def chunk_days(chunk: Chunk) -> tuple[int, int]:
    """The first and last days a chunk is about, as day numbers (0, 0: undated). A chunk
    dated only by its years covers them whole: 1 January of the first to 31 December of
    the last (a search checks its years too, so a gap between them is not covered)."""
    if chunk.date:
        first = day_number(chunk.date)
        return first, day_number(chunk.date_end) or first
    if chunk.years:
        return date(min(chunk.years), 1, 1).toordinal(), date(max(chunk.years), 12, 31).toordinal()
    return 0, 0


def chunk_years(chunk: Chunk) -> tuple[int, ...]:
    """The years a chunk is about: its own, or those of its date."""
    if chunk.years or not chunk.date:
        return chunk.years
    first = day_number(chunk.date)
    last = day_number(chunk.date_end) or first
    if not first or last < first:
        return ()
    return tuple(range(date.fromordinal(first).year, date.fromordinal(last).year + 1))


def chunk_document(chunk: Chunk, position: int, origin: str = "") -> dict[str, Any]:
    """The document for a chunk; `position` is its place in its source, for tie-breaks,
    and `origin` names its file uniquely in the index (for updates to find it by)."""
    first_day, last_day = chunk_days(chunk)
    years = chunk_years(chunk)
    document: dict[str, Any] = {
        "id": chunk.id,
        "origin": origin or chunk.source,
        "page": chunk.page,
        "page_title": chunk.page_title,
        "url": chunk.url,
        "source": chunk.source,
        "lines": list(chunk.lines) if isinstance(chunk.lines, tuple) else chunk.lines,
        "section": chunk.section,
        "title": chunk.title,
        "text": chunk.text,
        "type": chunk.type,
        "kind": chunk.kind,
        "sectors": ",".join(chunk.sectors),
        "topics": ",".join(chunk.topics),
        "baskets": ",".join(chunk.baskets),
        "year_facet": ",".join(str(y) for y in years).encode(),
        "order": f"{chunk.source}\x00{position:09d}".encode(),
        "spell": f"{chunk.title} {chunk.text}",
        "date": chunk.date,
        "date_end": chunk.date_end,
        "day": first_day,
        "day_end": last_day,
    }
    if years:
        document["years"] = list(years)
    return document


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(",") if v)


def stored_chunk(fields: dict[str, Any]) -> Chunk:
    """The chunk a document was made from, from its stored fields."""
    years = fields.get("years") or ()
    if isinstance(years, int):
        years = (years,)
    lines = fields.get("lines", "")
    return Chunk(
        id=fields["id"],
        page=fields.get("page", ""),
        page_title=fields.get("page_title", ""),
        type=fields.get("type", ""),
        section=fields.get("section", ""),
        title=fields.get("title", ""),
        text=fields.get("text", ""),
        years=tuple(int(y) for y in years),
        topics=_split(fields.get("topics")),
        baskets=_split(fields.get("baskets")),
        sectors=_split(fields.get("sectors")),
        source=fields.get("source", ""),
        lines=tuple(lines) if isinstance(lines, list) else lines,
        url=fields.get("url", ""),
        date=fields.get("date", ""),
        date_end=fields.get("date_end", ""),
        kind=fields.get("kind", "") or "page",
    )
