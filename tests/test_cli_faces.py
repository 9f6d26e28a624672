"""The command as a person meets it: its help, its options never read as words, and
browsing by filters alone."""

from __future__ import annotations

import json
import re

import pytest

from helpers import run_cli


def _total(result) -> int:  # type: ignore[no-untyped-def]
    return json.loads(result.stdout)["total"]


def test_bare_dwsearch_prints_its_help_and_succeeds():
    bare = run_cli()
    assert bare.exit_code == 0 and bare.stderr == ""
    assert bare.stdout == run_cli("--help").stdout
    assert bare.stdout.startswith("Usage: dwsearch") and "\n\nCommands:\n" in bare.stdout


def test_commands_are_listed_in_the_order_of_the_work_and_whole():
    listed = run_cli("--help").stdout.split("Commands:\n", 1)[1].splitlines()
    names = [line.split()[0] for line in listed if line.strip()]
    assert names[:4] == ["search", "show", "facets", "build"]
    assert sorted(names) == sorted(
        ["search", "show", "facets", "build", "sources", "remove", "stats", "serve",
         "export", "chunks", "evaluate"]
    )  # fmt: skip
    for line in listed:
        assert not line.rstrip().endswith("..."), line  # no description is cut


@pytest.mark.parametrize(
    ("mistyped", "meant"),
    [("--yaer", "--year"), ("--limt", "--limit"), ("--toipc", "--topic"), ("--jsno", "--json")],
)
def test_a_mistyped_option_is_an_error_naming_the_one_meant(seed_index, mistyped, meant):
    result = run_cli("search", "satellites", mistyped, "2", "--index", str(seed_index))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"dwsearch: no such option {mistyped}; did you mean {meant}?")
    assert result.stderr.count("\n") == 1


def test_a_lone_letter_is_an_option_not_a_word(seed_index):
    result = run_cli("search", "satellites", "-n", "2", "--index", str(seed_index))
    assert result.exit_code == 2 and "no such option -n" in result.stderr


def test_a_minus_word_still_excludes_and_double_dash_ends_the_options(seed_index):
    every = run_cli("search", "ITU", "--index", str(seed_index), "--json", "--limit", "100")
    without = run_cli(
        "search", "ITU", "-cybersecurity", "--index", str(seed_index), "--json", "--limit", "100"
    )
    assert without.exit_code == 0 and 0 < _total(without) < _total(every)
    texts = [h["text"].lower() + h["title"].lower() for h in json.loads(without.stdout)["hits"]]
    assert not any("cybersecurity" in text for text in texts)
    literal = run_cli("search", "--index", str(seed_index), "--json", "--", "--year")
    assert literal.exit_code in (0, 1) and json.loads(literal.stdout)["query"] == "--year"


def test_filters_alone_browse_and_a_query_of_spaces_is_the_empty_query(seed_index):
    browse = run_cli(
        "search", "--topic", "cybersecurity", "--index", str(seed_index), "--json",
        "--limit", "1000",
    )  # fmt: skip
    assert browse.exit_code == 0
    hits = json.loads(browse.stdout)["hits"]
    assert hits and all("cybersecurity" in hit["topics"] for hit in hits)
    every = run_cli("search", "", "--index", str(seed_index), "--json")
    spaces = run_cli("search", "   ", "--index", str(seed_index), "--json")
    assert _total(spaces) == _total(every) > 0
    nothing = run_cli("search", "--index", str(seed_index))
    assert nothing.exit_code == 2 and "give QUERY words, a filter, or both" in nothing.stderr


def test_each_filters_help_says_it_repeats_and_where_its_values_are():
    help_text = " ".join(run_cli("search", "--help").stdout.split())
    for flag in ("--type", "--kind", "--sector", "--topic", "--basket"):
        said = help_text.split(f"{flag} ", 1)[1].split(" --", 1)[0]
        assert "repeat for any of several" in said and "dwsearch facets" in said, flag
    assert "repeat for any of several" in help_text.split("--year ", 1)[1]


def test_facets_help_names_every_facet_it_prints(seed_index):
    printed = run_cli("facets", "--index", str(seed_index)).stdout
    facets = re.findall(r"^(\w+):$", printed, flags=re.M)
    assert len(facets) >= 6
    described = run_cli("facets", "--help").stdout.split("Options:")[0]  # not the options'
    for facet in facets:
        assert re.search(rf"\b{facet}\b", described), facet


