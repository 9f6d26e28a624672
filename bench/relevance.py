"""Ranking quality: dwsearch against plain BM25 engines, on the classic collections and ours.

    python bench/relevance.py [COLLECTION ...] [--baselines bm25s,rank_bm25,...]
                              [--feedback [--feedback-weight W]] [--json]

COLLECTION folders are in BEIR layout; by default, the six of ../shared/data/ir (beside
this checkout) and tests/relevance/observatory. Needs the `bench` extra (ir-measures,
bm25s, PyStemmer); `rank_bm25` and `tantivy` run when installed. Every baseline gets the
same text: title and text as one field, words of two or more letters, lower case,
Lucene's 33 English stop words, Snowball English stemming; k1 1.2, b 0.75, queries as an
OR of their words, top `--limit`. Measures are the ones `dwsearch evaluate` reports
(MAP and Recall at 100), so the figures compare like with like.

A second table sets dwsearch against the best baseline of each measure, query by query,
with a paired randomization test's p: how likely a difference this large is when the
two systems are in truth alike. On 30 queries a few rank swaps move nDCG@10 by 0.005;
the p says whether a gap is more than that. With 28 such tests, one or two below 0.05
are to be expected by chance alone.

`--feedback` adds dwsearch with RM3 feedback (`search --feedback`) and a third table,
feedback against the default; `--feedback-weight W` gives the typed words W of the
weight instead (the feedback words share the rest), to compare weights. `--json` prints
{"systems": [...], "against_best": [...], "feedback": [...]}.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypedDict

from dwsearch.app.evaluate import MEASURES, Evaluation, ranked_run, score_rankings
from dwsearch.ingest.beir import Collection, load_collection
from dwsearch.search.settings import SearchSettings

ROOT = Path(__file__).resolve().parent.parent
IR = ROOT.parent / "shared" / "data" / "ir"
DEFAULTS = [
    *(IR / name for name in ("cranfield", "med", "adi", "time", "npl", "lisa")),
    ROOT / "tests" / "relevance" / "observatory",
]
K1, B = 1.2, 0.75
Rankings = dict[str, list[str]]


class Words:
    """The baselines' shared analysis: bm25s's tokenizer, stop words and stemmer."""

    def __init__(self) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN

        self.stem = Stemmer.Stemmer("english").stemWords
        self.stops = frozenset(STOPWORDS_EN)
        self.pattern = re.compile(r"(?u)\b\w\w+\b")

    def __call__(self, text: str) -> list[str]:
        words = [w for w in self.pattern.findall(text.lower()) if w not in self.stops]
        return self.stem(words)


def _documents(collection: Collection) -> tuple[list[str], list[str]]:
    documents = list(collection.documents())
    return [d.id for d in documents], [f"{d.title} {d.text}" for d in documents]


def _judged(collection: Collection) -> list[str]:
    return [q for q in collection.queries if q in collection.qrels]


def bm25s_rankings(collection: Collection, limit: int) -> Rankings:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids, texts = _documents(collection)
    retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
    retriever.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    rankings = {}
    for query_id in _judged(collection):
        tokens = bm25s.tokenize(
            [collection.queries[query_id]], stopwords="en", stemmer=stemmer, show_progress=False
        )
        if not tokens.vocab:
            rankings[query_id] = []
            continue
        found, scores = retriever.retrieve(tokens, k=min(limit, len(ids)), show_progress=False)
        rankings[query_id] = [ids[i] for i, s in zip(found[0], scores[0], strict=True) if s > 0]
    return rankings


def rank_bm25_rankings(collection: Collection, limit: int) -> Rankings:
    from rank_bm25 import BM25Okapi

    words = Words()
    ids, texts = _documents(collection)
    model = BM25Okapi([words(t) for t in texts], k1=K1, b=B)
    rankings = {}
    for query_id in _judged(collection):
        scores = model.get_scores(words(collection.queries[query_id]))
        best = sorted(range(len(ids)), key=lambda n: -scores[n])[:limit]
        rankings[query_id] = [ids[n] for n in best if scores[n] > 0]
    return rankings


def fts5_rankings(collection: Collection, limit: int) -> Rankings:
    """SQLite FTS5's bm25(), over text stemmed beforehand (FTS5 has no Snowball)."""
    words = Words()
    ids, texts = _documents(collection)
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE docs USING fts5(body, tokenize='unicode61')")
    connection.executemany(
        "INSERT INTO docs(rowid, body) VALUES (?, ?)",
        [(n, " ".join(words(t))) for n, t in enumerate(texts)],
    )

    def ranked(terms: list[str]) -> list[str]:
        match = " OR ".join(f'"{t}"' for t in terms)
        rows = connection.execute(
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?", (match, limit)
        )
        return [ids[row[0]] for row in rows]

    return _each_query(collection, words, ranked)


