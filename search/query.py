"""From what the user typed to a Whoosh query: the language, typo tolerance, filters."""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from whoosh import fields, query
from whoosh.support.levenshtein import distance

from dwsearch.index.analysis import acronyms, case_as_meant, spelling_analyzer
from dwsearch.index.reading import holds_live, live_doc_frequency
from dwsearch.index.whoosh_internals import constant_matcher, excluding_matcher
from dwsearch.lexicon import stop_words

from .errors import SearchError

SEARCH_FIELDS = ("title", "text")
FIELD_BOOSTS = {"title": 1.5, "text": 1.0}
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
_QUOTED = re.compile(r'"[^"]*"')
_REQUIRED = re.compile(_PLUS)


def has_required_word(text: str) -> bool:
    """Whether a `+` outside quotes marks a word the hits must hold. The parser makes a
    lone `+word` a plain word, so this is read from the text, for feedback not to widen
    the search past it."""
    return _REQUIRED.search(_QUOTED.sub(" ", text)) is not None


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


def _parser(schema: Any, syntax: bool = True) -> Any:
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
            _typed_prefix_plugin()(expr=_TRAILING_STAR),
            qparser.PhrasePlugin(),
            _field_range_plugin()(),
            qparser.OperatorsPlugin(
                And=None, Or=_OR, AndNot=None, AndMaybe=None, Not=None, Require=None
            ),
            qparser.PlusMinusPlugin(plusexpr=_PLUS, minusexpr=_MINUS),
            qparser.FieldAliasPlugin(FIELD_ALIASES),
        ]
    return qparser.MultifieldParser(
        list(SEARCH_FIELDS),
        schema,
        fieldboosts=FIELD_BOOSTS,
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
    from whoosh.support.charset import accent_map  # builds a large table at import

    return text.lower().replace("’", "'").translate(accent_map)


@cache
def _typed_prefix_plugin() -> Any:
    """Whoosh's wildcard plugin, but a prefix is searched as typed: lower case and
    accents folded, neither stemmed nor dropped as a stop word (as Lucene's query parser
    takes one). Stemmed, `comme*` was `comm*` and found "community"; `the*` was nothing.
    """
    from whoosh.qparser import plugins, syntax

    class TypedPrefixNode(syntax.TextNode):
        def query(self, parser: Any) -> query.Query:
            fieldname = self.fieldname or parser.fieldname
            if isinstance(parser.schema[fieldname], fields.NUMERIC):
                return query.NullQuery  # `year:a*`: a number has no written prefix
            found = TypedPrefix(fieldname, fold_prefix(self.text), boost=self.boost)
            return syntax.attach(found, self)

    class TypedPrefixPlugin(plugins.WildcardPlugin):
        def do_wildcards(self, parser: Any, group: Any) -> Any:
            group = super().do_wildcards(parser, group)
            for place, node in enumerate(group):
                if isinstance(node, plugins.PrefixPlugin.PrefixNode):
                    typed = TypedPrefixNode(node.text)
                    typed.startchar, typed.endchar = node.startchar, node.endchar
                    group[place] = typed
            return group

    return TypedPrefixPlugin


# A field's name and its colon, where a range may begin (`year:[2015 TO 2017]`).
_FIELD_BEFORE = re.compile(r"(?:^|[\s(\-+])(?:" + "|".join(QUERY_FIELDS) + r"):\Z")
_LONGEST_FIELD = max(len(name) for name in QUERY_FIELDS) + 2


@cache
def _field_range_plugin() -> Any:
    """Whoosh's range plugin, but a range is read only after a field's name, as the
    README has it (`year:[2015 TO 2017]`). Without one, `[a TO b]` was a range of every
    word from "a" to "b", refused as a pattern of too many words; now its brackets part
    words, as other punctuation does, and its words are searched.
    """
    from whoosh.qparser import plugins

    class FieldRangeTagger(plugins.RangePlugin.RangeTagger):
        def create(self, parser: Any, match: Any) -> Any:
            start = match.start()
            if not _FIELD_BEFORE.search(match.string, max(0, start - _LONGEST_FIELD), start):
                return None
            return super().create(parser, match)

    class FieldRangePlugin(plugins.RangePlugin):
        def taggers(self, parser: Any) -> list[tuple[Any, int]]:
            return [(FieldRangeTagger(self.expr, self.excl_start, self.excl_end), 1)]

    return FieldRangePlugin


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


def parse_query(text: str, schema: Any) -> query.Query:
    """The query the user meant; syntax that does not parse is searched as plain words."""
    text = clean_query_text(text)
    if not text:
        return query.Every()
    try:
        parsed = plain_words_query(text, schema) or _parser(schema).parse(text, normalize=False)
        parsed = add_proximity(weigh_repeated_words(parsed)).normalize()
        if "-" in text:  # only a minus makes an exclusion
            parsed = with_exclusions_checked(parsed)
    except Exception:  # any syntax Whoosh chokes on is searched as plain words
        parsed = query.NullQuery
    if parsed is query.NullQuery:
        # Whoosh gives up quietly on some syntax (deep nesting, an unclosed range).
        words = " ".join(re.findall(r"\w+", text))
        return _parser(schema, syntax=False).parse(words) if words else query.NullQuery
    return parsed


# Words as typed into a search box: no operators, quotes, fields, wildcards or accents.
_PLAIN_WORDS = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")
_OPERATOR_WORDS = frozenset({"OR"})


def plain_words_query(text: str, schema: Any) -> query.Query | None:
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
            boost = FIELD_BOOSTS[fieldname]
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


# How much two query words found side by side in a chunk add, against each word alone.
PROXIMITY_BOOST = 0.5
PROXIMITY_SLOP = 1
# Only in short queries do adjacent words name one thing ("digital divide"); in a long
# question they are mostly incidental, and rewarding them was measured to cost ranking.
PROXIMITY_MAX_WORDS = 4


def _plain_word(clause: query.Query) -> str | None:
    """The analysed word of a plain word's clause (one Term per searched field), or None."""
    if not isinstance(clause, query.Or):
        return None
    terms = clause.subqueries
    if len(terms) != len(SEARCH_FIELDS) or not all(type(t) is query.Term for t in terms):
        return None
    words = {t.text for t in terms}
    return words.pop() if len(words) == 1 else None


def add_proximity(tree: query.Query) -> query.Query:
    """Words typed next to each other rank higher where they stand next to each other.

    In a short query, each pair of adjacent plain words adds an optional phrase clause
    (in every searched field), as a search for "digital divide" should prefer the chunk
    that says it.
    """
    if not isinstance(tree, query.Or) or PROXIMITY_BOOST <= 0:
        return tree
    words = [_plain_word(clause) for clause in tree.subqueries]
    if len(words) > PROXIMITY_MAX_WORDS:
        return tree
    pairs = []
    for first, second in pairwise(words):
        if first and second and first != second:
            pairs.append(
                query.Or(
                    [
                        query.Phrase(field, [first, second], slop=PROXIMITY_SLOP,
                                     boost=FIELD_BOOSTS[field] * PROXIMITY_BOOST)
                        for field in SEARCH_FIELDS
                    ]
                )
            )  # fmt: skip
    if not pairs:
        return tree
    return query.Or([*tree.subqueries, *pairs], boost=tree.boost)


_HYPHENATED = re.compile(r"\w+(?:-\w+)+")


def _analysed(schema: Any, word: str) -> list[str]:
    return list(schema["text"].process_text(word, mode="query", removestops=True))


def with_compound_forms(tree: query.Query, text: str, searcher: Any) -> query.Query:
    """The query with each word's other written forms: hyphenated, joined and spaced
    ("multi-stakeholder", "multistakeholder", "multi stakeholder") are one word.

    A hyphenated word also matches its joined form; a joined word, its two parts side by
    side, where both are indexed words; two words typed side by side, their joined form,
    where the index holds it.
    """
    reader = searcher.reader()
    schema = searcher.schema
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
            found = _split_forms(word.lower(), reader, schema)
            if found:
                splits[start, end] = found
    # A hyphenated word's joined form, by the words of the phrase its parts make (a
    # word split by analysis carries no place in the text).
    quoted = [m.span() for m in _QUOTED.finditer(text)]
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
            if joined and node.boost == FIELD_BOOSTS[fieldname]:
                return query.Or([node, query.Term(fieldname, joined[0], boost=node.boost)])
        if isinstance(node, query.CompoundQuery) or hasattr(node, "child"):
            return node.apply(widen)
        return node

    widened = widen(tree)
    joined = _joined_pairs(tree, spans, text, reader, schema)
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


def _split_forms(word: str, reader: Any, schema: Any) -> list[list[str]]:
    """Where the index writes the joined word hyphenated ("multi-stakeholder"), its
    parts, analysed ("multi", "stakehold"): the index's own evidence of where it parts."""
    known = _SPLITS.setdefault(reader, {})
    found = known.get(word)
    if found is None:
        found = []
        for cut in range(1, len(word)):
            hyphenated = f"{word[:cut]}-{word[cut:]}"
            if ("spell", hyphenated) in reader:
                terms = _analysed(schema, hyphenated)
                if len(terms) > 1:
                    found.append(terms)
        known[word] = found
    return found


def _joined_pairs(
    tree: query.Query,
    spans: dict[tuple[int, int], list[query.Query]],
    text: str,
    reader: Any,
    schema: Any,
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
            query.Term(field, terms[0], boost=FIELD_BOOSTS[field])
            for field in SEARCH_FIELDS
            if (field, terms[0]) in reader
        ]
    return found


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
    """Closest indexed words for the words that may be typos.

    A word is left as typed when it is short, inside quotes, excluded, an acronym, a
    word the index holds, or a word known to be correct English: only a word that is
    none of these can be a typo, and only into an indexed word within its typo budget.
    """
    reader = searcher.reader()
    quoted = [m.span() for m in _QUOTED.finditer(text)]
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
        if is_known_word(word):
            continue
        replacement = closest_word(word, reader)
        if replacement:
            corrections.append(Correction(start, end, word, replacement))
    return corrections


def closest_word(word: str, reader: Any) -> str | None:
    """The indexed word nearest in edit distance, within the word's typo budget; the
    more common one when tied. The first letter is taken as typed (few typos are
    there, and it keeps the lookup to one letter's words). Never a stop word, nor a
    word only deleted chunks hold (a removed page's, until its segment is rewritten)."""
    folded = [t.text for t in spelling_analyzer()(word)]
    if not folded:
        return None
    target = folded[0]
    budget = typos_allowed(target)
    candidates = sorted(
        (distance(target, found), found)
        for found in reader.terms_within("spell", target, budget, prefix=1)
        if found != target and found not in stop_words() and "-" not in found
    )
    nearest: list[tuple[int, str]] = []  # the live words fewest edits away
    for edits, found in candidates:
        if nearest and edits > nearest[0][0]:
            break
        if holds_live(reader, "spell", found):
            nearest.append((edits, found))
    if len(nearest) < 2:
        return nearest[0][1] if nearest else None
    return min(
        (found for _, found in nearest),
        key=lambda found: (-live_doc_frequency(reader, "spell", found), found),
    )


def apply_corrections(text: str, corrections: list[Correction]) -> str:
    for fix in sorted(corrections, key=lambda c: c.start, reverse=True):
        text = text[: fix.start] + fix.replacement + text[fix.end :]
    return text


def with_corrections(tree: query.Query, corrections: list[Correction], schema: Any) -> query.Query:
    """The query with each mistyped word's terms widened to the word OR its correction."""
    fixes: dict[tuple[int, int, str], list[query.Query]] = {}
    for fix in corrections:
        corrected = plain_words_query(fix.replacement, schema)
        for leaf in corrected.leaves() if corrected is not None else ():
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


def correct_query(tree: query.Query, text: str, searcher: Any) -> tuple[query.Query, str | None]:
    """The query widened by the corrections of its typos, and the corrected text to show
    ("Showing results for") when the query as typed finds nothing."""
    corrections = find_corrections(tree, text, searcher)
    if not corrections:
        return tree, None
    found_as_typed = next(iter(searcher.docs_for_query(tree)), None) is not None
    widened = with_corrections(tree, corrections, searcher.schema)
    return widened, None if found_as_typed else apply_corrections(text, corrections)
