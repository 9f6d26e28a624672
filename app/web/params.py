"""A search as a URL carries it: the query string read, bounded and checked.

The API and the page read the same parameters, so a page's address and the API call
behind it say the same thing. A bad value is a SearchError naming the parameter; the
API and the page each word it (`dwsearch.app.wording`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlencode

from dwsearch.app.bounds import (
    DEFAULT_LIMIT,
    MAX_HITS_PER_REQUEST,
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    MAX_REQUEST_OFFSET,
    MAX_VALUES,
)
from dwsearch.search.errors import SearchError
from dwsearch.search.filters import read_filters
from dwsearch.search.results import SORTS, Filters

# Facet filters: the URL's name, and the CLI option it stands for.
FACETS = ("type", "kind", "sector", "topic", "basket")


@dataclass(frozen=True)
class SearchRequest:
    """One search, as given in a URL (values as typed, so the page can show them back)."""

    query: str = ""
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet -> values
    years: tuple[str, ...] = ()
    year_from: str = ""
    year_to: str = ""
    since: str = ""
    until: str = ""
    sort: str = "relevance"
    feedback: bool = False
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    pages: tuple[str, ...] = ()  # from_page: only these pages' chunks, by source
    all_chunks: bool = False  # no page's hits demoted below other pages'

    @property
    def year_ranges(self) -> tuple[str, ...]:
        """`year` values, and the page's From/To boxes as one more range."""
        if self.year_from or self.year_to:
            return (*self.years, f"{self.year_from}..{self.year_to}")
        return self.years

    @property
    def filters(self) -> Filters:
        """The filters, read as the CLI reads them (SearchError on a malformed one)."""
        return read_filters(
            types=self.values.get("type", ()),
            kinds=self.values.get("kind", ()),
            sectors=self.values.get("sector", ()),
            topics=self.values.get("topic", ()),
            baskets=self.values.get("basket", ()),
            years=self.year_ranges,
            since=self.since,
            until=self.until,
            pages=self.pages,
        )

    @property
    def is_blank(self) -> bool:
        """Nothing asked yet: no words and no filter."""
        return not (
            self.query.strip()
            or any(self.values.values())
            or self.year_ranges
            or self.since
            or self.until
            or self.pages
        )

    def pairs(self, **changes: object) -> list[tuple[str, str]]:
        """The URL parameters of this search (defaults left out), with `changes` made."""
        state = {
            "q": self.query,
            **self.values,
            "year": self.years,
            "year_from": self.year_from,
            "year_to": self.year_to,
            "since": self.since,
            "until": self.until,
            "sort": self.sort,
            "feedback": "1" if self.feedback else "",
            "limit": self.limit,
            "offset": self.offset,
            "from_page": self.pages,
            "all_chunks": "1" if self.all_chunks else "",
        }
        state.update(changes)
        defaults = {"sort": "relevance", "limit": DEFAULT_LIMIT, "offset": 0}
        pairs = []
        for name, value in state.items():
            if value in ("", None, ()) or defaults.get(name) == value:
                continue
            if isinstance(value, (tuple, list)):
                pairs.extend((name, str(each)) for each in value)
            else:
                pairs.append((name, str(value)))
        return pairs

    def query_string(self, **changes: object) -> str:
        return urlencode(self.pairs(**changes))


def _number(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None or not raw.strip():
        return default
    try:
        number = int(raw.strip())
    except ValueError:
        raise SearchError("is not a whole number", name, raw) from None
    if not low <= number <= high:
        raise SearchError(f"must be between {low} and {high}", name, number)
    return number


def _switch(raw: str, name: str) -> bool:
    """An on/off parameter: 1, true or on (a checkbox); 0, false, off or absent."""
    value = raw.strip().lower()
    if value in ("1", "true", "on"):
        return True
    if value in ("", "0", "false", "off"):
        return False
    raise SearchError("must be 1 or 0 (on or off, true or false)", name, raw)


def _single(params: QueryValues, name: str) -> str:
    """One value of a parameter; given twice, the last wins, as a form would send it."""
    values = params.getlist(name)
    return values[-1] if values else ""


class QueryValues(Protocol):
    """What this module reads of a query string (Starlette's QueryParams has it)."""

    def getlist(self, key: str) -> list[str]: ...

    def __iter__(self) -> Iterator[str]: ...


# Every parameter a search's URL may carry; any other is a mistake, never ignored.
PARAMETERS = (
    "q", *FACETS, "year", "year_from", "year_to", "since", "until", "sort", "feedback",
    "limit", "offset", "from_page", "all_chunks",
)  # fmt: skip


def read_search(params: QueryValues) -> SearchRequest:
    """The search a query string asks for; SearchError names the first bad value, or a
    parameter no search has (`topics=privacy` filtered nothing, unsaid)."""
    for name in params:
        if name not in PARAMETERS:
            nearest = difflib.get_close_matches(name, PARAMETERS, n=1, cutoff=0.6)
            raise SearchError(
                "not a parameter a search takes",
                name,
                None,
                PARAMETERS,
                nearest[0] if nearest else "",
            )
    getlist = params.getlist
    query = _single(params, "q")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"is {len(query)} characters long; at most {MAX_QUERY_CHARS}", "query")
    words = len(query.split())
    if words > MAX_QUERY_WORDS:
        raise SearchError(f"has {words} words; at most {MAX_QUERY_WORDS}", "query")
    values = {}
    for facet in FACETS:
        given = tuple(v for v in getlist(facet) if v.strip())
        _bounded(given, facet)
        values[facet] = given
    years = tuple(v for v in getlist("year") if v.strip())
    _bounded(years, "year")
    pages = tuple(v for v in getlist("from_page") if v.strip())
    _bounded(pages, "page")
    sort = _single(params, "sort") or "relevance"
    if sort not in SORTS:
        raise SearchError(f"must be one of {', '.join(SORTS)}", "sort", sort, SORTS)
    request = SearchRequest(
        query=query,
        values=values,
        years=years,
        year_from=_single(params, "year_from").strip(),
        year_to=_single(params, "year_to").strip(),
        since=_single(params, "since").strip(),
        until=_single(params, "until").strip(),
        sort=sort,
        feedback=_switch(_single(params, "feedback"), "feedback"),
        limit=_number(_single(params, "limit"), "limit", DEFAULT_LIMIT, 1, MAX_HITS_PER_REQUEST),
        offset=_number(_single(params, "offset"), "offset", 0, 0, MAX_REQUEST_OFFSET),
        pages=pages,
        all_chunks=_switch(_single(params, "all_chunks"), "all_chunks"),
    )
    request.filters  # noqa: B018 - reading them checks them, before any search is run
    return request


def _bounded(values: Iterable[str], name: str) -> None:
    count = sum(1 for _ in values)
    if count > MAX_VALUES:
        raise SearchError(f"is given {count} times; at most {MAX_VALUES}", name)
