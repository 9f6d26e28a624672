"""The analyzer: the cached chain gives what the plain chain of filters gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dwsearch.index.analysis import english_analyzer

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
