"""`dwsearch chunks`, driven as a user would: through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import FIXTURES, write
from helpers import run_cli as run


def test_lists_the_bundled_corpus_by_default():
    result = run("chunks")
    assert result.exit_code == 0
    assert "International Telecommunication Union  [overview]" in result.output
    assert result.output.count("[event_report]") == 27


def test_json_lines_have_every_field():
    result = run("chunks", "--json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 38
    assert set(rows[0]) == {
        "id", "page", "page_title", "type", "section", "title", "text", "years",
        "topics", "baskets", "sectors", "source", "lines", "url", "date", "date_end", "kind",
    }  # fmt: skip
    assert rows[-1]["type"] == "resource" and rows[-1]["years"] == [2015]
    assert rows[-1]["lines"] == [65, 65]


def test_html_paths(tmp_path):
    result = run("chunks", str(FIXTURES / "international-telecommunication-union.html"), "--json")
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 38


def test_text_names_each_chunks_place_as_a_reader_would_and_json_keeps_the_file():
    """Each chunk's place is its page's title and section, as a search hit shows it,
    never the CSS-like path to its element; the JSON keeps that, for tools."""
    pages = FIXTURES / "pages"
    rows = [json.loads(line) for line in run("chunks", "--json", str(pages)).output.splitlines()]
    text = run("chunks", str(pages)).output
    blocks = text.strip("\n").split("\n\n")
    assert len(blocks) == len(rows)
    assert any(row["section"] for row in rows)  # places with a section, as well as without
    assert any("nth-of-type" in row["lines"] for row in rows)
    for block, row in zip(blocks, rows, strict=True):
        head, place = block.splitlines()[:2]
        assert head.startswith(row["title"] or row["page_title"])
        assert head.endswith(f"  [{row['type']}]")
        named = [part for part in (row["page_title"], row["section"]) if part]
        assert place.strip().split("  ")[0] == " › ".join(named)
        assert row["lines"] not in text  # the element's path is in the JSON only


def test_bad_files_are_reported_and_the_rest_listed(tmp_path, seed_text):
    write(tmp_path / "empty.txt", "")
    write(tmp_path / "itu.txt", seed_text)
    result = run("chunks", str(tmp_path), "--json")
    assert result.exit_code == 2
    assert result.stderr == "dwsearch: empty.txt: empty file\n"
    assert len(result.stdout.splitlines()) == 38


def test_own_taxonomy(tmp_path):
    taxonomy = write(
        tmp_path / "mine.toml",
        '[baskets]\nfun = "Fun"\n[topics.stories]\nbasket = "fun"\nterms = ["storytellers"]\n',
    )
    result = run("chunks", "--json", "--taxonomy", str(taxonomy))
    rows = [json.loads(line) for line in result.output.splitlines()]
    tagged = [r["title"] for r in rows if r["topics"]]
    assert tagged == ["Storytellers"]
    assert rows[[r["title"] for r in rows].index("Storytellers")]["baskets"] == ["fun"]


def test_broken_taxonomy_is_one_line(tmp_path):
    bad = write(tmp_path / "bad.toml", "this is = not [toml")
    result = run("chunks", "--taxonomy", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"dwsearch: {bad}: not valid TOML")
    assert result.stderr.count("\n") == 1


def test_bad_flag_is_one_line_and_exit_2():
    result = run("chunks", "--nope")
    assert result.exit_code == 2
    assert result.stderr == "dwsearch: No such option '--nope' (see 'dwsearch chunks --help')\n"


def test_installed_command_finds_its_corpus_from_any_directory(tmp_path):
    """The corpus ships inside the package: no checkout, no setup, any working directory."""
    result = subprocess.run(
        [sys.executable, "-m", "dwsearch.app", "chunks", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 38
