"""Pages, not only chunks, through the HTTP API and the search page: the result's page
count beside its total, each hit's `more_from_page`, host crowding and its switch
(`all_chunks`), and the page filter (`from_page`) the "N more from this page" link opens.

The index holds the observatory-like fixture pages and the ITU's; what the page should
show is read from the JSON API, and the crowded order is worked out by hand from the
plain one."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
from playwright.sync_api import expect
from web_support import Client, LiveServer

from dwsearch.app import remote
from dwsearch.app.printers import results_data
from dwsearch.search.results import Filters
from helpers import FIXTURES, crowded_by_hand, run_cli
from website import Page, Site

QUERIES = ["telecommunications infrastructure", "data", "internet"]


@pytest.fixture(scope="module")
def pages_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-pages")
    for page in [
        *(FIXTURES / "pages").glob("*.html"),
        FIXTURES / "international-telecommunication-union.html",
    ]:
        shutil.copy(page, folder / page.name)
    index = tmp_path_factory.mktemp("web-pages-index")
    assert run_cli("build", str(folder), "--index", str(index)).exit_code == 0
    server = LiveServer(index)
    yield server, Client(server.url), index
    server.stop()


def _api(client: Client, **params: object) -> dict:
    response = client.get("/api/search?" + urlencode(params, doseq=True))
    assert response.status_code == 200, response.text
    return response.json()


def _without_timing(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "took_ms"}


@pytest.mark.parametrize("query", QUERIES)
def test_the_api_crowds_counts_pages_and_filters_by_page_as_the_cli(pages_server, query):
    _, client, index = pages_server
    plain = _api(client, q=query, all_chunks=1, limit=100)
    crowded = _api(client, q=query, limit=100)
    assert [hit["id"] for hit in crowded["hits"]] == crowded_by_hand(plain["hits"])
    by_page = Counter(hit["source"] for hit in plain["hits"])
    assert crowded["pages"] == plain["pages"] == len(by_page) > 1
    first = _api(client, q=query, limit=3)
    listed = Counter(hit["source"] for hit in first["hits"])
    for hit in first["hits"]:
        assert hit["more_from_page"] == by_page[hit["source"]] - listed[hit["source"]]
        assert hit["breadcrumb"].startswith(hit["page_title"])
    source = first["hits"][0]["source"]
    one_page = _api(client, q=query, from_page=source, limit=100)
    assert [hit["id"] for hit in one_page["hits"]] == [
        hit["id"] for hit in plain["hits"] if hit["source"] == source
    ]
    assert one_page["pages"] == 1
    for params, flags in (
        ({"all_chunks": 1, "limit": 3}, ["--all-chunks", "--limit", "3"]),
        ({"from_page": source}, ["--from-page", source]),
        ({"limit": 4, "offset": 2}, ["--limit", "4", "--offset", "2"]),
    ):
        cli = run_cli("search", query, *flags, "--json", "--index", str(index))
        assert _without_timing(_api(client, q=query, **params)) == _without_timing(
            json.loads(cli.stdout)
        )


def test_the_command_asking_a_server_passes_the_page_and_the_switch(pages_server):
    """What `dwsearch search` asks a running server, and reads of its answer: the page
    filter, the switch, the page count and each hit's `more_from_page`."""
    server, client, _ = pages_server
    source = _api(client, q="data")["hits"][0]["source"]
    for filters, everything in ((Filters(), True), (Filters(pages=[source]), False)):
        asked = remote.search_parameters("data", filters, 5, 1, "relevance", False, everything)
        answer = remote.search(server.url, asked)
        assert answer is not None
        direct = _api(client, q="data", limit=5, offset=1, all_chunks=int(everything),
                      from_page=filters.pages)  # fmt: skip
        assert _without_timing(results_data(answer)) == _without_timing(direct)
        assert answer.pages == direct["pages"]


def test_an_unknown_page_is_a_400_naming_from_page(pages_server):
    _, client, _ = pages_server
    response = client.get("/api/search?q=data&from_page=nowhere.html")
    assert response.status_code == 400
    body = response.json()
    assert (body["field"], body["value"]) == ("from_page", "nowhere.html")
    assert client.get("/api/search?q=data&all_chunks=maybe").status_code == 400


