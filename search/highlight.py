"""Snippets: the window of about 30 words where a chunk's matches are densest.

As Pagefind does, a window slides over the words and the one holding the most matches
wins (the earliest, on a tie). Only the hits shown are highlighted.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from dwsearch.index.analysis import WORD_PATTERN, kept_prefix

from .results import Segment, Snippet

WINDOW_WORDS = 30
# A chunk this short is shown whole: cutting it would save the reader nothing.
WHOLE_BELOW = WINDOW_WORDS + 8
_WORD = re.compile(WORD_PATTERN)


class Highlighter:
    """Marks the words of a text that a query's terms match, by the index's own analysis."""

    def __init__(self, analyzer: Any) -> None:
        self.analyzer = analyzer
        self.word_terms = lru_cache(maxsize=50_000)(self._word_terms)

    def _word_terms(self, word: str) -> frozenset[str]:
        """Every term indexing this word would produce, aliases included."""
        return frozenset(t.text for t in self.analyzer(word, mode="index"))

    def matches(self, word: str, terms: frozenset[str], starts: frozenset[str]) -> bool:
        """Whether the word matches; `starts` are the terms' first two letters.

        A word that keeps its first letters through analysis, and whose first letters
        begin no term, is skipped without analysing it.
        """
        prefix = kept_prefix(word)
        if prefix is not None and prefix not in starts and prefix[:1] not in starts:
            return False
        return bool(self.word_terms(word) & terms)

    def snippet(self, text: str, terms: frozenset[str], window: int = WINDOW_WORDS) -> Snippet:
        starts = frozenset(term[:2] for term in terms)
        marked = [self.matches(m.group(0), terms, starts) for m in _WORD.finditer(text)]
        return snippet(text, marked, window)


def snippet(text: str, marked: list[bool], window: int = WINDOW_WORDS) -> Snippet:
    """The window of `window` words holding the most marked words."""
    words = list(_WORD.finditer(text))
    if len(words) < WHOLE_BELOW:
        return Snippet(_segments(text, words, marked, 0, len(words), whole=True))
    best_start, best_count = 0, -1
    count = sum(marked[:window])
    for start in range(0, len(words) - window + 1):
        if start:
            count += marked[start + window - 1] - marked[start - 1]
        if count > best_count:
            best_start, best_count = start, count
    if best_count > 0:
        # Start a little before the first match, so it is read in context.
        first = next(i for i in range(best_start, best_start + window) if marked[i])
        best_start = max(0, min(first - 3, len(words) - window))
    end = best_start + window
    return Snippet(
        _segments(text, words, marked, best_start, end, whole=False),
        cut_before=best_start > 0,
        cut_after=end < len(words),
    )


def _segments(
    text: str, words: list[re.Match[str]], marked: list[bool], start: int, end: int, whole: bool
) -> tuple[Segment, ...]:
    if not words:
        return (Segment(text),) if text else ()
    begin = 0 if whole else words[start].start()
    finish = len(text) if whole else words[end - 1].end()
    segments: list[Segment] = []
    cursor = begin
    for index in range(start, end):
        if not marked[index]:
            continue
        match = words[index]
        if match.start() > cursor:
            segments.append(Segment(text[cursor : match.start()]))
        segments.append(Segment(match.group(0), marked=True))
        cursor = match.end()
    if cursor < finish:
        segments.append(Segment(text[cursor:finish]))
    return tuple(_merge(segments))


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].marked == segment.marked and not segment.marked:
            merged[-1] = Segment(merged[-1].text + segment.text)
        else:
            merged.append(segment)
    return merged
