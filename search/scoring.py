"""How chunks are scored: BM25 per field, with one idf per word, as BM25F has it."""

from __future__ import annotations

from math import log
from typing import Any

from whoosh.scoring import BM25F, BM25FScorer

from dwsearch.index.whoosh_internals import length_bytes

# k1 and b as Lucene and bm25s default them.
BM25_K1, BM25_B = 1.2, 0.75
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

    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> Any:
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, BM25FScorer):
            scorer.avgfl = self.average_length(searcher.get_parent(), fieldname)
        return scorer

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
    return len(lengths) - list(lengths).count(0)


def weighting() -> LuceneBM25F:
    return LuceneBM25F(B=BM25_B, K1=BM25_K1)
