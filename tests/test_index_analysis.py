"""The analyzer: the cached chain gives what the plain chain of filters gives."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dwsearch.index.analysis import english_analyzer, kept_prefix

CACHED, PLAIN = english_analyzer(), english_analyzer(cached=False)


def _tokens(analyzer, text: str, mode: str):
    return [(t.text, t.pos) for t in analyzer(text, mode=mode, positions=True)]


def test_cached_chain_equals_plain_chain_on_the_seed(seed_text):
    for mode in ("index", "query"):
        assert _tokens(CACHED, seed_text, mode) == _tokens(PLAIN, seed_text, mode)


_WORDS = st.sampled_from(
    ["AI", "artificial", "intelligence", "ITU-T", "IoT", "Internet", "of", "Things", "WHO",
     "who", "standardisation", "Genève", "ITU’s", "e-commerce", "the", "and", "x-y-z", "-"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_WORDS, st.text(max_size=12)), max_size=30))
def test_cached_chain_equals_plain_chain_on_any_text(words):
    text = " ".join(words)
    for mode in ("index", "query"):
        assert _tokens(CACHED, text, mode) == _tokens(PLAIN, text, mode)


def test_positions_keep_phrases_whole():
    tokens = _tokens(CACHED, "building confidence and security in ITU-T work", "index")
    first = {}
    for text, position in tokens:  # aliases may repeat a term; its word comes first
        first.setdefault(text, position)
    assert [first[w] for w in ("build", "confid", "secur", "itu", "t", "work")] == [
        0,
        1,
        2,
        3,
        4,
        5,
    ]


def test_expansion_adds_the_acronym_where_it_starts():
    tokens = _tokens(CACHED, "on artificial intelligence today", "index")
    assert ("ai", tokens[[t for t, _ in tokens].index("artifici")][1]) in tokens


def _vocabulary(seed_text: str) -> set[str]:
    """Every word the seed, the spelling table and the acronym table hold."""
    from dwsearch.index.analysis import WORD_PATTERN, acronyms
    from dwsearch.ingest.spelling import uk_to_us

    text = " ".join(
        [seed_text, *uk_to_us(), *uk_to_us().values()]
        + [" ".join(words) for entry in acronyms().values() for words in entry.expansions]
    )
    return set(re.findall(WORD_PATTERN, text))


def _check_prefix(word: str) -> None:
    prefix = kept_prefix(word)
    if prefix is not None:
        for token in PLAIN(word, mode="index"):
            assert token.text[:2] == prefix[: len(token.text[:2])], (word, token.text)


def test_words_keep_their_first_letters_where_highlighting_counts_on_it(seed_text):
    """Highlighting skips words by their first letters; this is what makes that exact."""
    from whoosh.lang.snowball.english import EnglishStemmer

    special = EnglishStemmer._EnglishStemmer__special_words  # the stemmer's own exceptions
    vocabulary = _vocabulary(seed_text) | set(special) | {w.title() for w in special}
    assert len(vocabulary) > 1000
    for word in vocabulary:
        _check_prefix(word)
    assert kept_prefix("AI") is None and kept_prefix("Genève") is None
    assert kept_prefix("a-b") is None and kept_prefix("Dying") is None
    assert kept_prefix("Standardisation") == "st"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzAEIOUY0123456789", min_size=1, max_size=14))
def test_any_plain_word_keeps_its_first_letters(word):
    _check_prefix(word)


def test_highlighting_skips_only_words_that_cannot_match(seed_text):
    from dwsearch.search.highlight import Highlighter

    highlighter = Highlighter(CACHED)
    words = re.findall(r"\w+(?:['’\-]\w+)*", seed_text)
    for query in ("AI", "telecommunication union", "standardisation", "ITU-T", "Genève"):
        terms = frozenset(t.text for t in CACHED(query, mode="query"))
        starts = frozenset(term[:2] for term in terms)
        for word in words:
            full = bool(highlighter.word_terms(word) & terms)
            assert highlighter.matches(word, terms, starts) == full, (query, word)


def _stream_positions(analyzer, text: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for token in analyzer(text, mode="index", positions=True):
        found.setdefault(token.text, []).append(token.pos)
    return found


def _stream_counts(analyzer, text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for token in analyzer(text, mode="index"):
        found[token.text] = found.get(token.text, 0) + 1
    return found


_TEXTS = st.lists(
    st.one_of(
        _WORDS,
        st.sampled_from(["Artificial", "Intelligence", "Internet of Things", "café", "Straße"]),
        st.text(max_size=12),
    ),
    max_size=40,
).map(" ".join)


def test_indexers_give_what_the_analyzers_give_on_the_seed(seed_text):
    from dwsearch.index.analysis import spelling_analyzer
    from dwsearch.index.indexers import counts_indexer, positions_indexer

    spelling = spelling_analyzer()
    assert positions_indexer(CACHED)(seed_text) == _stream_positions(CACHED, seed_text)
    assert counts_indexer(spelling)(seed_text) == _stream_counts(spelling, seed_text)
    assert positions_indexer(PLAIN) is None and counts_indexer(CACHED) is None


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_indexers_give_what_the_analyzers_give_on_any_text(text):
    from dwsearch.index.analysis import spelling_analyzer
    from dwsearch.index.indexers import counts_indexer, positions_indexer

    spelling = spelling_analyzer()
    assert positions_indexer(CACHED)(text) == _stream_positions(CACHED, text)
    assert counts_indexer(spelling)(text) == _stream_counts(spelling, text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["ITU-D", " access ", "Cyber Security", "", ",", "x,y", "É"])))
def test_keyword_indexer_gives_what_whooshs_keyword_analyzer_gives(values):
    from whoosh.analysis import KeywordAnalyzer

    from dwsearch.index.indexers import counts_indexer

    analyzer = KeywordAnalyzer(lowercase=True, commas=True)
    text = ",".join(values)
    assert counts_indexer(analyzer)(text) == _stream_counts(analyzer, text)


def test_a_text_in_capitals_throughout_has_lost_its_case():
    """Capitals tell "WHO" from "who" only in a text that has lower case too."""

    def terms(text):
        return {t.text for t in CACHED(text, mode="index", positions=True)}

    assert "world" in terms("WHO guidelines on digital health")
    assert "world" not in terms("WHO ARE THE USERS OF PUBLIC LIBRARIES AND WHY")
    assert terms("WHO ARE THE USERS OF PUBLIC LIBRARIES") == terms(
        "who are the users of public libraries"
    )
    assert "world" in terms("ITU WHO")  # mostly acronyms: the capitals are meant
    assert positions_of("WHO ARE THE USERS") == positions_of("who are the users")


def positions_of(text):
    from dwsearch.index.indexers import positions_indexer

    return positions_indexer(CACHED)(text)


def test_snowball_as_it_is_today_keeps_emergency_apart():
    def stems(text):
        return [t.text for t in CACHED(text, mode="query")]

    assert stems("emergency") != stems("emerging")
    assert stems("emerging") == stems("emerged")
