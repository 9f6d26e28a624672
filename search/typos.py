"""Typo tolerance, as Meilisearch has it: a word that is neither indexed nor English may
be a typo of the nearest indexed word within its length's budget of edits, and matches
that word too; a correct word is never rewritten.

The words of the lexicon's expansions ("artificial intelligence" for AI) and of the
taxonomy's names count as known words too: a page that writes only "AI" still corrects
"artifical" to "artificial", which then finds it through the acronym."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

from whoosh import query

from dwsearch.index.analysis import acronyms, spelling_analyzer
from dwsearch.index.reading import holds_live, live_doc_frequency
from dwsearch.lexicon import stop_words

from .query import FIELD_BOOSTS, QUOTED, SEARCH_FIELDS, plain_words_query

SPELLING_FIELD = "spell"
# A first letter's words in the spelling field.
SpelledWords = Callable[[str], list[str]]


def spelled_words(reader: Any) -> SpelledWords:
    """The spelling field's words that begin with a letter, read from every segment the
    first time the letter is asked for, and kept: Whoosh's lookup merges the segments'
    term tables on each call (1 to 10 ms at 18 segments). What is kept is at most the
    field's lexicon, which its reader holds anyway."""
    kept: dict[str, list[str]] = {}

    def words(first: str) -> list[str]:
        found = kept.get(first)
        if found is None:
            field = reader.schema[SPELLING_FIELD]
            found = kept[first] = [
                field.from_bytes(term) for term in reader.expand_prefix(SPELLING_FIELD, first)
            ]
        return found

    return words


class Correction(NamedTuple):
    """A mistyped word, where it stands in the query, and the indexed word meant."""

    start: int
    end: int
    word: str
    replacement: str


# Meilisearch's typo tolerance: no typo in a word under 5 letters, one from 5, two from 9.
ONE_TYPO_FROM, TWO_TYPOS_FROM = 5, 9


def typos_allowed(word: str) -> int:
    """How many edits a word as long as this one may hold."""
    if len(word) >= TWO_TYPOS_FROM:
        return 2
    return 1 if len(word) >= ONE_TYPO_FROM else 0


@cache
def english_words() -> Any:
    """A well-kept English word list with frequencies (pyspellchecker's, from
    OpenSubtitles and SCOWL), loaded only when a word might be a typo (about 0.2 s)."""
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


def is_known_word(word: str) -> bool:
    """Whether a word is correct English or a name the English word list knows."""
    return word.lower() in english_words()


@cache
def expansion_words() -> frozenset[str]:
    """The words acronyms expand to, as the spelling field folds them."""
    return folded_words(
        " ".join(" ".join(words) for row in acronyms().values() for words in row.expansions)
    )


def folded_words(text: str) -> frozenset[str]:
    """A text's words as the spelling field holds them (lower case, accents folded),
    less stop words."""
    return frozenset(t.text for t in spelling_analyzer()(text)) - stop_words()


def _typed_words(parsed: query.Query, text: str) -> list[tuple[int, int, list[query.Term]]]:
    """Plain words of the query with the terms each became, by their place in the text."""
    spans: dict[tuple[int, int], list[query.Term]] = {}
    for leaf in parsed.leaves():
        if type(leaf) is query.Term and leaf.fieldname in SEARCH_FIELDS:
            start, end = getattr(leaf, "startchar", None), getattr(leaf, "endchar", None)
            if start is not None and end is not None:
                spans.setdefault((start, end), []).append(leaf)
    return [(s, e, terms) for (s, e), terms in sorted(spans.items())]


def find_corrections(
    parsed: query.Query,
    text: str,
    searcher: Any,
    lexicon: Callable[[], frozenset[str]] = frozenset,
    spelled: SpelledWords | None = None,
) -> list[Correction]:
    """Closest indexed (or `lexicon`) words for the words that may be typos.

    A word is left as typed when it is short, inside quotes, excluded, an acronym, a
    word the index holds, a `lexicon` word, or a word known to be correct English: only
    a word that is none of these can be a typo, and only into an indexed or `lexicon`
    word within its typo budget. `lexicon` is asked only when a word may be a typo.
    """
    reader = searcher.reader()
    spelled = spelled or spelled_words(reader)
    quoted = [m.span() for m in QUOTED.finditer(text)]
    corrections = []
    known_acronyms = acronyms()
    for start, end, terms in _typed_words(parsed, text):
        word = text[start:end]
        if not word.isalpha() or not typos_allowed(word) or word in known_acronyms:
            continue
        if any(a <= start < b for a, b in quoted) or text[:start].endswith("-"):
            continue
        if any(holds_live(reader, t.fieldname, t.text) for t in terms):
            continue
        if is_known_word(word) or folded_words(word) <= lexicon():
            continue
        replacement = closest_word(word, reader, lexicon(), spelled)
        if replacement:
            corrections.append(Correction(start, end, word, replacement))
    return corrections


