"""From what the user typed to a Whoosh query: the query language, and how its words
weigh (repeats, proximity). A word's other written forms are `compounds`' and typo
tolerance is `typos`'."""

from __future__ import annotations

import re
from itertools import pairwise
from threading import get_ident
from typing import Any

from whoosh import fields, query

from dwsearch.index.analysis import case_as_meant
from dwsearch.index.whoosh_internals import (
    accent_map,
    constant_matcher,
    excluding_matcher,
    field_range_plugin,
    typed_prefix_plugin,
)

from .errors import SearchError
from .settings import DEFAULT_SETTINGS, SearchSettings

SEARCH_FIELDS = ("title", "text")
# The fields' weights by default (an export's mapping carries them too).
FIELD_BOOSTS = DEFAULT_SETTINGS.field_boosts
FIELD_ALIASES = {
    "topics": ["topic"],
    "sectors": ["sector"],
    "years": ["year"],
    "baskets": ["basket"],
    "type": ["types"],
    "kind": ["kinds"],
}
MAX_QUERY_CHARS = 2000
# "-" and "+" are operators only at the start of a word, so "ITU-T" stays one word.
_MINUS = r"(?:^|(?<=[\s(]))-(?=[^\s-])"
_PLUS = r"(?:^|(?<=[\s(]))\+(?=\S)"
QUOTED = re.compile(r'"[^"]*"')
_REQUIRED = re.compile(_PLUS)
Boosts = dict[str, float]


def has_required_word(text: str) -> bool:
    """Whether a `+` outside quotes marks a word the hits must hold. The parser makes a
    lone `+word` a plain word, so this is read from the text, for feedback not to widen
    the search past it."""
    return _REQUIRED.search(QUOTED.sub(" ", text)) is not None


_CURLY_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


# The fields a query may name ("topic:privacy"), and each name's field in the schema.
QUERY_FIELDS = (
    "title", "type", "types", "kind", "kinds", "topic", "topics", "sector", "sectors",
    "basket", "baskets", "year", "years",
)  # fmt: skip
# Operators count only where typed on purpose: a known field's name before a colon, a
# star ending a word, "OR" in capitals between words. Anything else is text.
_FIELD = r"(?:^|(?<=[\s(\-+]))(?P<text>" + "|".join(QUERY_FIELDS) + r"):(?=\S)"
_TRAILING_STAR = r"(?<=\w)(?P<text>\*)(?=\s|$)"
_OR = r"(?<=\s)OR(?=\s)"
# Punctuation that is no operator parts words as a space does: "allocated?", "(ITU-R)",
# "standards^3". A hyphen or apostrophe inside a word keeps it one word ("ITU-T").
_SEPARATOR = r"[^\w\s'’\"-]+|(?<!\w)['’-]+|['’-]+(?!\w)"


# The last schema's parsers, by thread, syntax and boosts: building one costs a
# millisecond, more than parsing most queries. (A schema is not hashable; a session
# searches one index, so one schema at a time is kept, and a parser holds it anyway.)
_PARSERS: list[tuple[Any, dict[tuple[Any, ...], Any]]] = []


def _parser(schema: Any, syntax: bool = True, boosts: Boosts = FIELD_BOOSTS) -> Any:
    key = (get_ident(), syntax, tuple(sorted(boosts.items())))
    kept = _PARSERS[0] if _PARSERS else None
    if kept is None or kept[0] is not schema:
        kept = (schema, {})
        _PARSERS[:] = [kept]
    found = kept[1].get(key)
    if found is None:
        found = kept[1][key] = _new_parser(schema, syntax, boosts)
    return found


def _new_parser(schema: Any, syntax: bool, boosts: Boosts) -> Any:
    """The query language; without `syntax`, plain words only (the fallback).

    Whoosh's default language also reads `AND`, `NOT`, parentheses, `?`, `^` and any
    `word:` as operators, so a pasted question ("… AND NOT (UK)?") searched something
    else than its words. Only the operators a user types on purpose are kept.
    """
    from whoosh import qparser

    plugins: list[Any] = [qparser.WhitespacePlugin()]
    if syntax:
        plugins = [
            qparser.WhitespacePlugin(expr=_SEPARATOR),
            qparser.FieldsPlugin(expr=_FIELD),
            typed_prefix_plugin(_typed_prefix)(expr=_TRAILING_STAR),
            qparser.PhrasePlugin(),
            field_range_plugin(_FIELD_BEFORE, _LONGEST_FIELD)(),
            qparser.OperatorsPlugin(
                And=None, Or=_OR, AndNot=None, AndMaybe=None, Not=None, Require=None
            ),
            qparser.PlusMinusPlugin(plusexpr=_PLUS, minusexpr=_MINUS),
            qparser.FieldAliasPlugin(FIELD_ALIASES),
        ]
    return qparser.MultifieldParser(
        list(SEARCH_FIELDS),
        schema,
        fieldboosts=boosts,
        group=qparser.OrGroup,
        plugins=plugins,
    )


