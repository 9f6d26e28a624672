"""bench/serve.py runs end to end on a small corpus, so it cannot rot. No timings asserted,
but no request may fail, during the rebuild included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.slow
def test_small_serve_benchmark_run(tmp_path):
    result = subprocess.run(
        [sys.executable, str(BENCH / "serve.py"), "--pages", "20", "--queries", "24",
         "--seconds", "1", "--clients", "1,4", "--workers", "2", "--json",
         "--workdir", str(tmp_path / "work")],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout)
    assert figures["in_process"]["requests"] > 0
    assert set(figures["http"]) == {"1", "4"}
    for level in [*figures["http"].values(), figures["during_rebuild"]]:
        assert level["requests"] > 0
        assert level["failed"] == 0
    assert figures["during_rebuild"]["build_exit"] == 0
