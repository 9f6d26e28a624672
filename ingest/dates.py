"""The dates a page gives: date lines, `<time datetime>`, its publication date; and the
years a chunk is about.

A page's own date line, under its title, may name only a month or a year ("November
2015", "2015"): it then stands for every day of that month or year, as an item dated by
a year alone covers the whole year.

A line is first matched against a pattern built from `dates.toml` (month names, day and
year in either order, ISO and numeric forms), which costs one regular-expression match
and, on a match, says where each date stands; each date found is then read by
python-dateutil's parser (about 0.02 ms). An HTML page's publication date is htmldate's.
dateparser was measured too: 0.8 ms a date and 3.6 ms a range line, 0.35 s to load.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import NamedTuple

from .datafiles import load_toml, package_data
from .text import YEAR_MAX, YEAR_MIN, mentioned_years, squeeze

_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_CUE_STOP = re.compile(r"\d{4}|[.;!?](\s|$)")
# dateutil fills a part a text lacks from its default: two defaults tell that it lacked one.
_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))


class DateSpan(NamedTuple):
    """A day, or the first and last days of a range, as ISO 8601 `YYYY-MM-DD`."""

    start: str
    end: str = ""  # the last day of a range; empty for a single day

    @property
    def whole_years(self) -> bool:
        """1 January to 31 December: what the years alone say, with no day to add."""
        return self.start.endswith("-01-01") and self.end.endswith("-12-31")

    @property
    def years(self) -> tuple[int, ...]:
        first = int(self.start[:4])
        last = int(self.end[:4]) if self.end else first
        return tuple(y for y in range(first, last + 1) if YEAR_MIN <= y <= YEAR_MAX)


@dataclass(frozen=True)
class DateRules:
    """What `dates.toml` says a date line and a founding year look like."""

    candidate: re.Pattern[str]  # the start of a line that may be a date line
    month_or_year: re.Pattern[str]  # a whole line naming a month or a year alone
    label: re.Pattern[str]  # a label before a date line's date ("Published on:")
    openings: frozenset[str]  # how such a line can start: a month's or weekday's 3 letters
    max_chars: int
    max_other_words: int
    connectors: frozenset[str]
    months: frozenset[str]
    founding_cue: re.Pattern[str]
    # A cue anywhere in a lower-case ASCII text, even inside words: a text without any
    # has no founding year. None when a cue is not ASCII (its case is then Unicode's).
    founding_anywhere: re.Pattern[str] | None
    cue_window: int


def _alternatives(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def date_rules() -> DateRules:
    data = load_toml(package_data("dates.toml"), "dates.toml")
    month = rf"(?:{_alternatives(data['months'])})\.?"
    weekday = rf"(?:(?:{_alternatives(data['weekdays'])})\.?,?\s+)?"
    day = r"\d{1,2}(?:st|nd|rd|th)?"
    # The last day of a range in one month: "24-28 April 2017", "April 24-28, 2017".
    ends = r"(?P<range>\s*[-–]\s*(?P<last>\d{1,2})(?:st|nd|rd|th)?)?"
    ends2 = ends.replace("range", "range2").replace("last", "last2")
    forms = (
        rf"{day}{ends}\s+{month},?\s+\d{{4}}",  # 17 Nov 2015
        rf"{month}\s+{day}{ends2},?\s+\d{{4}}",  # November 17, 2015
        r"\d{4}-\d{2}-\d{2}",  # 2015-11-17
        r"\d{1,2}[./]\d{1,2}[./]\d{4}",  # 17.11.2015
    )
    candidate = re.compile(rf"\s*{weekday}(?P<date>{'|'.join(forms)})(?![\d])", re.IGNORECASE)
    coarse = "|".join(f.replace("{month}", month) for f in data["month_or_year_forms"])
    cues = _alternatives(data["founding_cues"]).replace(r"\ ", r"\s+")
    labels = _alternatives(data["labels"]).replace(r"\ ", r"\s+")
    return DateRules(
        candidate=candidate,
        month_or_year=re.compile(rf"(?:{coarse})\.?", re.IGNORECASE),
        label=re.compile(rf"\s*(?:{labels})(?:\s+on)?\s*:?\s+", re.IGNORECASE),
        openings=frozenset(w[:3] for w in (*data["months"], *data["weekdays"])),
        max_chars=int(data["max_chars"]),
        max_other_words=int(data["max_other_words"]),
        connectors=frozenset(data["connectors"]),
        months=frozenset(data["months"]),
        founding_cue=re.compile(rf"\b(?:{cues})\b", re.IGNORECASE),
        founding_anywhere=_anywhere_in_lower_ascii(data["founding_cues"]),
        cue_window=int(data["cue_window"]),
    )


def _anywhere_in_lower_ascii(words: list[str]) -> re.Pattern[str] | None:
    """The words, spaces as any white space, for a search of lower-case ASCII text: an
    IGNORECASE search of the same words is several times slower."""
    if not all(w.isascii() for w in words):
        return None
    return re.compile(_alternatives([w.lower() for w in words]).replace(r"\ ", r"\s+"))


def _without_label(line: str, rules: DateRules) -> str:
    """The line after a label that opens it ("Published on: 15 Jan 2019" -> the date)."""
    label = rules.label.match(line)
    return line[label.end() :] if label else line


def may_be_date_line(line: str) -> bool:
    """Cheap: short and starting with a date, after a label if any. Every line of every
    page is asked."""
    rules = date_rules()
    if len(line) > rules.max_chars:
        return False
    start = line.lstrip()
    if not _opens_like_a_date(start, rules):
        start = _without_label(start, rules)
        if not _opens_like_a_date(start, rules):
            return False  # most lines: no need for the pattern
    return rules.candidate.match(start) is not None


def _opens_like_a_date(text: str, rules: DateRules) -> bool:
    return text[:1].isdigit() or text[:3].lower() in rules.openings


def _parse_day(text: str, whole: bool = False) -> date | None:
    """The day a date's text names, by python-dateutil (day first, as the site writes).

    `whole` says the text is known to hold a day, a month and a year (the pattern found
    them); otherwise it is parsed twice, to tell a text that lacks one.
    """
    iso = _ISO_DAY.fullmatch(text)
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
    from dateutil import parser  # declared heavy (12 ms): only when a page has a date

    try:
        days = [parser.parse(text, dayfirst=True, default=d) for d in _DEFAULTS[: 2 - whole]]
    except (ValueError, OverflowError):
        return None
    return days[0].date() if all(d == days[0] for d in days) else None  # a part missing


def is_date_line_rest(rest: str) -> bool:
    """What is left of a line without its dates is only a place, a time or a label."""
    rules = date_rules()
    words = [w.strip(",;:()[]") for w in rest.split()]
    words = [w for w in words if w and w.lower() not in rules.connectors]
    if len(words) > rules.max_other_words:
        return False
    # A month or a number left over is half a range the parser did not take, such as
    # "24 Apr to 28 Apr 2017": the line is not understood, so it gets no date.
    return not any(w.lower().rstrip(".") in rules.months or w.isdigit() for w in words)


@lru_cache(maxsize=8192)
def date_line_span(line: str) -> DateSpan | None:
    """The date or date range of a date line; None for any other line.

    `"24 Apr 2017 to 28 Apr 2017 Geneva"` → `DateSpan("2017-04-24", "2017-04-28")`;
    `"24-28 April 2017"` gives the same kind of range.
    """
    rules = date_rules()
    line = _without_label(squeeze(line), rules)
    first = rules.candidate.match(line) if len(line) <= rules.max_chars else None
    if first is None:
        return None
    rest = line[first.end() :]
    second = rules.candidate.match(_without_connectors(rest, rules))
    if second is not None:
        rest = _without_connectors(rest, rules)[second.end() :]
    if not is_date_line_rest(rest):
        return None  # prose that opens with a date, or a range half understood
    start = _parse_day(_first_day_text(first), whole=True)
    if start is None or not YEAR_MIN <= start.year <= YEAR_MAX:
        return None
    end = _parse_day(_first_day_text(second), whole=True) if second else None
    last_day = first.group("last") or first.group("last2")
    if end is None and last_day and int(last_day) > start.day:
        try:
            end = start.replace(day=int(last_day))
        except ValueError:
            end = None  # "30-31 June": no such day
    if end is None or end <= start:
        return DateSpan(start.isoformat())
    return DateSpan(start.isoformat(), end.isoformat())


def _first_day_text(found: re.Match[str]) -> str:
    """`24-28 April 2017` → `24 April 2017`: the date without the range's last day."""
    for group in ("range", "range2"):
        if found.group(group):
            start, end = found.span(group)
            date_start, date_end = found.span("date")
            return found.string[date_start:start] + found.string[end:date_end]
    return found.group("date")


