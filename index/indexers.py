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

KEYWORD_TEXTS = 10_000  # distinct keyword texts whose counts are remembered


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
    # A word's plan: its one term, where it indexes as one term in its own place that
    # ends no acronym (most words: one dict lookup then); else what the filters give.
    plans: dict[str, str | tuple[tuple[str, int, bool], ...]] = {}

    def plan_of(word: str) -> str | tuple[tuple[str, int, bool], ...]:
        found = outcome(word, "index")
        plan: str | tuple[tuple[str, int, bool], ...] = found
        if len(found) == 1 and found[0][1:] == (0, False) and found[0][0] not in last_terms:
            plan = found[0][0]
        if len(plans) >= CachedWordFilter.MAX_WORDS:
            plans.clear()
        plans[word] = plan
        return plan

    def positions(text: str) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        # Every term in its own place, in order, and where its word stood: the last
        # `longest` of them are the words the expansion filter would have in view.
        terms: list[str] = []
        seen_at: list[int] = []
        counter = delta = 0
        for place, word in enumerate(find_words(case_as_meant(text))):
            plan = plans.get(word)
            if plan is None:
                plan = plan_of(word)
            if plan.__class__ is str:
                delta = counter - place
                held = found.get(plan)  # type: ignore[arg-type]
                if held is None:
                    found[plan] = [counter]  # type: ignore[index]
                else:
                    held.append(counter)
                counter += 1
                terms.append(plan)  # type: ignore[arg-type]
                seen_at.append(place)
                continue
            for term, offset, alias in plan:
                seen = place + offset
                if alias:  # an alias keeps its place beside its word
                    found.setdefault(term, []).append(seen + delta)
                    continue
                delta = counter - seen  # words are numbered 0, 1, 2… with no gaps
                found.setdefault(term, []).append(counter)
                counter += 1
                terms.append(term)
                seen_at.append(seen)
                if term not in last_terms:
                    continue
                for size in range(2, min(longest, len(terms)) + 1):
                    acronym = by_terms.get(tuple(terms[-size:]))
                    if acronym:
                        found.setdefault(acronym, []).append(seen_at[-size] + delta)
        return found

    return positions


def counts_indexer(analyzer: Any) -> Callable[[str], dict[str, int]] | None:
    """For `spelling_analyzer()`, or Whoosh's comma-separated keywords: a function giving
    each indexed word's count, or None for an analyzer of another shape."""
    keywords = _chain_of(analyzer, RegexTokenizer, StripFilter, LowercaseFilter)
    if keywords is not None:
        split = keywords[0].expression.finditer
        # A facet's keywords repeat from chunk to chunk ("cybersecurity,privacy"): each
        # text's counts are remembered, and handed out to be read, not changed.
        seen: dict[str, dict[str, int]] = {}

        def keyword_counts(text: str) -> dict[str, int]:
            found = seen.get(text)
            if found is not None:
                return found
            found = {}
            for match in split(text):
                word = match.group(0).strip().lower()
                found[word] = found.get(word, 0) + 1
            if len(seen) >= KEYWORD_TEXTS:
                seen.clear()
            seen[text] = found
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
