"""What indexing a text gives, worked out without a token object per word.

A full build spent a third of its time creating Whoosh's token objects. For the
analyzers dwsearch builds (and Whoosh's comma-separated keywords), these functions give
the same terms, positions and counts from the same filters' tables; a test holds them
equal to the analyzers' token streams on any text. An analyzer of another shape gets
None, and is run as Whoosh runs it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    StripFilter,
)

from .analysis import (
    CachedWordFilter,
    CaseTokenizer,
    ExpansionFilter,
    HyphenatedFilter,
    WordPositionFilter,
    case_as_meant,
)


def _chain_of(analyzer: Any, *kinds: type) -> list[Any] | None:
    """The analyzer's tokenizer and filters, if they are exactly these kinds, else None."""
    items = list(getattr(analyzer, "items", ()))
    return items if [type(item) for item in items] == list(kinds) else None


def positions_indexer(analyzer: Any) -> Callable[[str], dict[str, list[int]]] | None:
    """For `english_analyzer()`: a function giving what indexing a text gives, each term's
    positions, or None for an analyzer of any other shape.

    The same result as the analyzer's token stream (a test holds them equal), worked out
    without a token object per word: a full build spent a third of its time there.
    """
    items = _chain_of(
        analyzer, CaseTokenizer, CachedWordFilter, ExpansionFilter, WordPositionFilter
    )
    if items is None:
        return None
    tokenizer, words, expansion = items[0], items[1], items[2]
    outcome, by_terms, last_terms = words.outcome, expansion.by_terms, expansion.last_terms
    longest, find_words = expansion.longest, _word_finder(tokenizer.expression)

    def positions(text: str) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        recent: list[tuple[str, int]] = []  # words as the expansion filter saw them
        counter = delta = 0
        for place, word in enumerate(find_words(case_as_meant(text))):
            for term, offset, alias in outcome(word, "index"):
                seen = place + offset
                if alias:  # an alias keeps its place beside its word
                    found.setdefault(term, []).append(seen + delta)
                    continue
                delta = counter - seen  # words are numbered 0, 1, 2… with no gaps
                found.setdefault(term, []).append(counter)
                counter += 1
                recent.append((term, seen))
                if len(recent) > longest:
                    del recent[0]
                if term not in last_terms:
                    continue
                for size in range(2, len(recent) + 1):
                    window = recent[-size:]
                    acronym = by_terms.get(tuple(word for word, _ in window))
                    if acronym:
                        found.setdefault(acronym, []).append(window[0][1] + delta)
        return found

    return positions


def counts_indexer(analyzer: Any) -> Callable[[str], dict[str, int]] | None:
    """For `spelling_analyzer()`, or Whoosh's comma-separated keywords: a function giving
    each indexed word's count, or None for an analyzer of another shape."""
    keywords = _chain_of(analyzer, RegexTokenizer, StripFilter, LowercaseFilter)
    if keywords is not None:
        split = keywords[0].expression.finditer

        def keyword_counts(text: str) -> dict[str, int]:
            found: dict[str, int] = {}
            for match in split(text):
                word = match.group(0).strip().lower()
                found[word] = found.get(word, 0) + 1
            return found

        return keyword_counts
    items = _chain_of(
        analyzer, RegexTokenizer, HyphenatedFilter, LowercaseFilter, CharsetFilter, StopFilter
    )
    if items is None:
        return None
    tokenizer, charset, stops = items[0], items[3], items[4]
    charmap, stoplist, shortest, longest = charset.charmap, stops.stops, stops.min, stops.max
    find_words = _word_finder(tokenizer.expression)
    known: dict[str, tuple[str, ...]] = {}  # a written word -> the words it counts as

    def forms(whole: str) -> tuple[str, ...]:
        found = []
        for word in [*whole.split("-"), whole] if "-" in whole else [whole]:
            word = word.lower().translate(charmap)
            if len(word) < shortest or (longest is not None and len(word) > longest):
                continue
            if word not in stoplist:
                found.append(word)
        if len(known) >= CachedWordFilter.MAX_WORDS:
            known.clear()
        known[whole] = tuple(found)
        return known[whole]

    def counts(text: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for whole, count in Counter(find_words(text)).items():
            written = known.get(whole)
            for word in forms(whole) if written is None else written:
                found[word] = found.get(word, 0) + count
        return found

    return counts


def _word_finder(expression: re.Pattern[str]) -> Callable[[str], list[str]]:
    """Every match of a tokenizer's pattern, as strings (one C call when it can)."""
    if expression.groups == 0:
        return expression.findall
    return lambda text: [match.group(0) for match in expression.finditer(text)]
