"""`dwsearch evaluate`: standard measures on BEIR collections, checked by hand."""

from __future__ import annotations

import json
from math import comb, log2
from pathlib import Path

import pytest

from dwsearch.app.evaluate import MEASURES, Evaluation, evaluate
from helpers import bench_module, run_cli, write

OBSERVATORY = Path(__file__).parent / "relevance" / "observatory"
# nDCG@10 of the observatory's judged queries when it was last raised; ranking changes
# may raise it, never lower it. Update it with the figure `dwsearch evaluate` prints.
RECORDED_OBSERVATORY_NDCG10 = 0.9158
RECORDED_OBSERVATORY_FEEDBACK_NDCG10 = 0.9305


def _tiny_collection(folder: Path) -> Path:
    """Four documents, two judged queries, rankings that can be worked out on paper."""
    documents = [
        ("d1", "apple orchard harvest"),
        ("d2", "banana plantation"),
        ("d3", "apple pie recipe"),
        ("d4", "cherry blossom"),
    ]
    write(
        folder / "corpus.jsonl",
        "".join(json.dumps({"_id": i, "title": "", "text": t}) + "\n" for i, t in documents),
    )
    write(
        folder / "queries.jsonl",
        '{"_id": "q1", "text": "apple"}\n{"_id": "q2", "text": "cherry"}\n'
        '{"_id": "q3", "text": "not judged"}\n',
    )
    write(
        folder / "qrels" / "test.tsv",
        "query-id\tcorpus-id\tscore\nq1\td1\t0\nq1\td3\t2\nq1\td2\t1\nq2\td4\t1\n",
    )
    return folder


def test_figures_worked_out_by_hand(tmp_path):
    # q1 "apple" ranks d1 then d3 (equal scores; d1 stands first). d3 is graded 2, d2 is
    # graded 1 but not found, d1 is judged not relevant.
    #   nDCG@10 = (2 / log2 3) / (2 + 1 / log2 3)   AP = (1/2) / 2   RR = 1/2   R = 1/2
    # q2 "cherry" finds its one relevant document first: every measure is 1.
    q1_ndcg = (2 / log2(3)) / (2 + 1 / log2(3))
    result = evaluate(_tiny_collection(tmp_path))
    assert result.queries == 2  # q3 has no judgments, so it is not run
    assert result.documents == 4
    assert result.measures == pytest.approx(
        {"nDCG@10": (q1_ndcg + 1) / 2, "MAP@100": 0.625, "MRR@10": 0.75, "Recall@100": 0.75}
    )
    assert result.per_query["q1"]["nDCG@10"] == pytest.approx(q1_ndcg)
    assert result.per_query["q2"] == pytest.approx(
        {"nDCG@10": 1.0, "MAP@100": 1.0, "MRR@10": 1.0, "Recall@100": 1.0}
    )


def test_a_query_without_results_counts_as_zero(tmp_path):
    folder = _tiny_collection(tmp_path)
    write(
        folder / "queries.jsonl", '{"_id": "q1", "text": "zzzz"}\n{"_id": "q2", "text": "cherry"}\n'
    )
    result = evaluate(folder)
    assert result.measures["MRR@10"] == pytest.approx(0.5)


def test_cli_table_and_json(tmp_path):
    folder = _tiny_collection(tmp_path)
    table = run_cli("evaluate", str(folder))
    assert table.exit_code == 0
    assert table.stdout.splitlines() == [
        f"{tmp_path.name}: 4 documents, 2 judged queries",
        "  nDCG@10     0.7398",
        "  MAP@100     0.6250",
        "  MRR@10      0.7500",
        "  Recall@100  0.7500",
    ]
    data = json.loads(run_cli("evaluate", str(folder), "--json").stdout)
    assert set(data["per_query"]) == {"q1", "q2"}


@pytest.mark.parametrize("broken", ["missing", "bad-json", "no-qrels"])
def test_bad_collections_are_one_clear_line(tmp_path, broken):
    folder = _tiny_collection(tmp_path / "c")
    if broken == "missing":
        folder = tmp_path / "nowhere"
    elif broken == "bad-json":
        write(folder / "corpus.jsonl", "{not json\n")
    else:
        (folder / "qrels" / "test.tsv").unlink()
    result = run_cli("evaluate", str(folder))
    assert result.exit_code == 2
    assert result.stderr.startswith("dwsearch: ") and result.stderr.count("\n") == 1


