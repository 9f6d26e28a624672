"""Passages: a snippet shows every distinct term a chunk holds, in up to three passages
joined by "…", when three windows can hold them; short chunks whole.

The property is checked against a brute-force oracle over random texts; the faces
(the CLI's text and JSON, the HTTP API) on real files.
"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwsearch.index.analysis import english_analyzer
from dwsearch.search.highlight import (
    MAX_PASSAGES,
    PASSAGE_WORDS,
    WHOLE_BELOW,
    WINDOW_WORDS,
    Highlighter,
)
from dwsearch.search.results import PASSAGE_JOIN
from helpers import run_cli, write

# Words analysis keeps as written (checked below), so the oracle matches by word.
WORDS = ("zebra", "quartz", "violin", "harbor", "lantern", "meadow", "copper", "tundra")
FILLER = ("council", "met", "review", "agenda", "budget", "panel", "session")


def test_the_oracles_words_are_indexed_as_written():
    analyzer = english_analyzer()
    for word in (*WORDS, *FILLER):
        assert [t.text for t in analyzer(word)] == [word]


@pytest.fixture(scope="module")
def highlighter():
    return Highlighter(english_analyzer())


def _coverable(words: list[str], wanted: set[str], window: int, count: int) -> bool:
    """Whether `count` windows of `window` words hold every wanted word, by trying every
    set of window starts (a window that holds a word can start at a word's place or end
    the text, so those starts are enough)."""
    places = {i for i, w in enumerate(words) if w in wanted}
    starts = sorted({min(p, max(0, len(words) - window)) for p in places})
    held = [{w for w in words[s : s + window] if w in wanted} for s in starts]
    for size in range(1, count + 1):
        for combination in itertools.combinations(held, min(size, len(held))):
            if set().union(*combination) >= wanted:
                return True
    return not wanted


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(FILLER), min_size=5, max_size=160).map(lambda w: w * 3),
    st.sets(st.sampled_from(WORDS), min_size=1, max_size=6),
    st.randoms(use_true_random=False),
)
def test_every_term_a_chunk_holds_is_marked_when_three_windows_can_hold_them(
    highlighter, words, query, rng
):
    # Words planted at random places, none to three times each, so terms lie far apart
    # or together; some of the query's are missing, and some planted are not the query's.
    for word in WORDS:
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            words.insert(rng.randrange(len(words) + 1), word)
    text = " ".join(words)
    snippet = highlighter.snippet(text, frozenset(query))
    marked = {s.text for s in snippet.segments if s.marked}
    held = query & set(words)
    assert marked <= held
    if (
        len(words) < WHOLE_BELOW
        or _coverable(words, held, WINDOW_WORDS, 1)
        or _coverable(words, held, PASSAGE_WORDS, MAX_PASSAGES)
    ):
        assert marked == held, (text, query)
    parts = snippet.parts
    assert 1 <= len(parts) <= MAX_PASSAGES
    assert snippet.plain.count("…") <= len(parts) + 1
    if len(parts) > 1:
        # Passages that would overlap or touch are one: no more words than three windows.
        shown = [len(part.plain.replace("…", "").split()) for part in parts]
        assert sum(shown) <= MAX_PASSAGES * PASSAGE_WORDS, shown
        for part in parts:
            assert any(s.marked for s in part.segments)  # no passage without a match
        # Best first: a passage holds at least as many distinct terms as the next.
        held_by = [len({s.text for s in p.segments if s.marked}) for p in parts]
        assert held_by == sorted(held_by, reverse=True)
        assert PASSAGE_JOIN in "".join(s.text for s in snippet.segments)
    if len(words) < WHOLE_BELOW:
        assert (len(parts), snippet.cut_before, snippet.cut_after) == (1, False, False)
        assert snippet.plain == text


PAGE = (
    "Registries and the domain name system\n\n"
    "ICANN hosted the first meeting of the working group in Kobe, where registries, "
    "registrars and governments met to review the policy development process and the "
    "accountability of the board. "
    + "The community reviewed its budget, its rules of procedure and its plans. " * 7
    + "The last session turned to the GDPR compliance of registries and of their data.\n"
)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("passages")
    write(folder / "pages" / "registries.txt", PAGE)
    built = run_cli("build", str(folder / "pages"), "--index", str(folder / "ix"))
    assert built.exit_code == 0, built.stderr
    return folder / "ix"


def test_json_and_text_show_each_term_of_a_chunk_in_its_passages(indexed):
    found = run_cli("search", "ICANN GDPR", "--json", "--index", str(indexed))
    hit = json.loads(found.stdout)["hits"][0]
    assert "<mark>ICANN</mark>" in hit["snippet"] and "<mark>GDPR</mark>" in hit["snippet"]
    assert len(hit["passages"]) == 2
    for passage in hit["passages"]:  # each passage, as the joined snippet shows it
        assert passage.removeprefix("… ").removesuffix(" …") in hit["snippet"]
    assert "<mark>ICANN</mark>" in hit["passages"][0] or "<mark>GDPR</mark>" in hit["passages"][0]
    shown = run_cli("search", "ICANN GDPR", "--index", str(indexed)).stdout
    assert "ICANN hosted" in shown and "GDPR compliance" in shown and " … " in shown


def test_a_short_chunk_is_one_passage_shown_whole(indexed):
    found = run_cli("search", "registries", "--json", "--index", str(indexed))
    for hit in json.loads(found.stdout)["hits"]:
        assert len(hit["passages"]) >= 1
        if len(hit["text"].split()) < WHOLE_BELOW:
            assert hit["passages"] == [hit["snippet"]]
