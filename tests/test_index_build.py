"""`dwsearch build`: incremental, atomic, locked, and never losing what was indexed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dwsearch.app.api import build, open_index, search
from dwsearch.index.builder import IndexBusy
from dwsearch.index.location import LOCK
from helpers import run_cli, seed_variants, write


def _titles(index: Path, query: str) -> list[str]:
    return [h.chunk.title for h in search(query, limit=100, index=index).hits]


def test_incremental_build_touches_only_what_changed(tmp_path, seed_text):
    pages = tmp_path / "pages"
    write(pages / "a.txt", "Actor A\n\nA paragraph on spectrum policy.\n")
    write(pages / "b.txt", "Actor B\n\nA paragraph on privacy.\n")
    index = tmp_path / "index"
    first = build([pages], index=index)
    assert (first.rebuilt, sorted(first.added), first.chunks) == (True, ["a.txt", "b.txt"], 4)

    again = build([pages], index=index)
    assert not again.published and again.unchanged == 2

    write(pages / "b.txt", "Actor B\n\nA paragraph on encryption.\n")
    write(pages / "c.txt", "Actor C\n\nA paragraph on taxation.\n")
    (pages / "a.txt").unlink()
    update = build([pages], index=index)
    assert (update.rebuilt, update.added, update.updated, update.removed) == (
        False, ["c.txt"], ["b.txt"], ["a.txt"],
    )  # fmt: skip
    assert update.unchanged == 0
    assert search("spectrum", index=index).total == 0
    assert search("privacy", index=index).total == 0
    assert search("encryption", index=index).total == 1
    assert search("taxation", index=index).total == 1


def test_facet_counts_stay_right_across_updates(tmp_path, seed_text):
    pages = tmp_path / "pages"
    write(pages / "itu.txt", seed_text)
    write(pages / "other.txt", "Other actor\n\nOther resources\n\nA guide (2016)\n")
    index = tmp_path / "index"
    build([pages], index=index)
    (pages / "other.txt").unlink()
    write(pages / "third.txt", "Third actor\n\nGIP event reports\n\nA session (2019)\n")
    build([pages], index=index)
    facets = search("", index=index).facets
    # the seed's 27 reports and 1 resource, plus the new page's report; the guide is gone
    assert facets["type"]["event_report"] == 28
    assert facets["type"]["resource"] == 1
    assert facets["type"]["profile"] == 2
    assert "2016" not in facets["year"] and facets["year"]["2019"] == 1


def _facet_page(number: int, year: int) -> str:
    return (
        f"Actor {number}\n\nA paragraph on cybersecurity and spectrum.\n\n"
        f"GIP event reports\n\nA session on privacy ({year})\nA forum on 5G ({year + 1})\n\n"
        f"Other resources\n\nA guide to encryption ({year})\n"
    )


def test_facets_of_many_updates_equal_a_fresh_build(tmp_path):
    """Each segment's bitmaps are kept and reused; merges and deletions must not skew them."""
    pages, index, fresh = tmp_path / "pages", tmp_path / "index", tmp_path / "fresh"
    for number in range(6):
        write(pages / f"p{number}.txt", _facet_page(number, 2010 + number))
    build([pages], index=index)
    for round_ in range(8):
        write(pages / f"p{round_ % 6}.txt", _facet_page(round_ % 6, 2000 + round_))
        write(pages / f"new{round_}.txt", _facet_page(100 + round_, 2015))
        if round_ % 3 == 2:
            (pages / f"new{round_ - 1}.txt").unlink()
        build([pages], index=index)
        build([pages], index=fresh, rebuild=True)
        for query in ("", "privacy", "guide"):
            updated, rebuilt = search(query, index=index), search(query, index=fresh)
            assert (updated.total, updated.facets) == (rebuilt.total, rebuilt.facets), query
    generation = open_index(index).generation
    segments = {path.stem for path in generation.glob("*.seg")}
    kept = {path.stem.removeprefix("facets-") for path in generation.glob("facets-*.bin")}
    assert kept == segments


