"""How a session searches, in one place: settings given to it, options given to each
search.

As Pyserini's searcher takes `set_bm25(k1, b)` and `set_rm3(...)`, a `SearchSession`
takes a frozen `SearchSettings`, with defaults; an experiment or a test passes another,
and nothing patches a module. `SearchOptions` is what one search asks besides its words
and filters: how many hits, in what order, with what extras.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SearchError
from .results import MAX_LIMIT, MAX_OFFSET, SORTS


@dataclass(frozen=True)
class SearchSettings:
    """How a session ranks and matches."""

    # BM25's k1 and b, as Lucene and bm25s default them.
    k1: float = 1.2
    b: float = 0.75
    # A word in the title weighs this many times a word in the text.
    title_weight: float = 1.5
    # What two query words side by side in a chunk add, against each word alone, in
    # queries of at most `proximity_max_words` words (in a long question adjacent words
    # are mostly incidental, and rewarding them was measured to cost ranking).
    proximity_weight: float = 0.5
    proximity_max_words: int = 4
    # From this many chunks, an OR of words is ranked with numpy over whole posting
    # lists; below it Whoosh's own search is fast enough, and numpy's import is not.
    bulk_from_docs: int = 5_000
    # The most words one pattern (`cyber*`, a range) may stand for.
    max_pattern_words: int = 500
    # RM3 feedback: the best chunks it reads, the words it adds, and the typed words'
    # share of the expanded query's weight (the feedback words share the rest).
    feedback_docs: int = 10
    feedback_terms: int = 10
    feedback_typed_share: float = 0.9
    # Host crowding: a page's hits after this many wait below every other page's first
    # ones (0: plain relevance order).
    crowding: int = 2
    # How deep into the plain ranking crowding looks first (four times deeper until it
    # covers the hits asked for), and four times deeper each time that was not enough:
    # one page holding all the best hits pushes the others down.
    crowding_depth: int = 32

    @property
    def field_boosts(self) -> dict[str, float]:
        """Each searched field's weight."""
        return {"title": self.title_weight, "text": 1.0}


DEFAULT_SETTINGS = SearchSettings()


@dataclass(frozen=True)
class SearchOptions:
    """What one search asks for besides its words and filters."""

    limit: int = 10
    offset: int = 0
    sort: str = "relevance"  # or "newest", "oldest": undated chunks last
    explain: bool = False  # each hit's score, term by term
    correct: bool = True  # typo tolerance
    facets: bool = True  # facet counts of the whole result
    highlight: bool = True
    feedback: bool = False  # RM3: the best chunks lend their words
    all_chunks: bool = False  # plain relevance order: no page's hits demoted (crowding)

    def checked(self) -> SearchOptions:
        """These options, or the SearchError of the first out of bounds."""
        if not 0 <= self.limit <= MAX_LIMIT:
            raise SearchError(f"must be between 0 and {MAX_LIMIT}", "limit", self.limit)
        if not 0 <= self.offset <= MAX_OFFSET:
            raise SearchError(f"must be between 0 and {MAX_OFFSET}", "offset", self.offset)
        if self.sort not in SORTS:
            raise SearchError(f"must be one of {', '.join(SORTS)}", "sort", self.sort, SORTS)
        return self


DEFAULT_OPTIONS = SearchOptions()