def _each_query(
    collection: Collection, words: Words, ranked: Callable[[list[str]], list[str]]
) -> Rankings:
    """Each judged query's ranking by `ranked`, given its words (none: nothing found)."""
    rankings = {}
    for query_id in _judged(collection):
        terms = words(collection.queries[query_id])
        rankings[query_id] = ranked(terms) if terms else []
    return rankings


def tantivy_rankings(collection: Collection, limit: int) -> Rankings:
    """tantivy's BM25 over text stemmed beforehand; its parser counts a repeated word once."""
    import tantivy

    words = Words()
    ids, texts = _documents(collection)
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    builder.add_integer_field("n", stored=True, indexed=False, fast=False)
    schema = builder.build()
    index = tantivy.Index(schema)
    writer = index.writer()
    for n, text in enumerate(texts):
        writer.add_document(tantivy.Document(n=n, body=" ".join(words(text))))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()

    def ranked(terms: list[str]) -> list[str]:
        hits = searcher.search(index.parse_query(" ".join(terms), ["body"]), limit).hits
        return [ids[searcher.doc(address)["n"][0]] for _, address in hits]

    return _each_query(collection, words, ranked)


def whoosh_rankings(collection: Collection, limit: int) -> Rankings:
    """Whoosh 2.7's own BM25F and idf, one field, its parser's OR of the words."""
    from whoosh import fields, qparser, scoring
    from whoosh.analysis import RegexTokenizer
    from whoosh.filedb.filestore import RamStorage

    words = Words()
    ids, texts = _documents(collection)
    schema = fields.Schema(n=fields.STORED(), body=fields.TEXT(analyzer=RegexTokenizer(r"\S+")))
    index = RamStorage().create_index(schema)
    writer = index.writer()
    for n, text in enumerate(texts):
        writer.add_document(n=n, body=" ".join(words(text)))
    writer.commit()
    parser = qparser.QueryParser("body", schema, group=qparser.OrGroup)
    rankings = {}
    with index.searcher(weighting=scoring.BM25F(B=B, K1=K1)) as searcher:
        for query_id in _judged(collection):
            terms = words(collection.queries[query_id])
            hits = searcher.search(parser.parse(" ".join(terms)), limit=limit) if terms else []
            rankings[query_id] = [ids[hit["n"]] for hit in hits]
    return rankings


BASELINES: dict[str, Callable[[Collection, int], Rankings]] = {
    "bm25s": bm25s_rankings,
    "rank_bm25": rank_bm25_rankings,
    "tantivy": tantivy_rankings,
    "fts5": fts5_rankings,
    "whoosh": whoosh_rankings,
}


RANDOMIZATION_ROUNDS = 10_000
SIGNIFICANT = 0.05


def paired_randomization(
    ours: list[float], theirs: list[float], rounds: int = RANDOMIZATION_ROUNDS, seed: int = 0
) -> float:
    """Two-sided p of Fisher's paired randomization test, the one Smucker, Allan and
    Carterette (2007) recommend for IR: the share of random swaps of each query's two
    figures whose mean difference is at least as far from 0 as the one observed. Every
    swap is tried when there are no more than `rounds` of them."""
    import numpy as np

    if len(ours) != len(theirs):
        raise ValueError("the two systems must be measured on the same queries")
    differences = np.asarray(ours, dtype=np.float64) - np.asarray(theirs, dtype=np.float64)
    count = len(differences)
    if count == 0:
        return 1.0
    observed = abs(differences.sum())
    tolerance = 1e-9 * max(1.0, observed)
    if 2**count <= rounds:
        swaps = (np.arange(2**count)[:, None] >> np.arange(count)) & 1
        sums = np.abs(((1 - 2 * swaps) * differences).sum(axis=1))
        return float(np.mean(sums >= observed - tolerance))
    signs = np.random.default_rng(seed).choice((-1.0, 1.0), size=(rounds, count))
    sums = np.abs(signs @ differences)
    return float((np.sum(sums >= observed - tolerance) + 1) / (rounds + 1))


class Comparison(TypedDict):
    """One measure of one collection: a system, the other it is set against, and p."""

    collection: str
    measure: str
    system: str
    figure: float
    other: str
    other_figure: float
    p: float


