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
from .dates import DateSpan, month_or_year_span, prose_years
from .kinds import kind_rules
from .taxonomy import Taxonomy
from .text import mentioned_years, slugify, split_trailing_year, squeeze

# A "date" block is a date line ("17 Nov 2015", "24 Apr 2017 to 28 Apr 2017 Geneva"): it
# joins the item or paragraph it dates.
BlockKind = Literal["title", "heading", "text", "item", "address", "date"]
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
    # A date line's date; or an item's or a paragraph's own (an HTML `<time>` in it).
    date: DateSpan | None = None
    # An HTML table's cell: one value among others, never the page's date line.
    in_table: bool = False


@dataclass(frozen=True)
class PageFacts:
    """What a reader learned of a page besides its blocks."""

    url: str = ""  # the address the page gives for itself
    title: str = ""  # the title its markup gives (`og:title`), if any
    date: DateSpan | None = None  # the publication date its markup gives
    tags: tuple[str, ...] = ()  # the site's own tags (`rel="tag"`, `article:tag`)
    kind: str | None = None  # what its markup says it is (the classes of its <body>)


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


GENERIC_SECTION = "section"  # the type of a heading nobody listed in sections.toml


@dataclass
class _Section:
    """The section being read, and a sub-heading waiting to title the next chunk."""

    heading: str = ""
    rule: SectionRule = field(default_factory=lambda: SectionRule("overview", "prose"))
    pending_title: Piece | None = None


@dataclass
class _Draft:
    """A chunk before its page is read to the end: a date line may still join it."""

    type: str
    section: str
    title: str
    text: str
    wheres: list[Where]
    role: Literal["profile", "prose", "item"]
    years: tuple[int, ...]  # what its own words say, for an undated chunk
    date: DateSpan | None = None

    def join_date_line(self, pieces: list[Piece], date: DateSpan | None) -> None:
        """A date line's text opens the chunk's text; its date is the chunk's date."""
        line = squeeze(" ".join(p.text for p in pieces))
        if self.role == "profile":
            self.text = f"{line}\n{self.text}" if self.text else line
        else:
            self.text = squeeze(f"{line} {self.text}")
        self.wheres += [p.where for p in pieces]
        self.date = self.date or date


