"""Damage in a segment over 4 MiB is never a wrong answer or a traceback (issue 27).

Opening an index used to checksum only files up to 4 MiB and size-check larger ones:
two flipped bytes in a large segment's length column moved hits down the ranking with
exit 0, and damage to its term file was a traceback. Now every search of a damaged
index says so in one line (exit 2), `serve` refuses, a plain build mends it, and the
mended index answers as an undamaged copy does (the oracle)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dwsearch.index.location import current_generation, default_index_dir
from dwsearch.index.stored import STORED_FILE
from dwsearch.index.whoosh_internals import compound_parts
from helpers import run_cli

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
try:
    from synthetic import write_pages
finally:
    sys.path.remove(str(BENCH))

LARGE = 4 * 2**20  # the size above which opening checked no checksum
# One segment (a serial build) of about 26,000 chunks, 5.5 MB: four pages a file.
PAGES = 150
PER_FILE = 4
QUERIES = [
    ["spectrum"],
    ["privacy", "--type", "event_report"],
    ['"digital divide"'],
    ["cyber*", "--sort", "newest"],
]

pytestmark = pytest.mark.slow


Answer = tuple[int, dict]


def _answer(result) -> Answer:  # type: ignore[no-untyped-def]
    """A search's exit code and its JSON (hits in order, scores, facets), but its time."""
    data = json.loads(result.stdout) if result.stdout else {}
    data.pop("took_ms", None)
    return result.exit_code, data


def _answers(index: Path | None) -> dict[str, Answer]:
    where = ["--index", str(index)] if index else []
    return {
        " ".join(query): _answer(run_cli("search", *query, "--json", "--limit", "40", *where))
        for query in QUERIES
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, dict[str, Answer]]:
    """An undamaged index with one segment over 4 MiB, and its answers."""
    root = tmp_path_factory.mktemp("large-segment")
    write_pages(root / "pages", PAGES, per_file=PER_FILE)
    index = root / "ix"
    assert run_cli("build", str(root / "pages"), "--index", str(index)).exit_code == 0
    assert _segment(index).stat().st_size > LARGE
    answers = _answers(index)
    assert all(code == 0 and data["total"] for code, data in answers.values())
    return index, answers


def _segment(index: Path) -> Path:
    generation = current_generation(index)
    assert generation is not None
    return max(generation.glob("*.seg"), key=lambda p: p.stat().st_size)


