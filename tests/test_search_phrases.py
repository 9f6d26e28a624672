"""Phrases matched in numpy, all documents at once: the same documents as trying every
choice of positions, one word after another, each within the slop of the one before."""

from __future__ import annotations

from itertools import pairwise, product

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dwsearch.search.ranking import numbered, spans_reaching

# A document's positions for one word: a few, negative ones included (a word an alias
# stands for may be placed before the first), in any order, repeats allowed.
places = st.lists(st.integers(min_value=-3, max_value=40), max_size=6)


def _holds(each_word: list[list[int]], slop: int) -> bool:
    """The oracle: some choice of one position per word, each after the one before by
    at least 1 and at most `slop`."""
    return any(
        all(0 < later - earlier <= slop for earlier, later in pairwise(chosen))
        for chosen in product(*each_word)
    )


@settings(max_examples=300, deadline=None)
@given(
    documents=st.integers(min_value=1, max_value=6).flatmap(
        lambda words: st.lists(st.lists(places, min_size=words, max_size=words), max_size=8)
    ),
    slop=st.integers(min_value=1, max_value=5),
)
def test_phrases_match_as_every_choice_of_positions_would(documents, slop):
    if not documents:
        return
    words = len(documents[0])
    positions = []
    for word in range(words):
        found = [document[word] for document in documents]
        flat = np.array([p for each in found for p in each], dtype=np.int64)
        counts = np.array([len(each) for each in found], dtype=np.int64)
        positions.append((flat, counts))
    expected = [n for n, document in enumerate(documents) if _holds(document, slop)]
    # Each document numbered by its place in the list, as a phrase numbers them by its
    # number in the index.
    places = np.arange(len(documents), dtype=np.int64)
    numbers = [numbered(np, places, flat, counts) for flat, counts in positions]
    assert spans_reaching(np, numbers, slop).tolist() == expected
