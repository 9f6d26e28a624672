"""A small slice of `bench/stress.py`, so that the stress suite cannot rot and its
promises hold on every change: fuzzed queries, hostile files, a killed build, a build
TERMed while it reads pages, and damaged index files."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
try:
    import stress
    from synthetic import write_pages
finally:
    sys.path.remove(str(BENCH))

from dwsearch.app import api  # noqa: E402


@pytest.mark.slow
def test_fuzzed_queries_raise_nothing_but_search_errors(tmp_path):
    write_pages(tmp_path / "pages", 8)
    api.build([tmp_path / "pages"], index=tmp_path / "ix")
    part = stress.fuzz_queries(tmp_path / "ix", 300, random.Random(4), cli_share=0.02)
    assert part.tried == 300 and part.failures == []


@pytest.mark.slow
def test_hostile_files_neither_hang_nor_leak(tmp_path):
    part = stress.hostile_files(tmp_path)
    assert part.tried == 6 and part.failures == []


@pytest.mark.slow
def test_a_killed_build_leaves_no_worker_and_a_whole_index(tmp_path):
    part = stress.random_kills(tmp_path, pages=250, count=2, rng=random.Random(2))
    assert part.tried == 2 and part.failures == []


@pytest.mark.slow
def test_a_build_termed_while_it_reads_pages_ends_with_143_and_publishes_nothing(tmp_path):
    part = stress.terms_in_ingestion(tmp_path, count=2, rng=random.Random(5), pages=20)
    assert part.tried == 2 and part.failures == []


@pytest.mark.slow
def test_damaged_files_are_never_a_wrong_answer(tmp_path):
    part = stress.corruptions(tmp_path, random.Random(3), limit=25)
    assert part.tried == 25 and part.failures == []


@pytest.mark.slow
def test_damage_in_a_large_segment_is_said_never_a_wrong_answer(tmp_path):
    part = stress.large_segment_damage(tmp_path, random.Random(7), rounds=2)
    assert part.tried == 16 and part.failures == []