def against_best(system: str, ours: Evaluation, others: dict[str, Evaluation]) -> list[Comparison]:
    """For each measure: `ours`, the best of `others` by that measure, and the paired
    test's p over every query of `ours` (a query another system has no figure for
    counts 0 there, as a query without results does)."""
    rows: list[Comparison] = []
    queries = list(ours.per_query)
    for measure in MEASURES.values():
        if math.isnan(ours.measures[measure]) or not others:
            continue
        best = max(others, key=lambda name: others[name].measures[measure])
        theirs = others[best]
        p = paired_randomization(
            [ours.per_query[q].get(measure, 0.0) for q in queries],
            [theirs.per_query.get(q, {}).get(measure, 0.0) for q in queries],
        )
        rows.append(Comparison(
            collection=ours.collection, measure=measure, system=system,
            figure=ours.measures[measure], other=best,
            other_figure=theirs.measures[measure], p=p,
        ))  # fmt: skip
    return rows


def verdict(row: Comparison) -> str:
    """Better or worse only beyond chance; a p above the line says nothing either way."""
    if row["p"] >= SIGNIFICANT:
        return "within chance"
    return "better" if row["figure"] > row["other_figure"] else "worse"


def _print_comparisons(title: str, rows: list[Comparison]) -> None:
    print(f"\n{title} (paired randomization test; beyond chance at p < {SIGNIFICANT}):\n")
    print("| collection | measure | system | against | p | verdict |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['collection']} | {row['measure']} | {row['figure']:.3f} "
            f"| {row['other_figure']:.3f} ({row['other']}) | {row['p']:.3f} | {verdict(row)} |"
        )


def _installed(name: str) -> bool:
    module = {"rank_bm25": "rank_bm25", "tantivy": "tantivy"}.get(name)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collections", nargs="*", type=Path)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--baselines", default=",".join(BASELINES))
    parser.add_argument("--no-dwsearch", action="store_true", help="Baselines only.")
    parser.add_argument("--feedback", action="store_true", help="Also dwsearch with RM3.")
    parser.add_argument("--feedback-weight", type=float, help="The typed words' share, 0-1.")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.feedback_weight is not None:
        if not 0 < args.feedback_weight <= 1:
            parser.error("--feedback-weight must be above 0 and at most 1")
        settings = SearchSettings(feedback_typed_share=args.feedback_weight)
    else:
        settings = SearchSettings()
    folders = args.collections or [f for f in DEFAULTS if f.is_dir()]
    chosen = [b for b in args.baselines.split(",") if b and _installed(b)]
    rows: list[tuple[str, Evaluation, float]] = []
    compared: list[Comparison] = []
    widened: list[Comparison] = []
    for folder in folders:
        ours = None
        if not args.no_dwsearch:
            started = time.perf_counter()
            collection, rankings = ranked_run(folder, args.limit)
            ours = score_rankings(collection, rankings)
            rows.append(("dwsearch", ours, time.perf_counter() - started))
            if args.feedback:
                started = time.perf_counter()
                collection, rankings = ranked_run(folder, args.limit, True, settings)
                with_feedback = score_rankings(collection, rankings)
                rows.append(("dwsearch --feedback", with_feedback, time.perf_counter() - started))
                widened += against_best("feedback", with_feedback, {"default": ours})
        collection = load_collection(folder)
        baselines: dict[str, Evaluation] = {}
        for name in chosen:
            started = time.perf_counter()
            baselines[name] = score_rankings(collection, BASELINES[name](collection, args.limit))
            rows.append((name, baselines[name], time.perf_counter() - started))
        if ours is not None:
            compared += against_best("dwsearch", ours, baselines)
    if args.json:
        print(json.dumps({
            "systems": [
                {"system": system, "collection": e.collection, "queries": e.queries,
                 "seconds": round(seconds, 2), **e.measures}
                for system, e, seconds in rows
            ],
            "against_best": compared,
            "feedback": widened,
        }, indent=1))  # fmt: skip
        return
    names = list(MEASURES.values())
    print(f"| collection | system | {' | '.join(names)} |")
    print(f"|---|---|{'---|' * len(names)}")
    for system, e, _ in rows:
        figures = " | ".join(f"{e.measures[n]:.3f}" for n in names if not math.isnan(e.measures[n]))
        print(f"| {e.collection} ({e.queries} q) | {system} | {figures} |")
    if compared:
        _print_comparisons("dwsearch against the best baseline of each measure", compared)
    if widened:
        _print_comparisons("dwsearch --feedback against the default", widened)


if __name__ == "__main__":
    main()