def test_observatory_ranking_does_not_regress():
    result = evaluate(OBSERVATORY)
    assert result.queries == 103
    assert result.measures["nDCG@10"] >= RECORDED_OBSERVATORY_NDCG10


def test_feedback_keeps_its_gain_on_the_observatory_queries():
    """RM3 as the option has it (its words given a tenth of the weight) was measured
    above the default here; Anserini's half was not."""
    plain = evaluate(OBSERVATORY)
    widened = run_cli("evaluate", str(OBSERVATORY), "--feedback", "--json")
    assert widened.exit_code == 0, widened.stderr
    measures = json.loads(widened.stdout)["measures"]
    assert measures["nDCG@10"] >= RECORDED_OBSERVATORY_FEEDBACK_NDCG10
    assert measures["nDCG@10"] > plain.measures["nDCG@10"]
    assert measures["Recall@100"] > plain.measures["Recall@100"]


def _binomial_p(positives: int, count: int) -> float:
    """Exact two-sided p for differences that are all +1 or -1: the mean is 2K - n for K
    positives out of n, and K is Binomial(n, 1/2) when the two systems are alike."""
    observed = abs(2 * positives - count)
    tail = sum(comb(count, k) for k in range(count + 1) if abs(2 * k - count) >= observed)
    return tail / 2**count


@pytest.mark.parametrize("positives, count", [(5, 5), (3, 4), (2, 4), (9, 12)])
def test_randomization_test_enumerates_small_samples_exactly(positives, count):
    relevance = bench_module("relevance")
    ours = [1.0] * positives + [0.0] * (count - positives)
    theirs = [0.0] * positives + [1.0] * (count - positives)
    assert relevance.paired_randomization(ours, theirs) == pytest.approx(
        _binomial_p(positives, count)
    )


def test_randomization_test_samples_large_ones_near_the_exact_p():
    relevance = bench_module("relevance")
    ours = [0.8] * 14 + [0.3] * 6  # 20 queries: 2**20 swaps, so sampled
    theirs = [0.3] * 14 + [0.8] * 6
    exact = _binomial_p(14, 20)  # 0.115
    sampled = relevance.paired_randomization(ours, theirs, rounds=20_000, seed=7)
    assert abs(sampled - exact) < 0.01  # four standard errors
    assert relevance.paired_randomization(ours, ours) == 1.0


def test_the_best_baseline_is_chosen_per_measure():
    relevance = bench_module("relevance")
    names = list(MEASURES.values())

    def run(figures: dict[str, list[float]]) -> Evaluation:
        """A run with these per-query figures for each measure (queries "0", "1", ...)."""
        count = len(next(iter(figures.values())))
        per_query = {str(q): {m: figures[m][q] for m in names} for q in range(count)}
        means = {m: sum(values) / count for m, values in figures.items()}
        return Evaluation("c", 10, count, means, per_query)

    # "first" is best by the first measure, "rest" by every other.
    first = run({m: ([0.9] * 3 if m == names[0] else [0.1] * 3) for m in names})
    rest = run({m: ([0.1] * 3 if m == names[0] else [0.8] * 3) for m in names})
    rows = relevance.against_best("ours", run({m: [0.4] * 3 for m in names}), {
        "first": first, "rest": rest})  # fmt: skip
    assert [row["other"] for row in rows] == ["first"] + ["rest"] * (len(names) - 1)
    assert [row["other_figure"] for row in rows] == pytest.approx([0.9] + [0.8] * 3)
    assert rows[0]["p"] == pytest.approx(_binomial_p(0, 3))  # each query lost: 2/8
    assert relevance.verdict(rows[0]) == "within chance"

    # A query the other system has no figure for counts 0 there.
    partial = run({m: [0.5, 0.5, 0.5] for m in names})
    del partial.per_query["1"], partial.per_query["2"]
    ours = run({m: [0.5, 0.5, 0.5] for m in names})
    [row, *_] = relevance.against_best("ours", ours, {"partial": partial})
    assert row["p"] == pytest.approx(0.5)  # differences 0, 0.5, 0.5; skipped, it would be 1
    with pytest.raises(ValueError):
        relevance.paired_randomization([1.0], [1.0, 0.0])


def test_a_difference_beyond_chance_is_a_verdict():
    relevance = bench_module("relevance")
    row = {"figure": 0.6, "other_figure": 0.5, "p": 0.01}
    assert relevance.verdict(row) == "better"
    assert relevance.verdict({**row, "figure": 0.4}) == "worse"
    assert relevance.verdict({**row, "p": 0.05}) == "within chance"
