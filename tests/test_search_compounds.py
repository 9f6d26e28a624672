"""Hyphenated, joined and spaced forms of a compound are one word."""

from __future__ import annotations

import pytest

from dwsearch.search.settings import SearchOptions
from helpers import session_over

TEXTS = {
    "hyphenated": "A multi-stakeholder approach to Internet governance",
    "joined": "The multistakeholder model of the forum",
    "spaced": "A multi stakeholder dialogue on data",
    "neither": "Stakeholder views on policy",
    "other compound": "A multi-year plan for networks",
}


@pytest.fixture(scope="module")
def compounds(tmp_path_factory):
    with session_over(tmp_path_factory.mktemp("compounds"), TEXTS, "compounds") as session:
        yield session


@pytest.mark.parametrize("typed", ["multi-stakeholder", "multistakeholder"])
def test_each_form_finds_all_three(compounds, typed):
    found = {hit.id for hit in compounds.search(typed, None, SearchOptions(correct=False)).hits}
    assert found == {"hyphenated", "joined", "spaced"}


def test_two_words_also_find_them_joined(compounds):
    hits = [
        hit.id
        for hit in compounds.search("multi stakeholder", None, SearchOptions(correct=False)).hits
    ]
    # Every form of the compound ranks above chunks with one of its words alone.
    assert set(hits[:3]) == {"hyphenated", "joined", "spaced"}
    assert set(hits[3:]) == {"neither", "other compound"}
