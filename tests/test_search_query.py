"""Plain words skip Whoosh's query parser; the tree they make must be the parser's."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dwsearch.index.schema import build_schema
from dwsearch.search.query import _parser, parse_query, plain_words_query

SCHEMA = build_schema()
_WORDS = st.one_of(
    st.sampled_from(
        ["ITU", "AI", "WHO", "who", "IoT", "the", "of", "and", "standardisation", "data",
         "5G", "2018", "digital", "divide", "cybersecurity", "AND", "OR", "NOT", "TO", "Ai"]
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789", min_size=1, max_size=10),
)  # fmt: skip


def _shape(tree):
    """Everything about a tree: its class, its attributes, its children's shapes."""
    attributes = {k: v for k, v in vars(tree).items() if k != "subqueries"}
    children = [_shape(child) for child in getattr(tree, "subqueries", ())]
    return type(tree).__name__, attributes, children


@settings(max_examples=400, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=6))
def test_plain_words_make_the_parsers_tree(words):
    text = " ".join(words)
    fast = plain_words_query(text, SCHEMA)
    if "OR" in words:
        assert fast is None  # the one operator word goes to the parser
        return
    parsed = _parser(SCHEMA).parse(text, normalize=False)
    assert _shape(fast) == _shape(parsed)


def test_anything_else_goes_to_the_parser():
    for text in ['"digital divide"', "type:resource", "ITU-T", "cyber*", "Genève", "a  b", "-AI"]:
        assert plain_words_query(text, SCHEMA) is None
    assert parse_query("digital divide", SCHEMA) == parse_query("digital  divide", SCHEMA)
