"""Hits as places on pages: each hit's breadcrumb (its page's title and section), on
the observatory-like fixture pages, through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import FIXTURES, run_cli

PAGES = FIXTURES / "pages"


@pytest.fixture(scope="module")
def pages_index(tmp_path_factory) -> Path:
    """An index of the seven fixture pages, built once through the CLI."""
    folder = tmp_path_factory.mktemp("pages")
    for page in PAGES.glob("*.html"):
        shutil.copy(page, folder / page.name)
    index = tmp_path_factory.mktemp("pages-index")
    built = run_cli("build", str(folder), "--index", str(index))
    assert built.exit_code == 0, built.output
    return index


def _expected_places() -> dict[tuple[str, str], str]:
    """From the fixtures' hand-written expectations: each chunk (by title and text) to
    its place, `Page title › Section`, or the page title alone outside any section."""
    places = {}
    for expected in PAGES.glob("*.expected.json"):
        data = json.loads(expected.read_text(encoding="utf-8"))
        page_title = data["page"]["page_title"]
        for chunk in data["chunks"]:
            place = f"{page_title} › {chunk['section']}" if chunk["section"] else page_title
            places[chunk["title"], chunk["text"]] = place
    return places


def _search(index: Path, *args: str) -> tuple[dict, str]:
    found = run_cli("search", *args, "--json", "--index", str(index))
    shown = run_cli("search", *args, "--index", str(index))
    assert found.exit_code == shown.exit_code == 0, found.output + shown.output
    return json.loads(found.stdout), shown.stdout


@pytest.mark.parametrize("query", ["internet", "data protection", "trade"])
def test_every_hit_is_placed_by_page_title_and_section(pages_index, query):
    """Text output names a hit's place as a reader would (no file, line or CSS path);
    JSON gives it as `breadcrumb`, and keeps `source` and `lines` for tools."""
    places = _expected_places()
    data, text = _search(pages_index, query, "--limit", "30")
    blocks = [block.splitlines() for block in text.split("\n\n") if block.strip()][:-1]
    assert len(blocks) == len(data["hits"]) > 3
    sections = set()
    for hit, block in zip(data["hits"], blocks, strict=True):
        place = places[hit["title"], hit["text"]]
        assert hit["breadcrumb"] == place
        assert hit["source"].endswith(".html") and hit["lines"]
        where = block[1].strip()
        assert where.startswith(place), (where, place)
        assert hit["source"] not in where and "nth-of-type" not in where
        sections.add("›" in place)
    assert sections == {True, False} or query == "trade"


def test_show_names_the_chunks_place(pages_index):
    """`dwsearch show` says where the chunk stands, and still its file and locator."""
    places = _expected_places()
    data, _ = _search(pages_index, "internet", "--limit", "30")
    hit = next(h for h in data["hits"] if "›" in places[h["title"], h["text"]])
    shown = run_cli("show", hit["id"], "--index", str(pages_index)).stdout
    assert shown.splitlines()[1] == places[hit["title"], hit["text"]]
    assert f"{hit['source']}#{hit['lines']}" in shown