def _without_connectors(text: str, rules: DateRules) -> str:
    words = text.split()
    while words and words[0].lower() in rules.connectors:
        words.pop(0)
    return " ".join(words)


@lru_cache(maxsize=1024)
def month_or_year_span(line: str) -> DateSpan | None:
    """The days of the month or the year a line names alone, after a label if any:
    `"November 2015"` → `DateSpan("2015-11-01", "2015-11-30")`, `"2015"` → the whole of
    2015; None for any other line, a day's date line included.

    Ask it only of a line where a page's date line stands: elsewhere "2015" is content.
    """
    rules = date_rules()
    line = _without_label(squeeze(line), rules)
    if len(line) > rules.max_chars or not rules.month_or_year.fullmatch(line):
        return None
    from dateutil import parser  # declared heavy (12 ms): only when a page has a date

    try:
        # The parts the line lacks come from the defaults: where they differ, it lacked them.
        first, second = (parser.parse(line, dayfirst=True, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        return None
    year = first.year
    if second.year != year or first.day == second.day or not YEAR_MIN <= year <= YEAR_MAX:
        return None  # a day given, or no year: not a month or a year alone
    if first.month != second.month:
        return DateSpan(date(year, 1, 1).isoformat(), date(year, 12, 31).isoformat())
    last = calendar.monthrange(year, first.month)[1]
    return DateSpan(
        date(year, first.month, 1).isoformat(), date(year, first.month, last).isoformat()
    )


def iso_day(value: str) -> str | None:
    """The day of a machine-readable date (`<time datetime>`, `article:published_time`)."""
    value = value.strip()
    iso = _ISO_DAY.match(value)
    day = _parse_day(iso.group(0)) if iso else (_parse_day(value) if len(value) <= 60 else None)
    return day.isoformat() if day and YEAR_MIN <= day.year <= YEAR_MAX else None


def span_of_days(days: list[str]) -> DateSpan | None:
    """The span of one or two days (a `<time>` element, or two of them for a range)."""
    days = sorted(set(days))
    if not days or len(days) > 2:
        return None
    return DateSpan(days[0], days[-1] if len(days) == 2 else "")


def publication_date(markup: str) -> str | None:
    """An HTML page's publication date from its markup (meta tags, structured data,
    `<time>` marked as published, its address), by htmldate, without guessing from text."""
    from htmldate import find_date  # imports lxml and urllib3: only for HTML pages

    try:
        found = find_date(
            markup, extensive_search=False, original_date=True, outputformat="%Y-%m-%d"
        )
    except RecursionError:
        raise  # a page nested too deeply: the caller names it
    except Exception:  # htmldate's own failure on an odd page: no publication date
        return None
    return iso_day(found) if found else None


def prose_years(text: str) -> tuple[int, ...]:
    """The years a paragraph is about: those it mentions, less founding years.

    `"founded in 1865"`, `"has governed trade since 1948"`: a cue from `dates.toml` at most
    `cue_window` words before a year leaves it out.
    """
    years = mentioned_years(text)
    if not years:
        return years
    rules = date_rules()
    anywhere = rules.founding_anywhere
    if anywhere is not None and text.isascii() and anywhere.search(text.lower()) is None:
        # No cue, so every year is kept: each stands in the text as it is written (an
        # ASCII text's digits are the ones a year is looked for by, below).
        return years
    kept: dict[int, None] = {}
    for year in years:
        for match in re.finditer(rf"(?<!\d){year}(?!\d)", text):
            if not _after_founding_cue(text[max(0, match.start() - 100) : match.start()], rules):
                kept[year] = None
                break
    return tuple(kept)


def _after_founding_cue(before: str, rules: DateRules) -> bool:
    words = before.split()[-(rules.cue_window + 3) :]
    window = " ".join(words)
    cues = list(rules.founding_cue.finditer(window))
    if not cues:
        return False
    between = window[cues[-1].end() :]
    # The cue must lead to this year: not to an earlier one, nor across a sentence.
    return len(between.split()) <= rules.cue_window and not _CUE_STOP.search(between)
