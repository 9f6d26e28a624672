"""Finding the main content of a page that does not mark it, with trafilatura.

trafilatura extracts the main text of a page; the content is then the element of the
page itself that holds most of that text (and the page's `<h1>`), so BeautifulSoup still
reads the page's own elements, with their paths, and keeps what the extractor leaves
out inside that element (lists of links, date lines). Chosen over readability-lxml on
the test pages: see `bench/extractors.py`.
"""

from __future__ import annotations

from collections.abc import Iterable

from bs4 import Tag

from .html import text_blocks
from .text import squeeze, strip_controls

# The element found must hold this share of the extracted text (by characters).
_SHARE = 0.8


def extracted_lines(markup: str) -> set[str]:
    """The lines of text trafilatura takes for the page's main content."""
    import trafilatura  # slow to import: only for a page that does not mark its content

    try:
        text = trafilatura.extract(
            markup,
            favor_recall=True,
            fast=True,  # no fallback extractors: as good on the test pages, and quiet
            include_comments=False,
            include_tables=True,
            deduplicate=False,
            with_metadata=False,
        )
    except RecursionError:
        raise  # a page nested too deeply: the caller names it
    except Exception:  # the extractor's own failure on an odd page: read the whole body
        return set()
    return _lines(text or "")


def _lines(text: str) -> set[str]:
    lines = (squeeze(strip_controls(line)).lstrip("-•* ").strip() for line in text.splitlines())
    return {line for line in lines if line}


def content_element(body: Tag, lines: Iterable[str], heading: Tag | None) -> Tag | None:
    """The deepest element holding `_SHARE` of the page's text that is in `lines`, widened
    to hold the page's heading too; None when none of the page's text is."""
    kept = set(lines)
    weights: dict[int, int] = {}
    total = 0
    for block in text_blocks(body):
        text = block.text
        if text not in kept or block.owner.name == "h1":
            continue  # the title is added below; alone, it says nothing of the content
        total += len(text)
        node: Tag | None = block.owner
        while node is not None:
            weights[id(node)] = weights.get(id(node), 0) + len(text)
            node = node.parent if node is not body else None
    if not total:
        return None
    found = body
    while True:
        heavy = [
            c
            for c in found.children
            if isinstance(c, Tag) and weights.get(id(c), 0) >= _SHARE * total
        ]
        if not heavy:
            break
        found = heavy[0]
    if heading is not None:
        found = _common_ancestor(found, heading, body)
    return found


def _common_ancestor(first: Tag, second: Tag, body: Tag) -> Tag:
    above_first = {id(first)} | {id(p) for p in first.parents}
    node: Tag | None = second
    while node is not None:
        if id(node) in above_first:
            return node
        node = node.parent
    return body
