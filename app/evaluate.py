"""Measuring ranking on a judged test collection, as trec_eval and BEIR do.

The collection's documents are indexed by the same code as observatory pages, and each
judged query is searched with dwsearch's default settings, as a user would type it.
The measures are computed by `ir-measures` (the `eval` extra), not by hand.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from dwsearch.index import live_generation
from dwsearch.index.reading import open_generation
from dwsearch.ingest.beir import Collection, load_collection
from dwsearch.search.engine import SearchSession
from dwsearch.search.errors import SearchError
from dwsearch.search.settings import DEFAULT_SETTINGS, SearchOptions, SearchSettings

# ir-measures' names, and the names users know them by.
MEASURES = {"nDCG@10": "nDCG@10", "AP@100": "MAP@100", "RR@10": "MRR@10", "R@100": "Recall@100"}
NO_RESULT = "__no_result__"


@dataclass
class Evaluation:
    """Ranking measures over a collection, overall and per query."""

    collection: str
    documents: int
    queries: int
    measures: dict[str, float]
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0


def ranked_run(
    collection_folder: str | Path,
    limit: int = 100,
    feedback: bool = False,
    settings: SearchSettings = DEFAULT_SETTINGS,
) -> tuple[Collection, dict[str, list[str]]]:
    """Index a collection and search its judged queries: (collection, {query: [doc ids]});
    with `feedback`, as `search --feedback` does; by `settings` (an experiment's)."""
    from dwsearch.index.builder import build_from_chunks

    collection = load_collection(collection_folder)
    rankings: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="dwsearch-eval-") as folder:
        where = Path(folder)
        build_from_chunks(where, collection.documents(), f"<collection {collection.name}>")
        live = live_generation(where)
        assert live is not None
        with SearchSession(open_generation(where, *live), settings) as session:
            for query_id, text in collection.queries.items():
                if query_id not in collection.qrels:
                    continue
                results = session.search(
                    text,
                    None,
                    SearchOptions(
                        limit=limit,
                        facets=False,
                        highlight=False,
                        feedback=feedback,
                        all_chunks=True,  # plain relevance: figures comparable over time
                    ),
                )
                rankings[query_id] = [hit.id for hit in results.hits]
    return collection, rankings


def evaluate(collection_folder: str | Path, limit: int = 100, feedback: bool = False) -> Evaluation:
    """nDCG@10, MAP@100, MRR@10 and Recall@100 of dwsearch's default search (or of the
    search with RM3 feedback)."""
    if limit < 1:
        raise SearchError("must be 1 or more", "limit", limit)
    _require_ir_measures()
    started = time.perf_counter()
    collection, rankings = ranked_run(collection_folder, limit, feedback)
    evaluation = score_rankings(collection, rankings)
    evaluation.seconds = time.perf_counter() - started
    return evaluation


def _require_ir_measures() -> None:
    try:
        import ir_measures  # noqa: F401
    except ImportError:
        raise SearchError(
            "evaluate needs ir-measures; install the eval extra: pip install 'dwsearch[eval]'"
        ) from None


def score_rankings(collection: Collection, rankings: dict[str, list[str]]) -> Evaluation:
    """The measures of any system's rankings (dwsearch's, or a baseline's) on a collection."""
    import ir_measures

    run = []
    for query_id, doc_ids in rankings.items():
        # Scores by rank, so the evaluator keeps the system's order, ties and all.
        run += [
            ir_measures.ScoredDoc(query_id, doc_id, float(len(doc_ids) - rank))
            for rank, doc_id in enumerate(doc_ids)
        ]
        if not doc_ids:  # a query with no results still counts, as a zero
            run.append(ir_measures.ScoredDoc(query_id, NO_RESULT, 0.0))
    qrels = [
        ir_measures.Qrel(query_id, doc_id, grade)
        for query_id, judged in collection.qrels.items()
        if query_id in rankings
        for doc_id, grade in judged.items()
    ]
    measures = [ir_measures.parse_measure(name) for name in MEASURES]
    aggregate = ir_measures.calc_aggregate(measures, qrels, run)
    per_query: dict[str, dict[str, float]] = {}
    for metric in ir_measures.iter_calc(measures, qrels, run):
        per_query.setdefault(metric.query_id, {})[MEASURES[str(metric.measure)]] = metric.value
    return Evaluation(
        collection=collection.name,
        documents=sum(1 for _ in collection.documents()),
        queries=len(rankings),
        measures={
            label: aggregate[measure]
            for measure, label in zip(measures, MEASURES.values(), strict=True)
        },
        per_query=dict(sorted(per_query.items(), key=lambda item: _natural(item[0]))),
    )


def _natural(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1 << 62, key)