class _PageBuilder:
    """Turns one page's blocks into chunks; a date line waits for the chunk it dates."""

    def __init__(self) -> None:
        self.drafts: list[_Draft] = []
        self.section_start = 0  # the first draft of the current section
        self.pending_pieces: list[Piece] = []
        self.pending_date: DateSpan | None = None

    def add(self, draft: _Draft) -> None:
        if self.pending_pieces:
            draft.join_date_line(self.pending_pieces, self.pending_date)
            self.pending_pieces, self.pending_date = [], None
        self.drafts.append(draft)

    def add_date_line(self, block: Block) -> None:
        if self.pending_pieces:  # two date lines in a row: the first dates nothing after it
            self.attach_pending_backwards()
        self.pending_pieces, self.pending_date = list(block.pieces), block.date

    def start_section(self) -> None:
        """A date line with nothing after it in its section dates the chunk before it."""
        self.attach_pending_backwards(within_section=True)
        self.section_start = len(self.drafts)

    def attach_pending_backwards(self, within_section: bool = False) -> None:
        if not self.pending_pieces:
            return
        first = self.section_start if within_section else 0
        if len(self.drafts) > first:
            self.drafts[-1].join_date_line(self.pending_pieces, self.pending_date)
            self.pending_pieces, self.pending_date = [], None
        elif not within_section:  # a page of nothing but a date line
            text = squeeze(" ".join(p.text for p in self.pending_pieces))
            wheres: list[Where] = [p.where for p in self.pending_pieces]
            self.drafts.append(_Draft("overview", "", "", text, wheres, "prose", ()))
            self.drafts[-1].date = self.pending_date
            self.pending_pieces, self.pending_date = [], None

    def add_item(self, section: _Section, piece: Piece, date: DateSpan | None) -> None:
        title, year = split_trailing_year(squeeze(piece.text))
        years = (year,) if year else mentioned_years(title)
        draft = _Draft(section.rule.type, section.heading, title, "", [piece.where], "item", years)
        draft.date = date
        self.add(draft)

    def add_paragraph(self, section: _Section, pieces: list[Piece], date: DateSpan | None) -> None:
        text = squeeze(" ".join(p.text for p in pieces))
        title_piece, section.pending_title = section.pending_title, None
        title = squeeze(title_piece.text) if title_piece else ""
        wheres = ([title_piece.where] if title_piece else []) + [p.where for p in pieces]
        years = prose_years(f"{title} {text}")
        draft = _Draft(section.rule.type, section.heading, title, text, wheres, "prose", years)
        draft.date = date
        self.add(draft)

    def flush_pending_title(self, section: _Section) -> None:
        """A sub-heading with no paragraph after it is kept as a chunk of its own."""
        if section.pending_title is not None:
            self.add_paragraph(section, [], None)


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
    blocks: list[Block],
    facts: PageFacts,
    fallback_title: str,
    source: str,
    taxonomy: Taxonomy,
    fallback_url: str = "",
) -> list[Chunk]:
    """Typed, dated chunks from a reader's blocks, boilerplate already removed.

    `fallback_title` names a page without a title of its own; `fallback_url` is its
    address when it gives none.
    """
    rules = page_rules()
    kinds = kind_rules()
    url = facts.url or fallback_url
    # What the page's address or markup says it is; its layout may tell when they do not.
    told_kind = (kinds.from_address(url) if url else None) or facts.kind
    blocks = [b for b in blocks if b.pieces]
    title_piece: Piece | None = None
    if blocks and blocks[0].kind == "title":
        title_piece = blocks[0].pieces[0]
        blocks = blocks[1:]
    page_title = facts.title or (squeeze(title_piece.text) if title_piece else fallback_title)
    builder = _PageBuilder()

    profile = _take_profile(blocks, kinds.is_dated(told_kind or kinds.default))
    if title_piece or profile.pieces or profile.date_pieces:
        wheres = ([title_piece.where] if title_piece else []) + [p.where for p in profile.pieces]
        text = "\n".join(squeeze(p.text) for p in profile.pieces)
        draft = _Draft("profile", "", page_title, text, wheres, "profile", ())
        if profile.date_pieces:
            draft.join_date_line(profile.date_pieces, profile.date)
        builder.drafts.append(draft)

    section = _Section()
    for index, block in enumerate(blocks):
        if block.kind == "date":
            builder.add_date_line(block)
            continue
        if block.kind in ("heading", "title"):
            heading = squeeze(block.pieces[0].text)
            known = rules.known_heading(heading)
            has_content = index + 1 < len(blocks) and blocks[index + 1].kind not in (
                "heading",
                "title",
            )
            if known is not None:
                builder.flush_pending_title(section)
                builder.start_section()
                section = _Section(heading, known)
            elif block.tentative and not has_content:
                # A short line with nothing under it is content, not a heading.
                _add_content(builder, section, Block("text", block.pieces))
            elif section.rule.layout == "prose" and section.heading and has_content:
                builder.flush_pending_title(section)
                section.pending_title = block.pieces[0]
            else:
                builder.flush_pending_title(section)
                builder.start_section()
                section = _Section(heading, SectionRule(GENERIC_SECTION, "auto"))
            continue
        _add_content(builder, section, block)
    builder.flush_pending_title(section)
    builder.attach_pending_backwards()

    types = (d.type for d in builder.drafts)
    kind = told_kind or kinds.from_layout(types, profile.labelled) or kinds.default
    page_date = profile.date or facts.date
    inherited = page_date if kinds.is_dated(kind) else None
    one_subject = kinds.is_one_subject(kind)
    drafts = _fold_hollow_profile(builder.drafts, profile.labelled, one_subject)
    # A page about one subject is about what its title names, in every paragraph; on a
    # page about many (an actor's, an issue's), a paragraph's topics are its own.
    page_topics = taxonomy.tag(page_title).topics if one_subject else ()
    return _chunks(drafts, page_title, source, url, kind, inherited, facts, taxonomy, page_topics)


def _fold_hollow_profile(drafts: list[_Draft], labelled: bool, one_subject: bool) -> list[_Draft]:
    """A profile of nothing but the page's title and its furniture (a date line, a postal
    address) is no chunk of its own: a hit on it would show a name and nothing else. The
    title is every chunk's `page_title`; the furniture's words open the page's first
    chunk, so none is lost. The title titles that chunk too when it is the page's opening
    paragraph, or any first paragraph of a page about one subject (not an issue's first
    update). A page with no other text keeps its profile; a profile with labelled fields
    ("Acronym: WTO") is content."""
    if len(drafts) < 2 or drafts[0].role != "profile" or labelled:
        return drafts
    profile, first = drafts[0], drafts[1]
    furniture = squeeze(profile.text)
    if furniture:
        first.text = squeeze(f"{furniture} {first.text}") if first.text else furniture
    if first.role == "prose" and not first.title and (one_subject or not first.section):
        first.title = profile.title
        if not first.section:  # no heading between them: one span of lines
            # After the paragraph's own places: an HTML chunk is located by its first.
            first.wheres = first.wheres + profile.wheres
    first.date = first.date or profile.date
    return drafts[1:]


