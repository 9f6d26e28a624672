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

from dwsearch.app import api
from dwsearch.app.api import build, open_index, search
from dwsearch.index.builder import (
    DEFAULT_POLICY,
    IndexBusy,
    MergePolicy,
    build_index,
    remove_from_index,
)
from dwsearch.index.faults import FAULT_VARIABLE, PHASES
from dwsearch.index.location import LOCK
from dwsearch.search.settings import SearchOptions
from helpers import needs_parallel_builds, run_cli, seed_variants, write


def _titles(index: Path, query: str) -> list[str]:
    return [h.chunk.title for h in search(query, limit=100, index=index).hits]


def test_incremental_build_touches_only_what_changed(tmp_path, seed_text):
    pages = tmp_path / "pages"
    write(pages / "a.txt", "Actor A\n\nA paragraph on spectrum policy.\n")
    write(pages / "b.txt", "Actor B\n\nA paragraph on privacy.\n")
    index = tmp_path / "index"
    first = build([pages], index=index)
    assert (first.rebuilt, sorted(first.added), first.chunks) == (True, ["a.txt", "b.txt"], 2)

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


def test_a_page_only_touched_is_read_once_then_trusted_again(tmp_path, monkeypatch):
    """A page whose time changed but not its bytes (a copy, a checkout) is read to see
    that it is the same; the update then records its new time, so that later updates
    trust it unread again, as they trust every other page."""
    from dwsearch.index import scan

    pages = tmp_path / "pages"
    write(pages / "a.txt", "Actor A\n\nA paragraph on spectrum policy.\n")
    write(pages / "b.txt", "Actor B\n\nA paragraph on privacy.\n")
    index = tmp_path / "index"
    build([pages], index=index)
    read: list[str] = []
    real_read = scan.read_source
    monkeypatch.setattr(
        scan, "read_source", lambda f, *a: read.append(f.relative) or real_read(f, *a)
    )
    later = (pages / "a.txt").stat().st_mtime_ns + 5 * 10**9
    os.utime(pages / "a.txt", ns=(later, later))
    write(pages / "b.txt", "Actor B\n\nA paragraph on encryption.\n")
    first = build([pages], index=index)
    assert (first.updated, first.unchanged, read) == (["b.txt"], 1, ["a.txt", "b.txt"])
    read.clear()
    write(pages / "b.txt", "Actor B\n\nA paragraph on taxation.\n")
    second = build([pages], index=index)
    assert (second.updated, second.unchanged, read) == (["b.txt"], 1, ["b.txt"])
    assert search("spectrum", index=index).total == 1 and search("taxation", index=index).total == 1


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
    assert "profile" not in facets["type"]  # the pages' titles are no chunks of their own
    assert "2016" not in facets["year"] and facets["year"]["2019"] == 1


def _facet_page(number: int, year: int) -> str:
    return (
        f"Actor {number}\n\nA paragraph on cybersecurity and spectrum.\n\n"
        f"GIP event reports\n\nA session on privacy ({year})\nA forum on 5G ({year + 1})\n\n"
        f"Other resources\n\nA guide to encryption ({year})\n"
    )


def _shown(index: Path, query: str, sort: str) -> tuple[int, dict, list[str]]:
    found = search(query, limit=200, index=index, sort=sort, all_chunks=True)
    return found.total, found.facets, [hit.chunk.id for hit in found.hits]


@pytest.mark.slow
def test_updates_that_only_change_and_remove_pages_equal_a_fresh_build(tmp_path):
    """An update that brings no new page extends the last generation's facets file
    rather than joining every segment's again: its counts, date order and page order
    (the order of equal scores) must still be a fresh build's, as pages change (again
    and again, their last segment dropped each time), are removed, and small segments
    merge."""
    pages, index, fresh = tmp_path / "pages", tmp_path / "index", tmp_path / "fresh"
    # Half a segment deleted before it is rewritten: the first segment outlives one
    # page's edit, a segment of one page does not outlive that page's next edit.
    policy = MergePolicy(purge_share=0.5, max_small_segments=4)
    for number in range(7):
        write(pages / f"p{number}.txt", _facet_page(number, 2010 + number))
    build_index(index, [pages], policy=policy)
    edits = [0, 0, 3, 3, 3, 5, 1, 1, 6, 4, 4, 0, 5, 5]
    removals = {4: 2, 9: 6}  # round: page
    for round_, number in enumerate(edits):
        write(pages / f"p{number}.txt", _facet_page(number, 1990 + round_))
        if round_ in removals:
            (pages / f"p{removals[round_]}.txt").unlink()
        build_index(index, [pages], policy=policy)
        build([pages], index=fresh, rebuild=True)
        for query, sort in (("", "relevance"), ("", "newest"), ("privacy", "oldest")):
            assert _shown(index, query, sort) == _shown(fresh, query, sort), (round_, query, sort)
    remove_from_index(index, [pages / "p0.txt"], policy=policy)
    (pages / "p0.txt").unlink()
    build([pages], index=fresh, rebuild=True)
    assert _shown(index, "", "newest") == _shown(fresh, "", "newest")
    assert _shown(index, "guide", "relevance") == _shown(fresh, "guide", "relevance")