class TypedPrefix(query.Prefix):
    """A prefix scored as Lucene scores one: its boost, once, in every chunk holding a
    word it begins, however many such words there are or how often they occur.

    Whoosh's own prefix gave its one word's BM25 score when it began one indexed word,
    and a count of words otherwise; ranking by that was an accident of the vocabulary.
    """

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        reader = searcher.reader()
        found: set[int] = set()
        for fieldname, word in self.expanded_terms(reader):
            found.update(reader.postings(fieldname, word).all_ids())
        return constant_matcher(sorted(found), self.boost)


class Excluding(query.AndNot):
    """`a -b`: Whoosh's exclusion, but the first document of `a` is checked against `b`
    too (Whoosh's matcher let it through when `b`'s list began earlier)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        kept = self.a.matcher(searcher, context)
        return excluding_matcher(kept, self.b.matcher(searcher, searcher.boolean_context()))


def with_exclusions_checked(tree: query.Query) -> query.Query:
    """The tree with each of Whoosh's exclusions an `Excluding`."""
    if type(tree) is query.AndNot:
        return Excluding(with_exclusions_checked(tree.a), with_exclusions_checked(tree.b))
    if isinstance(tree, (query.CompoundQuery, query.BinaryQuery)) or hasattr(tree, "child"):
        return tree.apply(with_exclusions_checked)
    return tree


def fold_prefix(text: str) -> str:
    """A prefix as the query parser takes one (`Genè*`): lower case, accents folded and
    apostrophes straightened, but not stemmed, as Lucene normalises a prefix."""
    return text.lower().replace("’", "'").translate(accent_map())


def _typed_prefix(fieldname: str, text: str, boost: float, schema: Any) -> query.Query:
    """A prefix searched as typed: lower case and accents folded, neither stemmed nor
    dropped as a stop word (as Lucene's query parser takes one). Stemmed, `comme*` was
    `comm*` and found "community"; `the*` was nothing."""
    if isinstance(schema[fieldname], fields.NUMERIC):
        return query.NullQuery  # `year:a*`: a number has no written prefix
    return TypedPrefix(fieldname, fold_prefix(text), boost=boost)


# A range is read only after a field's name, as the README has it (`year:[2015 TO
# 2017]`). Without one, `[a TO b]` was a range of every word from "a" to "b", refused as
# a pattern of too many words; now its brackets part words, as other punctuation does.
_FIELD_BEFORE = re.compile(r"(?:^|[\s(\-+])(?:" + "|".join(QUERY_FIELDS) + r"):\Z")
_LONGEST_FIELD = max(len(name) for name in QUERY_FIELDS) + 2


def clean_query_text(text: str) -> str:
    """The query as searched: printable, straight quotes, its case as meant.

    A query longer than MAX_QUERY_CHARS is searched as its words, its syntax unread
    (Whoosh's parser slows with it: 20,000 quotes took 2 s); cut short instead, 2,000
    brackets before a word lost the word. Words longer than that are refused.
    """
    text = "".join(c if c.isprintable() else " " for c in text)
    text = case_as_meant(text.translate(_CURLY_QUOTES).strip())
    if len(text) <= MAX_QUERY_CHARS:
        return text
    words = " ".join(re.findall(r"\w+", text))
    if len(words) > MAX_QUERY_CHARS:
        raise SearchError(
            f"has {len(words):,} characters of words; at most {MAX_QUERY_CHARS:,} are searched",
            "query",
        )
    return words


def parse_query(text: str, schema: Any, settings: SearchSettings = DEFAULT_SETTINGS) -> query.Query:
    """The query the user meant; syntax that does not parse is searched as plain words."""
    text = clean_query_text(text)
    if not text:
        return query.Every()
    try:
        boosts = settings.field_boosts
        parsed = plain_words_query(text, schema, boosts) or _parser(schema, True, boosts).parse(
            text, normalize=False
        )
        parsed = add_proximity(weigh_repeated_words(parsed), settings).normalize()
        if "-" in text:  # only a minus makes an exclusion
            parsed = with_exclusions_checked(parsed)
    except Exception:  # any syntax Whoosh chokes on is searched as plain words
        parsed = query.NullQuery
    if parsed is query.NullQuery:
        # Whoosh gives up quietly on some syntax (deep nesting, an unclosed range).
        words = " ".join(re.findall(r"\w+", text))
        plain = _parser(schema, False, settings.field_boosts)
        return plain.parse(words) if words else query.NullQuery
    return parsed


