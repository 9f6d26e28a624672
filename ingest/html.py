"""Reading HTML pages into blocks, without the page's chrome.

Only ingestion imports this module, so BeautifulSoup never loads on the search path.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from .boilerplate import is_boilerplate
from .layout import Block, BlockKind, Piece
from .text import squeeze

# Elements that are never content. Header and footer count as chrome only outside the
# main content, where an article's own header may hold its title.
_NEVER_CONTENT = ("script", "style", "noscript", "template", "svg", "iframe", "nav", "form")
_CHROME = ("header", "footer", "aside")
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "dd", "div", "dl", "dt",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "li", "main", "ol",
    "p", "pre", "section", "table", "td", "th", "tr", "ul",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def _locator(element: Tag, root: Tag) -> str:
    """A CSS-like path such as `main > ul:nth-of-type(2) > li:nth-of-type(5)`."""
    parts = []
    node: Tag | None = element
    while node is not None and node is not root.parent:
        parent = node.parent
        if parent is None or not isinstance(parent, Tag):
            parts.append(node.name)
            break
        same = [c for c in parent.find_all(node.name, recursive=False)]
        parts.append(
            f"{node.name}:nth-of-type({same.index(node) + 1})" if len(same) > 1 else node.name
        )
        if node is root:
            break
        node = parent
    return " > ".join(reversed(parts))


def _content_root(soup: BeautifulSoup) -> Tag:
    for selector in ("main", "article", "[role=main]"):
        found = soup.select_one(selector)
        if found is not None:
            return found
    return soup.body or soup


def blocks_from_html(markup: str) -> list[Block]:
    soup = BeautifulSoup(markup, "lxml")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for element in soup.find_all(_NEVER_CONTENT):
        element.decompose()
    root = _content_root(soup)
    for element in soup.find_all(_CHROME):
        inside_root = any(parent is root for parent in element.parents)
        if not element.decomposed and not inside_root and element is not root:
            element.decompose()

    # Group the text by its nearest block-level element, in document order.
    order: list[Tag] = []
    texts: dict[int, list[str]] = {}
    for string in root.find_all(string=True):
        if not isinstance(string, NavigableString) or not string.strip():
            continue
        owner = string.parent
        while owner is not None and owner.name not in _BLOCK_TAGS and owner is not root:
            owner = owner.parent
        if owner is None:
            continue
        key = id(owner)
        if key not in texts:
            texts[key] = []
            order.append(owner)
        texts[key].append(str(string))

    blocks: list[Block] = []
    title_seen = False
    for owner in order:
        text = squeeze(" ".join(texts[id(owner)]))
        if not text or is_boilerplate(text):
            continue
        piece = Piece(text, _locator(owner, root))
        kind: BlockKind
        if owner.name == "h1" and not title_seen:
            kind, title_seen = "title", True
        elif owner.name in _HEADINGS:
            kind = "heading"
        elif owner.name == "li":
            kind = "item"
        elif owner.name == "address":
            kind = "address"
        else:
            kind = "text"
        blocks.append(Block(kind, [piece]))
    if not title_seen:
        title = soup.title.get_text(" ") if soup.title else ""
        if squeeze(title):
            blocks.insert(0, Block("title", [Piece(squeeze(title), "head > title")]))
    return blocks
