"""The extractor comparison runs, and trafilatura still finds every page's content."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_extractor_comparison_runs_and_trafilatura_finds_every_expected_chunk():
    result = subprocess.run(
        [sys.executable, str(BENCH / "extractors.py"), "--runs", "1"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    found, expected, extra, chrome = _totals(result.stdout, "trafilatura")
    assert (found, extra, chrome) == (expected, 0, 0)
    assert _totals(result.stdout, "none")[2] > 0  # html.toml's rules alone fall short


def _totals(table: str, extractor: str) -> tuple[int, int, int, int]:
    """Expected chunks found and expected, extra chunks, chrome leaked: the totals row."""
    row = next(line for line in table.splitlines() if f"**{extractor}**" in line)
    cells = [cell.strip(" *") for cell in row.strip("|").split("|")]
    found, expected = map(int, cells[4].split("/"))
    return found, expected, int(cells[5]), int(cells[6])
