"""How chunks are scored: BM25 per field, with one idf per word, as BM25F has it."""

from __future__ import annotations

from collections.abc import Callable
from math import log
from typing import Any

from whoosh.scoring import BM25F, WeightLengthScorer, WeightScorer, bm25

from dwsearch.index.whoosh_internals import length_bytes

from .settings import DEFAULT_SETTINGS, SearchSettings

# k1 and b by default (an export's mapping carries them too).
BM25_K1, BM25_B = DEFAULT_SETTINGS.k1, DEFAULT_SETTINGS.b
# The fields one idf is counted over: a word is as rare as the chunks that hold it.
DOCUMENT_FIELDS = ("title", "text")


class LuceneBM25F(BM25F):
    """Whoosh's BM25F with the BM25 idf, `log(1 + (N - n + 0.5) / (n + 0.5))`, where n
    counts the chunks holding the word in any searched field.

    Whoosh's own idf, `log(N / (n + 1)) + 1`, is TF-IDF's: it rates common words too high
    against rare ones, which costs ranking on long queries. And counted per field, a word
    common in text but rare in titles ("global") would weigh more in a title than a rare
    word does in text; BM25F (Robertson and Zaragoza, 2009) counts it once per document.
    """

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._averages: dict[tuple[int, str], tuple[Any, float]] = {}
        # A word's document frequency in a field, the same as Whoosh's term tables give
        # but quicker, where a session has a way (a large index's postings files).
        self.frequencies: Callable[[str, str | bytes], int] | None = None

    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        average = self.average_length(searcher.get_parent(), fieldname)
        return _FieldScorer(searcher, fieldname, text, self.B, self.K1, average)

    def average_length(self, searcher: Any, fieldname: str) -> float:
        """The field's average length over the chunks that have it, as Lucene takes it.

        Whoosh divides by every chunk: where most chunks are list items with a title and
        no text, a paragraph then looked many times longer than the average text, and
        lost to a two-word title that holds one of its words.
        """
        key = (id(searcher), fieldname)
        found = self._averages.get(key)
        if found is None:
            having = sum(
                documents_with_field(leaf.reader(), fieldname)
                for leaf, _ in searcher.leaf_searchers()
            )
            found = (searcher, searcher.field_length(fieldname) / having if having else 1.0)
            self._averages[key] = found
        return found[1]

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        fields = DOCUMENT_FIELDS if fieldname in DOCUMENT_FIELDS else (fieldname,)
        if self.frequencies is not None and fieldname in DOCUMENT_FIELDS:
            n = max(self.frequencies(field, text) for field in fields)
        else:
            n = document_frequency(parent, fields, text)
        if n == 0:
            return 0.0
        count = parent.doc_count_all()
        return log(1 + (count - n + 0.5) / (n + 0.5))


def document_frequency(searcher: Any, fields: tuple[str, ...], text: str) -> int:
    """How many documents hold `text`, taken as Lucene's BM25F (CombinedFieldQuery) takes
    it: the largest of its fields' document frequencies, which needs no posting list."""
    reader = searcher.reader()
    return max((reader.doc_frequency(f, text) for f in fields), default=0)


def documents_with_field(reader: Any, fieldname: str) -> int:
    """How many documents of a segment have a length in the field (deleted ones too, as
    Whoosh's total field length counts them)."""
    lengths = length_bytes(reader, fieldname)
    return len(lengths) - lengths.count(0)


class _FieldScorer(WeightLengthScorer):
    """BM25 in one field, with the field's average length over the chunks that have it
    (Whoosh's scorer takes its own average; this is Whoosh's documented way to score
    otherwise: a `WeightLengthScorer` with its own `_score`)."""

    def __init__(
        self, searcher: Any, fieldname: str, text: str, b: float, k1: float, average: float
    ) -> None:
        self.idf = searcher.get_parent().idf(fieldname, text)
        self.average, self.b, self.k1 = average, b, k1
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: float) -> float:
        return bm25(self.idf, weight, length, self.average, self.b, self.k1)


def weighting(settings: SearchSettings = DEFAULT_SETTINGS) -> LuceneBM25F:
    return LuceneBM25F(B=settings.b, K1=settings.k1)