def closest_word(
    word: str,
    reader: Any,
    lexicon: frozenset[str] = frozenset(),
    spelled: SpelledWords | None = None,
) -> str | None:
    """The indexed or `lexicon` word nearest in edit distance, within the word's typo
    budget; the more common one in the index when tied (an indexed word before a word
    only the lexicon has). The first letter is taken as typed (few typos are there, and
    it keeps the lookup to one letter's words). Never a stop word, nor a word only
    deleted chunks hold (a removed page's, until its segment is rewritten)."""
    folded = [t.text for t in spelling_analyzer()(word)]
    if not folded:
        return None
    target = folded[0]
    budget = typos_allowed(target)
    words = (spelled or spelled_words(reader))(target[:1])
    candidates = sorted(
        (edits, found)
        for found, edits in words_within(target, budget, words)
        if found != target and found not in stop_words() and "-" not in found
    )
    indexed = {found for _, found in candidates}
    known = [
        known
        for known in lexicon
        if known[:1] == target[:1] and known != target and known not in indexed and "-" not in known
    ]
    candidates += [(edits, found) for found, edits in words_within(target, budget, known)]
    candidates.sort()
    nearest: list[tuple[int, str]] = []  # the live (or lexicon) words fewest edits away
    for edits, found in candidates:
        if nearest and edits > nearest[0][0]:
            break
        if found in lexicon or holds_live(reader, SPELLING_FIELD, found):
            nearest.append((edits, found))
    if len(nearest) < 2:
        return nearest[0][1] if nearest else None
    return min(
        (found for _, found in nearest),
        key=lambda found: (-live_doc_frequency(reader, SPELLING_FIELD, found), found),
    )


def words_within(target: str, budget: int, words: list[str]) -> list[tuple[str, int]]:
    """The words at most `budget` edits from `target`, with their edits: insertions,
    deletions, substitutions and swaps of two neighbouring letters, one edit each, as
    Meilisearch and Elasticsearch count a typo (the optimal string alignment distance)."""
    from rapidfuzz.distance import OSA  # declared deferred: only a possible typo
    from rapidfuzz.process import extract

    found = extract(target, words, scorer=OSA.distance, score_cutoff=budget, limit=None)
    return [(word, int(edits)) for word, edits, _ in found]


def apply_corrections(text: str, corrections: list[Correction]) -> str:
    for fix in sorted(corrections, key=lambda c: c.start, reverse=True):
        text = text[: fix.start] + fix.replacement + text[fix.end :]
    return text


def with_corrections(
    tree: query.Query,
    corrections: list[Correction],
    schema: Any,
    boosts: dict[str, float] = FIELD_BOOSTS,
) -> query.Query:
    """The query with each mistyped word's terms widened to the word OR its correction."""
    fixes: dict[tuple[int, int, str], list[query.Query]] = {}
    for fix in corrections:
        corrected = plain_words_query(fix.replacement, schema, boosts)
        for leaf in corrected.leaves() if corrected is not None else ():
            # In the place of the word typed, as a correction of it (for --explain).
            leaf.startchar, leaf.endchar = fix.start, fix.end
            fixes.setdefault((fix.start, fix.end, leaf.fieldname), []).append(leaf)

    def widen(node: query.Query) -> query.Query:
        if type(node) is query.Term:
            span = (getattr(node, "startchar", None), getattr(node, "endchar", None))
            found = fixes.get((*span, node.fieldname))
            return query.Or([node, *found]) if found else node
        if isinstance(node, query.CompoundQuery) or hasattr(node, "child"):
            return node.apply(widen)
        return node

    return widen(tree).normalize()


def correct_query(
    tree: query.Query,
    text: str,
    searcher: Any,
    boosts: dict[str, float] = FIELD_BOOSTS,
    lexicon: Callable[[], frozenset[str]] = frozenset,
    spelled: SpelledWords | None = None,
) -> tuple[query.Query, str | None]:
    """The query widened by the corrections of its typos, and the corrected text to show
    ("Showing results for") when the query as typed finds nothing. `lexicon`: words
    known besides the index's (the acronyms' expansions, the taxonomy's names)."""
    corrections = find_corrections(tree, text, searcher, lexicon, spelled)
    if not corrections:
        return tree, None
    found_as_typed = matches_anything(tree, searcher)
    widened = with_corrections(tree, corrections, searcher.schema, boosts)
    return widened, None if found_as_typed else apply_corrections(text, corrections)


def matches_anything(tree: query.Query, searcher: Any) -> bool:
    """Whether the query matches a live chunk: for an OR of words, whether a live chunk
    holds one of them (a lookup a word), else by Whoosh's matching."""
    if _words_only(tree):
        reader = searcher.reader()
        return any(holds_live(reader, leaf.fieldname, leaf.text) for leaf in tree.leaves())
    return next(iter(searcher.docs_for_query(tree)), None) is not None


def _words_only(node: query.Query) -> bool:
    if type(node) is query.Term:
        return True
    return type(node) is query.Or and all(_words_only(child) for child in node.children())