def test_an_update_leaves_the_previous_generation_whole(tmp_path, seed_text):
    """Generations share unchanged files by hard link; the old one must stay readable."""
    from whoosh import index as whoosh_index

    from dwsearch.index.facetmap import FacetMap

    pages = tmp_path / "pages"
    write(pages / "itu.txt", seed_text)
    index = tmp_path / "index"
    build([pages], index=index)
    old = open_index(index).generation
    write(pages / "more.txt", "More actor\n\nOther resources\n\nA guide (2016)\nA map (2017)\n")
    assert build([pages], index=index).published
    assert open_index(index).generation != old
    assert whoosh_index.open_dir(str(old)).doc_count() == 39
    assert FacetMap(old).live.bit_count() == 39
    assert FacetMap(open_index(index).generation).live.bit_count() == 39 + 3


def test_rebuild_reindexes_everything(tmp_path):
    pages = tmp_path / "pages"
    write(pages / "a.txt", "Actor A\n\nSpectrum.\n")
    build([pages], index=tmp_path / "ix")
    report = build([pages], index=tmp_path / "ix", rebuild=True)
    assert report.rebuilt and report.added + report.updated == ["a.txt"]


def test_a_file_turned_bad_loses_nothing(tmp_path, seed_text):
    pages = tmp_path / "pages"
    write(pages / "itu.txt", seed_text)
    index = tmp_path / "index"
    build([pages], index=index)
    write(pages / "itu.txt", b"\x00\x01binary now")
    for rebuild in (False, True):
        report = build([pages], index=index, rebuild=rebuild)
        assert report.failed == ["itu.txt: binary file (not a text or HTML page)"]
        assert search("satellites", index=index).total == 2, f"rebuild={rebuild}"


def test_missing_path_changes_nothing(tmp_path, seed_index):
    result = run_cli("build", str(tmp_path / "typo"), "--index", str(seed_index))
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"dwsearch: {tmp_path / 'typo'}: no such file or folder; the index was not changed\n"
    )
    assert search("satellites", index=seed_index).total == 2


