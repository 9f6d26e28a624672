"""From a page's blocks to typed chunks: the part of ingestion both readers share.

A reader (plain text or HTML) says what it can see: a title, headings, paragraphs,
list items. This module knows what the observatory's pages mean by them: the profile,
the overview, and one type per list section.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from .chunk import Chunk, Lines
from .datafiles import load_toml, package_data
from .taxonomy import Taxonomy
from .text import mentioned_years, slugify, split_trailing_year, squeeze, type_from_heading

BlockKind = Literal["title", "heading", "text", "item", "address"]
Where = int | str  # a line number in a .txt, or an element locator in HTML


@dataclass
class Piece:
    """One line of a .txt, or the text of one HTML element."""

    text: str
    where: Where


@dataclass
class Block:
    """A heading, a paragraph or a list item, as the readers find it."""

    kind: BlockKind
    pieces: list[Piece]
    # A .txt line that merely looks like a heading; it is one only if content follows it.
    tentative: bool = False


@dataclass(frozen=True)
class SectionRule:
    """The chunk type a section's heading gives, and how its content splits."""

    type: str
    layout: Literal["list", "prose", "auto"]


@dataclass(frozen=True)
class PageRules:
    """The page layout from `sections.toml`: known headings, and profile lines."""

    sections: dict[str, SectionRule]  # squeezed lower-case heading -> rule
    profile_field: re.Pattern[str]

    def known_heading(self, line: str) -> SectionRule | None:
        return self.sections.get(squeeze(line).lower())


@cache
def page_rules() -> PageRules:
    data = load_toml(package_data("sections.toml"), "sections.toml")
    sections = {}
    for entry in data["section"]:
        rule = SectionRule(entry["type"], entry["layout"])
        for heading in entry["headings"]:
            sections[squeeze(heading).lower()] = rule
    fields = "|".join(re.escape(f) for f in data["profile"]["fields"])
    return PageRules(sections, re.compile(rf"(?:{fields})\s*:", re.IGNORECASE))


def looks_like_address(line: str) -> bool:
    """A bare postal address line: short, comma-separated, not a sentence."""
    words = line.split()
    return (
        0 < len(words) <= 15
        and len(line) <= 150
        and "," in line
        and not line.rstrip().endswith((".", "!", "?", ":"))
        and split_trailing_year(line)[1] is None
    )


@dataclass
class _Section:
    """The section being read, and a sub-heading waiting to title the next chunk."""

    heading: str = ""
    rule: SectionRule = field(default_factory=lambda: SectionRule("overview", "prose"))
    pending_title: Piece | None = None


class _PageBuilder:
    """Turns one page's blocks into chunks, keeping ids unique within the page."""

    def __init__(self, page_title: str, source: str, taxonomy: Taxonomy) -> None:
        self.page_title = page_title
        self.page = slugify(page_title)
        self.source = source
        self.taxonomy = taxonomy
        self.chunks: list[Chunk] = []
        self._seen_ids: dict[str, int] = {}

    def add(
        self,
        kind: str,
        section: str,
        title: str,
        text: str,
        years: tuple[int, ...],
        wheres: list[Where],
    ) -> None:
        tags = self.taxonomy.tag(f"{title}\n{text}")
        key = "\x1f".join((self.page, kind, section, title, text))
        chunk_id = hashlib.sha1(key.encode()).hexdigest()[:16]
        # Identical chunks on one page (a list item repeated) keep distinct, stable ids.
        repeat = self._seen_ids.get(chunk_id, 0)
        self._seen_ids[chunk_id] = repeat + 1
        if repeat:
            chunk_id = f"{chunk_id}-{repeat + 1}"
        self.chunks.append(
            Chunk(
                id=chunk_id,
                page=self.page,
                page_title=self.page_title,
                type=kind,
                section=section,
                title=title,
                text=text,
                years=years,
                topics=tags.topics,
                baskets=tags.baskets,
                sectors=tags.sectors,
                source=self.source,
                lines=_span(wheres),
            )
        )

    def add_item(self, section: _Section, piece: Piece) -> None:
        title, year = split_trailing_year(squeeze(piece.text))
        years = (year,) if year else mentioned_years(title)
        self.add(section.rule.type, section.heading, title, "", years, [piece.where])

    def add_paragraph(self, section: _Section, pieces: list[Piece]) -> None:
        text = squeeze(" ".join(p.text for p in pieces))
        title_piece, section.pending_title = section.pending_title, None
        title = squeeze(title_piece.text) if title_piece else ""
        wheres = ([title_piece.where] if title_piece else []) + [p.where for p in pieces]
        years = mentioned_years(f"{title} {text}")
        self.add(section.rule.type, section.heading, title, text, years, wheres)

    def flush_pending_title(self, section: _Section) -> None:
        """A sub-heading with no paragraph after it is kept as a chunk of its own."""
        if section.pending_title is not None:
            self.add_paragraph(section, [])