def test_sources_names_the_pages_removed_on_purpose_and_how_to_bring_one_back(tmp_path):
    from helpers import write

    pages, index = tmp_path / "pages", tmp_path / "ix"
    for name in ("a.txt", "b.txt", "sub/c.txt"):
        write(pages / name, f"Page {name}\n\nA paragraph about spectrum in {name}.\n")
    assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0
    removed = run_cli("remove", str(pages / "b.txt"), str(pages / "sub"), "--index", str(index))
    assert removed.exit_code == 0
    listed = run_cli("sources", "--index", str(index)).stdout.splitlines()
    assert listed[1].strip().startswith("removed on purpose (2; bring one back with: ")
    assert "dwsearch build PATH" in listed[1]
    assert [line.strip() for line in listed[2:]] == [f"{pages}/b.txt", f"{pages}/sub"]
    back = run_cli("build", str(pages / "b.txt"), "--index", str(index))
    assert back.exit_code == 0 and "1 added" in back.stdout
    assert len(run_cli("sources", "--index", str(index)).stdout.splitlines()) == 3


@pytest.mark.parametrize("kind", ["device", "fifo", "huge"])
def test_a_data_file_that_is_no_file_or_too_large_is_refused_at_once(tmp_path, kind):
    """`--taxonomy /dev/urandom` read for minutes into gigabytes; now one line, exit 2."""
    import os

    from helpers import write

    if kind == "device":
        taxonomy = "/dev/urandom"
    elif kind == "fifo":
        taxonomy = str(tmp_path / "fifo.toml")
        os.mkfifo(taxonomy)
    else:
        taxonomy = str(write(tmp_path / "huge.toml", "# a comment\n" * (2**24 // 12 + 1)))
    write(tmp_path / "pages" / "a.txt", "A page\n\nAbout spectrum.\n")
    for command in (["chunks"], ["build", "--index", str(tmp_path / "ix")]):
        result = run_cli(*command, str(tmp_path / "pages"), "--taxonomy", taxonomy)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"dwsearch: {taxonomy}: ")
        assert result.stderr.count("\n") == 1
    assert not (tmp_path / "ix" / "CURRENT").exists()


def test_an_index_file_replaced_by_a_device_is_damage_not_a_hang(tmp_path):
    import os

    from helpers import write

    write(tmp_path / "pages" / "a.txt", "A page\n\nAbout spectrum.\n")
    index = tmp_path / "ix"
    assert run_cli("build", str(tmp_path / "pages"), "--index", str(index)).exit_code == 0
    generation = index / (index / "CURRENT").read_text().strip()
    (generation / "dwsearch.json").unlink()
    os.symlink("/dev/zero", generation / "dwsearch.json")
    result = run_cli("search", "spectrum", "--index", str(index))
    assert result.exit_code == 2 and "damaged" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_new_setting_for_an_indexed_folder_holds_at_once(tmp_path):
    """A --url-pattern given to a folder already indexed said "updated", but no page got
    an address until --rebuild; now its pages are read again, and the summary says so."""
    from helpers import write

    pages, index = tmp_path / "pages", tmp_path / "ix"
    write(pages / "wto.txt", "World Trade Organization\n\nAbout e-commerce.\n")
    write(pages / "itu.txt", "ITU\n\nAbout spectrum.\n")
    assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0

    def addresses() -> set[str]:
        found = run_cli("search", "", "--index", str(index), "--json").stdout
        return {hit["url"] for hit in json.loads(found)["hits"]}

    assert addresses() == {""}
    pattern = "https://dig.watch/actors/{stem}"
    given = run_cli("build", str(pages), "--index", str(index), "--url-pattern", pattern)
    assert given.exit_code == 0
    assert (
        "2 updated" in given.stdout and "(new --url-pattern: every page read again)" in given.stdout
    )
    assert addresses() == {"https://dig.watch/actors/wto", "https://dig.watch/actors/itu"}
    again = run_cli("build", str(pages), "--index", str(index), "--url-pattern", pattern)
    assert "up to date" in again.stdout  # the same setting again changes nothing