# Words as typed into a search box: no operators, quotes, fields, wildcards or accents.
_PLAIN_WORDS = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")
_OPERATOR_WORDS = frozenset({"OR"})


def plain_words_query(text: str, schema: Any, boosts: Boosts = FIELD_BOOSTS) -> query.Query | None:
    """The tree Whoosh's parser makes of plain words, without loading the parser.

    The most common query needs none of the query language, and the parser's import,
    set-up and regular expressions are a tenth of a search's start-up. A test holds this
    equal to the parser's tree, leaf positions included. None for anything else.
    """
    if not _PLAIN_WORDS.fullmatch(text):
        return None
    words = []
    for match in re.finditer(r"\S+", text):
        if match.group(0) in _OPERATOR_WORDS:
            return None
        fielded = []
        for fieldname in SEARCH_FIELDS:
            field = schema[fieldname]
            word = match.group(0)
            analysed = field.process_text(word, mode="query", tokenize=True, removestops=True)
            terms = list(analysed)
            boost = boosts[fieldname]
            if not terms:
                continue  # a stop word
            if len(terms) == 1:
                leaf: query.Query = query.Term(fieldname, terms[0], boost=boost)
            else:  # the fields' multitoken_query is "phrase"
                leaf = query.Phrase(fieldname, terms, boost=boost)
            leaf.startchar, leaf.endchar = match.start(), match.end()
            fielded.append(leaf)
        group = query.Or(fielded)
        if fielded:  # as the parser places only non-empty groups
            group.startchar, group.endchar = match.start(), match.end()
        words.append(group)
    whole = query.Or(words)
    whole.startchar, whole.endchar = 0, len(text)
    return whole


# BM25's k3: how fast a repeated query word's weight saturates (Robertson et al., TREC-3).
QUERY_K3 = 1.2


def query_term_weight(count: int) -> float:
    """The weight of a word typed `count` times: 1 for once, rising slowly after."""
    return (QUERY_K3 + 1) * count / (QUERY_K3 + count)


def weigh_repeated_words(tree: query.Query) -> query.Query:
    """A word typed twice counts more than once, as query-term frequency does in BM25.

    Whoosh's normalisation keeps one copy of a repeated clause and drops the rest; here
    the copies merge into one clause weighted by `query_term_weight`, which saturates so
    that a common word repeated in a long query does not swamp the rare ones.
    """
    if isinstance(tree, query.Or):
        counts: dict[query.Query, int] = {}
        for child in tree.subqueries:
            child = weigh_repeated_words(child)
            counts[child] = counts.get(child, 0) + 1
        children = [
            c if n == 1 else c.with_boost(c.boost * query_term_weight(n)) for c, n in counts.items()
        ]
        return query.Or(children, boost=tree.boost, minmatch=tree.minmatch, scale=tree.scale)
    if isinstance(tree, query.CompoundQuery) or hasattr(tree, "child"):
        return tree.apply(weigh_repeated_words)
    return tree


# How far apart two words typed side by side may stand in a chunk for the phrase bonus.
PROXIMITY_SLOP = 1


def _plain_word(clause: query.Query) -> str | None:
    """The analysed word of a plain word's clause (one Term per searched field), or None."""
    if not isinstance(clause, query.Or):
        return None
    terms = clause.subqueries
    if len(terms) != len(SEARCH_FIELDS) or not all(type(t) is query.Term for t in terms):
        return None
    words = {t.text for t in terms}
    return words.pop() if len(words) == 1 else None


def add_proximity(tree: query.Query, settings: SearchSettings = DEFAULT_SETTINGS) -> query.Query:
    """Words typed next to each other rank higher where they stand next to each other.

    In a short query, each pair of adjacent plain words adds an optional phrase clause
    (in every searched field), as a search for "digital divide" should prefer the chunk
    that says it.
    """
    weight, boosts = settings.proximity_weight, settings.field_boosts
    if not isinstance(tree, query.Or) or weight <= 0:
        return tree
    words = [_plain_word(clause) for clause in tree.subqueries]
    if len(words) > settings.proximity_max_words:
        return tree
    pairs = []
    for first, second in pairwise(words):
        if first and second and first != second:
            pairs.append(
                query.Or(
                    [
                        query.Phrase(field, [first, second], slop=PROXIMITY_SLOP,
                                     boost=boosts[field] * weight)
                        for field in SEARCH_FIELDS
                    ]
                )
            )  # fmt: skip
    if not pairs:
        return tree
    return query.Or([*tree.subqueries, *pairs], boost=tree.boost)
