"""Ranking quality: dwsearch against bm25s, on the classic collections and our own.

    python bench/relevance.py [COLLECTION ...] [--json]

COLLECTION folders are in BEIR layout; by default, cranfield and med from
../shared/data/ir (beside this checkout) and tests/relevance/observatory. Needs the
`bench` extra (ir-measures, bm25s, PyStemmer). The baseline is bm25s with k1 1.2,
b 0.75, Snowball English stemming, English stop words and queries as an OR of terms.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from dwsearch.app.evaluate import MEASURES, Evaluation, ranked_run, score_rankings
from dwsearch.ingest.beir import Collection, load_collection

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = [
    ROOT.parent / "shared" / "data" / "ir" / "cranfield",
    ROOT.parent / "shared" / "data" / "ir" / "med",
    ROOT / "tests" / "relevance" / "observatory",
]


def bm25s_rankings(collection: Collection, limit: int) -> dict[str, list[str]]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    documents = list(collection.documents())
    texts = [f"{d.title} {d.text}" for d in documents]
    retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    retriever.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    rankings = {}
    judged = [q for q in collection.queries if q in collection.qrels]
    for query_id in judged:
        tokens = bm25s.tokenize(
            [collection.queries[query_id]], stopwords="en", stemmer=stemmer, show_progress=False
        )
        k = min(limit, len(documents))
        if not tokens.vocab:
            rankings[query_id] = []
            continue
        found, scores = retriever.retrieve(tokens, k=k, show_progress=False)
        rankings[query_id] = [
            documents[i].id for i, s in zip(found[0], scores[0], strict=True) if s > 0
        ]
    return rankings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collections", nargs="*", type=Path)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folders = args.collections or [f for f in DEFAULTS if f.is_dir()]
    rows: list[tuple[str, Evaluation, float]] = []
    for folder in folders:
        started = time.perf_counter()
        collection, rankings = ranked_run(folder, args.limit)
        rows.append(
            ("dwsearch", score_rankings(collection, rankings), time.perf_counter() - started)
        )
        started = time.perf_counter()
        collection = load_collection(folder)
        baseline = score_rankings(collection, bm25s_rankings(collection, args.limit))
        rows.append(("bm25s", baseline, time.perf_counter() - started))
    if args.json:
        print(json.dumps([
            {"system": system, "collection": e.collection, "queries": e.queries,
             "seconds": round(seconds, 2), **e.measures}
            for system, e, seconds in rows
        ], indent=1))  # fmt: skip
        return
    names = list(MEASURES.values())
    print(f"| collection | system | {' | '.join(names)} |")
    print(f"|---|---|{'---|' * len(names)}")
    for system, e, _ in rows:
        figures = " | ".join(f"{e.measures[n]:.3f}" for n in names)
        print(f"| {e.collection} ({e.queries} q) | {system} | {figures} |")


if __name__ == "__main__":
    main()
