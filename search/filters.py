"""Filters as people write them: years, ranges of years, and dates, checked and read.

Each problem is a SearchError whose sentence the CLI and the web API both show.
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


def parse_year_filter(value: str) -> YearRange:
    """`2018`, `2015..2018`, `2015..` or `..2018`."""
    match = _YEAR_RANGE.fullmatch(value)
    if not match or not (match.group(1) or match.group(3)):
        raise SearchError(
            f"--year {value!r} is not a year or range (use 2018, 2015..2018, 2015.. or ..2018)"
        )
    first, dots, last = match.groups()
    if not dots:
        if first and last:
            raise SearchError(f"--year {value!r}: write a range as {first}..{last}")
        year = int(first or last)
        return year, year
    low, high = (int(first) if first else None), (int(last) if last else None)
    if low is not None and high is not None and low > high:
        raise SearchError(f"--year {value!r}: the range ends before it starts")
    return low, high


def parse_date_bound(value: str, option: str, last: bool) -> str:
    """`2017`, `2017-04` or `2017-04-24` as an ISO day: the first day of the period it
    names, or with `last`, the last day. Empty stays empty."""
    value = value.strip()
    if not value:
        return ""
    match = _DATE.fullmatch(value)
    problem = f"{option} {value!r} is not a date (use 2017, 2017-04 or 2017-04-24)"
    if not match:
        raise SearchError(problem)
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
        raise SearchError(problem) from None


def check_date_range(since: str, until: str) -> None:
    if since and until and since > until:
        raise SearchError(f"--since {since} is after --until {until}")


def read_filters(
    types: list[str] | tuple[str, ...] = (),
    kinds: list[str] | tuple[str, ...] = (),
    sectors: list[str] | tuple[str, ...] = (),
    topics: list[str] | tuple[str, ...] = (),
    baskets: list[str] | tuple[str, ...] = (),
    years: list[str] | tuple[str, ...] = (),
    since: str = "",
    until: str = "",
) -> Filters:
    """Filters from the values a person typed (on the command line or in a web form),
    checked here so the CLI and the web API say the same sentence for the same mistake.
    Facet values are checked against the index when searched."""
    first = parse_date_bound(since, "--since", last=False)
    last = parse_date_bound(until, "--until", last=True)
    check_date_range(first, last)
    return Filters(
        types=list(types),
        kinds=list(kinds),
        sectors=list(sectors),
        topics=list(topics),
        baskets=list(baskets),
        years=[parse_year_filter(y) for y in years],
        since=first,
        until=last,
    )
