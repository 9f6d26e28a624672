"""The one record that crosses from ingestion to indexing."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# A .txt chunk's position is its first and last line; an HTML chunk's is a CSS-like path.
Lines = tuple[int, int] | str
# Between the parts of a hit's place: its page, then its section.
BREADCRUMB_JOIN = " › "


@dataclass(frozen=True)
class Chunk:
    """A piece of a page with its facets: what is indexed, and what a hit shows."""

    id: str
    page: str
    page_title: str
    type: str
    section: str
    title: str
    text: str
    years: tuple[int, ...] = ()
    topics: tuple[str, ...] = ()
    baskets: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    source: str = ""
    lines: Lines = (0, 0)
    url: str = ""  # the page's address on the web, where known
    date: str = ""  # ISO 8601 day the chunk is about (an event's first day), where known
    date_end: str = ""  # the last day, for a date range
    kind: str = "page"  # what the page is: actor, issue, event, update, basket, resource

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("years", "topics", "baskets", "sectors"):
            data[key] = list(data[key])
        if isinstance(self.lines, tuple):
            data["lines"] = list(self.lines)
        return data

    @property
    def display_title(self) -> str:
        """A title for listings: prose chunks have none of their own."""
        if self.title:
            return self.title
        label = self.section or self.type.replace("_", " ")
        return f"{self.page_title} — {label}" if self.page_title else label

    @property
    def breadcrumb(self) -> str:
        """Where a hit stands, as a reader names it: the page's title, then its section
        ("Council of Europe › Resolutions & Declarations"); the file when untitled."""
        return BREADCRUMB_JOIN.join(
            part for part in (self.page_title or self.source, self.section) if part
        )

    @property
    def location(self) -> str:
        """`source:line` as an editor or ripgrep would print it."""
        if isinstance(self.lines, tuple):
            return f"{self.source}:{self.lines[0]}"
        return f"{self.source}#{self.lines}"
