"""Typo tolerance never damages a correct query, and still fixes real typos.

The rules are Meilisearch's: no typo in a word under 5 letters, at most one in a word of
5 to 8 letters, two from 9; never inside quotes; never a word the index holds or that is
correct English. A typo matches the word as typed OR its correction, and "Showing results
for" is said only when the query as typed finds nothing.
"""

from __future__ import annotations

import json
import shutil

import pytest

from dwsearch.app.api import search
from dwsearch.index import live_generation
from dwsearch.index.builder import build_from_chunks
from dwsearch.index.reading import open_generation
from dwsearch.ingest.chunk import Chunk
from dwsearch.search.engine import SearchSession
from dwsearch.search.settings import SearchOptions
from helpers import run_cli, write


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
        ("framewrik", "framework"),  # 9 letters: the shortest with two
        ("secuirty", "security"),  # a swap of two letters is one typo, as Meilisearch counts it
    ],
)
def test_typo_budgets_start_at_five_and_nine_letters(seed_index, typed, meant):
    assert search(typed, index=seed_index).suggestion == meant


@pytest.mark.parametrize(
    "typed",
    [
        "unon",  # "union" is one typo away, but a 4-letter word gets none
        "secrty",  # "security" is two typos away from a 6-letter word
        "sceuirty",  # and from an 8-letter one (two swaps are two typos)
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
    as_typed = shield_session.search(typed, None, SearchOptions(correct=False))
    assert tolerant.suggestion is None
    assert [h.id for h in tolerant.hits] == [h.id for h in as_typed.hits]


def _folder_with_a_rare_page(folder):
    """30 ordinary pages, one page ("rare.txt") with words no other page has, and one
    page with a word near one of them."""
    for number in range(30):
        write(
            folder / f"page{number:02}.txt",
            f"Actor {number}\n\nA paragraph about spectrum policy, number {number}.\n\n"
            "Another paragraph on satellites and their orbits.\n",
        )
    write(folder / "near.txt", "Near\n\nThe kalimbossa ensemble played in Geneva.\n")
    return write(
        folder / "rare.txt", "Rare\n\nThe zanzibarian delegation and the kalimbora choir.\n"
    )


def _said(index, typed: str) -> tuple[str | None, set[str]]:
    """What `dwsearch search` says of a query: its correction, and the texts found."""
    result = run_cli("search", typed, "--json", "--index", str(index))
    found = json.loads(result.stdout)
    return found["suggestion"], {hit["text"] for hit in found["hits"]}


def _stats(index) -> dict:
    result = run_cli("stats", "--json", "--index", str(index))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("how", ["removed", "edited"])
def test_a_deleted_pages_words_are_neither_suggested_nor_counted(tmp_path, how):
    """After an update, Whoosh keeps a removed or changed page's old chunks in their
    segment (marked deleted) until it is rewritten: their words were suggested as
    corrections that then found nothing, and counted by `stats`. A fresh build of the
    pages that remain is the oracle."""
    from dwsearch.app.api import session

    pages, remaining = tmp_path / "pages", tmp_path / "remaining"
    rare = _folder_with_a_rare_page(pages)
    index, fresh = tmp_path / "ix", tmp_path / "fresh"
    assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0
    if how == "removed":
        assert run_cli("remove", str(rare), "--index", str(index)).exit_code == 0
        shutil.copytree(pages, remaining, ignore=shutil.ignore_patterns(rare.name))
    else:
        write(rare, "Rare\n\nThe delegation and the choir.\n")
        assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0
        remaining = pages
    assert run_cli("build", str(remaining), "--index", str(fresh)).exit_code == 0
    with session(index) as opened:
        assert opened.searcher.reader().has_deletions()  # the old chunks are still there

    # a typo of a deleted word, the deleted word itself, a typo nearer a deleted word
    for typed in ("zanzibarien", "kalimbora", "kalimborra"):
        assert _said(index, typed) == _said(fresh, typed), typed
    assert _said(index, "zanzibarien") == (None, set())
    assert _said(index, "kalimborra")[0] == "kalimbossa"
    kept = ("distinct_terms", "pages", "chunks", "chunks_by_type")
    assert {k: _stats(index)[k] for k in kept} == {k: _stats(fresh)[k] for k in kept}


def test_a_typo_of_an_acronyms_words_is_corrected_and_finds_the_acronym(seed_index):
    """The bundled page writes "AI", never "artificial intelligence": the words the
    lexicon expands AI to are known to correction all the same, and find its AI chunks."""
    import re

    listed = run_cli("chunks", "--json")
    expected = set()
    for line in listed.stdout.splitlines():
        chunk = json.loads(line)
        words = re.findall(r"[a-z]+", f"{chunk['title']} {chunk['text']}".lower())
        if "ai" in words or "artificial intelligence" in " ".join(words):
            expected.add(chunk["id"])
    assert len(expected) >= 18
    found = run_cli(
        "search", "artifical inteligence", "--json", "--limit", "500", "--index", str(seed_index)
    )
    data = json.loads(found.stdout)
    assert data["suggestion"] == "artificial intelligence"
    assert {hit["id"] for hit in data["hits"]} == expected
    said = run_cli("search", "artifical inteligence", "--index", str(seed_index))
    assert said.stdout.startswith("Showing results for: artificial intelligence")
