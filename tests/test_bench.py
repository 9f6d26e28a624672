"""The benchmark runs end to end on a small corpus, so it cannot rot. No timings asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.slow
def test_small_benchmark_run(tmp_path):
    result = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--pages", "20", "--queries", "24",
         "--runs", "2", "--json", "--workdir", str(tmp_path / "work"),
         "--baseline-seconds", "0.001"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout)
    assert figures["pages"] == 20
    assert figures["open_index_ms"] > 0
    assert figures["ingest"]["chunks"] > 20 * 10
    for system in ("dwsearch", "whoosh", "fts5", "tantivy"):
        assert figures["build"][system]["chunks"] == figures["ingest"]["chunks"]
    assert figures["query"]["dwsearch"]["queries"] == 24  # all of them
    assert figures["query"]["dwsearch --feedback"]["queries"] == 24  # the option's cost
    for system in ("whoosh", "fts5", "tantivy"):  # out of time: one whole round of the mix
        assert figures["query"][system]["queries"] == 21
    assert set(figures["end_to_end_ms"]) == {
        "python -c pass",
        "import whoosh.index",
        "dwsearch search, bundled corpus",
        "dwsearch search, big index",
        "dwsearch search, big index, serve running",
    }


def test_synthetic_pages_are_deterministic_and_ingest_cleanly(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        from synthetic import write_pages
    finally:
        sys.path.remove(str(BENCH))
    first = [p.read_text() for p in write_pages(tmp_path / "a", 5)]
    second = [p.read_text() for p in write_pages(tmp_path / "b", 5)]
    assert first == second
    from dwsearch.ingest.pages import chunk_paths

    chunks = list(chunk_paths([tmp_path / "a"]))
    assert all(hasattr(c, "type") for c in chunks)
    assert {c.type for c in chunks} >= {"overview", "event_report"}
    assert not any("Scroll to Top" in c.text for c in chunks)
