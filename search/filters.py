"""Filters as people write them: years, ranges of years, and dates, checked and read.

Each problem is a SearchError naming the filter at fault; each face words it.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from .errors import SearchError
from .results import Filters, YearRange

# ASCII digits only: `\d` would take "٢٠١٨" too.
_YEAR_RANGE = re.compile(r"\s*([0-9]{4})?\s*(\.\.)?\s*([0-9]{4})?\s*")
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def nearest_value(given: str, accepted: dict[str, str]) -> str:
    """The value a mistyped one most likely meant (`accepted`: each lower-case spelling
    to its value): one that begins with it, else one that holds it, else the closest in
    spelling; "" when none is near."""
    wanted = given.strip().lower()
    if not wanted:
        return ""
    spellings = sorted(accepted)
    for holds in (str.startswith, str.__contains__):
        found = [spelling for spelling in spellings if holds(spelling, wanted)]
        if found:
            return accepted[min(found, key=len)]
    import difflib  # declared deferred: only a value that is not one

    close = difflib.get_close_matches(wanted, spellings, n=1, cutoff=0.6)
    return accepted[close[0]] if close else ""


def parse_year_filter(value: str) -> YearRange:
    """`2018`, `2015..2018`, `2015..` or `..2018`."""
    match = _YEAR_RANGE.fullmatch(value)
    if not match or not (match.group(1) or match.group(3)):
        raise SearchError(
            "not a year or range (use 2018, 2015..2018, 2015.. or ..2018)", "year", value
        )
    first, dots, last = match.groups()
    if not dots:
        if first and last:
            raise SearchError(f"write a range as {first}..{last}", "year", value)
        year = int(first or last)
        return year, year
    low, high = (int(first) if first else None), (int(last) if last else None)
    if low is not None and high is not None and low > high:
        raise SearchError("the range ends before it starts", "year", value)
    return low, high


def parse_date_bound(value: str, field: str, last: bool) -> str:
    """`2017`, `2017-04` or `2017-04-24` as an ISO day: the first day of the period it
    names, or with `last`, the last day. Empty stays empty."""
    value = value.strip()
    if not value:
        return ""
    match = _DATE.fullmatch(value)
    problem = SearchError("not a date (use 2017, 2017-04 or 2017-04-24)", field, value)
    if not match:
        raise problem
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        if day:
            return date(int(year), int(month), int(day)).isoformat()
        if month:
            first = date(int(year), int(month), 1)
            end = calendar.monthrange(first.year, first.month)[1] if last else 1
            return first.replace(day=end).isoformat()
        return date(int(year), 12, 31).isoformat() if last else date(int(year), 1, 1).isoformat()
    except ValueError:
        raise problem from None


def check_date_range(since: str, until: str, typed: tuple[str, str] | None = None) -> None:
    """`since` after `until` (ISO days) is an error, worded with the values as typed
    (`2019`, not the `2019-01-01` it stands for) when they are given."""
    if since and until and since > until:
        shown_since, shown_until = (v.strip() for v in typed) if typed else (since, until)
        problem = f"comes after the end of the range ({shown_until})"
        raise SearchError(problem, "since", shown_since)


def read_filters(
    types: list[str] | tuple[str, ...] = (),
    kinds: list[str] | tuple[str, ...] = (),
    sectors: list[str] | tuple[str, ...] = (),
    topics: list[str] | tuple[str, ...] = (),
    baskets: list[str] | tuple[str, ...] = (),
    years: list[str] | tuple[str, ...] = (),
    since: str = "",
    until: str = "",
    pages: list[str] | tuple[str, ...] = (),
) -> Filters:
    """Filters from the values a person typed (on the command line or in a web form),
    checked here so the CLI and the web API say the same sentence for the same mistake.
    Facet values are checked against the index when searched."""
    first = parse_date_bound(since, "since", last=False)
    last = parse_date_bound(until, "until", last=True)
    check_date_range(first, last, (since, until))
    return Filters(
        types=list(types),
        kinds=list(kinds),
        sectors=list(sectors),
        topics=list(topics),
        baskets=list(baskets),
        years=[parse_year_filter(y) for y in years],
        since=first,
        until=last,
        pages=[page for page in pages if page.strip()],
    )
