"""Reading the observatory's plain-text extracts into blocks."""

from __future__ import annotations

import re

from .addresses import address_in_line
from .boilerplate import is_boilerplate
from .dates import date_line_span, may_be_date_line
from .layout import Block, PageFacts, Piece, looks_like_address, page_rules
from .text import source_lines, split_trailing_year, squeeze

_MAX_TITLE = 200
_MAX_HEADING_WORDS = 8


def _could_be_title(line: str) -> bool:
    return len(line) <= _MAX_TITLE and not line.endswith((".", ":", ";", ","))


def _could_be_heading(line: str) -> bool:
    """Short, capitalised, unpunctuated, no year and no comma: looks like a heading."""
    return (
        len(line) <= 60
        and len(line.split()) <= _MAX_HEADING_WORDS
        and line[:1].isupper()
        and re.search(r"[.,;:!?)\]]$", line) is None
        and "," not in line
        and split_trailing_year(line)[1] is None
        and not looks_like_address(line)
    )


def blocks_from_text(text: str) -> tuple[list[Block], PageFacts]:
    """Blank-line-separated blocks; known headings and date lines split blocks wherever
    they stand. A `URL:` line gives the page's address, and is not content."""
    rules = page_rules()
    lines = source_lines(text)
    blocks: list[Block] = []
    current: list[Piece] = []
    url = ""

    def close() -> None:
        if current:
            blocks.append(Block("text", current.copy()))
            current.clear()

    seen_title = False
    for number, raw in enumerate(lines, start=1):
        line = squeeze(raw)
        if not line:
            close()
            continue
        if is_boilerplate(line):
            continue
        address = address_in_line(line)
        if address:
            url = url or address
            continue
        piece = Piece(raw.strip(), number)
        if not seen_title:
            seen_title = True
            if _could_be_title(line):
                blocks.append(Block("title", [piece]))
                continue
        if rules.known_heading(line) is not None:
            close()
            blocks.append(Block("heading", [piece]))
            continue
        date = date_line_span(line) if may_be_date_line(line) else None
        if date is not None:
            close()
            blocks.append(Block("date", [piece], date=date))
            continue
        current.append(piece)
    close()

    # A lone short line between blank lines may be a heading nobody listed.
    for index, block in enumerate(blocks):
        if block.kind == "text" and len(block.pieces) == 1:
            line = squeeze(block.pieces[0].text)
            if _could_be_heading(line):
                blocks[index] = Block("heading", block.pieces, tentative=True)
    return blocks, PageFacts(url=url)
