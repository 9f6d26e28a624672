"""Ranking: BM25 worked out by hand, and what a user sees on the seed page.

The hand-worked scores are an oracle independent of Whoosh: Lucene's BM25 idf, with one
document frequency per word for every field (the largest of the fields', as Lucene's
BM25F, CombinedFieldQuery, takes it), and each field's average length over the chunks
that have that field, as Lucene computes it.
"""

from __future__ import annotations

from math import log

import pytest

from dwsearch.app.api import search
from dwsearch.index import live_generation
from dwsearch.index.builder import build_from_chunks
from dwsearch.index.reading import open_generation
from dwsearch.ingest.chunk import Chunk
from dwsearch.search.engine import SearchSession
from dwsearch.search.settings import SearchOptions
from helpers import both_paths

K1, B, TITLE_WEIGHT = 1.2, 0.75, 1.5


def _chunk(number: int, title: str, text: str) -> Chunk:
    return Chunk(f"c{number}", "p", "p", "document", "", title, text, lines=(number, number))


@pytest.fixture
def tiny_session(tmp_path):
    chunks = [
        _chunk(1, "Global agenda", ""),
        _chunk(2, "", "The global agenda for cooperation on security is a framework"),
        _chunk(3, "", "A note"),
        _chunk(4, "Global report", ""),
    ]
    build_from_chunks(tmp_path, chunks, "tiny")
    with SearchSession(open_generation(tmp_path, *live_generation(tmp_path))) as session:
        yield session


def _bm25(idf: float, tf: int, length: float, average: float) -> float:
    return idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))


def test_scores_worked_out_by_hand(tiny_session):
    # "global" is in 2 titles (c1, c4) and 1 text (c2): one document frequency, 2, for both.
    idf = log(1 + (4 - 2 + 0.5) / (2 + 0.5))
    # Titles: c1 and c4, two words each. Texts: c2 (5 words once stop words are out) and
    # c3 (1 word); chunks without the field do not lower its average length.
    title_score = TITLE_WEIGHT * _bm25(idf, 1, 2, (2 + 2) / 2)
    text_score = _bm25(idf, 1, 5, (5 + 1) / 2)
    hits = tiny_session.search("global", None, SearchOptions(correct=False)).hits
    assert [(h.id, h.score) for h in hits] == [
        ("c1", pytest.approx(title_score, abs=1e-5)),
        ("c4", pytest.approx(title_score, abs=1e-5)),
        ("c2", pytest.approx(text_score, abs=1e-5)),
    ]


def test_the_paragraph_that_names_it_beats_a_title_with_some_of_its_words(seed_index):
    # The overview paragraph names the Global Cybersecurity Agenda; the Index's title
    # has two of the three words.
    hits = search("Global Cybersecurity Agenda", index=seed_index).hits
    assert "Global Cybersecurity Agenda" in hits[0].chunk.text
    # P1 holds all four words, "allocation of global radio spectrum and satellite
    # orbits"; the title "AI + Satellites" one.
    hits = search("radio spectrum satellite orbits", index=seed_index).hits
    assert "radio spectrum and satellite orbits" in hits[0].chunk.text


@pytest.mark.parametrize(
    ("pasted", "words"),
    [
        (
            "What does the ITU do about AND NOT satellites? (radio)",
            "What does the ITU do about satellites radio",
        ),
        ("Spectrum: how is it allocated (ITU-R)?", "Spectrum how is it allocated ITU-R"),
        ("page:satellites", "page satellites"),
        ("standards^3 ITU", "standards 3 ITU"),
    ],
)
def test_a_pasted_sentence_ranks_as_its_words(seed_index, pasted, words):
    as_pasted = search(pasted, limit=50, index=seed_index, correct=False)
    as_words = search(words, limit=50, index=seed_index, correct=False)
    assert as_pasted.total == as_words.total > 0
    assert [h.id for h in as_pasted.hits] == [h.id for h in as_words.hits]


@pytest.fixture
def orchard_session(tmp_path):
    texts = [
        "Apple orchard harvest in the valley orchard",
        "The apple orchard and its harvest festival",
        "Orchard soil and orchard irrigation",
        "Banana plantations",
    ]
    chunks = [_chunk(n, "", text) for n, text in enumerate(texts)]
    build_from_chunks(tmp_path, chunks, "orchard")
    with SearchSession(open_generation(tmp_path, *live_generation(tmp_path))) as session:
        yield session


def test_feedback_lends_the_query_the_words_of_its_best_hits(orchard_session):
    plain = orchard_session.search("apple", None, SearchOptions(correct=False))
    assert {h.id for h in plain.hits} == {"c0", "c1"}
    outcomes = []
    with both_paths(orchard_session) as paths:
        for by in paths:  # Whoosh's search, then the bulk ranking
            widened = by.search("apple", None, SearchOptions(correct=False, feedback=True))
            outcomes.append([(h.id, h.score) for h in widened.hits])
    # "orchard" is the best hits' commonest word: the chunk about orchard soil comes too.
    assert {hit for hit, _ in outcomes[0][:2]} == {"c0", "c1"}
    assert "c2" in [hit for hit, _ in outcomes[0]] and "c3" not in [h for h, _ in outcomes[0]]
    assert outcomes[0] == outcomes[1]
