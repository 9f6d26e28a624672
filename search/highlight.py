"""Snippets that show why a hit matched.

The window of about 30 words holding the most distinct query terms wins, then the one
where matches are densest (the earliest, on a tie), as Pagefind slides its window. A
quoted phrase or a compound is marked as one run, and only where its words stand
together; a prefix marks every word it begins; an acronym marks its expansion too
("AI" marks "artificial intelligence"). Only the hits shown are highlighted.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from whoosh import query

from dwsearch.index.analysis import WORD_PATTERN, ExpansionFilter, case_as_meant, kept_prefix
from dwsearch.lexicon import stop_words

from .query import SEARCH_FIELDS
from .results import Segment, Snippet

# A chunk's words repeat across chunks and searches: each is looked at once a session.
_kept_prefix = lru_cache(maxsize=200_000)(kept_prefix)

WINDOW_WORDS = 30
# A chunk this short is shown whole: cutting it would save the reader nothing.
WHOLE_BELOW = WINDOW_WORDS + 8
_WORD = re.compile(WORD_PATTERN)


class QueryMarks(NamedTuple):
    """What a query's matches look like in a text: single terms, runs of terms that
    must stand together (each with the query term it counts as), and prefixes."""

    terms: frozenset[str]
    runs: tuple[tuple[str, tuple[str, ...]], ...]
    prefixes: frozenset[str]

    @classmethod
    def of(cls, parsed: query.Query) -> QueryMarks:
        """The marks of every clause a hit may have matched (not of excluded words)."""
        terms: set[str] = set()
        phrases: set[tuple[str, ...]] = set()
        prefixes: set[str] = set()
        for leaf in _matching_leaves(parsed):
            if getattr(leaf, "fieldname", None) not in SEARCH_FIELDS:
                continue
            if type(leaf) is query.Term:
                terms.add(_text(leaf.text))
            elif type(leaf) is query.Phrase and leaf.words:
                phrases.add(tuple(_text(w) for w in leaf.words))
            elif isinstance(leaf, query.Prefix):
                prefixes.add(_text(leaf.text))
        # A phrase whose words are all searched alone anyway (the bonus for words typed
        # side by side) marks nothing the words do not.
        runs = tuple((" ".join(p), p) for p in sorted(phrases) if not set(p) <= terms)
        return cls(frozenset(terms), runs, frozenset(prefixes))


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _matching_leaves(node: query.Query) -> list[query.Query]:
    if isinstance(node, query.Not):
        return []
    if isinstance(node, query.AndNot):
        return _matching_leaves(node.a)
    children = node.children() if node.is_leaf() is False else []
    if not children:
        return [node]
    return [leaf for child in children for leaf in _matching_leaves(child)]


class Mark(NamedTuple):
    """Words `first` to `last` (by their order in the text) match query term `term`."""

    first: int
    last: int
    term: str


class Highlighter:
    """Marks what a query matched in a text, by the index's own analysis."""

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer
        self.word_terms = lru_cache(maxsize=50_000)(self._word_terms)
        # Each acronym's expansions as analysed words, to mark them as the acronym.
        self.expansions: dict[str, list[tuple[str, ...]]] = {}
        for item in getattr(analyzer, "items", ()):
            if isinstance(item, ExpansionFilter):
                for words, acronym in item.by_terms.items():
                    self.expansions.setdefault(acronym, []).append(words)

    def _word_terms(self, word: str) -> frozenset[str]:
        """Every term indexing this word would produce, aliases included."""
        return frozenset(t.text for t in self.analyzer(word, mode="index"))

    def matches(self, word: str, terms: frozenset[str], starts: frozenset[str]) -> bool:
        """Whether the word matches; `starts` are the terms' first two letters.

        A word that keeps its first letters through analysis, and whose first letters
        begin no term, is skipped without analysing it.
        """
        return bool(self._terms_if_possible(word, starts) & terms)

    def _terms_if_possible(self, word: str, starts: frozenset[str]) -> frozenset[str]:
        prefix = _kept_prefix(word)
        if prefix is not None and prefix not in starts and prefix[:1] not in starts:
            return frozenset()
        return self.word_terms(word)

    def snippet(
        self, text: str, marks: QueryMarks | frozenset[str], window: int = WINDOW_WORDS
    ) -> Snippet:
        if not isinstance(marks, QueryMarks):  # plain terms
            marks = QueryMarks(frozenset(marks), (), frozenset())
        runs, starts = self._plan(marks)
        reading = case_as_meant(text)
        if len(reading) != len(text):
            reading = text  # lower case changed the length: read it as written
        words = list(_WORD.finditer(reading))
        found = [self._terms_if_possible(m.group(0), starts) for m in words]
        return snippet(text, words, _marks(words, found, marks, runs), window)

    @lru_cache(maxsize=64)  # noqa: B019 - one highlighter a session, a few queries at a time
    def _plan(self, marks: QueryMarks) -> tuple[list[tuple[str, tuple[str, ...]]], frozenset[str]]:
        """The runs to look for (the query's, and its acronyms' expansions), and the first
        letters of every term that could match."""
        runs = list(marks.runs)
        for term in sorted(marks.terms):
            runs += [(term, words) for words in self.expansions.get(term, ())]
        wanted = set(marks.terms) | {w for _, words in runs for w in words}
        starts = frozenset(t[:2] for t in wanted) | frozenset(p[:2] for p in marks.prefixes)
        return runs, starts


