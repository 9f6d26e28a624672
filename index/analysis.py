"""The analyzer for `title` and `text`: one small Whoosh filter per concern.

    tokenize → apostrophes → compounds → acronyms → lowercase → accents
             → stop words → UK/US spelling → English stemming

The same chain analyses documents (mode "index") and queries (mode "query"); the
acronym and compound filters add their aliases only when indexing, so that queries stay
as the user typed them and phrase queries keep their word positions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

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
from whoosh.support.charset import accent_map

from dwsearch.ingest.spelling import uk_to_us

# Words, keeping hyphenated compounds and apostrophes inside words ("ITU-T", "ITU’s").
WORD_PATTERN = r"\w+(?:['’\-]\w+)*"


def _data(name: str) -> str:
    return resources.files("dwsearch.index").joinpath("data", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Acronym:
    acronym: str
    expansions: tuple[tuple[str, ...], ...]  # each expansion as lower-case words
    ambiguous: bool


@cache
def acronyms() -> dict[str, Acronym]:
    """Acronyms by their written form, from `index/data/acronyms.tsv`."""
    found: dict[str, Acronym] = {}
    for line in _data("acronyms.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        columns = line.split("\t")
        expansions = tuple(
            tuple(word.lower() for word in _split_words(expansion))
            for expansion in columns[1].split("|")
        )
        ambiguous = len(columns) > 2 and columns[2].strip() == "ambiguous"
        found[columns[0]] = Acronym(columns[0], expansions, ambiguous)
    return found


@cache
def stop_words() -> frozenset[str]:
    lines = _data("stopwords.txt").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def _split_words(text: str) -> list[str]:
    return [t.text for t in RegexTokenizer(WORD_PATTERN)(text)]


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
    """An acronym and its expansion find each other.

    Indexing "AI" adds the words "artificial intelligence" at its place, and indexing
    "artificial intelligence" adds "ai", so a query for either finds both. An ambiguous
    acronym ("WHO") is replaced by its expansion, in documents and in queries typed in
    capitals, so it never matches the ordinary word.
    """

    def __init__(self) -> None:
        self.table = acronyms()
        spelling = uk_to_us()
        self.by_expansion: dict[tuple[str, ...], str] = {}
        for entry in self.table.values():
            if entry.ambiguous:
                continue
            for words in entry.expansions:
                key = tuple(spelling.get(w, w) for w in words)
                self.by_expansion.setdefault(key, entry.acronym.lower())
        self.longest = max((len(k) for k in self.by_expansion), default=0)

    def _entry(self, text: str) -> Acronym | None:
        entry = self.table.get(text)
        if entry is None and text.isupper():
            # "IOT" for "IoT": capitals are how acronyms get shouted
            entry = next((e for a, e in self.table.items() if a.upper() == text), None)
        return entry

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        spelling = uk_to_us()
        stops = stop_words()
        recent: list[str] = []
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
                recent.clear()
                continue
            # Later filters change the token in place, so aliases copy it beforehand.
            original = token.copy() if indexing else token
            yield token
            if not indexing:
                continue
            if entry is not None:
                for expansion in entry.expansions:
                    for offset, word in _placed(expansion, stops):
                        yield _copy(original, word, offset, alias=True)
            if getattr(original, "alias", False):
                continue
            word = original.text.lower()
            recent.append(spelling.get(word, word))
            del recent[: -self.longest or None]
            for size in range(2, len(recent) + 1):
                acronym = self.by_expansion.get(tuple(recent[-size:]))
                if acronym:
                    yield _copy(original, acronym, 1 - size, alias=True)


def _placed(words: tuple[str, ...], stops: frozenset[str]) -> Iterator[tuple[int, str]]:
    """Words with their offsets, counting only the words that are not stop words."""
    offset = 0
    for word in words:
        yield offset, word
        if word not in stops:
            offset += 1


class CompoundFilter(Filter):
    """`ITU-T` is the words `itu` and `t`; when indexing, also the one word `itut`.

    Indexing also passes the whole hyphenated word on, marked, for the acronym filter
    to recognise (ITU-T) and then drop.
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
                yield _copy(original, "".join(parts), 0, alias=True)
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


def english_analyzer() -> Analyzer:
    """The analyzer of `title` and `text`."""
    return (
        RegexTokenizer(WORD_PATTERN)
        | ApostropheFilter()
        | CompoundFilter()
        | AcronymFilter()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=stop_words(), minsize=1, renumber=False)
        | SpellingFilter()
        | StemFilter(lang="en", cachesize=100_000)
        | WordPositionFilter()
    )


def spelling_analyzer() -> Analyzer:
    """Unstemmed words, for suggesting what a mistyped word was meant to be."""
    return (
        RegexTokenizer(r"[^\W\d_]{3,}")
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=stop_words(), minsize=3)
    )


def analysis_fingerprint() -> str:
    """Changes whenever analysis would index the same text differently."""
    digest = hashlib.sha256()
    for name in ("acronyms.tsv", "stopwords.txt"):
        digest.update(_data(name).encode())
    digest.update(repr(sorted(uk_to_us().items())).encode())
    return digest.hexdigest()[:16]