@pytest.mark.slow
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

    from dwsearch.index.facetview import FacetMap

    pages = tmp_path / "pages"
    write(pages / "itu.txt", seed_text)
    index = tmp_path / "index"
    build([pages], index=index)
    old = open_index(index).generation
    write(pages / "more.txt", "More actor\n\nOther resources\n\nA guide (2016)\nA map (2017)\n")
    assert build([pages], index=index).published
    assert open_index(index).generation != old
    assert whoosh_index.open_dir(str(old)).doc_count() == 38
    assert FacetMap(old).live.bit_count() == 38
    assert FacetMap(open_index(index).generation).live.bit_count() == 38 + 2


AFRESH_FROM_3 = MergePolicy(afresh_from_pages=3)


def _indexed_beside_a_larger_folder(tmp_path: Path, policy: MergePolicy) -> tuple[Path, ...]:
    """An index of a folder of two pages, and a folder of four not yet added."""
    first, second, index = tmp_path / "first", tmp_path / "second", tmp_path / "index"
    write(first / "a.txt", "Actor A\n\nA paragraph on spectrum policy.\n")
    write(first / "b.txt", "Actor B\n\nA paragraph on privacy.\n")
    for number in range(4):
        write(second / f"p{number}.txt", f"Actor P{number}\n\nA paragraph on taxation.\n")
    build_index(index, [first], policy=policy)
    return first, second, index


def test_a_large_folder_added_is_built_afresh_and_reported_as_added(tmp_path):
    """Adding many pages at once is a full build's work (through Whoosh's writer a page
    takes six to eight times as long): the index is built afresh with its other sources
    kept, and the report says what was added, not that every page changed. A few pages
    are still an update."""
    _, second, index = _indexed_beside_a_larger_folder(tmp_path, AFRESH_FROM_3)
    added = build_index(index, [second], policy=AFRESH_FROM_3)
    assert added.rebuilt and added.published
    assert (sorted(added.added), added.updated, added.removed, added.unchanged) == (
        ["p0.txt", "p1.txt", "p2.txt", "p3.txt"], [], [], 2,
    )  # fmt: skip
    assert (added.pages, added.chunks) == (6, 6)
    assert [search(word, index=index).total for word in ("spectrum", "privacy", "taxation")] == [
        1, 1, 4,
    ]  # fmt: skip

    write(second / "p0.txt", "Actor P0\n\nA paragraph on encryption.\n")
    edited = build_index(index, [second], policy=AFRESH_FROM_3)
    assert (edited.rebuilt, edited.updated, edited.unchanged) == (False, ["p0.txt"], 3)
    assert [search(word, index=index).total for word in ("spectrum", "encryption")] == [1, 1]


@pytest.mark.parametrize("elsewhere", ["edited", "deleted", "missing"])
def test_a_large_folder_added_stays_an_update_where_a_full_build_would_differ(tmp_path, elsewhere):
    """Built afresh, a page of another source edited, deleted or out of reach since it
    was indexed would be read again, dropped or fail: an update leaves it as indexed,
    so the update is made."""
    first, second, index = _indexed_beside_a_larger_folder(tmp_path, AFRESH_FROM_3)
    if elsewhere == "edited":
        write(first / "a.txt", "Actor A\n\nA paragraph on encryption.\n")
    elif elsewhere == "deleted":
        (first / "a.txt").unlink()
    else:
        first.rename(tmp_path / "elsewhere")
    added = build_index(index, [second], policy=AFRESH_FROM_3)
    assert (added.rebuilt, sorted(added.added), added.updated, added.removed) == (
        False, ["p0.txt", "p1.txt", "p2.txt", "p3.txt"], [], [],
    )  # fmt: skip
    assert added.failed == []
    totals = [search(word, index=index).total for word in ("spectrum", "encryption", "taxation")]
    assert totals == [1, 0, 4]


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
    assert f"{tmp_path / 'pages'}: 1 added, 0 updated, 0 removed, 0 unchanged, 1 failed" in (
        result.stdout
    )
    assert "1 page(s), 38 chunks" in result.stdout
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