def test_an_index_folder_that_cannot_be_made_is_one_line(tmp_path):
    blocker = write(tmp_path / "a-file", "not a folder")
    result = run_cli("build", "--index", str(blocker / "index"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and str(blocker) in result.stderr


def test_build_cli_reports_and_exits_2_on_bad_files(tmp_path, seed_text):
    write(tmp_path / "pages" / "itu.txt", seed_text)
    write(tmp_path / "pages" / "empty.txt", "")
    result = run_cli("build", str(tmp_path / "pages"), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 2
    assert result.stderr == "dwsearch: empty.txt: empty file\n"
    assert "1 file(s) indexed" in result.stdout
    assert "39 chunks" in result.stdout
    assert search("satellites", index=tmp_path / "ix").total == 2


def test_a_second_build_waits_or_fails_clearly(tmp_path):
    from filelock import FileLock

    pages = write(tmp_path / "pages" / "a.txt", "Actor\n\nText.\n").parent
    index = tmp_path / "ix"
    index.mkdir()
    waited = []
    with FileLock(str(index / LOCK)):
        from dwsearch.index.builder import build_index

        with pytest.raises(IndexBusy, match=r"another build of .* is still running"):
            build_index(index, [pages], on_wait=lambda: waited.append(True), lock_timeout=0.2)
    assert waited == [True]
    assert build([pages], index=index).published  # and once free, it goes ahead


def _start_build(pages: Path, index: Path) -> subprocess.Popen:
    code = (
        "import sys; from dwsearch.app.api import build; "
        f"build([{str(pages)!r}], index={str(index)!r}, rebuild=True)"
    )
    return subprocess.Popen([sys.executable, "-c", code])


def test_killed_rebuild_leaves_the_old_index_searchable(tmp_path, seed_text):
    pages = tmp_path / "pages"
    write(pages / "itu.txt", seed_text)
    index = tmp_path / "index"
    build([pages], index=index)
    before = _titles(index, "AI satellites")
    seed_variants(pages, 150, seed_text)  # now the rebuild takes seconds

    process = _start_build(pages, index)
    deadline = time.time() + 20
    while not list(index.glob("building-*")) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the build
    process.send_signal(signal.SIGKILL)
    process.wait()

    assert _titles(index, "AI satellites") == before
    assert open_index(index).manifest.sources.keys() == {"itu.txt"}
    # and the next build cleans up and completes
    report = build([pages], index=index)
    assert report.published and not list(index.glob("building-*"))
    assert search("storytellers", index=index).total == 151


def test_interrupted_rebuild_leaves_the_old_index(tmp_path, seed_text, monkeypatch):
    pages = tmp_path / "pages"
    write(pages / "itu.txt", seed_text)
    index = tmp_path / "index"
    build([pages], index=index)
    write(pages / "other.txt", "Other actor\n\nText about encryption.\n")

    import dwsearch.index.builder as building

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(building, "publish", interrupt)
    with pytest.raises(KeyboardInterrupt):
        build([pages], index=index, rebuild=True)
    monkeypatch.undo()
    assert search("encryption", index=index).total == 0
    assert search("satellites", index=index).total == 2
    assert not list(index.glob("building-*"))


def test_searches_run_without_error_while_rebuilding(tmp_path, seed_text):
    pages = tmp_path / "pages"
    seed_variants(pages, 60, seed_text)
    index = tmp_path / "index"
    build([pages], index=index)
    process = _start_build(pages, index)
    searches = 0
    try:
        while process.poll() is None or searches < 5:
            results = search("AI satellites", limit=5, index=index)
            assert results.total == 60 * 19
            searches += 1
    finally:
        process.wait()
    assert process.returncode == 0
    assert searches >= 5


def test_build_shows_no_progress_on_a_pipe(tmp_path):
    write(tmp_path / "p" / "a.txt", "Actor\n\nText.\n")
    result = run_cli("build", str(tmp_path / "p"), "--index", str(tmp_path / "ix"))
    assert result.exit_code == 0
    assert result.stderr == ""


def test_env_var_chooses_the_index(tmp_path, monkeypatch):
    monkeypatch.setenv("DWSEARCH_INDEX", str(tmp_path / "from-env"))
    assert run_cli("build").exit_code == 0
    assert (tmp_path / "from-env" / "CURRENT").exists()
    result = run_cli("search", "satellites", "--json")
    assert json.loads(result.stdout)["total"] == 2


def test_generations_are_tidied(tmp_path):
    pages = tmp_path / "pages"
    for number in range(4):
        write(pages / "a.txt", f"Actor\n\nVersion {number} of the text.\n")
        build([pages], index=tmp_path / "ix")
    generations = sorted(p.name for p in (tmp_path / "ix").glob("gen-*"))
    assert len(generations) == 2  # the live one, and the one a slow reader may still open
    assert (tmp_path / "ix" / "CURRENT").read_text().strip() == generations[-1]
    assert os.listdir(tmp_path / "ix")  # nothing else half-made


def test_a_parallel_build_gives_the_same_index(tmp_path, seed_text, monkeypatch):
    import dwsearch.index.parallel as parallel

    pages = tmp_path / "pages"
    seed_variants(pages, 12, seed_text)
    write(pages / "empty.txt", "")
    serial = build([pages], index=tmp_path / "serial")
    monkeypatch.setattr(parallel, "PARALLEL_FROM_FILES", 2)
    assert parallel.workers_for(13) == 2
    shared = build([pages], index=tmp_path / "parallel")
    assert (shared.chunks, sorted(shared.added), shared.failed) == (
        serial.chunks, sorted(serial.added), serial.failed,
    )  # fmt: skip
    assert len(open_index(tmp_path / "parallel").whoosh_index._read_toc().segments) == 2
    for query in ("AI satellites", '"digital divide"', "", "storytellers 2017"):
        one = search(query, limit=20, index=tmp_path / "serial")
        two = search(query, limit=20, index=tmp_path / "parallel")
        assert [(h.id, h.score) for h in one.hits] == [(h.id, h.score) for h in two.hits]
        assert (one.total, one.facets) == (two.total, two.facets)


def test_a_build_leaves_the_cycle_collector_as_it_found_it(tmp_path):
    import gc

    write(tmp_path / "pages" / "a.txt", "Actor A\n\nA paragraph on spectrum policy.\n")
    build([tmp_path / "pages"], index=tmp_path / "index")
    assert gc.isenabled()
    gc.disable()
    try:
        build([tmp_path / "pages"], index=tmp_path / "index", rebuild=True)
        assert not gc.isenabled()
    finally:
        gc.enable()