def _marks(
    words: list[re.Match[str]],
    found: list[frozenset[str]],
    marks: QueryMarks,
    runs: list[tuple[str, tuple[str, ...]]],
) -> list[Mark]:
    """Every place the query matched: single words, then runs of words that stand
    together (stop words between them do not count, as in the index)."""
    placed: list[Mark] = []
    for index, terms in enumerate(found):
        if not terms:
            continue
        for term in sorted(terms & marks.terms):
            placed.append(Mark(index, index, term))
        for prefix in sorted(marks.prefixes):
            if any(t.startswith(prefix) for t in terms):
                placed.append(Mark(index, index, f"{prefix}*"))
    if not runs:
        return placed
    stops = stop_words()
    content = [i for i, m in enumerate(words) if m.group(0).lower() not in stops]
    for place, index in enumerate(content):
        if not found[index]:
            continue
        for term, run in runs:
            if run[0] not in found[index] or place + len(run) > len(content):
                continue
            following = content[place : place + len(run)]
            if all(word in found[at] for word, at in zip(run, following, strict=True)):
                placed.append(Mark(index, following[-1], term))
    return placed


def snippet(
    text: str, words: list[re.Match[str]], marks: list[Mark], window: int = WINDOW_WORDS
) -> Snippet:
    """The window of `window` words covering the most distinct query terms, then the
    most marked words."""
    if len(words) < WHOLE_BELOW or len(words) <= window:
        return Snippet(_segments(text, words, marks, 0, len(words), whole=True))
    best_start, best = _best_window(marks, len(words), window)
    if best[0] > 0:
        # Start a little before the first match, so it is read in context.
        first = min(m.first for m in marks if best_start <= m.first < best_start + window)
        best_start = max(0, min(first - 3, len(words) - window))
    end = best_start + window
    return Snippet(
        _segments(text, words, marks, best_start, end, whole=False),
        cut_before=best_start > 0,
        cut_after=end < len(words),
    )


def _best_window(marks: list[Mark], size: int, window: int) -> tuple[int, tuple[int, int]]:
    """The first window start with the most distinct terms, then the most marked words,
    among the marks wholly inside; slid one word at a time with running counts."""
    entering: dict[int, list[Mark]] = {}  # by the first window end that holds the mark
    for mark in marks:
        entering.setdefault(mark.last, []).append(mark)
    terms: dict[str, int] = {}
    covered = [0] * size  # how many marks inside the window cover each word
    marked = 0
    inside: list[Mark] = []
    best_start, best = 0, (-1, -1)
    for end in range(size):
        for mark in entering.get(end, ()):
            inside.append(mark)
            terms[mark.term] = terms.get(mark.term, 0) + 1
            for word in range(mark.first, mark.last + 1):
                covered[word] += 1
                marked += covered[word] == 1
        start = end - window + 1
        if start < 0:
            continue
        for mark in [m for m in inside if m.first < start]:
            inside.remove(mark)
            terms[mark.term] -= 1
            if not terms[mark.term]:
                del terms[mark.term]
            for word in range(mark.first, mark.last + 1):
                covered[word] -= 1
                marked -= covered[word] == 0
        score = (len(terms), marked)
        if score > best:
            best_start, best = start, score
    return best_start, best


def _segments(
    text: str, words: list[re.Match[str]], marks: list[Mark], start: int, end: int, whole: bool
) -> tuple[Segment, ...]:
    if not words:
        return (Segment(text),) if text else ()
    begin = 0 if whole else words[start].start()
    finish = len(text) if whole else words[end - 1].end()
    # Marked runs within the window, overlapping ones joined: each is one marked segment.
    spans: list[list[int]] = []
    for mark in sorted(marks):
        first, last = max(mark.first, start), min(mark.last, end - 1)
        if first > last:
            continue
        if spans and first <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    segments: list[Segment] = []
    cursor = begin
    for first, last in spans:
        left, right = words[first].start(), words[last].end()
        if left > cursor:
            segments.append(Segment(text[cursor:left]))
        segments.append(Segment(text[left:right], marked=True))
        cursor = right
    if cursor < finish:
        segments.append(Segment(text[cursor:finish]))
    return tuple(segments)
