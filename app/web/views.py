"""What the page shows of Results: hits, facet checkboxes and pages, ready for a template.

Text from pages stays text: templates escape it. The only HTML handed over is the
snippets', which the printers escape and mark, and a link is made only of an http(s)
address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from markupsafe import Markup

from dwsearch.app.printers import date_label, snippet_html
from dwsearch.search.results import Hit, Results

from .params import FACETS, SearchRequest

LEGENDS = {
    "type": "Type of chunk",
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
    more: int = 0  # the result's other hits of this page, not listed here
    more_link: str = ""  # the search narrowed to this page, under its last hit listed


def hit_views(
    results: Results, names: dict[str, dict[str, str]], request: SearchRequest | None = None
) -> list[HitView]:
    views = [
        hit_view(rank, hit, names) for rank, hit in enumerate(results.hits, results.offset + 1)
    ]
    if request is None:
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
    )


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