def _span(wheres: list[Where]) -> Lines:
    numbers = [w for w in wheres if isinstance(w, int)]
    if numbers:
        return (min(numbers), max(numbers))
    return str(wheres[0]) if wheres else ""


def _is_list_like(pieces: list[Piece]) -> bool:
    """Lines under an unknown heading are items unless they read as sentences."""
    for piece in pieces:
        line = squeeze(piece.text)
        if split_trailing_year(line)[1] is not None:
            continue
        if len(line.split()) > 25 or line.endswith((".", "!", "?")):
            return False
    return True


def chunk_blocks(
    blocks: list[Block], fallback_title: str, source: str, taxonomy: Taxonomy
) -> list[Chunk]:
    """Typed chunks from a reader's blocks, boilerplate already removed."""
    rules = page_rules()
    blocks = [b for b in blocks if b.pieces]
    title_piece: Piece | None = None
    if blocks and blocks[0].kind == "title":
        title_piece = blocks[0].pieces[0]
        blocks = blocks[1:]
    page_title = squeeze(title_piece.text) if title_piece else fallback_title
    builder = _PageBuilder(page_title, source, taxonomy)

    # The profile: the name, then any labelled fields and a bare address before the prose.
    profile: list[Piece] = []
    while blocks:
        block = blocks[0]
        if block.kind == "address":
            profile.extend(block.pieces)
            blocks.pop(0)
            continue
        if block.kind not in ("text", "heading") or (
            block.kind == "heading" and not block.tentative
        ):
            break
        taken = 0
        for piece in block.pieces:
            line = squeeze(piece.text)
            if rules.profile_field.match(line) or (not profile and looks_like_address(line)):
                profile.append(piece)
                taken += 1
            else:
                break
        if taken == 0:
            break
        if taken < len(block.pieces):
            blocks[0] = Block(block.kind, block.pieces[taken:], block.tentative)
            break
        blocks.pop(0)
    if title_piece or profile:
        wheres = ([title_piece.where] if title_piece else []) + [p.where for p in profile]
        text = "\n".join(squeeze(p.text) for p in profile)
        builder.add("profile", "", page_title, text, mentioned_years(text), wheres)

    section = _Section()
    for index, block in enumerate(blocks):
        if block.kind in ("heading", "title"):
            heading = squeeze(block.pieces[0].text)
            known = rules.known_heading(heading)
            has_content = index + 1 < len(blocks) and blocks[index + 1].kind not in (
                "heading",
                "title",
            )
            if known is not None:
                builder.flush_pending_title(section)
                section = _Section(heading, known)
            elif block.tentative and not has_content:
                # A short line with nothing under it is content, not a heading.
                _add_content(builder, section, Block("text", block.pieces))
            elif section.rule.layout == "prose" and section.heading and has_content:
                builder.flush_pending_title(section)
                section.pending_title = block.pieces[0]
            else:
                builder.flush_pending_title(section)
                section = _Section(heading, SectionRule(type_from_heading(heading), "auto"))
            continue
        _add_content(builder, section, block)
    builder.flush_pending_title(section)
    return builder.chunks


def _add_content(builder: _PageBuilder, section: _Section, block: Block) -> None:
    layout = section.rule.layout
    if layout == "auto":
        layout = "list" if _is_list_like(block.pieces) else "prose"
    if block.kind == "item" or (layout == "list" and block.kind != "address"):
        for piece in block.pieces:
            builder.add_item(section, piece)
    else:
        builder.add_paragraph(section, block.pieces)
