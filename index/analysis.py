"""The analyzer for `title` and `text`: one small Whoosh filter per concern.

    tokenize → apostrophes → compounds → acronyms → lowercase → accents
             → stop words → UK/US spelling → English stemming

The same chain analyses documents (mode "index") and queries (mode "query"); the
acronym and compound filters add their aliases only when indexing, so that queries stay
as the user typed them and phrase queries keep their word positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple

import Stemmer
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)

from dwsearch.lexicon import acronym_rows, stop_words, uk_to_us
from dwsearch.lexicon import fingerprint as lexicon_fingerprint

from .whoosh_internals import accent_map

# Words, keeping hyphenated compounds and apostrophes inside words ("ITU-T", "ITU’s").
WORD_PATTERN = r"\w+(?:['’\-]\w+)*"
_WORDS = re.compile(WORD_PATTERN)


class Acronym(NamedTuple):
    """An acronym and its expansions; an ambiguous one is also an ordinary word."""

    acronym: str
    expansions: tuple[tuple[str, ...], ...]  # each expansion as lower-case words
    ambiguous: bool


@cache
def acronyms() -> dict[str, Acronym]:
    """Acronyms by their written form, from the lexicon's `acronyms.tsv`."""
    found: dict[str, Acronym] = {}
    for row in acronym_rows():
        expansions = tuple(
            tuple(word.lower() for word in _split_words(expansion)) for expansion in row.expansions
        )
        found[row.acronym] = Acronym(row.acronym, expansions, row.ambiguous)
    return found


def case_as_meant(text: str) -> str:
    """The text in lower case if it is written in capitals throughout, else as it is.

    Capitals tell an acronym ("WHO", "IT") from a word only in a text that has lower
    case too; in one shouted throughout ("WHO ARE THE NON-USERS OF LIBRARIES"), most
    words are no acronym, and reading them as acronyms expands words that are ordinary
    ones. A text mostly of known acronyms ("ITU WHO") keeps its capitals.
    """
    if not text.isupper():
        return text
    words = [w for w in _WORDS.findall(text) if not w.isdigit()]
    table, upper = acronyms(), _upper_acronyms()
    known = sum(1 for w in words if w in table or w in upper)
    return text.lower() if known * 2 < len(words) else text


class CaseTokenizer(RegexTokenizer):
    """Whoosh's regex tokenizer over `case_as_meant(text)`."""

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Token]:
        return super().__call__(case_as_meant(value), **kwargs)


def _split_words(text: str) -> list[str]:
    """The words the analyzer's tokenizer finds (its pattern, without its token objects)."""
    return _WORDS.findall(text)