@dataclass
class _Profile:
    """What follows a page's title before its prose: labelled fields, an address, and on a
    page that is about its own date, the date line under its title."""

    pieces: list[Piece] = field(default_factory=list)
    labelled: bool = False  # "Acronym:", "Address:"…: an actor's page
    date: DateSpan | None = None
    date_pieces: list[Piece] = field(default_factory=list)


def _month_or_year_line(block: Block) -> Block | None:
    """A block that is only a month or a year ("November 2015", "2015") as a date line.
    Asked only of the blocks between a page's title and its content."""
    if block.kind not in ("text", "heading") or len(block.pieces) != 1:
        return None
    if block.date or block.in_table:
        return None
    if block.kind == "heading" and not block.tentative:
        return None
    span = month_or_year_span(block.pieces[0].text)
    return Block("date", block.pieces, date=span) if span else None


def _take_profile(blocks: list[Block], takes_page_date: bool) -> _Profile:
    """Take the profile's blocks (and lines) off the front of `blocks`.

    A line naming a month or a year alone is a date line here, and only here: the page's
    own. It is left at the front for the paragraph after it when the page's kind takes
    no page date, as a day's date line is.
    """
    rules = page_rules()
    profile = _Profile()
    while blocks:
        block = blocks[0]
        coarse = _month_or_year_line(block)
        if coarse is not None:
            block = blocks[0] = coarse
        if block.kind == "address":
            profile.pieces.extend(block.pieces)
            blocks.pop(0)
            continue
        if block.kind == "date" and takes_page_date and profile.date is None:
            profile.date, profile.date_pieces = block.date, list(block.pieces)
            blocks.pop(0)
            continue
        if block.kind not in ("text", "heading") or (
            block.kind == "heading" and not block.tentative
        ):
            break
        taken = 0
        for piece in block.pieces:
            line = squeeze(piece.text)
            if rules.profile_field.match(line):
                profile.labelled = True
            elif profile.pieces or not looks_like_address(line):
                break
            profile.pieces.append(piece)
            taken += 1
        if taken == 0:
            break
        if taken < len(block.pieces):
            blocks[0] = Block(block.kind, block.pieces[taken:], block.tentative, block.date)
            break
        blocks.pop(0)
    return profile


def _chunks(
    drafts: list[_Draft],
    page_title: str,
    source: str,
    url: str,
    kind: str,
    page_date: DateSpan | None,
    facts: PageFacts,
    taxonomy: Taxonomy,
    page_topics: tuple[str, ...] = (),
) -> list[Chunk]:
    """The page's chunks: ids unique within the page and to its file, dates and years
    settled. The page's own tags and `page_topics` are every paragraph's topics too."""
    page = slugify(page_title)
    tagged = tuple(sorted({*taxonomy.topics_named(facts.tags), *page_topics}))
    seen_ids: dict[str, int] = {}
    chunks = []
    for draft in drafts:
        tags = taxonomy.tag(
            f"{draft.title}\n{draft.text}", also=tagged if draft.role != "item" else ()
        )
        # The file is part of the id: a page's .html and .txt copies, or one file copied,
        # are two places, and an index or an export keeps each chunk of each.
        key = "\x1f".join((source, page, draft.type, draft.section, draft.title, draft.text))
        chunk_id = hashlib.sha1(key.encode()).hexdigest()[:16]
        # Identical chunks on one page (a list item repeated) keep distinct, stable ids.
        repeat = seen_ids.get(chunk_id, 0)
        seen_ids[chunk_id] = repeat + 1
        if repeat:
            chunk_id = f"{chunk_id}-{repeat + 1}"
        date = draft.date or page_date
        if date is not None:
            years = date.years  # a dated chunk is about its date
            if date.whole_years:
                date = None  # a year alone: its years say it, as "(2015)" does an item's
        elif draft.role == "profile":
            years = ()  # a name, an address, a founding year: not what the page is about
        else:
            years = draft.years
        chunks.append(
            Chunk(
                id=chunk_id,
                page=page,
                page_title=page_title,
                type=draft.type,
                section=draft.section,
                title=draft.title,
                text=draft.text,
                years=years,
                topics=tags.topics,
                baskets=tags.baskets,
                sectors=tags.sectors,
                source=source,
                lines=_span(draft.wheres),
                url=url,
                date=date.start if date else "",
                date_end=date.end if date else "",
                kind=kind,
            )
        )
    return chunks


def _add_content(builder: _PageBuilder, section: _Section, block: Block) -> None:
    layout = section.rule.layout
    if layout == "auto":
        layout = "list" if _is_list_like(block.pieces) else "prose"
    if block.kind == "item" or (layout == "list" and block.kind != "address"):
        for piece in block.pieces:
            builder.add_item(section, piece, block.date)
    else:
        builder.add_paragraph(section, block.pieces, block.date)
