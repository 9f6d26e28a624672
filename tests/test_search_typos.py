"""Typo tolerance never damages a correct query, and still fixes real typos.

The rules are Meilisearch's: no typo in a word under 5 letters, at most one in a word of
5 to 8 letters, two from 9; never inside quotes; never a word the index holds or that is
correct English. A typo matches the word as typed OR its correction, and "Showing results
for" is said only when the query as typed finds nothing.
"""

from __future__ import annotations

import pytest

from dwsearch.app.api import search
from dwsearch.index import live_generation
from dwsearch.index.builder import build_from_chunks
from dwsearch.index.reading import open_generation
from dwsearch.ingest.chunk import Chunk
from dwsearch.search.engine import SearchSession
from helpers import run_cli


def _ids(results):
    return [hit.id for hit in results.hits]


@pytest.mark.parametrize(
    "typed",
    ["net neutrality", "zero rating", "spectrum auction", "thier"],
)
def test_a_correct_query_is_searched_as_typed(seed_index, typed):
    tolerant = search(typed, limit=50, index=seed_index)
    as_typed = search(typed, limit=50, index=seed_index, correct=False)
    assert tolerant.suggestion is None
    assert (tolerant.total, _ids(tolerant)) == (as_typed.total, _ids(as_typed))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("cybersecurty", "cybersecurity"),
        ("telecomunication", "telecommunication"),
        ("standardisaton", "standardisation"),
        ("secrity", "security"),  # 7 letters, one typo
    ],
)
def test_real_typos_are_fixed_and_said(seed_index, typed, meant):
    results = search(typed, index=seed_index)
    assert results.suggestion == meant
    assert results.total == search(meant, index=seed_index).total > 0


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("uniom", "union"),  # 5 letters: the shortest word with one typo
        ("framewrok", "framework"),  # 9 letters: the shortest with two (a swap is two)
    ],
)
def test_typo_budgets_start_at_five_and_nine_letters(seed_index, typed, meant):
    assert search(typed, index=seed_index).suggestion == meant


@pytest.mark.parametrize(
    "typed",
    [
        "unon",  # "union" is one typo away, but a 4-letter word gets none
        "secrty",  # "security" is two typos away from a 6-letter word
        "secuirty",  # and from an 8-letter one (a swap is two edits)
        "zecurity",  # one typo, but in the first letter, which is taken as typed
        "telecomuncaton",  # three typos: too many for any word
        "cybersecurty2",  # a word with digits is a code, never a typo
    ],
)
def test_short_words_get_fewer_typos(seed_index, typed):
    results = search(typed, index=seed_index)
    assert results.suggestion is None and results.total == 0


def test_several_typos_in_one_query_are_each_fixed_in_place(seed_index):
    """Corrections that change a word's length leave the others where they stand, and a
    word that is correct English ahead of them stops nothing."""
    results = search("zebra cybersecurty telecomunication", index=seed_index)
    assert results.suggestion == "zebra cybersecurity telecommunication"


def test_a_typo_right_after_a_quoted_phrase_is_still_fixed(seed_index):
    results = search('"zebra crossing"cybersecurty', index=seed_index)
    assert results.suggestion == '"zebra crossing"cybersecurity'


def test_a_typo_beside_words_that_match_widens_the_query_quietly(seed_index):
    results = search("cybersecurty index", index=seed_index)
    assert results.suggestion is None  # the query as typed finds the Index already
    as_meant = search("cybersecurity index", index=seed_index)
    assert _ids(results) == _ids(as_meant)


def test_no_correct_on_the_command_line(seed_index):
    tolerant = run_cli("search", "cybersecurty", "--index", str(seed_index))
    assert tolerant.stdout.startswith("Showing results for: cybersecurity")
    strict = run_cli("search", "cybersecurty", "--no-correct", "--index", str(seed_index))
    assert strict.exit_code == 1
    assert "Showing results for" not in strict.stdout + strict.stderr


@pytest.fixture
def shield_session(tmp_path):
    """An index that has "should" but not "shield", one edit apart."""
    texts = ["Data protection rules should apply to every transfer", "Privacy in the cloud"]
    chunks = [
        Chunk(f"c{n}", "p", "p", "paragraph", "", "", text, lines=(n, n))
        for n, text in enumerate(texts)
    ]
    build_from_chunks(tmp_path, chunks, "shield")
    with SearchSession(open_generation(tmp_path, *live_generation(tmp_path))) as session:
        yield session


@pytest.mark.parametrize("typed", ["Privacy Shield", '"shield"', "shield"])
def test_an_english_word_the_index_lacks_is_never_rewritten(shield_session, typed):
    tolerant = shield_session.search(typed)
    as_typed = shield_session.search(typed, correct=False)
    assert tolerant.suggestion is None
    assert [h.id for h in tolerant.hits] == [h.id for h in as_typed.hits]
