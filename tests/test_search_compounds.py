"""Hyphenated, joined and spaced forms of a compound are one word."""

from __future__ import annotations

import pytest

from dwsearch.index import live_generation
from dwsearch.index.builder import build_from_chunks
from dwsearch.index.reading import open_generation
from dwsearch.ingest.chunk import Chunk
from dwsearch.search.engine import SearchSession

TEXTS = {
    "hyphenated": "A multi-stakeholder approach to Internet governance",
    "joined": "The multistakeholder model of the forum",
    "spaced": "A multi stakeholder dialogue on data",
    "neither": "Stakeholder views on policy",
    "other compound": "A multi-year plan for networks",
}


@pytest.fixture(scope="module")
def compounds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compounds")
    chunks = [
        Chunk(name, "p", "p", "paragraph", "", "", text, lines=(n, n))
        for n, (name, text) in enumerate(TEXTS.items())
    ]
    build_from_chunks(folder, chunks, "compounds")
    with SearchSession(open_generation(folder, *live_generation(folder))) as session:
        yield session


@pytest.mark.parametrize("typed", ["multi-stakeholder", "multistakeholder"])
def test_each_form_finds_all_three(compounds, typed):
    found = {hit.id for hit in compounds.search(typed, correct=False).hits}
    assert found == {"hyphenated", "joined", "spaced"}


def test_two_words_also_find_them_joined(compounds):
    hits = [hit.id for hit in compounds.search("multi stakeholder", correct=False).hits]
    # Every form of the compound ranks above chunks with one of its words alone.
    assert set(hits[:3]) == {"hyphenated", "joined", "spaced"}
    assert set(hits[3:]) == {"neither", "other compound"}
