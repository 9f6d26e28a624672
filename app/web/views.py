"""What the page shows of Results: hits, facet checkboxes and pages, ready for a template.

Text from pages stays text: templates escape it. The only HTML handed over is the
snippets', which the printers escape and mark, and a link is made only of an http(s)
address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import quote

from markupsafe import Markup

from dwsearch.app.printers import date_label, snippet_html
from dwsearch.search.results import Hit, Results

from .params import FACETS, SearchRequest

LEGENDS = {
    "type": "Type of passage",
    "kind": "Kind of page",
    "sector": "ITU sector",
    "topic": "Topic",
    "basket": "Basket",
}
SHOWN_VALUES = 8  # a facet's values beyond these fold into "More"
PAGE_LINKS = 5  # numbered page links either side of pagination's current page
# An address a browser would follow as a web page, and nothing else (no javascript:,
# data:, or scheme-relative //host).
_WEB_ADDRESS = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


def web_link(url: str) -> str:
    """`url` if it is an http(s) address to link to, else the empty string."""
    return url if _WEB_ADDRESS.fullmatch(url) else ""


def label(value: str, names: dict[str, str]) -> str:
    """A facet value as people read it: its taxonomy name, or `event_report` as words."""
    return names.get(value) or value.replace("_", " ")


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    checked: bool


@dataclass(frozen=True)
class FacetGroup:
    facet: str
    legend: str
    shown: list[FacetValue]
    more: list[FacetValue]


def facet_groups(
    results: Results, request: SearchRequest, names: dict[str, dict[str, str]]
) -> list[FacetGroup]:
    """Each facet's values with their counts, the ticked ones first and always shown
    (even at 0, so they can be unticked); the rest most frequent first."""
    groups = []
    for facet in FACETS:
        counts = results.facets.get(facet, {})
        ticked = request.values.get(facet, ())
        ticked_lower = {v.lower() for v in ticked}
        facet_names = names.get(facet, {})
        values = [
            FacetValue(v, label(v, facet_names), counts.get(v, 0), True)
            for v in _ticked_as_indexed(ticked, counts)
        ]
        values += [
            FacetValue(v, label(v, facet_names), n, False)
            for v, n in counts.items()
            if v.lower() not in ticked_lower and label(v, facet_names).lower() not in ticked_lower
        ]
        if not values:
            continue
        cut = max(SHOWN_VALUES, len(ticked))
        groups.append(FacetGroup(facet, LEGENDS[facet], values[:cut], values[cut:]))
    return groups


def _ticked_as_indexed(ticked: tuple[str, ...], counts: dict[str, int]) -> list[str]:
    """Ticked values spelled as the index holds them, where it does (a URL may say
    `itu-d` for `ITU-D`), each once."""
    by_lower = {v.lower(): v for v in counts}
    seen: dict[str, None] = {}
    for value in ticked:
        seen.setdefault(by_lower.get(value.lower(), value), None)
    return list(seen)


@dataclass(frozen=True)
class HitView:
    rank: int
    id: str
    title: Markup
    snippet: Markup
    type: str
    when: str
    page_title: str
    section: str
    link: str
    url: str
    href: str  # where the title leads: the passage on its page, else its chunk page
    citation: str
    more: int = 0  # the result's other hits of this page, not listed here
    more_link: str = ""  # the search narrowed to this page, under its last hit listed


def hit_views(
    results: Results, names: dict[str, dict[str, str]], request: SearchRequest | None = None
) -> list[HitView]:
    views = [
        hit_view(rank, hit, names) for rank, hit in enumerate(results.hits, results.offset + 1)
    ]
    if request is None or results.pages < 2:  # one page: "on 1 page" says it already
        return views
    last_of_page = {hit.chunk.source: n for n, hit in enumerate(results.hits)}
    for n, hit in enumerate(results.hits):
        source = hit.chunk.source
        if hit.more_from_page and last_of_page[source] == n and source not in request.pages:
            narrowed = "/?" + request.query_string(from_page=(source,), offset=0)
            views[n] = replace(views[n], more=hit.more_from_page, more_link=narrowed)
    return views


def hit_view(rank: int, hit: Hit, names: dict[str, dict[str, str]]) -> HitView:
    chunk = hit.chunk
    when = date_label(chunk) if chunk.date else ", ".join(str(y) for y in chunk.years)
    body = snippet_html(hit.snippet) if chunk.text else ""
    return HitView(
        rank=rank,
        id=chunk.id,
        title=Markup(snippet_html(hit.title)),  # escaped by snippet_html
        snippet=Markup(body),  # escaped by snippet_html
        type=label(chunk.type, names.get("type", {})),
        when=when,
        page_title=chunk.page_title,
        section=chunk.section,
        link=web_link(chunk.url),
        url=chunk.url,
        href=passage_link(chunk.url, chunk.text) or f"/chunks/{quote(chunk.id, safe='')}",
        citation=citation(chunk.title, chunk.page_title, chunk.section, chunk.url, when),
    )


FRAGMENT_WORDS = 4  # words of a passage's start (and end) its text fragment names
# What a text directive's words must not hold unencoded: its own syntax (, - &) as well
# as what a URL's fragment cannot.
_TEXT_SAFE = "!$'()*+./:;=?@_~"


def _directive_words(words: list[str]) -> str:
    return quote(" ".join(words), safe=_TEXT_SAFE).replace("-", "%2D")


def passage_link(url: str, text: str) -> str:
    """The page's address with a text fragment (`#:~:text=start,end`) naming the passage,
    which a browser that knows them scrolls to and highlights; "" if `url` is no web
    address. A passage of a few words is named whole."""
    link = web_link(url)
    if not link:
        return ""
    words = text.split()
    if not words:
        return link
    if len(words) <= 2 * FRAGMENT_WORDS:
        directive = _directive_words(words)
    else:
        start = _directive_words(words[:FRAGMENT_WORDS])
        end = _directive_words(words[-FRAGMENT_WORDS:])
        directive = f"{start},{end}"
    return f"{link}{'' if '#' in link else '#'}:~:text={directive}"


def citation(title: str, page_title: str, section: str, url: str, when: str) -> str:
    """A hit as one cites it: its own title (when the page's is not all it has), then
    page title › section. Date. Address. Without its title, two event reports of one
    page would cite alike."""
    where = f"{page_title} › {section}" if section else page_title
    own = title.strip() if title.strip() != page_title.strip() else ""
    return ". ".join(part for part in (own.rstrip("."), where, when, url) if part)


@dataclass(frozen=True)
class Chip:
    """One active filter, and the address of the search without it."""

    label: str
    href: str


def chips(request: SearchRequest, names: dict[str, dict[str, str]]) -> list[Chip]:
    """The filters in force, each with a link that removes it (the words stay)."""
    found = []

    def without(**changes: object) -> str:
        return "/?" + request.query_string(offset=0, **changes)

    for facet in FACETS:
        given = request.values.get(facet, ())
        for value in given:
            rest = tuple(v for v in given if v != value)
            name = label(value, names.get(facet, {}))
            found.append(Chip(f"{LEGENDS[facet]}: {name}", without(**{facet: rest})))
    for years in request.years:
        rest = tuple(y for y in request.years if y != years)
        found.append(Chip(f"Years: {years}", without(year=rest)))
    if request.year_from or request.year_to:
        found.append(Chip(f"Years: {_span(request.year_from, request.year_to)}",
                          without(year_from="", year_to="")))  # fmt: skip
    if request.since or request.until:
        found.append(Chip(f"Dated {_span(request.since, request.until)}",
                          without(since="", until="")))  # fmt: skip
    if request.feedback:
        found.append(Chip("Related passages too", without(feedback="")))
    for source in request.pages:
        rest = tuple(page for page in request.pages if page != source)
        found.append(Chip(f"From the page: {source}", without(from_page=rest)))
    return found


def _span(first: str, last: str) -> str:
    if first and last:
        return f"from {first} to {last}"
    return f"since {first}" if first else f"until {last}"


def clear_all(request: SearchRequest) -> str:
    """The search with its words (and order) alone."""
    return "/?" + SearchRequest(query=request.query, sort=request.sort).query_string()


def filtered_by(request: SearchRequest, names: dict[str, dict[str, str]]) -> str:
    """The filters in words, for the results' heading: "in AI, Cybersecurity, since 2018"."""
    values = [
        label(value, names.get(facet, {}))
        for facet in FACETS
        for value in request.values.get(facet, ())
    ]
    parts = [f"in {', '.join(values)}"] if values else []
    ranges = list(request.years)
    if request.year_from or request.year_to:
        ranges.append(f"{request.year_from}..{request.year_to}")
    if ranges:
        parts.append(f"years {', '.join(ranges)}")
    if request.since or request.until:
        parts.append(_span(request.since, request.until))
    if request.pages:
        parts.append(f"from {', '.join(request.pages)}")
    return ", ".join(parts)


# The page's controls for the fields a SearchError may name; another field's error is
# said above the results only.
FIELD_CONTROLS = {"query": "q", "since": "since", "until": "until"}


def field_control(field: str) -> str:
    """The id of the control on the page that sets `field`, or ""."""
    return FIELD_CONTROLS.get(field, "")


@dataclass(frozen=True)
class PageLink:
    number: int
    href: str
    current: bool


@dataclass(frozen=True)
class Pagination:
    previous: str
    next: str
    pages: list[PageLink]
    first: int  # rank of the first hit shown
    last: int


def pagination(results: Results, request: SearchRequest) -> Pagination:
    """Links to the neighbouring pages of hits, as addresses (they work without script)."""
    size = request.limit
    current = results.offset // size
    count = -(-results.total // size) if results.total else 0

    def href(page: int) -> str:
        return "/?" + request.query_string(offset=page * size)

    numbers = range(max(0, current - PAGE_LINKS), min(count, current + PAGE_LINKS + 1))
    return Pagination(
        previous=href(current - 1) if current > 0 else "",
        next=href(current + 1) if results.offset + size < results.total else "",
        pages=[PageLink(n + 1, href(n), n == current) for n in numbers] if count > 1 else [],
        first=results.offset + 1,
        last=results.offset + len(results.hits),
    )
