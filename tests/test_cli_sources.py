"""An index remembers its sources: adding a page never loses the others, and nothing is
removed that the user did not name. Driven through the real CLI, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import run_cli, write


def _page(folder: Path, name: str, word: str) -> Path:
    return write(folder / name, f"Actor {word}\n\nA paragraph about {word} and policy.\n")


def _total(index: Path, query: str) -> int:
    """How many pages hold the word (each page here is two chunks that both do)."""
    result = run_cli("search", query, "--json", "--limit", "1000", "--index", str(index))
    hits = json.loads(result.stdout)["hits"] if result.stdout else []
    return len({hit["source"] for hit in hits})


def _sources(index: Path) -> list[dict]:
    result = run_cli("sources", "--json", "--index", str(index))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _two_sources(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Folders a (a page on alpha) and b (on bravo), each built as a source of ix."""
    first, second, index = tmp_path / "a", tmp_path / "b", tmp_path / "ix"
    _page(first, "x.txt", "alpha")
    _page(second, "y.txt", "bravo")
    _build(index, str(first))
    _build(index, str(second))
    return first, second, index


def _build(index: Path, *args: str):
    result = run_cli("build", *args, "--index", str(index))
    assert result.exit_code == 0, result.stderr
    return result


def test_adding_one_page_keeps_all_the_others(tmp_path):
    pages, elsewhere, index = tmp_path / "pages", tmp_path / "new", tmp_path / "ix"
    for number in range(410):
        _page(pages, f"p{number:03}.txt", f"word{number}")
    _build(index, str(pages))
    added = _build(index, str(_page(elsewhere, "one-page.txt", "zebra")))
    assert f"{elsewhere / 'one-page.txt'}: 1 added, 0 updated, 0 removed" in added.stdout
    assert "411 page(s)" in added.stdout
    assert _total(index, "word7") == 1 and _total(index, "zebra") == 1
    assert [(s["path"], s["pages"]) for s in _sources(index)] == [
        (str(pages), 410),
        (str(elsewhere / "one-page.txt"), 1),
    ]


def test_build_with_no_path_refreshes_every_source(tmp_path):
    first, second, index = _two_sources(tmp_path)
    _page(first, "x.txt", "charlie")  # changed
    _page(second, "z.txt", "delta")  # added
    refreshed = _build(index)
    assert f"{first}: 0 added, 1 updated, 0 removed, 0 unchanged" in refreshed.stdout
    assert f"{second}: 1 added, 0 updated, 0 removed, 1 unchanged" in refreshed.stdout
    assert (_total(index, "alpha"), _total(index, "charlie"), _total(index, "delta")) == (0, 1, 1)
    assert _build(index).stdout.endswith("is up to date (3 chunks)\n")  # 3 pages


