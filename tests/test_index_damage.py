"""A damaged index is never a wrong answer or a traceback: a search says so in one line
with the command that mends it, a plain `build` mends it, and the default index mends
itself. Every kind of file an index holds is damaged in turn."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dwsearch.index.facetmap import FACETMAP
from dwsearch.index.location import (
    MANIFEST,
    POINTER,
    SOURCES,
    VOCABULARY,
    current_generation,
    default_index_dir,
)
from helpers import run_cli, write

# The seed page's answers, read off the page: 2 chunks name satellites; 27 event reports.
SATELLITES, EVENT_REPORTS = 2, 27


def _segment(generation: Path) -> Path:
    return max(generation.glob("*.seg"), key=lambda p: p.stat().st_size)


def _segment_facets(generation: Path) -> Path:
    return next(generation.glob("facets-*.bin"))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE = {
    "segment emptied": lambda g: _segment(g).write_bytes(b""),
    "segment zeroed": lambda g: _segment(g).write_bytes(bytes(_segment(g).stat().st_size)),
    "segment truncated": lambda g: _truncate(_segment(g)),
    "segment's facets truncated": lambda g: _truncate(_segment_facets(g)),
    "facets truncated": lambda g: _truncate(g / FACETMAP),
    "facets flipped": lambda g: (g / FACETMAP).write_bytes(
        (g / FACETMAP).read_bytes()[:-3] + b"\xff\xff\xff"
    ),
    "table of contents zeroed": lambda g: next(g.glob("*.toc")).write_bytes(bytes(40)),
    "manifest nested": lambda g: (g / MANIFEST).write_text("[" * 100_000),
    "manifest missing": lambda g: (g / MANIFEST).unlink(),
    "sources truncated": lambda g: _truncate(g / SOURCES),
    "vocabulary nested": lambda g: (g / VOCABULARY).write_text("[" * 100_000),
    "pointer not text": lambda g: (g.parent / POINTER).write_bytes(b"\xff\xfe\x00gen"),
    "generation gone": lambda g: shutil.rmtree(g),
}


def _facet_check(index: Path) -> tuple[int, dict]:
    result = run_cli("search", "satellites", "--json", "--index", str(index))
    return result.exit_code, (json.loads(result.stdout) if result.stdout else {})


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_index_is_reported_then_mended_by_a_plain_build(tmp_path, seed_text, damage):
    pages = write(tmp_path / "pages" / "itu.txt", seed_text).parent
    index = tmp_path / "ix"
    assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0
    DAMAGE[damage](current_generation(index))

    for command in (["search", "satellites"], ["facets", "--type", "event_report"], ["stats"]):
        result = run_cli(*command, "--index", str(index))
        assert result.exit_code == 2, (command, result.stdout)
        assert result.stderr.count("\n") == 1 and "damaged" in result.stderr, result.stderr
        assert f"dwsearch build --rebuild --index {index}" in result.stderr
        assert result.stdout == ""

    mended = run_cli("build", "--index", str(index))
    if damage == "generation gone":  # nothing on disk says what it was built from
        assert mended.exit_code == 2 and "what it was built from is lost" in mended.stderr
        assert f"dwsearch build --rebuild --index {index} PATH" in mended.stderr
        mended = run_cli("build", "--rebuild", str(pages), "--index", str(index))
    assert mended.exit_code == 0, mended.stderr
    assert "up to date" not in mended.stdout
    code, data = _facet_check(index)
    assert code == 0 and data["total"] == SATELLITES
    assert data["facets"]["type"]["event_report"] == 1
    counts = json.loads(run_cli("facets", "--json", "--index", str(index)).stdout)
    assert counts["facets"]["type"]["event_report"] == EVENT_REPORTS


@pytest.mark.parametrize("damage", ["segment zeroed", "manifest nested", "generation gone"])
def test_the_default_index_mends_itself(damage):
    first = run_cli("search", "satellites")
    assert first.exit_code == 0
    DAMAGE[damage](current_generation(default_index_dir()))
    again = run_cli("search", "satellites", "--json")
    assert again.exit_code == 0
    assert again.stderr.startswith("dwsearch: building the search index in")
    assert "damaged" in again.stderr
    assert json.loads(again.stdout)["total"] == SATELLITES


def test_a_taxonomy_nested_too_deeply_is_one_line(tmp_path):
    deep = write(tmp_path / "deep.toml", "a = " + "[" * 100_000)
    for command in (["build", "--index", str(tmp_path / "ix")], ["chunks"]):
        result = run_cli(*command, "--taxonomy", str(deep))
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1 and "deep.toml" in result.stderr