def _start_build(pages: Path, index: Path, fault: str = "") -> subprocess.Popen:
    code = (
        "import sys; from dwsearch.app.api import build; "
        f"build([{str(pages)!r}], index={str(index)!r}, rebuild=True)"
    )
    env = {**os.environ, FAULT_VARIABLE: fault}
    return subprocess.Popen([sys.executable, "-c", code], env=env)


def _wait_for(path: Path, process: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while not path.exists():
        assert process.poll() is None, "the build ended before reaching the phase"
        assert time.time() < deadline
        time.sleep(0.01)


@pytest.mark.slow
@pytest.mark.parametrize("phase", PHASES)
def test_a_build_killed_at_any_phase_leaves_a_whole_index(tmp_path, seed_text, phase):
    """Killed (SIGKILL) at each named phase, before publishing, mid-publish or after:
    searches see the old index or the new one, whole, and the next build tidies up."""
    pages = tmp_path / "pages"
    write(pages / "itu.txt", seed_text)
    index = tmp_path / "index"
    build([pages], index=index)
    before = _titles(index, "AI satellites")
    write(pages / "other.txt", "Other actor\n\nText about encryption.\n")

    process = _start_build(pages, index, fault=phase)
    assert process.wait(timeout=60) == -signal.SIGKILL

    published = phase == "published"
    if not published:
        assert _titles(index, "AI satellites") == before
    assert search("encryption", index=index).total == (1 if published else 0)
    stats = api.stats(index=index)
    assert stats.sources == (2 if published else 1)
    # and the next build cleans up and completes
    report = build([pages], index=index)
    assert not list(index.glob("building-*"))
    assert len([g for g in index.glob("gen-*")]) <= 2
    assert search("encryption", index=index).total == 1
    assert report.published != published


@pytest.mark.parametrize("phase", PHASES[:-1])
def test_a_build_that_fails_at_any_phase_changes_nothing(tmp_path, seed_text, monkeypatch, phase):
    pages = tmp_path / "pages"
    write(pages / "itu.txt", seed_text)
    index = tmp_path / "index"
    build([pages], index=index)
    write(pages / "other.txt", "Other actor\n\nText about encryption.\n")
    monkeypatch.setenv(FAULT_VARIABLE, f"{phase}:raise")
    with pytest.raises(RuntimeError, match=f"fault injected at {phase}"):
        build([pages], index=index, rebuild=True)
    monkeypatch.delenv(FAULT_VARIABLE)
    assert search("encryption", index=index).total == 0
    assert search("satellites", index=index).total == 2
    assert not list(index.glob("building-*"))


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["written", "renamed"])
def test_searches_during_a_build_see_the_old_index_whole(tmp_path, seed_text, phase):
    """The build is held at a phase (its new generation written, or renamed into place
    but not yet live) while searches run; then it finishes and they see the new one."""
    pages = tmp_path / "pages"
    seed_variants(pages, 30, seed_text)
    index = tmp_path / "index"
    build([pages], index=index)
    write(pages / "other.txt", "Other actor\n\nText about encryption.\n")
    hold = tmp_path / "hold"
    process = _start_build(pages, index, fault=f"{phase}:pause={hold}")
    try:
        _wait_for(hold, process)
        for _ in range(5):
            assert search("AI satellites", limit=5, index=index).total == 30 * 19
            assert search("encryption", index=index).total == 0
    finally:
        hold.unlink(missing_ok=True)
        assert process.wait(timeout=60) == 0
    assert search("encryption", index=index).total == 1
    assert search("AI satellites", limit=5, index=index).total == 30 * 19


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


@pytest.mark.slow
@needs_parallel_builds
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