class ApostropheFilter(Filter):
    """Curly apostrophes become plain ones, and a possessive `'s` is dropped."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            text = token.text.replace("’", "'")
            if text.endswith(("'s", "'S")):
                text = text[:-2]
            text = text.strip("'")
            if text:
                token.text = text
                yield token


def _copy(token: Token, text: str, offset: int = 0, alias: bool | None = None) -> Token:
    """A new token `offset` words after this one; an alias does not count as a word."""
    copy = token.copy()
    copy.text = text
    if token.positions:
        copy.pos = token.pos + offset
    if alias is not None:
        copy.alias = alias
    return copy


class AcronymFilter(Filter):
    """An acronym brings its expansion: indexing "AI" adds "artificial intelligence".

    An ambiguous acronym ("WHO") is replaced by its expansion, in documents and in
    queries typed in capitals, so it never matches the ordinary word. The other direction
    (indexing "artificial intelligence" adds "ai") is `ExpansionFilter`'s, because it
    needs the words around; this filter looks at one word at a time, so it can be cached.
    """

    def __init__(self) -> None:
        self.table = acronyms()

    def _entry(self, text: str) -> Acronym | None:
        entry = self.table.get(text)
        if entry is None and text.isupper():
            # "IOT" for "IoT": capitals are how acronyms get shouted
            entry = next((e for a, e in self.table.items() if a.upper() == text), None)
        return entry

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stops = stop_words()
        for token in tokens:
            indexing = token.mode == "index"
            entry = self._entry(token.text)
            if getattr(token, "compound", False):
                # The whole of a hyphenated word, kept only so acronyms like ITU-T are seen.
                if entry is not None and indexing:
                    for expansion in entry.expansions:
                        for offset, word in _placed(expansion, stops):
                            yield _copy(token, word, offset, alias=True)
                continue
            if entry is not None and entry.ambiguous:
                for offset, word in _placed(entry.expansions[0], stops):
                    yield _copy(token, word, offset if indexing else 0, False)
                continue
            # Later filters change the token in place, so aliases copy it beforehand.
            original = token.copy() if indexing and entry is not None else token
            yield token
            if indexing and entry is not None:
                for expansion in entry.expansions:
                    for offset, word in _placed(expansion, stops):
                        yield _copy(original, word, offset, alias=True)


class ExpansionFilter(Filter):
    """Indexing an acronym's expansion ("artificial intelligence") adds the acronym ("ai").

    It compares analysed words, so it runs after stemming and sees "artifici intellig";
    the expansions are analysed by the same filters to match.
    """

    def __init__(self, word_filters: list[Filter]) -> None:
        self.by_terms: dict[tuple[str, ...], str] = {}
        for entry in acronyms().values():
            if entry.ambiguous:
                continue
            alias = entry.acronym.lower().replace("-", "")
            for words in entry.expansions:
                terms = tuple(
                    t.text for word in words for t in _run_filters(word_filters, word, "query")
                )
                if len(terms) > 1:
                    self.by_terms.setdefault(terms, alias)
        self.longest = max((len(k) for k in self.by_terms), default=0)
        # Only a word that ends some expansion can complete one: check the rest cheaply.
        self.last_terms = frozenset(k[-1] for k in self.by_terms)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        recent: list[tuple[str, int]] = []
        for token in tokens:
            # Read the token before yielding it: later filters renumber it in place.
            word = (token.text, token.pos if token.positions else 0)
            countable = token.mode == "index" and not getattr(token, "alias", False)
            yield token
            if not countable:
                continue
            recent.append(word)
            if len(recent) > self.longest:
                del recent[0]
            if word[0] not in self.last_terms:
                continue
            for size in range(2, len(recent) + 1):
                window = recent[-size:]
                acronym = self.by_terms.get(tuple(text for text, _ in window))
                if acronym:
                    alias = _copy(token, acronym, alias=True)
                    if token.positions:
                        alias.pos = window[0][1]  # where the expansion starts
                    yield alias


def _placed(words: tuple[str, ...], stops: frozenset[str]) -> Iterator[tuple[int, str]]:
    """Words with their offsets, counting only the words that are not stop words."""
    offset = 0
    for word in words:
        yield offset, word
        if word not in stops:
            offset += 1


class CompoundFilter(Filter):
    """`ITU-T` is the words `itu` and `t`.

    Indexing also passes the whole hyphenated word on, marked, for the acronym filter
    to recognise (ITU-T) and then drop. The joined form is not indexed as well: a query
    matches each written form of a compound by itself (`query.with_compound_forms`), and
    an alias would count the hyphenated form twice and lengthen the chunk.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if "-" not in token.text:
                yield token
                continue
            parts = [p for p in token.text.split("-") if p]
            original = token.copy()
            for offset, part in enumerate(parts):
                yield _copy(original, part, offset)
            if token.mode == "index":
                whole = _copy(original, "-".join(parts), 0, alias=True)
                whole.compound = True
                yield whole


class SpellingFilter(Filter):
    """British spellings become American ones, so either finds the other."""

    def __init__(self) -> None:
        self.table = uk_to_us()

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        table = self.table
        for token in tokens:
            token.text = table.get(token.text, token.text)
            yield token