def _flip(index: Path, suffixes: tuple[str, ...], count: int = 40, keep_mtime: bool = False):
    """Invert `count` bytes spread evenly over each named part of the large segment, found
    through the compound file's table of contents; or zero the parts (`count` 0)."""
    segment = _segment(index)
    parts = compound_parts(str(segment.parent), segment.name)
    places = [(at, length) for name, (at, length) in parts.items() if name.endswith(suffixes)]
    assert len(places) == len(suffixes)
    before = segment.stat()
    data = bytearray(segment.read_bytes())
    for at, length in places:
        if count == 0:
            data[at : at + length] = bytes(length)
        for step in range(count):
            data[at + step * length // count] ^= 0xFF
    segment.write_bytes(data)
    if keep_mtime:  # damage a file's time does not betray: only reading it shows it
        os.utime(segment, ns=(before.st_atime_ns, before.st_mtime_ns))


def _copy(reference: Path, target: Path, keep_times: bool = True) -> Path:
    shutil.copytree(reference, target, copy_function=shutil.copy2 if keep_times else shutil.copy)
    return target


def _assert_damaged_then_mended(index: Path, wanted: dict[str, Answer]) -> None:
    for command in (*(["search", *q] for q in QUERIES), ["facets"], ["stats"]):
        result = run_cli(*command, "--index", str(index))
        assert result.exit_code == 2, (command, result.stdout[:200], result.stderr)
        assert result.stderr.count("\n") == 1 and "damaged" in result.stderr, result.stderr
        assert "dwsearch build" in result.stderr and str(index) in result.stderr
        assert result.stdout == ""
    mended = run_cli("build", "--index", str(index))
    assert mended.exit_code == 0, mended.stderr
    assert "up to date" not in mended.stdout
    assert _answers(index) == wanted


DAMAGE: dict[str, Callable[[Path], None]] = {
    "length columns": lambda ix: _flip(ix, ("._text_len.col", "._title_len.col"), count=2),
    "term file": lambda ix: _flip(ix, (".trm",)),
    "postings": lambda ix: _flip(ix, (".pst",)),
    "stored fields": lambda ix: _flip(ix, ("._stored.col",)),
    "stored blocks": lambda ix: _flip_blocks(ix),
}


def _flip_blocks(index: Path, count: int = 40) -> None:
    """Invert `count` bytes spread over the large segment's stored-fields blocks."""
    segment = _segment(index)
    path = segment.with_name(STORED_FILE.format(segment.stem))
    data = bytearray(path.read_bytes())
    for step in range(count):
        data[step * len(data) // count] ^= 0xFF
    path.write_bytes(data)


@pytest.mark.parametrize("damage", DAMAGE)
def test_damage_in_a_large_segment_is_said_and_mended(reference, tmp_path, damage):
    index, wanted = reference
    copy = _copy(index, tmp_path / "ix")
    DAMAGE[damage](copy)
    _assert_damaged_then_mended(copy, wanted)


@pytest.mark.parametrize("part", [".trm", "table of contents"])
def test_damage_its_mtime_hides_is_still_no_traceback(reference, tmp_path, part):
    """A file whose time was put back is trusted on opening; what Whoosh then raises on
    reading it is said as damage, and `serve` refuses to start on it."""
    index, wanted = reference
    copy = _copy(index, tmp_path / "ix")
    if part == "table of contents":  # the compound file's own, at its start
        segment = _segment(copy)
        before = segment.stat()
        with segment.open("r+b") as handle:
            handle.write(bytes(12))
        os.utime(segment, ns=(before.st_atime_ns, before.st_mtime_ns))
    else:
        _flip(copy, (part,), count=0, keep_mtime=True)
    served = _serve(copy)
    assert served.returncode == 2, served.stderr
    assert served.stderr.count("\n") == 1 and "damaged" in served.stderr, served.stderr
    _assert_damaged_then_mended(copy, wanted)


def _serve(index: Path) -> subprocess.CompletedProcess:
    with socket.socket() as probe:  # a free port, in case it does start
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "dwsearch.app", "serve", "--index", str(index)]
    try:
        return subprocess.run(
            [*command, "--port", str(port), "--workers", "1"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("serve started on a damaged index")


def test_an_index_copied_without_its_times_answers_and_still_sees_damage(reference, tmp_path):
    """Files whose times changed but whose bytes did not are checked, not taken for
    damage; damage written after that is still seen."""
    index, wanted = reference
    copy = _copy(index, tmp_path / "ix", keep_times=False)
    assert _answers(copy) == wanted
    DAMAGE["length columns"](copy)
    _assert_damaged_then_mended(copy, wanted)


def test_a_build_that_updates_a_damaged_index_rebuilds_it(tmp_path):
    """An update links the live segments into the new generation: one damaged stayed
    damaged, and wrong, through every update until a build found nothing to update."""
    pages = tmp_path / "pages"
    write_pages(pages, PAGES, per_file=PER_FILE)
    index = tmp_path / "ix"
    assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0
    DAMAGE["length columns"](index)
    edited = pages / "page-00003.txt"
    edited.write_text(edited.read_text() + "\n\nA new paragraph on spectrum policy.\n")
    updated = run_cli("build", "--index", str(index))
    assert updated.exit_code == 0, updated.stderr
    oracle = tmp_path / "oracle"
    assert run_cli("build", str(pages), "--index", str(oracle)).exit_code == 0
    assert _answers(index) == _answers(oracle)


@pytest.mark.parametrize("hidden", [False, True])
def test_the_default_index_mends_a_large_segment_itself(reference, hidden):
    index, wanted = reference
    default = default_index_dir()
    _copy(index, default)
    if hidden:
        _flip(default, (".trm",), count=0, keep_mtime=True)
    else:
        DAMAGE["length columns"](default)
    first = run_cli("search", *QUERIES[0], "--json", "--limit", "40")
    assert first.stderr.startswith("dwsearch: building the search index in"), first.stderr
    assert "damaged" in first.stderr and first.stderr.count("\n") == 1
    assert _answer(first) == wanted[" ".join(QUERIES[0])]
    assert _answers(None) == wanted