@pytest.mark.slow
def test_updates_purge_deleted_chunks_so_ranking_is_a_fresh_builds(tmp_path, seed_text):
    """L1: a segment with more than the policy's share of its chunks deleted is rewritten, so an
    updated index holds few dead chunks; with none left, it ranks exactly as a fresh
    build of the same pages does."""
    from dwsearch.app.api import session

    pages = tmp_path / "pages"
    written = seed_variants(pages, 12, seed_text)
    index, fresh = tmp_path / "updated", tmp_path / "fresh"
    build([pages], index=index)
    for round_number in range(4):  # each round edits a few pages, deleting their chunks
        for path in written[round_number * 3 : round_number * 3 + 3]:
            path.write_text(path.read_text() + f"\nA new paragraph, round {round_number}.\n")
        build([pages], index=index)
    build([pages], index=fresh)
    with session(index) as updated, session(fresh) as rebuilt:
        reader = updated.searcher.reader()
        for segment, _ in reader.leaf_readers():
            share = DEFAULT_POLICY.purge_share
            assert segment.segment().deleted_count() <= share * segment.doc_count_all()
        assert not reader.has_deletions()  # here every round passed the share
        for query in ("AI satellites", "cybersecurity", '"digital divide"', "round"):
            got = [
                (h.id, h.score) for h in updated.search(query, None, SearchOptions(limit=10)).hits
            ]
            assert got == [
                (h.id, h.score) for h in rebuilt.search(query, None, SearchOptions(limit=10)).hits
            ], query


def _segments_by_page(index: Path) -> dict[str, set[str]]:
    """Each segment's id and the names of the pages whose chunks it holds."""
    from dwsearch.app.api import session
    from dwsearch.index.stored import StoredFields

    with session(index) as opened:
        held: dict[str, set[str]] = {}
        for segment, _ in opened.searcher.reader().leaf_readers():
            names = held.setdefault(segment.segment().segment_id(), set())
            stored = StoredFields(segment, opened.opened.generation)
            for docnum in segment.all_doc_ids():
                names.add(Path(stored(docnum)["origin"]).name)
        return held


def test_a_one_page_update_leaves_the_other_segments_alone(tmp_path, seed_text, monkeypatch):
    """A one-page update of a big index re-indexes that page, not most of the index (as
    Whoosh's MERGE_SMALL would, once an index has ten or so full segments)."""
    from dwsearch.index import segments

    monkeypatch.setattr(segments, "DOCS_PER_SEGMENT", 20)  # many full segments, quickly
    policy = MergePolicy(large_segment=20)
    pages, index = tmp_path / "pages", tmp_path / "index"
    written = seed_variants(pages, 8, seed_text)
    build_index(index, [pages], policy=policy)
    before = _segments_by_page(index)
    assert len(before) >= 12
    edited = written[3]
    edited.write_text(edited.read_text() + "\nA new paragraph about spectrum.\n")
    build_index(index, [pages], policy=policy)
    after = _segments_by_page(index)
    untouched = {segment for segment, names in before.items() if edited.name not in names}
    assert untouched <= set(after)  # not one segment without the page was rewritten
    assert len(after) <= len(untouched) + 1  # the page's chunks went into one new segment


def test_many_small_updates_merge_into_what_a_fresh_build_holds(tmp_path):
    """Small segments from one-page updates are merged by re-indexing their chunks, so
    the lengths ranking reads are the exact ones, not sums of stored approximations."""
    from dwsearch.app.api import session

    pages = tmp_path / "pages"
    for number in range(14):
        words = " ".join(f"w{n}" for n in range(number * 7))  # lengths that quantise
        write(pages / f"a{number}.txt", f"Actor {number}\n\nZebra {words} policy.\n")
        build([pages], index=tmp_path / "updated")
    build([pages], index=tmp_path / "fresh")
    with session(tmp_path / "updated") as updated, session(tmp_path / "fresh") as fresh:
        assert len(updated.searcher.reader().leaf_readers()) < 14  # merged as it went
        assert updated.searcher.field_length("text") == fresh.searcher.field_length("text")
        for query in ("zebra", "zebra policy", "w3 w40"):
            got = [
                (h.id, h.score) for h in updated.search(query, None, SearchOptions(limit=20)).hits
            ]
            assert got == [
                (h.id, h.score) for h in fresh.search(query, None, SearchOptions(limit=20)).hits
            ]
