"""The one record that crosses from ingestion to indexing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# A .txt chunk's position is its first and last line; an HTML chunk's is a CSS-like path.
Lines = tuple[int, int] | str


@dataclass(frozen=True)
class Chunk:
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
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        for key in ("years", "topics", "baskets", "sectors"):
            data[key] = list(data[key])
        if isinstance(self.lines, tuple):
            data["lines"] = list(self.lines)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        lines = data.get("lines", (0, 0))
        return cls(
            id=data["id"],
            page=data.get("page", ""),
            page_title=data.get("page_title", ""),
            type=data["type"],
            section=data.get("section", ""),
            title=data.get("title", ""),
            text=data.get("text", ""),
            years=tuple(int(y) for y in data.get("years", ())),
            topics=tuple(data.get("topics", ())),
            baskets=tuple(data.get("baskets", ())),
            sectors=tuple(data.get("sectors", ())),
            source=data.get("source", ""),
            lines=tuple(lines) if isinstance(lines, list) else lines,
        )

    @property
    def display_title(self) -> str:
        """A title for listings: prose chunks have none of their own."""
        if self.title:
            return self.title
        label = self.section or self.type.replace("_", " ")
        return f"{self.page_title} — {label}" if self.page_title else label

    @property
    def location(self) -> str:
        """`source:line` as an editor or ripgrep would print it."""
        if isinstance(self.lines, tuple):
            return f"{self.source}:{self.lines[0]}"
        return f"{self.source}#{self.lines}"
