"""The query rules at their edges, where mutation testing (bench/mutation.py) found that
breaking a rule left every other test green: a word repeated beside an exclusion, the
size of the phrase bonus, a compound after other syntax, a typo after an excluded word,
and what happens when Whoosh's parser gives up. Each chunk is one short paragraph, so
what should be found, and in what proportion, follows from the rule alone."""

from __future__ import annotations

import pytest
from test_search_query_rules import TEXTS as RULES

import dwsearch.search.query as query_module
from dwsearch.app.api import Filters, session
from dwsearch.search.settings import SearchOptions
from dwsearch.search.typos import typos_allowed
from helpers import BULK_ALWAYS, WHOOSH_ONLY, searching_by, session_over

TEXTS = {
    **RULES,  # the query rules' chunks: two of each kind, alike but for the rule's words
    "hyphenated": "The-forum rules for members.",
    "forum": "Rules of a forum for members.",
    "between": "Regions see digital policy divide services.",
    "zebras": "Zebras graze far from any treaty.",  # the ninth: a bitmap's second byte
    "one letter": "Rules for e-commerce platforms.",
}


@pytest.fixture(scope="module")
def edges(tmp_path_factory):
    with session_over(tmp_path_factory.mktemp("edges"), TEXTS, "edges") as session:
        yield session


def _found(session, typed: str, correct: bool = False) -> dict[str, float]:
    return {
        hit.id: hit.score
        for hit in session.search(typed, None, SearchOptions(correct=correct)).hits
    }


@pytest.mark.parametrize("bulk", [False, True])
def test_a_repeated_word_counts_twice_beside_an_exclusion(edges, bulk):
    """The repeated word's weight holds whatever else the query holds, on either path."""
    with searching_by(edges, bulk_from_docs=BULK_ALWAYS if bulk else WHOOSH_ONLY) as by:
        plain = _found(by, "satellites satellites")["satellites"]
        excluding = _found(by, "satellites satellites -zebra")["satellites"]
        assert excluding == pytest.approx(plain)
        assert excluding > _found(by, "satellites")["satellites"]


def test_the_phrase_bonus_is_half_the_words_weight(edges):
    """Side by side, two words add half their own score (README: a phrase bonus)."""
    found = _found(edges, "digital divide")
    assert found["adjacent"] / found["apart"] == pytest.approx(1.5, rel=1e-3)


def test_a_word_beside_a_prefix_earns_no_phrase_bonus(edges):
    found = _found(edges, "digital divi*")
    assert found["adjacent"] == pytest.approx(found["apart"])


def test_an_exclusion_beside_a_compound_still_excludes(edges):
    found = _found(edges, "multi-stakeholder forum -rules")
    assert "joined" in found
    assert not {"hyphenated", "forum"} & set(found)


def test_two_words_are_joined_after_other_syntax(edges):
    """`a OR b c`: the words after the operator are still tried as one joined word."""
    assert "joined" in _found(edges, "zebra OR multi stakeholder")


def test_a_quoted_hyphenated_word_is_only_its_phrase(edges):
    """Quotes ask for the words as typed: no joined form."""
    assert _found(edges, '"multi-stakeholder"') == {}
    assert "joined" in _found(edges, "multi-stakeholder")


def test_a_joined_word_is_not_widened_to_one_of_its_parts(edges):
    """ "theforum" may mean "the-forum", never every chunk that says "forum"."""
    assert "forum" not in _found(edges, "theforum")


def test_a_typo_after_an_excluded_word_is_still_corrected(edges):
    assert "satellites" in _found(edges, "-zebra satelites", correct=True)


def test_a_quoted_word_is_never_corrected(edges):
    results = edges.search('"satelites"')
    assert results.total == 0 and results.suggestion is None


def test_typo_budget_by_word_length():
    """Meilisearch's rule: none under 5 letters, one from 5, two from 9."""
    assert [typos_allowed("x" * n) for n in (1, 4, 5, 8, 9, 14)] == [0, 0, 1, 1, 2, 2]


class _GivingUp:
    """A query parser that fails on anything, as Whoosh's may on odd syntax."""

    def __init__(self, raises: bool) -> None:
        self.raises = raises

    def parse(self, text: str, normalize: bool = True):  # type: ignore[no-untyped-def]
        if self.raises:
            raise ValueError("cannot parse")
        return query_module.query.NullQuery


@pytest.mark.parametrize("raises", [True, False])
def test_when_the_parser_gives_up_the_words_are_searched(edges, monkeypatch, raises):
    real = query_module._parser

    def parser(schema, syntax=True, boosts=query_module.FIELD_BOOSTS):  # type: ignore[no-untyped-def]
        return _GivingUp(raises) if syntax else real(schema, False, boosts)

    monkeypatch.setattr(query_module, "_parser", parser)
    assert set(_found(edges, 'treaty "satellites')) == {"spectrum", "satellites", "zebras"}


def test_two_words_are_joined_beside_an_exclusion(edges):
    found = _found(edges, "multi stakeholder -rules")
    assert "joined" in found
    assert not {"hyphenated", "forum"} & set(found)


def test_words_one_apart_earn_no_phrase_bonus(edges):
    """Side by side means side by side: one word between them is no bonus."""
    in_order, reversed_order = _found(edges, "digital divide"), _found(edges, "divide digital")
    assert in_order["between"] == pytest.approx(reversed_order["between"])


def test_an_exclusion_holds_in_a_query_of_plain_words(edges):
    assert set(_found(edges, "treaty -spectrum")) == {"satellites", "zebras"}


@pytest.mark.parametrize("before", ["map", "ITU", "treaty"])
def test_a_typo_after_a_word_that_is_no_typo_is_still_corrected(edges, before):
    """A word too short to correct, an acronym, or a word the index holds, then a typo."""
    assert next(iter(_found(edges, f"{before} satelites", correct=True))) == "satellites"


def test_a_typo_in_the_second_letter_is_corrected(edges):
    assert "satellites" in _found(edges, "sqtellites", correct=True)


def test_a_filter_by_a_valid_value_the_index_lacks_finds_nothing(seed_index):
    """The bundled page is an actor's: "issue" is a kind of page it has none of."""
    with session(seed_index) as opened:
        assert "issue" not in opened.facets.values["kind"]
        for typed in ("ITU", ""):
            assert opened.search(typed, Filters(kinds=["issue"])).total == 0


def test_a_prefix_matching_the_last_chunk_of_an_odd_sized_index(edges):
    """Nine chunks: the ninth sits alone in its bitmap's second byte."""
    assert set(_found(edges, "zebr*")) == {"zebras"}


def test_a_joined_word_finds_its_hyphenated_form_after_one_letter(edges):
    """Typed "ecommerce" is "e-commerce": the hyphenated word in the index says where."""
    assert "one letter" in _found(edges, "ecommerce")
