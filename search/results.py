"""What a search returns: plain data that printers render and programs consume."""

from __future__ import annotations

from dataclasses import dataclass, field

from dwsearch.ingest.chunk import Chunk, Lines

# The orders a search may give its hits in: best first, or by date either way.
SORTS = ("relevance", "newest", "oldest")
# The most hits one search returns, and the most it skips (deep paging scores them all).
MAX_LIMIT = 10_000
MAX_OFFSET = 1_000_000
# Between two passages of one snippet.
PASSAGE_JOIN = " … "


@dataclass(frozen=True)
class Segment:
    """A run of snippet text, marked when it matched the query."""

    text: str
    marked: bool = False


@dataclass(frozen=True)
class Snippet:
    """The part of a text shown for a hit, and whether text was cut on either side.

    Several passages of a text are one snippet whose segments join them with "…"; each
    passage is kept in `passages` too (empty: the snippet is one passage)."""

    segments: tuple[Segment, ...]
    cut_before: bool = False
    cut_after: bool = False
    passages: tuple[Snippet, ...] = ()

    @classmethod
    def joined(cls, passages: list[Snippet]) -> Snippet:
        """Passages as one snippet, joined by "…" (one passage is itself)."""
        if len(passages) == 1:
            return passages[0]
        segments: list[Segment] = []
        for number, passage in enumerate(passages):
            if number:
                segments.append(Segment(PASSAGE_JOIN))
            segments.extend(passage.segments)
        return cls(
            tuple(segments),
            cut_before=passages[0].cut_before,
            cut_after=passages[-1].cut_after,
            passages=tuple(passages),
        )

    @property
    def parts(self) -> tuple[Snippet, ...]:
        """The snippet's passages, best first: itself, when it is one."""
        return self.passages or (self,)

    @property
    def plain(self) -> str:
        body = "".join(s.text for s in self.segments)
        return f"{'… ' if self.cut_before else ''}{body}{' …' if self.cut_after else ''}"


@dataclass(frozen=True)
class Share:
    """One part of a hit's score: a query term found in one of its fields.

    `kind` is "word" (a word typed), "phrase" (a quoted phrase), "prefix", "side by side"
    (the bonus of two words typed next to each other, found so), or "read as" (a form
    the search added: a typo's correction, a compound's other spelling)."""

    kind: str
    field: str  # "title" or "text"
    typed: str  # the words as typed in the query (or the form added)
    term: str  # as indexed: analysed, stemmed
    score: float
    weight: float  # the query's weight of it (the title's, a repeat's, a bonus's)
    count: int = 0  # times the word is in the field, for a word (0: not counted)

    @property
    def raw(self) -> str:
        """Whoosh's own form of it: `text:cybersecur = 2.9546 (weight 1.5)`."""
        weight = f" (weight {self.weight:.4g})" if self.weight != 1 else ""
        quoted = f'"{self.term}"' if " " in self.term else self.term
        return f"{self.field}:{quoted} = {self.score:.4f}{weight}"


@dataclass(frozen=True)
class Hit:
    """One result: the chunk, its score, and its highlighted title and snippet."""

    chunk: Chunk
    score: float
    snippet: Snippet
    title: Snippet
    explanation: tuple[Share, ...] = ()
    more_from_page: int = 0  # the result's other hits of this hit's page, not listed here

    @property
    def id(self) -> str:
        return self.chunk.id

    @property
    def lines(self) -> Lines:
        return self.chunk.lines


YearRange = tuple[int | None, int | None]


@dataclass
class Filters:
    """Facet filters: OR within a facet, AND across facets.

    `since` and `until` (ISO dates, either may be empty) keep the chunks whose date, or
    date range, overlaps them; a chunk dated only by years counts as each of those years
    whole; a chunk with neither is then left out. `pages` keeps the chunks of these
    pages, named by their source (a file, or a fetched page's address).
    """

    types: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    baskets: list[str] = field(default_factory=list)
    years: list[YearRange] = field(default_factory=list)
    since: str = ""
    until: str = ""
    pages: list[str] = field(default_factory=list)  # chunks of these pages (by `source`)

    def by_facet(self) -> dict[str, list[str]]:
        """The value filters, by the facet they filter."""
        return {
            "type": self.types,
            "kind": self.kinds,
            "sector": self.sectors,
            "topic": self.topics,
            "basket": self.baskets,
        }


@dataclass
class Results:
    """A page of hits, the total matched, and the facet counts of the whole match."""

    query: str
    total: int
    offset: int
    limit: int
    took_ms: float
    suggestion: str | None
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    sort: str = "relevance"
    pages: int = 0  # how many pages the whole result's hits come from
