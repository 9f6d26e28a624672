"""A word's other written forms: hyphenated, joined and spaced ("multi-stakeholder",
"multistakeholder", "multi stakeholder") are one word, where the index's own words say
where it parts."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from itertools import pairwise
from typing import Any
from weakref import WeakKeyDictionary

from whoosh import query

from dwsearch.index.analysis import acronyms

from .query import FIELD_BOOSTS, QUOTED, SEARCH_FIELDS, Excluding

_HYPHENATED = re.compile(r"\w+(?:-\w+)+")


def _analysed(schema: Any, word: str) -> list[str]:
    return list(schema["text"].process_text(word, mode="query", removestops=True))


# Whether the index holds a word in a field: (field, word) -> bool.
Holds = Callable[[str, str], bool]


def with_compound_forms(
    tree: query.Query,
    text: str,
    searcher: Any,
    boosts: dict[str, float] = FIELD_BOOSTS,
    holds: Holds | None = None,
) -> query.Query:
    """The query with each word's other written forms: hyphenated, joined and spaced
    ("multi-stakeholder", "multistakeholder", "multi stakeholder") are one word.

    A hyphenated word also matches its joined form; a joined word, its two parts side by
    side, where both are indexed words; two words typed side by side, their joined form,
    where the index holds it. `holds` answers whether the index holds a word (for the
    spelling field, a hyphenated one), by Whoosh's term tables if not given.
    """
    reader = searcher.reader()
    schema = searcher.schema
    if holds is None:
        holds = lambda fieldname, word: (fieldname, word) in reader  # noqa: E731
    spans: dict[tuple[int, int], list[query.Query]] = {}
    for leaf in tree.leaves():
        start, end = getattr(leaf, "startchar", None), getattr(leaf, "endchar", None)
        if type(leaf) is query.Term and leaf.fieldname in SEARCH_FIELDS and start is not None:
            spans.setdefault((start, end), []).append(leaf)
    # A joined word's splits, by the span of the word typed.
    splits: dict[tuple[int, int], list[list[str]]] = {}
    for start, end in spans:
        word = text[start:end]
        if word.isalpha() and len(word) > 1:
            found = _split_forms(word.lower(), reader, schema, holds)
            if found:
                splits[start, end] = found
    # A hyphenated word's joined form, by the words of the phrase its parts make (a
    # word split by analysis carries no place in the text).
    quoted = [m.span() for m in QUOTED.finditer(text)]
    hyphenated: dict[tuple[str, ...], list[str]] = {}
    known_acronyms = _acronym_spellings()
    for match in _HYPHENATED.finditer(text):
        if any(a <= match.start() < b for a, b in quoted) or match.group(0) in known_acronyms:
            continue  # an acronym ("ITU-T") is no compound: it has its expansion instead
        parts = _analysed(schema, match.group(0))
        joined = _analysed(schema, match.group(0).replace("-", ""))
        if len(parts) > 1 and len(joined) == 1:
            hyphenated[tuple(parts)] = joined

    def widen(node: query.Query) -> query.Query:
        fieldname = getattr(node, "fieldname", None)
        if fieldname in SEARCH_FIELDS and type(node) is query.Term:
            span = (getattr(node, "startchar", None), getattr(node, "endchar", None))
            forms = splits.get(span)  # type: ignore[arg-type]
            if forms:
                return query.Or(
                    [node, *(query.Phrase(fieldname, f, boost=node.boost) for f in forms)]
                )
        if fieldname in SEARCH_FIELDS and type(node) is query.Phrase:
            joined = hyphenated.get(tuple(node.words))
            if joined and node.boost == boosts[fieldname]:
                return query.Or([node, query.Term(fieldname, joined[0], boost=node.boost)])
        if isinstance(node, query.CompoundQuery) or hasattr(node, "child"):
            return node.apply(widen)
        return node

    widened = widen(tree)
    joined = _joined_pairs(spans, text, holds, schema, boosts)
    if joined:
        widened = _or_also(widened, joined)
    return widened.normalize() if (splits or hyphenated or joined) else tree


def _or_also(tree: query.Query, alternatives: list[query.Query]) -> query.Query:
    """The query, matching the alternatives too where its optional words are: in the
    OR itself, or in the part an exclusion (`-word`) is taken from."""
    if isinstance(tree, query.Or):
        return query.Or([*tree.subqueries, *alternatives], boost=tree.boost)
    if isinstance(tree, query.AndNot):
        return Excluding(_or_also(tree.a, alternatives), tree.b)
    return tree


@cache
def _acronym_spellings() -> frozenset[str]:
    return frozenset(a for entry in acronyms() for a in (entry, entry.upper()))


# Each open reader's answers, kept while it is open: queries in a session repeat words.
_SPLITS: WeakKeyDictionary[Any, dict[str, list[list[str]]]] = WeakKeyDictionary()


def _split_forms(word: str, reader: Any, schema: Any, holds: Holds) -> list[list[str]]:
    """Where the index writes the joined word hyphenated ("multi-stakeholder"), its
    parts, analysed ("multi", "stakehold"): the index's own evidence of where it parts."""
    known = _SPLITS.setdefault(reader, {})
    found = known.get(word)
    if found is None:
        found = []
        for cut in range(1, len(word)):
            hyphenated = f"{word[:cut]}-{word[cut:]}"
            if holds("spell", hyphenated):
                terms = _analysed(schema, hyphenated)
                if len(terms) > 1:
                    found.append(terms)
        known[word] = found
    return found


def _joined_pairs(
    spans: dict[tuple[int, int], list[query.Query]],
    text: str,
    holds: Holds,
    schema: Any,
    boosts: dict[str, float],
) -> list[query.Query]:
    """Two plain words typed side by side, as the one joined word the index holds."""
    words = sorted(
        (start, end)
        for (start, end), leaves in spans.items()
        if all(type(leaf) is query.Term for leaf in leaves) and text[start:end].isalnum()
    )
    found: list[query.Query] = []
    for (start, end), (next_start, next_end) in pairwise(words):
        if text[end:next_start].strip():
            continue  # not side by side
        terms = _analysed(schema, text[start:end] + text[next_start:next_end])
        if len(terms) != 1:
            continue
        found += [
            query.Term(field, terms[0], boost=boosts[field])
            for field in SEARCH_FIELDS
            if holds(field, terms[0])
        ]
    return found
