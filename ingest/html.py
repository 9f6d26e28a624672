"""Reading HTML pages into blocks, without the page's chrome.

BeautifulSoup turns the main content into blocks; `extract.py` finds that content on a
page that does not mark it; `html.toml` says what chrome looks like. Only ingestion
imports this module, so BeautifulSoup never loads on the search path.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache
from itertools import islice

from bs4 import (
    BeautifulSoup,
    Comment,
    MarkupResemblesLocatorWarning,
    NavigableString,
    PageElement,
    Tag,
    XMLParsedAsHTMLWarning,
)

from .addresses import web_address
from .boilerplate import is_boilerplate
from .datafiles import load_toml, package_data
from .dates import (
    DateSpan,
    date_line_span,
    is_date_line_rest,
    iso_day,
    may_be_date_line,
    publication_date,
    span_of_days,
)
from .kinds import kind_rules
from .layout import Block, BlockKind, PageFacts, Piece, page_rules
from .text import squeeze, strip_controls

BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "body", "dd", "div", "dl", "dt",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "li", "main", "ol",
    "p", "pre", "section", "table", "td", "th", "tr", "ul",
})  # fmt: skip
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_CELLS = ("td", "th")
# An element's attributes past this many are dropped before htmldate and trafilatura
# parse the page: the tree lxml builds for them costs the square of an element's
# attributes (40,000 on one tag: 1.3 s; 200,000: minutes), where BeautifulSoup, fed by
# lxml's parser without a tree, reads them in linear time. Real elements have a few.
MAX_ATTRIBUTES = 100


@dataclass(frozen=True)
class HtmlRules:
    """`html.toml`: what is never content, and what the site's chrome looks like."""

    never_content: tuple[str, ...]
    chrome_outside_content: tuple[str, ...]
    chrome_contains: tuple[str, ...]
    chrome_names: frozenset[str]
    chrome_headings: frozenset[str]
    site_suffix: re.Pattern[str]

    def is_chrome(self, element: Tag) -> bool:
        """By the element's id or classes."""
        names = element.get("class") or []
        if isinstance(names, str):
            names = names.split()
        element_id = element.get("id")
        if isinstance(element_id, str):
            names = [*names, element_id]
        for name in names:
            lower = name.lower()
            if lower in self.chrome_names or any(part in lower for part in self.chrome_contains):
                return True
        return False

    def is_chrome_heading(self, text: str) -> bool:
        return squeeze(text).rstrip(":").strip().casefold() in self.chrome_headings


@cache
def html_rules() -> HtmlRules:
    data = load_toml(package_data("html.toml"), "html.toml")
    chrome = data["chrome"]
    return HtmlRules(
        never_content=tuple(data["never_content"]),
        chrome_outside_content=tuple(data["chrome_outside_content"]),
        chrome_contains=tuple(s.lower() for s in chrome["id_or_class_contains"]),
        chrome_names=frozenset(s.lower() for s in chrome["id_or_class"]),
        chrome_headings=frozenset(squeeze(h).rstrip(":").casefold() for h in chrome["headings"]),
        site_suffix=re.compile(data["title"]["site_suffix"], re.IGNORECASE),
    )


class _Locator:
    """CSS-like paths such as `main > ul:nth-of-type(2) > li:nth-of-type(5)`.

    A parent's children are numbered once, by identity: finding a node's place with
    `list.index` compared whole trees and made a page of many siblings quadratic, and gave
    identical siblings the same path.
    """

    def __init__(self, root: Tag) -> None:
        self.root = root
        self.places: dict[int, str] = {}  # id(tag) -> "li:nth-of-type(5)", or "li"

    def _number_children(self, parent: Tag) -> None:
        totals: dict[str, int] = {}
        children = [c for c in parent.children if isinstance(c, Tag)]
        for child in children:
            totals[child.name] = totals.get(child.name, 0) + 1
        seen: dict[str, int] = {}
        for child in children:
            seen[child.name] = seen.get(child.name, 0) + 1
            self.places[id(child)] = (
                f"{child.name}:nth-of-type({seen[child.name]})"
                if totals[child.name] > 1
                else child.name
            )

    def __call__(self, element: Tag) -> str:
        parts = []
        node: Tag | None = element
        while node is not None:
            parent = node.parent
            if node is self.root or parent is None or not isinstance(parent, Tag):
                parts.append(node.name)
                break
            if id(node) not in self.places:
                self._number_children(parent)
            parts.append(self.places[id(node)])
            node = parent
        return " > ".join(reversed(parts))


def _clean(text: str) -> str:
    """Text as a reader sees it: entities already decoded, so controls stripped now."""
    return squeeze(strip_controls(text))


def _meta(soup: BeautifulSoup, *names: str) -> list[str]:
    """The contents of `<meta property=…>` or `<meta name=…>` tags, in page order."""
    found = []
    for tag in soup.find_all("meta"):
        key = tag.get("property") or tag.get("name")
        content = tag.get("content")
        if isinstance(key, str) and key.lower() in names and isinstance(content, str):
            found.append(content)
    return found


