"""Snippets that show why a hit matched.

The window of about 30 words holding the most distinct query terms wins, then the one
where matches are densest (the earliest, on a tie), as Pagefind slides its window. When
no one window holds every term the chunk has, the snippet is up to three shorter
passages, as Lucene's unified highlighter gives them: the fewest that cover every
distinct term, each the densest for the terms it covers, best first and joined by "…".
A quoted phrase or a compound is marked as one run, and only where its words stand
together; a prefix marks every word it begins; an acronym marks its expansion too
("AI" marks "artificial intelligence"). Only the hits shown are highlighted.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left
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
# When one window cannot show every term: at most this many passages of this many words.
MAX_PASSAGES = 3
PASSAGE_WORDS = 20
# Words of context shown before a passage's first match, where the passage has room.
LEAD_WORDS = 3
# Past this many distinct sets of terms that windows hold, passages are chosen greedily.
_MAX_EXACT_SETS = 12
_MAX_MAXIMAL_SETS = 64  # and past this many, without looking for those others contain
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
        texts = _WORD.findall(reading)  # the same words, as strings
        found = self._terms_of_each(texts, starts)
        return snippet(text, words, _marks(texts, found, marks, runs), window)

    def _terms_of_each(self, texts: list[str], starts: frozenset[str]) -> list[frozenset[str]]:
        """`_terms_if_possible` of each word, each distinct word once (a chunk's words
        repeat: this loop is most of a page of hits' highlighting)."""
        seen: dict[str, frozenset[str]] = {}
        found = []
        for word in texts:
            terms = seen.get(word)
            if terms is None:
                terms = seen[word] = self._terms_if_possible(word, starts)
            found.append(terms)
        return found

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
    words: list[str],
    found: list[frozenset[str]],
    marks: QueryMarks,
    runs: list[tuple[str, tuple[str, ...]]],
) -> list[Mark]:
    """Every place the query matched: single words, then runs of words that stand
    together (stop words between them do not count, as in the index)."""
    placed: list[Mark] = []
    prefixes = sorted(marks.prefixes)
    for index, terms in enumerate(found):
        if not terms:
            continue
        for term in sorted(terms & marks.terms):
            placed.append(Mark(index, index, term))
        for prefix in prefixes:
            if any(t.startswith(prefix) for t in terms):
                placed.append(Mark(index, index, f"{prefix}*"))
    if not runs:
        return placed
    stops = stop_words()
    content = [i for i, word in enumerate(words) if word.lower() not in stops]
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
    most marked words; or, when no such window covers every term the text holds, the
    fewest passages (up to three) that do."""
    if len(words) < WHOLE_BELOW or len(words) <= window:
        return Snippet(_segments(text, words, marks, 0, len(words), whole=True))
    best_start, best = _best_window(marks, len(words), window)
    distinct = len({m.term for m in marks})
    if best[0] < distinct and window == WINDOW_WORDS:
        spans = _passage_spans(marks, len(words), PASSAGE_WORDS)
        passages = [_passage(text, words, marks, start, length) for start, length in spans]
        return Snippet.joined(passages)
    return _passage(text, words, marks, best_start, window)


def _passage(
    text: str, words: list[re.Match[str]], marks: list[Mark], start: int, window: int
) -> Snippet:
    """The `window` words from `start`, begun up to LEAD_WORDS earlier where that
    leaves every match of the window inside, so the first is read in context."""
    inside = [m for m in marks if start <= m.first and m.last < start + window]
    if inside:
        first, last = min(m.first for m in inside), max(m.last for m in inside)
        start = max(0, first - LEAD_WORDS, last - window + 1)
    start = max(0, min(start, len(words) - window))
    end = min(len(words), start + window)
    return Snippet(
        _segments(text, words, marks, start, end, whole=False),
        cut_before=start > 0,
        cut_after=end < len(words),
    )


def _passage_spans(marks: list[Mark], size: int, window: int) -> list[tuple[int, int]]:
    """Where the passages start and how many words each has, best first: the fewest
    windows of `window` words (up to MAX_PASSAGES) whose marks cover every distinct
    term, else the most terms; among equals, the most marked words. Windows that overlap
    or touch become one passage."""
    terms = sorted({m.term for m in marks})
    bit = {term: 1 << n for n, term in enumerate(terms)}
    # The best window for each set of terms a window can hold: one starting at a mark
    # (any window can slide right to its first mark and hold as much).
    best_for: dict[int, tuple[int, int]] = {}  # set of terms -> (marked words, -start)
    marks = sorted(marks)
    firsts = [m.first for m in marks]
    for start in sorted({min(m.first, max(0, size - window)) for m in marks}):
        near = marks[bisect_left(firsts, start) : bisect_left(firsts, start + window)]
        inside = [m for m in near if m.last < start + window]
        held = 0
        for mark in inside:
            held |= bit[mark.term]
        marked = len({w for m in inside for w in range(m.first, m.last + 1)})
        if held and (held not in best_for or (marked, -start) > best_for[held]):
            best_for[held] = (marked, -start)
    sets = list(best_for)
    if len(sets) <= _MAX_MAXIMAL_SETS:  # only sets no other contains can be needed
        sets = [h for h in sets if not any(o != h and o & h == h for o in sets)]
    sets.sort(key=lambda h: (-h.bit_count(), -best_for[h][0], -best_for[h][1]))
    chosen = _cover(sets, best_for, (1 << len(terms)) - 1)
    spans = sorted((-best_for[h][1], h) for h in chosen)
    merged: list[list[int]] = []  # [start, end, set of terms]
    for start, held in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], start + window)
            merged[-1][2] |= held
        else:
            merged.append([start, start + window, held])
    merged.sort(key=lambda m: (-m[2].bit_count(), m[0]))
    return [(start, end - start) for start, end, _ in merged]


def _cover(sets: list[int], best_for: dict[int, tuple[int, int]], full: int) -> list[int]:
    """The fewest sets (up to MAX_PASSAGES) whose union is `full`, the most marked words
    among them; failing that, those that cover the most terms. Exact over the few sets
    windows give; greedy past _MAX_EXACT_SETS of them."""
    if len(sets) > _MAX_EXACT_SETS:
        chosen: list[int] = []
        covered = 0
        for _ in range(MAX_PASSAGES):
            gain = max(sets, key=lambda h: ((h & ~covered).bit_count(), best_for[h][0]))
            if not gain & ~covered:
                break
            chosen.append(gain)
            covered |= gain
        return chosen
    best: tuple[tuple[int, int, int], list[int]] | None = None
    for count in range(1, MAX_PASSAGES + 1):
        for combination in itertools.combinations(sets, min(count, len(sets))):
            union = 0
            for held in combination:
                union |= held
            score = (union.bit_count(), -count, sum(best_for[h][0] for h in combination))
            if best is None or score > best[0]:
                best = (score, list(combination))
        if best is not None and best[0][0] == full.bit_count():
            break
    return best[1] if best else []


def _best_window(marks: list[Mark], size: int, window: int) -> tuple[int, tuple[int, int]]:
    """The first window start with the most distinct terms, then the most marked words,
    among the marks wholly inside; slid with running counts, from one window end where
    a mark comes in or goes out to the next (between them nothing changes)."""
    entering: dict[int, list[Mark]] = {}  # by the first window end that holds the mark
    for mark in marks:
        entering.setdefault(mark.last, []).append(mark)
    arrivals = sorted(entering)
    terms: dict[str, int] = {}
    covered = [0] * size  # how many marks inside the window cover each word
    marked = 0
    inside: list[Mark] = []
    best_start, best = 0, (-1, -1)
    end, arrival = 0, 0
    while end < size:
        for mark in entering.get(end, ()):
            inside.append(mark)
            terms[mark.term] = terms.get(mark.term, 0) + 1
            for word in range(mark.first, mark.last + 1):
                covered[word] += 1
                marked += covered[word] == 1
        start = end - window + 1
        for mark in [m for m in inside if m.first < start]:
            inside.remove(mark)
            terms[mark.term] -= 1
            if not terms[mark.term]:
                del terms[mark.term]
            for word in range(mark.first, mark.last + 1):
                covered[word] -= 1
                marked -= covered[word] == 0
        if start >= 0:
            score = (len(terms), marked)
            if score > best:
                best_start, best = start, score
        # The next end at which a mark comes in, one goes out, or the first window ends.
        while arrival < len(arrivals) and arrivals[arrival] <= end:
            arrival += 1
        following = [arrivals[arrival]] if arrival < len(arrivals) else []
        following += [min(m.first for m in inside) + window] if inside else []
        following += [window - 1] if start < 0 else []
        if not following:
            break
        end = min(following)
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