def test_a_page_gone_from_a_folder_is_removed_and_said(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    _page(pages, "x.txt", "alpha")
    _page(pages, "y.txt", "bravo")
    _build(index, str(pages))
    (pages / "y.txt").unlink()
    result = _build(index)
    assert f"{pages}: 0 added, 0 updated, 1 removed, 1 unchanged" in result.stdout
    assert _total(index, "bravo") == 0 and _total(index, "alpha") == 1


def test_refreshing_one_page_of_a_folder_touches_only_it(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    _page(pages, "x.txt", "alpha")
    _page(pages, "y.txt", "bravo")
    _build(index, str(pages))
    _page(pages, "x.txt", "charlie")
    (pages / "y.txt").unlink()  # gone, but not named: kept until the folder is refreshed
    result = _build(index, str(pages / "x.txt"))
    assert f"{pages}: 0 added, 1 updated, 0 removed, 0 unchanged" in result.stdout
    assert (_total(index, "charlie"), _total(index, "bravo")) == (1, 1)
    assert [s["path"] for s in _sources(index)] == [str(pages)]


def test_remove_drops_a_page_on_purpose_and_refreshes_leave_it_out(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    _page(pages, "x.txt", "alpha")
    _page(pages, "y.txt", "bravo")
    _build(index, str(pages))
    removed = run_cli("remove", str(pages / "y.txt"), "--index", str(index))
    assert removed.exit_code == 0
    assert f"{pages}: 0 added, 0 updated, 1 removed" in removed.stdout
    assert _total(index, "bravo") == 0
    _build(index)  # the folder refreshed: y.txt stays out
    assert _total(index, "bravo") == 0
    assert _sources(index)[0]["excluded"] == ["y.txt"]
    _build(index, str(pages / "y.txt"))  # named again: back in
    assert _total(index, "bravo") == 1 and _sources(index)[0]["excluded"] == []


def test_remove_drops_a_whole_source(tmp_path):
    first, second, index = _two_sources(tmp_path)
    assert run_cli("remove", str(first), "--index", str(index)).exit_code == 0
    assert (_total(index, "alpha"), _total(index, "bravo")) == (0, 1)
    assert [s["path"] for s in _sources(index)] == [str(second)]


def test_removing_what_the_index_does_not_hold_is_an_error(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    _page(pages, "x.txt", "alpha")
    _build(index, str(pages))
    result = run_cli("remove", str(tmp_path / "elsewhere.txt"), "--index", str(index))
    assert result.exit_code == 2
    assert "is not a source of the index" in result.stderr and result.stderr.count("\n") == 1
    assert _total(index, "alpha") == 1


def test_rebuild_reindexes_every_remembered_source(tmp_path):
    _first, _second, index = _two_sources(tmp_path)
    rebuilt = _build(index, "--rebuild")
    assert rebuilt.stdout.count(" 1 added") + rebuilt.stdout.count(" 1 updated") == 2
    assert "rebuilt" in rebuilt.stdout
    assert (_total(index, "alpha"), _total(index, "bravo")) == (1, 1)


def test_an_unreadable_page_keeps_what_the_index_had(tmp_path):
    """H1: a page that cannot be read now is kept, not treated as deleted."""
    pages, index = tmp_path / "pages", tmp_path / "ix"
    _page(pages, "a.txt", "alpha")
    _page(pages, "b.txt", "zebra")
    _build(index, str(pages))
    (pages / "b.txt").unlink()
    (pages / "b.txt").symlink_to("b.txt")  # a link to itself: cannot be read
    for args in ([], ["--rebuild"]):
        result = run_cli("build", *args, "--index", str(index))
        assert result.exit_code == 2 and "b.txt" in result.stderr
        assert "removed" not in result.stdout or " 0 removed" in result.stdout
        assert _total(index, "zebra") == 1, args


def test_a_source_folder_that_is_gone_keeps_its_pages(tmp_path):
    _first, second, index = _two_sources(tmp_path)
    (second / "y.txt").unlink()
    second.rmdir()
    result = run_cli("build", "--index", str(index))
    assert result.exit_code == 2
    assert f"{second}: no such file or folder; what the index had of it is kept" in result.stderr
    assert _total(index, "bravo") == 1


def test_the_index_folder_must_be_an_index_or_empty(tmp_path):
    """H4: a folder of the user's own is never taken for an index, nor tidied."""
    home = tmp_path / "home"
    notes = home / "gen-ai-notes"
    write(notes / "draft.txt", "mine")
    write(home / "building-plans" / "plan.txt", "mine too")
    page = _page(tmp_path / "pages", "a.txt", "alpha")
    result = run_cli("build", str(page), "--index", str(home))
    assert result.exit_code == 2
    assert "is not a dwsearch index (it holds other files)" in result.stderr
    assert (notes / "draft.txt").exists() and (home / "building-plans" / "plan.txt").exists()
    empty = run_cli("build", str(page), "--index", "")
    assert empty.exit_code == 2
    assert "Invalid value for '--index': needs a folder" in empty.stderr


@pytest.mark.parametrize("text", ["my notes\n", "gen-1\n"])
def test_a_file_of_the_users_named_current_is_never_taken_for_an_index(tmp_path, text):
    """Issue 27: a folder is an index by dwsearch's marker, or by a CURRENT naming a
    generation dwsearch made; a user's own CURRENT is neither overwritten nor deleted."""
    folder = tmp_path / "notes"
    mine = write(folder / "CURRENT", text)
    page = _page(tmp_path / "pages", "a.txt", "alpha")
    for args in ([str(page)], [], ["--rebuild", str(page)]):
        result = run_cli("build", *args, "--index", str(folder))
        assert result.exit_code == 2, (args, result.stdout)
        assert result.stderr.count("\n") == 1 and "is not a dwsearch index" in result.stderr
    assert mine.read_text() == text
    assert [p.name for p in folder.iterdir()] == ["CURRENT"]


def test_an_index_from_before_markers_is_still_one(tmp_path):
    page = _page(tmp_path / "pages", "a.txt", "alpha")
    index = tmp_path / "ix"
    _build(index, str(page))
    (index / ".dwsearch-index").unlink()
    for generation in index.glob("gen-*"):
        (generation / ".dwsearch-generation").unlink()
    _page(tmp_path / "pages", "a.txt", "bravo")
    _build(index)
    assert _total(index, "bravo") == 1 and (index / ".dwsearch-index").exists()


def test_a_generation_folder_without_the_marker_is_never_deleted(tmp_path):
    page = _page(tmp_path / "pages", "a.txt", "alpha")
    index = tmp_path / "ix"
    _build(index, str(page))
    stranger = write(index / "gen-0-mine" / "keep.txt", "mine")
    _page(tmp_path / "pages", "a.txt", "bravo")
    _build(index)
    _build(index, "--rebuild")
    assert stranger.exists()


def test_a_url_pattern_is_remembered_with_its_source(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    _page(pages, "world-health-organization.txt", "alpha")
    write(pages / "given.txt", "Given\n\nURL: https://dig.watch/given-page\n\nText about alpha.\n")
    pattern = "https://dig.watch/actors/{stem}"
    _build(index, str(pages), "--url-pattern", pattern)

    def urls() -> set[str]:
        result = run_cli("search", "alpha", "--json", "--index", str(index))
        return {hit["url"] for hit in json.loads(result.stdout)["hits"]}

    assert urls() == {
        "https://dig.watch/actors/world-health-organization",
        "https://dig.watch/given-page",  # a page's own address wins
    }
    assert _sources(index)[0]["url_pattern"] == pattern
    _page(pages, "world-health-organization.txt", "alpha bravo")
    _build(index)  # refreshed without the flag: the pattern stays
    assert "https://dig.watch/actors/world-health-organization" in urls()


def test_a_bad_url_pattern_is_one_line(tmp_path):
    page = _page(tmp_path / "pages", "a.txt", "alpha")
    result = run_cli(
        "build", str(page), "--url-pattern", "ftp://x/{nope}", "--index", str(tmp_path / "ix")
    )
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert not (tmp_path / "ix" / "CURRENT").exists()


def test_the_size_cap_is_set_per_source_and_kept_for_its_refreshes(tmp_path: Path) -> None:
    pages, index = tmp_path / "p", tmp_path / "ix"
    _page(pages, "small.txt", "alpha")
    big = write(pages / "big.txt", "Actor bravo\n\n" + "bravo policy text. " * 150 + "\n")
    assert 2_000 < big.stat().st_size < 4_000

    capped = run_cli("build", str(pages), "--index", str(index), "--max-file-mb", "0.002")
    assert capped.exit_code == 2
    assert "big.txt" in capped.stderr and "limit; skipped" in capped.stderr
    assert (_total(index, "alpha"), _total(index, "bravo")) == (1, 0)
    assert _sources(index)[0]["max_file_mb"] == pytest.approx(0.002, rel=1e-3)

    refreshed = run_cli("build", "--index", str(index))  # no flag: the remembered cap
    assert refreshed.exit_code == 2 and "big.txt" in refreshed.stderr
    assert _total(index, "bravo") == 0

    raised = run_cli("build", str(pages), "--index", str(index), "--max-file-mb", "1")
    assert raised.exit_code == 0, raised.stderr
    assert (_total(index, "alpha"), _total(index, "bravo")) == (1, 1)

    listed = run_cli("chunks", str(pages), "--max-file-mb", "0.002")
    assert listed.exit_code == 2 and "big.txt" in listed.stderr
    assert "alpha" in listed.stdout and "bravo" not in listed.stdout


def test_sources_prints_each_size_cap_in_a_unit_that_fits_it(tmp_path: Path) -> None:
    """A cap of any size reads plainly: never `9.92e-05 MiB` for one of 104 bytes."""
    index = tmp_path / "ix"
    caps = {  # --max-file-mb as given, and the cap as a person would write it
        "0.0001": "104 bytes",  # 104.9 bytes, read as whole bytes
        "0.0015": "1.5 KiB",  # 1,572 bytes
        "0.5": "512 KiB",
        "2.5": "2.5 MiB",  # (20 MiB is the default, which a source does not list)
        "1024": "1 GiB",
    }
    for number, cap in enumerate(caps):
        _page(tmp_path / f"s{number}", "x.txt", "alpha")
        built = run_cli("build", str(tmp_path / f"s{number}"), "--index", str(index),
                        "--max-file-mb", cap)  # fmt: skip
        assert built.exit_code in (0, 2), built.stderr  # 104 bytes is too few for the page
    listed = run_cli("sources", "--index", str(index))
    assert listed.exit_code == 0, listed.stderr
    lines = listed.stdout.splitlines()
    for number, shown in enumerate(caps.values()):
        line = next(line for line in lines if line.startswith(str(tmp_path / f"s{number}")))
        assert line.endswith(f"  files up to {shown}"), line


def test_a_setting_for_one_page_of_a_folder_source_is_refused_not_ignored(tmp_path):
    """The size cap and the address pattern are a source's: given for one page inside a
    folder the index already holds, they are refused in one line, and nothing changes."""
    pages, index = tmp_path / "p", tmp_path / "ix"
    _page(pages, "small.txt", "alpha")
    big = write(pages / "big.txt", "Actor bravo\n\n" + "bravo policy text. " * 150 + "\n")
    capped = run_cli("build", str(pages), "--index", str(index), "--max-file-mb", "0.002")
    assert capped.exit_code == 2  # big.txt is over that cap, and skipped
    before = (index / "CURRENT").read_text()

    for flag, value in (("--max-file-mb", "1"), ("--url-pattern", "https://x.org/{stem}")):
        refused = run_cli("build", str(big), "--index", str(index), flag, value)
        assert refused.exit_code == 2
        assert refused.stderr.count("\n") == 1 and flag in refused.stderr
        assert f"inside the source {pages}" in refused.stderr
        assert "Traceback" not in refused.stderr
    assert (index / "CURRENT").read_text() == before
    assert _sources(index)[0]["max_file_mb"] == pytest.approx(0.002, rel=1e-3)

    same = run_cli("build", str(big), "--index", str(index), "--max-file-mb", "0.002")
    assert same.exit_code == 2 and "limit; skipped" in same.stderr  # the cap it has: as before
    small = run_cli("build", str(pages / "small.txt"), "--index", str(index))
    assert small.exit_code == 0, small.stderr
    assert (_total(index, "alpha"), _total(index, "bravo")) == (1, 0)

    # Given with the folder itself, in either order, the setting is the folder's.
    both = run_cli("build", str(big), str(pages), "--index", str(index), "--max-file-mb", "1")
    assert both.exit_code == 0, both.stderr
    assert (_total(index, "alpha"), _total(index, "bravo")) == (1, 1)


def test_a_size_cap_that_is_no_positive_number_is_a_usage_error(tmp_path: Path) -> None:
    pages = tmp_path / "p"
    _page(pages, "small.txt", "alpha")
    for bad in ("0", "-1", "nan"):
        result = run_cli("build", str(pages), "--index", str(tmp_path / "ix"), "--max-file-mb", bad)
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1 and "--max-file-mb" in result.stderr
    assert not (tmp_path / "ix").exists() or _sources(tmp_path / "ix") == []


def test_a_cap_above_the_default_lets_a_larger_page_in(tmp_path, monkeypatch):
    """Raising the cap is honoured by every read of a build (the default made small here,
    so that the page above it stays small)."""
    from dwsearch.app.api import build, search
    from dwsearch.index import sourceset

    monkeypatch.setattr(sourceset, "DEFAULT_MAX_BYTES", 1000)
    pages, index = tmp_path / "p", tmp_path / "ix"
    write(pages / "big.txt", "Actor bravo\n\n" + "bravo policy text. " * 150 + "\n")
    report = build([pages], index=index, max_file_mb=0.01)  # 10 KiB, above the default
    assert not report.failed
    assert search("bravo", index=index).total == 1  # the title and its paragraph


def test_a_subfolder_stands_for_every_page_in_it(tmp_path):
    """Refreshing or removing a subfolder of a folder source does it to all its pages, and
    a removed subfolder stays out of later refreshes until it is built again."""
    pages, index = tmp_path / "p", tmp_path / "ix"
    _page(pages, "a.txt", "alpha")
    _page(pages / "sub", "b.txt", "bravo")
    _build(index, str(pages))
    _page(pages / "sub", "c.txt", "charlie")
    _page(pages, "d.txt", "delta")  # outside the subfolder: not refreshed with it

    _build(index, str(pages / "sub"))
    assert [_total(index, w) for w in ("alpha", "bravo", "charlie", "delta")] == [1, 1, 1, 0]

    removed = run_cli("remove", str(pages / "sub"), "--index", str(index))
    assert removed.exit_code == 0, removed.stderr
    assert [_total(index, w) for w in ("alpha", "bravo", "charlie")] == [1, 0, 0]
    _build(index)  # the whole folder: the subfolder stays out, the new page comes in
    assert [_total(index, w) for w in ("alpha", "bravo", "charlie", "delta")] == [1, 0, 0, 1]

    inside = run_cli("build", str(pages / "sub" / "c.txt"), "--index", str(index))
    assert inside.exit_code == 2 and inside.stderr.count("\n") == 1
    assert "removed from the index" in inside.stderr and _total(index, "charlie") == 0
    _build(index, str(pages / "sub"))
    assert [_total(index, w) for w in ("bravo", "charlie")] == [1, 1]
    assert _sources(index)[0]["excluded"] == []

    # A page removed on its own comes back with its subfolder.
    assert run_cli("remove", str(pages / "sub" / "b.txt"), "--index", str(index)).exit_code == 0
    assert _total(index, "bravo") == 0
    _build(index, str(pages / "sub"))
    assert _total(index, "bravo") == 1 and _sources(index)[0]["excluded"] == []