class WordPositionFilter(Filter):
    """Number the words that remain, 0, 1, 2…; each alias keeps its place beside its word.

    Runs last, so that stop words leave no gaps (a phrase with "and" inside still matches)
    and a compound's parts are consecutive words.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        counter = delta = 0
        for token in tokens:
            if token.positions:
                if getattr(token, "alias", False):
                    token.pos += delta
                else:
                    delta = counter - token.pos
                    token.pos = counter
                    counter += 1
            yield token


def word_filters() -> list[Filter]:
    """The filters that look at one word at a time, in order."""
    return [
        ApostropheFilter(),
        CompoundFilter(),
        AcronymFilter(),
        LowercaseFilter(),
        CharsetFilter(accent_map()),
        StopFilter(stoplist=stop_words(), minsize=1, renumber=False),
        SpellingFilter(),
        StemFilter(stemfn=snowball_stem, cachesize=0),
    ]


@cache
def _english_stemmer() -> Any:
    return Stemmer.Stemmer("english")


def snowball_stem(word: str) -> str:
    """Snowball's English stemmer as it is today (the one bm25s and Lucene use): the copy
    inside Whoosh is an older version that, for one, stems "emergency" as "emerging"."""
    return _english_stemmer().stemWord(word)


def _run_filters(filters: list[Filter], word: str, mode: str) -> Iterator[Token]:
    """One word through the filters, as a token stream of its own."""
    token = Token(positions=True, chars=False, removestops=True, mode=mode, text=word, pos=0)
    stream: Iterator[Token] = iter([token])
    for each in filters:
        stream = each(stream)
    return stream


class CachedWordFilter(Filter):
    """The word filters, run once per distinct word and remembered.

    Most words of a corpus repeat, and a chain of Python generators per token is the
    largest cost of indexing; the result is the same as running the chain itself.
    """

    MAX_WORDS = 500_000

    def __init__(self, filters: list[Filter]) -> None:
        self.filters = filters
        self.cache: dict[tuple[str, str], tuple[tuple[str, int, bool], ...]] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Whoosh pickles the schema, analyzers and all, into every index it writes.
        return {"filters": self.filters}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.filters = state["filters"]
        self.cache = {}

    def outcome(self, word: str, mode: str) -> tuple[tuple[str, int, bool], ...]:
        key = (mode, word)
        found = self.cache.get(key)
        if found is None:
            found = tuple(
                (t.text, t.pos, bool(getattr(t, "alias", False)))
                for t in _run_filters(self.filters, word, mode)
            )
            if len(self.cache) >= self.MAX_WORDS:
                self.cache.clear()
            self.cache[key] = found
        return found

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            results = self.outcome(token.text, token.mode)
            if not results:
                continue
            base = token.pos if token.positions else 0
            for text, offset, alias in results:
                token.text = text
                token.alias = alias
                if token.positions:
                    token.pos = base + offset
                yield token


def english_analyzer(cached: bool = True) -> Analyzer:
    """The analyzer of `title` and `text`; uncached, it is the plain chain of filters."""
    filters = word_filters()
    chain: Analyzer = CaseTokenizer(WORD_PATTERN)
    if cached:
        chain = chain | CachedWordFilter(filters)
    else:
        for each in filters:
            chain = chain | each
    return chain | ExpansionFilter(filters) | WordPositionFilter()


class HyphenatedFilter(Filter):
    """A hyphenated word is its parts and, as evidence that they make one word, itself."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if "-" in token.text:
                whole = token.text
                for part in whole.split("-"):
                    token.text = part
                    yield token
                token.text = whole
            yield token


def spelling_analyzer() -> Analyzer:
    """Unstemmed words, for suggesting what a mistyped word was meant to be, and the
    hyphenated words the text writes (`multi-stakeholder`), to tell where a joined
    word typed in a query (`multistakeholder`) parts."""
    return (
        RegexTokenizer(r"[^\W\d_]+(?:-[^\W\d_]+)*")
        | HyphenatedFilter()
        | LowercaseFilter()
        | CharsetFilter(accent_map())
        | StopFilter(stoplist=stop_words(), minsize=3)
    )


# Snowball's English stemmer changes the second letter of these words alone (y to i).
_NEW_SECOND_LETTER = frozenset({"dying", "lying", "tying"})


def kept_prefix(word: str) -> str | None:
    """The first two letters, lower-cased, that every term analysis makes of `word` keeps
    (a one-letter term, the first), or None where analysis may change them.

    Lower-casing, UK-to-US spelling and stemming change only how a plain ASCII word ends;
    acronyms, accents, hyphens and apostrophes can change how it starts. A test holds the
    data files and the stemmer to this. Highlighting skips words that cannot match.
    """
    if not (word.isascii() and word.isalnum()):
        return None  # accents are folded; hyphens and apostrophes split or drop
    if word in acronyms() or word.upper() in _upper_acronyms():
        return None
    lower = word.lower()
    return None if lower in _NEW_SECOND_LETTER else lower[:2]


@cache
def _upper_acronyms() -> frozenset[str]:
    return frozenset(a.upper() for a in acronyms())


def analysis_fingerprint() -> str:
    """Changes whenever analysis would index the same text differently.

    It hashes the data files as they are, rather than the tables read from them: every
    search checks it, and reading the tables would cost start-up time for nothing.
    """
    return lexicon_fingerprint()
