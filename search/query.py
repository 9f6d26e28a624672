"""From what the user typed to a Whoosh query: the language, typo tolerance, filters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from whoosh import qparser, query
from whoosh.support.levenshtein import distance

from dwsearch.index.analysis import acronyms, spelling_analyzer

from .errors import SearchError
from .results import Filters

SEARCH_FIELDS = ("title", "text")
FIELD_BOOSTS = {"title": 2.0, "text": 1.0}
# Each extra matching word raises a chunk's score: more of the query ranks higher.
COORDINATION = 0.9
FIELD_ALIASES = {
    "topics": ["topic"],
    "sectors": ["sector"],
    "years": ["year"],
    "baskets": ["basket"],
    "type": ["types"],
}
MAX_QUERY_CHARS = 2000
# "-" and "+" are operators only at the start of a word, so "ITU-T" stays one word.
_MINUS = r"(?:^|(?<=[\s(]))-(?=[^\s-])"
_PLUS = r"(?:^|(?<=[\s(]))\+(?=\S)"
_CURLY_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


def _parser(schema: Any, syntax: bool = True) -> qparser.QueryParser:
    """The query language; without `syntax`, plain words only (the fallback)."""
    parser = qparser.MultifieldParser(
        list(SEARCH_FIELDS),
        schema,
        fieldboosts=FIELD_BOOSTS,
        group=qparser.OrGroup.factory(COORDINATION),
        plugins=None if syntax else [qparser.WhitespacePlugin()],
    )
    if syntax:
        parser.remove_plugin_class(qparser.SingleQuotePlugin)  # apostrophes are not quotes
        parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=_PLUS, minusexpr=_MINUS))
        parser.add_plugin(qparser.FieldAliasPlugin(FIELD_ALIASES))
    return parser


def clean_query_text(text: str) -> str:
    text = "".join(c if c.isprintable() else " " for c in text)
    return text.translate(_CURLY_QUOTES).strip()[:MAX_QUERY_CHARS]


def parse_query(text: str, schema: Any) -> query.Query:
    """The query the user meant; syntax that does not parse is searched as plain words."""
    text = clean_query_text(text)
    if not text:
        return query.Every()
    try:
        parsed = _parser(schema).parse(text)
    except Exception:  # any syntax Whoosh chokes on is searched as plain words
        parsed = query.NullQuery
    if parsed is query.NullQuery:
        # Whoosh gives up quietly on some syntax (deep nesting, an unclosed range).
        words = " ".join(re.findall(r"\w+", text))
        return _parser(schema, syntax=False).parse(words) if words else query.NullQuery
    return parsed


@dataclass(frozen=True)
class Correction:
    start: int
    end: int
    word: str
    replacement: str


def _typed_words(parsed: query.Query, text: str) -> list[tuple[int, int, list[query.Term]]]:
    """Plain words of the query with the terms each became, by their place in the text."""
    spans: dict[tuple[int, int], list[query.Term]] = {}
    for leaf in parsed.leaves():
        if type(leaf) is query.Term and leaf.fieldname in SEARCH_FIELDS:
            start, end = getattr(leaf, "startchar", None), getattr(leaf, "endchar", None)
            if start is not None and end is not None:
                spans.setdefault((start, end), []).append(leaf)
    return [(s, e, terms) for (s, e), terms in sorted(spans.items())]


def find_corrections(parsed: query.Query, text: str, searcher: Any) -> list[Correction]:
    """Closest indexed words for the words that match nothing as typed."""
    reader = searcher.reader()
    corrections = []
    known_acronyms = acronyms()
    for start, end, terms in _typed_words(parsed, text):
        word = text[start:end]
        if ":" in word or word in known_acronyms or not word.isalpha() or len(word) < 3:
            continue
        if any(reader.doc_frequency(t.fieldname, t.text) for t in terms):
            continue
        replacement = closest_word(word, reader)
        if replacement:
            corrections.append(Correction(start, end, word, replacement))
    return corrections


def closest_word(word: str, reader: Any) -> str | None:
    """The indexed word nearest in edit distance; the more common one when tied."""
    folded = [t.text for t in spelling_analyzer()(word)]
    if not folded:
        return None
    target = folded[0]
    max_distance = 1 if len(target) <= 4 else 2
    candidates = [
        (distance(target, found), -reader.doc_frequency("spell", found), found)
        for found in reader.terms_within("spell", target, max_distance, prefix=1)
        if found != target
    ]
    return min(candidates)[2] if candidates else None


def apply_corrections(text: str, corrections: list[Correction]) -> str:
    for fix in sorted(corrections, key=lambda c: c.start, reverse=True):
        text = text[: fix.start] + fix.replacement + text[fix.end :]
    return text


# ------------------------------------------------------------------------- filters
_YEAR_RANGE = re.compile(r"^\s*(\d{4})?\s*(\.\.)?\s*(\d{4})?\s*$")


def parse_year_filter(value: str) -> tuple[int | None, int | None]:
    """`2018`, `2015..2018`, `2015..` or `..2018`."""
    match = _YEAR_RANGE.match(value)
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


def filter_queries(filters: Filters) -> dict[str, query.Query]:
    """One query per facet that has filters: its values OR'd."""
    queries: dict[str, query.Query] = {}
    if filters.types:
        queries["type"] = query.Or([query.Term("type", v) for v in filters.types])
    if filters.sectors:
        queries["sector"] = query.Or([query.Term("sectors", v.lower()) for v in filters.sectors])
    if filters.topics:
        queries["topic"] = query.Or([query.Term("topics", v.lower()) for v in filters.topics])
    if filters.years:
        queries["year"] = query.Or(
            [query.NumericRange("years", low, high) for low, high in filters.years]
        )
    return queries
