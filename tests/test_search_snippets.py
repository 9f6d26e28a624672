"""Snippets show why a hit matched: all of what matched where possible, phrases as runs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dwsearch.search.highlight import Mark, _best_window
from dwsearch.search.settings import SearchOptions
from helpers import session_over

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
    with session_over(tmp_path_factory.mktemp("snippets"), TEXTS, "snippets") as session:
        yield session


def _marked(session, query, chunk_id):
    hit = next(
        h for h in session.search(query, None, SearchOptions(limit=10)).hits if h.id == chunk_id
    )
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


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 59), st.integers(0, 3), st.sampled_from("abcd")), max_size=25
    ),
    st.integers(1, 60),
)
def test_the_sliding_window_equals_trying_every_window(raw, window):
    """The running counts choose what counting each window afresh would."""
    size = 60
    marks = [Mark(first, min(first + extra, size - 1), term) for first, extra, term in raw]
    best_start, best = -1, (-1, -1)
    for start in range(size - window + 1):
        inside = [m for m in marks if start <= m.first and m.last < start + window]
        covered = {w for m in inside for w in range(m.first, m.last + 1)}
        score = (len({m.term for m in inside}), len(covered))
        if score > best:
            best_start, best = start, score
    assert _best_window(marks, size, window) == (best_start, best)


def test_a_long_list_item_is_found_and_shown_whole(tmp_path):
    """A list item is its own chunk's title: one of 46 words, longer than a snippet's
    window but shorter than a title's, is highlighted whole, never a traceback."""
    import json

    from helpers import run_cli, write

    words = " ".join(f"word{n}" for n in range(45))
    page = f"<html><body><main><h1>Lists</h1><ul><li>privacy {words}</li></ul></main></body></html>"
    write(tmp_path / "pages" / "list.html", page)
    assert run_cli("build", str(tmp_path / "pages"), "--index", str(tmp_path / "ix")).exit_code == 0
    for output in ([], ["--json"]):
        found = run_cli("search", "privacy", "--index", str(tmp_path / "ix"), *output)
        assert found.exit_code == 0, found.stderr
    hit = json.loads(found.stdout)["hits"][0]
    shown = hit["title_snippet"] or hit["snippet"]
    assert "<mark>privacy</mark>" in shown and "word44" in shown