@pytest.mark.slow
def test_the_page_counts_pages_and_its_more_link_lists_that_pages_hits(pages_server, browser):
    server, client, _ = pages_server
    query = "telecommunications infrastructure"
    expected = _api(client, q=query)
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        tab.goto(server.url + "/?" + urlencode({"q": query}))
        total, pages = expected["total"], expected["pages"]
        assert tab.locator(".spread").inner_text() == f"{total} passages on {pages} pages"
        # The link stands under each page's last hit listed, when the page holds more.
        wanted = []
        for n, hit in enumerate(expected["hits"]):
            later = [other["source"] for other in expected["hits"][n + 1 :]]
            if hit["more_from_page"] and hit["source"] not in later:
                wanted.append((hit["source"], f"{hit['more_from_page']} more from this page"))
        links = tab.locator("ol.hits .more-from-page a")
        assert links.all_inner_texts() == [said for _, said in wanted] and wanted
        source, said = wanted[0]
        links.first.click()
        tab.wait_for_url(re.compile(r"from_page="))
        params = parse_qs(urlsplit(tab.url).query)
        assert params["from_page"] == [source] and params["q"] == [query]
        narrowed = _api(client, q=query, from_page=source)
        shown = int(said.split()[0]) + sum(h["source"] == source for h in expected["hits"])
        assert narrowed["total"] == shown
        expect(tab.locator(".spread")).to_have_text(f"{shown} passages on 1 page")
        assert tab.locator("ol.hits li.hit").count() == min(shown, 10)
        places = set(tab.locator("ol.hits li.hit .where").all_inner_texts())
        assert {place.split(" › ")[0] for place in places} == {narrowed["hits"][0]["page_title"]}
        assert tab.locator("ol.hits .more-from-page").count() == 0
        # The page filter shows as a ticked box; unticking it searches every page again.
        # (A click, not uncheck(): the box leaves the page with the filter, and uncheck()
        # would wait for a box that the new results no longer hold.)
        box = tab.locator("#facets input[name=from_page]")
        expect(box).to_be_checked()
        box.click()
        tab.wait_for_function("() => !location.search.includes('from_page')")
        expect(tab.locator(".spread")).to_have_text(f"{total} passages on {pages} pages")
        assert errors == []
    finally:
        tab.close()


@pytest.mark.slow
def test_a_title_opens_its_page_on_the_site_and_details_the_passage_page(tmp_path, browser):
    """In Chromium: a hit's title leads to the page's own address (on a site served from
    127.0.0.1, its request seen there), with a text fragment made of the passage's
    words; its "Details" link opens the passage page."""
    paragraphs = [
        "Submarine cables carry most of the traffic between continents today.",
        "Repairs of damaged submarine cables take ships and weeks of work.",
    ]
    with Site() as site:
        for n, words in enumerate(paragraphs):
            site.pages[f"/updates/cables-{n}/"] = Page(
                f"<html><head><title>Cables {n}</title></head><body><main>"
                f"<h1>Cables {n}</h1><p>{words}</p></main></body></html>"
            )
        addresses = [site.url(path) for path in sorted(site.pages)]
        index = tmp_path / "index"
        built = run_cli("build", *addresses, "--index", str(index), "--delay", "0")
        assert built.exit_code == 0, built.output
        server = LiveServer(index)
        tab = browser.new_page()
        try:
            hits = Client(server.url).get("/api/search?q=submarine").json()["hits"]
            tab.goto(server.url + "/?q=submarine")
            title = tab.locator("ol.hits h3 a").first
            href = title.get_attribute("href")
            page, _, fragment = href.partition("#:~:text=")
            assert page == hits[0]["url"] and page in addresses
            start, _, end = (unquote(part) for part in fragment.partition(","))
            text = " ".join(hits[0]["text"].split())
            assert start and text.startswith(start) and text.endswith(end)
            site.forget()
            title.click()
            tab.wait_for_url(re.compile(re.escape(page)))
            assert urlsplit(page).path in site.paths()
            tab.go_back()
            tab.locator("ol.hits a.details").first.click()
            tab.wait_for_url(re.compile(r"/chunks/"))
            assert urlsplit(tab.url).path == f"/chunks/{hits[0]['id']}"
            assert " ".join(hits[0]["text"].split()[:4]) in tab.locator("body").inner_text()
        finally:
            tab.close()
            server.stop()