def _page_address(soup: BeautifulSoup) -> str:
    """`<link rel="canonical">`, then `og:url`."""
    og_urls = [web_address(u) for u in _meta(soup, "og:url")]
    og_url = next((u for u in og_urls if u), "")
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        if "canonical" in [r.lower() for r in (rel if isinstance(rel, list) else rel.split())]:
            address = web_address(str(link["href"]), base=og_url)
            if address:
                return address
    return og_url


def _is_tag_link(link: Tag) -> bool:
    rel = link.get("rel") or []
    return "tag" in (rel if isinstance(rel, list) else rel.split())


def _site_tags(soup: BeautifulSoup) -> tuple[str, ...]:
    """The site's own tags: `article:tag` and links marked `rel="tag"` (text and slug)."""
    tags = [_clean(t) for t in _meta(soup, "article:tag")]
    for link in soup.find_all("a", rel=True):
        if _is_tag_link(link):
            tags.append(_clean(link.get_text(" ")))
            href = str(link.get("href") or "").rstrip("/")
            tags.append(href.rsplit("/", 1)[-1])
    return tuple(dict.fromkeys(t for t in tags if t))


def _body_classes(soup: BeautifulSoup) -> list[str]:
    body = soup.body
    classes = body.get("class") if body is not None else None
    return list(classes) if isinstance(classes, list) else []


def _without_site_name(title: str) -> str:
    return html_rules().site_suffix.sub("", _clean(title)).strip()


def _content_root(soup: BeautifulSoup, markup: str, title: str) -> Tag:
    """The page's own mark of its main content, else what the extractor finds, else body."""
    for found in (soup.find("main"), soup.find(attrs={"role": "main"})):
        if isinstance(found, Tag):
            return found
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0]
    body = soup.body or soup
    from .extract import content_element, extracted_lines  # loads trafilatura

    found = content_element(body, extracted_lines(markup), _page_heading(body, title))
    return found if found is not None else body


def _page_heading(body: Tag, title: str) -> Tag | None:
    """The `<h1>` that titles the page (not a site logo's): its text is the title."""
    first = body.find("h1")
    if not isinstance(first, Tag):
        return None
    if not title or _clean(first.get_text(" ")).casefold() == title.casefold():
        return first
    return None


def _drop_chrome(soup: BeautifulSoup, root: Tag) -> None:
    """Remove the site's chrome: header, footer and aside outside the content, elements
    `html.toml` names by id or class, tag links, and chrome headings with their sections.

    One walk over the tree, not into what it drops: BeautifulSoup's `decomposed` looks an
    attribute up by searching the element's subtree, which made each check costly.
    """
    rules = html_rules()
    keep = {id(root)} | {id(parent) for parent in root.parents}
    doomed: list[Tag] = []
    stack: list[tuple[Tag, bool]] = [(soup, False)]
    while stack:
        node, inside_root = stack.pop()
        for child in node.children:
            if not isinstance(child, Tag):
                continue
            inside = inside_root or child is root
            if id(child) not in keep and (
                (not inside and child.name in rules.chrome_outside_content)
                or rules.is_chrome(child)
                or (child.name == "a" and _is_tag_link(child))  # tags are read as facts
            ):
                doomed.append(child)
            else:
                stack.append((child, inside))
    for element in doomed:
        element.decompose()
    gone: set[int] = set()
    headings = [h for h in root.find_all(_HEADINGS[1:]) if rules.is_chrome_heading(h.get_text(" "))]
    for heading in headings:
        if id(heading) not in gone:
            _drop_section(heading, keep, gone)


def _drop_section(heading: Tag, keep: set[int], gone: set[int]) -> None:
    """A chrome heading, and its siblings up to the next heading as high; a heading
    wrapped alone (page builders) takes its wrapper's siblings instead."""
    level = int(heading.name[1])
    node: Tag = heading
    while (
        node.parent is not None
        and id(node.parent) not in keep
        and len([c for c in node.parent.children if isinstance(c, Tag)]) == 1
        and not any(isinstance(c, NavigableString) and c.strip() for c in node.parent.children)
    ):
        node = node.parent
    doomed: list[PageElement] = [node]
    for sibling in node.next_siblings:
        if isinstance(sibling, Tag):
            higher = [sibling] if sibling.name in _HEADINGS else []
            higher += sibling.find_all(_HEADINGS)
            if any(int(h.name[1]) <= level for h in higher):
                break
        doomed.append(sibling)
    for element in doomed:
        if isinstance(element, Tag):
            if id(element) in keep:
                continue
            gone.add(id(element))
            gone.update(id(d) for d in element.descendants)
            element.decompose()
        else:
            element.extract()


