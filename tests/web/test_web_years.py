"""A chunk dated only by a year covers that year, on every face: `--since`/`--until` keep
it, and `--sort newest|oldest` places it by its year, on the bundled ITU page.

Expected chunks come from `dwsearch chunks --json` (ingestion alone), never from a search.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
from web_support import Client, LiveServer

from dwsearch.app import api
from dwsearch.search.filters import read_filters
from helpers import run_cli


@pytest.fixture(scope="module")
def bundled(seed_index):
    server = LiveServer(seed_index)
    yield seed_index, Client(server.url)
    server.stop()


def _chunks() -> list[dict]:
    listed = run_cli("chunks", "--json")
    return [json.loads(line) for line in listed.stdout.splitlines()]


def _spans(chunk: dict) -> list[tuple[str, str]]:
    """The days a chunk is about: its date or range, else each of its years whole."""
    if chunk["date"]:
        return [(chunk["date"], chunk["date_end"] or chunk["date"])]
    return [(f"{year}-01-01", f"{year}-12-31") for year in chunk["years"]]


def _date_key(chunk: dict, newest: bool) -> str:
    spans = _spans(chunk)
    if not spans:
        return ""
    return max(end for _, end in spans) if newest else min(start for start, _ in spans)


def _says_ai(text: str) -> bool:
    """AI as a word, or the words the lexicon expands it to."""
    words = re.findall(r"[a-z]+", text.lower())
    return "ai" in words or "artificial intelligence" in " ".join(words)


def _ids_by_face(index, client: Client, query: str, **given: str) -> dict[str, list[str]]:
    """The ids of the hits, in order, as the CLI, the HTTP API and Python give them."""
    args = [f"--{name}={value}" for name, value in given.items()]
    cli = run_cli("search", query, *args, "--json", "--limit", "100", "--index", str(index))
    assert cli.exit_code in (0, 1), cli.stderr
    http = client.get("/api/search?" + urlencode({"q": query, "limit": 100, **given})).json()
    sort = given.pop("sort", "relevance")
    python = api.search(query, read_filters(**given), limit=100, index=index, sort=sort)
    return {
        "cli": [hit["id"] for hit in json.loads(cli.stdout)["hits"]] if cli.exit_code == 0 else [],
        "http": [hit["id"] for hit in http["hits"]],
        "python": [hit.id for hit in python.hits],
    }


@pytest.mark.parametrize(
    ("since", "until"),
    [("2018", ""), ("2018-06", ""), ("", "2017"), ("2015-03-01", "2016-02-01"), ("2030", "")],
)
def test_since_and_until_keep_what_a_year_only_chunk_covers(bundled, since, until):
    index, client = bundled
    first = f"{since}-01-01"[:10] if len(since) == 4 else since
    first = f"{since}-01" if len(since) == 7 else first
    last = f"{until}-12-31" if len(until) == 4 else until
    expected = {
        chunk["id"]
        for chunk in _chunks()
        if _says_ai(f"{chunk['title']} {chunk['text']}")
        and any(
            (not last or start <= last) and (not first or end >= first)
            for start, end in _spans(chunk)
        )
    }
    given = {name: value for name, value in (("since", since), ("until", until)) if value}
    found = _ids_by_face(index, client, "AI", **given)
    if since == "2018":
        assert len(expected) >= 18  # the page's AI event reports, all of 2018
    for face, ids in found.items():
        assert set(ids) == expected, face


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sorting_by_date_places_year_only_chunks_by_their_year(bundled, sort):
    index, client = bundled
    by_id = {chunk["id"]: chunk for chunk in _chunks()}
    newest = sort == "newest"
    found = _ids_by_face(index, client, "telecommunication", sort=sort)
    assert found["cli"] == found["http"] == found["python"]
    keys = [_date_key(by_id[chunk_id], newest) for chunk_id in found["cli"]]
    dated = [key for key in keys if key]
    assert len(dated) >= 3
    assert keys == sorted(dated, reverse=newest) + [""] * (len(keys) - len(dated))


@pytest.mark.slow
def test_a_year_range_in_the_address_is_a_ticked_box_that_unticking_drops(bundled, browser):
    """In Chromium: `year=` in the address shows as a ticked box under "Year ranges",
    the results are those the HTTP API gives for the range, and unticking the box
    searches every year again."""
    from playwright.sync_api import expect

    _, client = bundled
    query, years = "telecommunication", "2012..2015"
    narrowed = client.get("/api/search?" + urlencode({"q": query, "year": years})).json()
    every = client.get("/api/search?" + urlencode({"q": query})).json()
    assert 0 < narrowed["total"] < every["total"]  # the range narrows, and keeps some
    tab = browser.new_page()
    try:
        tab.goto(f"http://{client.host}:{client.port}/?" + urlencode({"q": query, "year": years}))
        box = tab.locator("#facets fieldset:has(legend:text-is('Year ranges')) input")
        expect(box).to_have_count(1)
        expect(box).to_be_checked()
        assert box.get_attribute("value") == years
        assert tab.locator(".spread").inner_text().startswith(f"{narrowed['total']} passages")
        box.click()  # the box leaves the page with the filter: a click, not uncheck()
        tab.wait_for_function("() => !location.search.includes('year=')")
        expect(tab.locator(".spread")).to_have_text(re.compile(rf"^{every['total']} passages"))
    finally:
        tab.close()
