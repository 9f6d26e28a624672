"""How chunks are scored: BM25F as Lucene and bm25s compute it."""

from __future__ import annotations

from math import log
from typing import Any

from whoosh.scoring import BM25F

# k1 and b as Lucene and bm25s default them.
BM25_K1, BM25_B = 1.2, 0.75


class LuceneBM25F(BM25F):
    """Whoosh's BM25F with the BM25 idf, `log(1 + (N - n + 0.5) / (n + 0.5))`.

    Whoosh's own idf, `log(N / (n + 1)) + 1`, is TF-IDF's: it rates common words too high
    against rare ones, which costs ranking on long queries.
    """

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        if n == 0:
            return 0.0
        count = parent.doc_count_all()
        return log(1 + (count - n + 0.5) / (n + 0.5))


def weighting() -> BM25F:
    return LuceneBM25F(B=BM25_B, K1=BM25_K1)