def read_html(markup: str) -> tuple[list[Block], PageFacts]:
    """The blocks of a page's main content, and what its markup says of the page."""
    rules = html_rules()
    with warnings.catch_warnings():
        # Advice to the programmer ("looks like XML", "looks like a file name"), which a
        # user reading pages would see on stderr: every page is read as HTML on purpose.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(markup, "lxml")  # fed from lxml's parser: no tree of its own
    if _drop_attributes_past_limit(soup):
        markup = str(soup)  # what htmldate and trafilatura read, with the same attributes
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for element in soup.find_all(rules.never_content):
        element.decompose()
    og_titles = [_without_site_name(t) for t in _meta(soup, "og:title")]
    og_title = next((t for t in og_titles if t), "")
    head_title = _without_site_name(soup.title.get_text(" ")) if soup.title else ""
    url = _page_address(soup)
    facts = PageFacts(
        url=url,
        title=og_title,
        date=_publication_span(markup),
        tags=_site_tags(soup),
        kind=_kind_from_classes(_body_classes(soup)),
    )
    root = _content_root(soup, markup, og_title or head_title)
    _drop_chrome(soup, root)
    blocks = _blocks(root)
    if not any(b.kind == "title" for b in blocks) and head_title and not og_title:
        blocks.insert(0, Block("title", [Piece(head_title, "head > title")]))
    return blocks, facts


def _drop_attributes_past_limit(soup: BeautifulSoup) -> bool:
    """Keep the first `MAX_ATTRIBUTES` of each element's attributes; whether any went."""
    dropped = False
    for element in soup.find_all(True):
        if len(element.attrs) > MAX_ATTRIBUTES:
            element.attrs = dict(islice(element.attrs.items(), MAX_ATTRIBUTES))
            dropped = True
    return dropped


def _publication_span(markup: str) -> DateSpan | None:
    day = publication_date(markup)
    return DateSpan(day) if day else None


def _kind_from_classes(classes: list[str]) -> str | None:
    return kind_rules().from_body_classes(classes)


@dataclass
class TextBlock:
    """The text of one block-level element, and the `<time>` elements in it."""

    owner: Tag
    strings: list[str]
    times: list[Tag]

    @property
    def text(self) -> str:
        return _clean(" ".join(self.strings))


def text_blocks(root: Tag) -> list[TextBlock]:
    """Text grouped by its nearest block-level element, in document order."""
    found: dict[int, TextBlock] = {}
    for string in root.find_all(string=True):
        if not isinstance(string, NavigableString) or not string.strip():
            continue
        owner = string.parent
        time_tag = None
        while owner is not None and owner.name not in BLOCK_TAGS and owner is not root:
            if owner.name == "time":
                time_tag = owner
            owner = owner.parent
        if owner is None:
            continue
        block = found.get(id(owner))
        if block is None:
            block = found[id(owner)] = TextBlock(owner, [], [])
        block.strings.append(str(string))
        if time_tag is not None and all(t is not time_tag for t in block.times):
            block.times.append(time_tag)  # by identity: `in` would compare whole trees
    return list(found.values())


def _blocks(root: Tag) -> list[Block]:
    """The reader's blocks: title, headings, items, date lines and paragraphs."""
    rules = page_rules()
    locate = _Locator(root)
    blocks: list[Block] = []
    title_seen = False
    for found in text_blocks(root):
        owner, text = found.owner, found.text
        if not text or is_boilerplate(text):
            continue
        piece = Piece(text, locate(owner))
        kind: BlockKind
        date = None
        if owner.name == "h1" and not title_seen:
            kind, title_seen = "title", True
        elif owner.name in _HEADINGS:
            kind = "heading"
        elif owner.name == "li":
            kind = "item"
            date = _date_of(text, found.times)[0]
        elif owner.name == "address":
            kind = "address"
        elif rules.known_heading(text) is not None:
            kind = "heading"  # page builders style headings as paragraphs
        else:
            date, is_date_line = _date_of(text, found.times)
            kind = "date" if is_date_line else "text"
        # Only a text block may be taken for a date line; a cell never is.
        in_table = kind == "text" and (
            owner.name in _CELLS or owner.find_parent(_CELLS) is not None
        )
        blocks.append(Block(kind, [piece], date=date, in_table=in_table))
    return blocks


def _date_of(text: str, time_tags: list[Tag]) -> tuple[DateSpan | None, bool]:
    """A block's date, and whether the block is only that date (a date line).

    `<time datetime>` inside the block gives the date; a block without one may be a
    date line in words ("24 Apr 2017 to 28 Apr 2017 Geneva").
    """
    if time_tags:
        days = []
        rest = text
        for tag in time_tags:
            value = tag.get("datetime")
            shown = _clean(tag.get_text(" "))
            day = iso_day(value if isinstance(value, str) else shown)
            if day:
                days.append(day)
                rest = rest.replace(shown, " ", 1) if shown else rest
        span = span_of_days(days)
        if span is not None:
            return span, is_date_line_rest(rest)
    if may_be_date_line(text):
        span = date_line_span(text)
        return span, span is not None
    return None, False
