"""Snippets show why a hit matched: all of what matched where possible, phrases as runs."""

from __future__ import annotations

import pytest

from dwsearch.index import live_generation, open_generation
from dwsearch.index.builder import build_from_chunks
from dwsearch.ingest.chunk import Chunk
from dwsearch.search.engine import SearchSession

FILLER = "The council met again to review the work programme of its many committees. "
TEXTS = {
    "phrase": (
        "Freedom is a word the report uses often, and freedom of the press too. "
        + FILLER * 4
        + "It ends on freedom of expression online, and on what platforms must do. "
        + FILLER * 2
    ),
    "acronyms": (
        "ICANN met in March. ICANN published its plan, and ICANN staff answered. "
        + FILLER * 4
        + "Registrars asked ICANN how the GDPR applies to the WHOIS data it publishes. "
        + FILLER * 2
    ),
    "prefix": "Cybersecurity and cybercrime were on the agenda of the meeting.",
    "expansion": "A summit on artificial intelligence and its governance.",
}


@pytest.fixture(scope="module")
def snippets(tmp_path_factory):
    folder = tmp_path_factory.mktemp("snippets")
    chunks = [
        Chunk(name, "p", "p", "paragraph", "", "", text, lines=(n, n))
        for n, (name, text) in enumerate(TEXTS.items())
    ]
    build_from_chunks(folder, chunks, "snippets")
    with SearchSession(open_generation(folder, *live_generation(folder))) as session:
        yield session


def _marked(session, query, chunk_id):
    hit = next(h for h in session.search(query, limit=10).hits if h.id == chunk_id)
    return [s.text for s in hit.snippet.segments if s.marked], hit.snippet.plain


def test_a_phrase_is_marked_as_one_run_and_its_words_alone_are_not(snippets):
    marked, shown = _marked(snippets, '"freedom of expression"', "phrase")
    assert marked == ["freedom of expression"]
    assert "freedom of expression online" in shown


def test_the_window_covers_every_query_term_before_the_densest(snippets):
    marked, _ = _marked(snippets, "ICANN GDPR", "acronyms")
    assert "GDPR" in marked and "ICANN" in marked


def test_a_prefix_marks_the_words_it_begins(snippets):
    marked, _ = _marked(snippets, "cyber*", "prefix")
    assert marked == ["Cybersecurity", "cybercrime"]


def test_an_acronym_marks_its_expansion(snippets):
    marked, _ = _marked(snippets, "AI", "expansion")
    assert marked == ["artificial intelligence"]
