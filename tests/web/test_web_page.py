"""The page as the server renders it, which is also what a browser without JavaScript
gets: results, facets, pages, the empty state, errors, and a hostile page made inert."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from web_support import HOSTILE_URLS, IMG, SCRIPT


def _page(client, path: str, status: int = 200) -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def _hits(soup: BeautifulSoup) -> list:
    return soup.select("ol.hits > li.hit")


def test_a_search_renders_ranked_highlighted_hits_linking_to_each_chunk(client):
    soup = _page(client, "/?q=spectrum")
    api = client.get("/api/search?q=spectrum").json()
    hits = _hits(soup)
    assert [h.select_one("a.details")["href"] for h in hits] == [
        f"/chunks/{hit['id']}" for hit in api["hits"]
    ]
    assert all(h.select("mark") for h in hits)
    assert {m.get_text().lower() for h in hits for m in h.select("mark")} == {"spectrum"}
    assert f"{api['total']} results" in soup.select_one("#results-heading").get_text()
    assert soup.select_one("#q")["value"] == "spectrum"
    first = hits[0]
    assert first.select_one(".source").get_text().startswith("https://dig.watch/")
    assert first.select_one(".type").get_text().strip()


def test_facets_show_live_counts_and_keep_ticked_values(client):
    query = urlencode([("q", "spectrum"), ("sector", "ITU-R"), ("sector", "ITU-D")])
    soup = _page(client, f"/?{query}")
    api = client.get(f"/api/facets?{query}").json()
    shown = {}
    for box in soup.select("#facets input[type=checkbox]"):
        label = soup.select_one(f"label[for={box['id']}]")
        count = int(label.select_one(".count").contents[0])
        shown[(box["name"], box["value"])] = (count, box.has_attr("checked"))
    for facet, counts in api["facets"].items():
        for value, count in counts.items():
            if facet != "year":
                assert shown[(facet, value)][0] == count, (facet, value)
    assert shown[("sector", "ITU-R")][1] and shown[("sector", "ITU-D")][1]
    assert not shown[("sector", "ITU-T")][1]
    assert len(_hits(soup)) == min(10, api["total"])


def test_a_ticked_value_with_no_results_is_still_shown_so_it_can_be_unticked(client):
    soup = _page(client, "/?q=spectrum&kind=issue")
    box = soup.select_one("#facets input[name=kind][value=issue]")
    assert box is not None and box.has_attr("checked")


def test_pages_of_results_link_to_each_other(client):
    total = client.get("/api/search?q=spectrum").json()["total"]
    assert total > 10
    soup = _page(client, "/?q=spectrum")
    following = soup.select_one(".pagination a[rel=next]")["href"]
    assert parse_qs(urlsplit(following).query) == {"q": ["spectrum"], "offset": ["10"]}
    second = _page(client, following)
    assert second.select_one("ol.hits")["start"] == "11"
    assert len(_hits(second)) == total - 10
    assert second.select_one(".pagination a[rel=prev]") is not None
    assert second.select_one(".pagination a[aria-current=page]").get_text() == "2"


def test_a_corrected_typo_says_what_was_searched(client):
    soup = _page(client, "/?q=spectrun")
    note = soup.select_one(".suggestion").get_text(" ", strip=True)
    assert "Showing results for spectrum" in note
    assert _hits(soup)


def test_nothing_found_says_what_to_try(client):
    soup = _page(client, "/?q=xylophonic")
    assert "No results" in soup.select_one("#results-heading").get_text()
    assert "fewer words" in soup.select_one(".empty").get_text(" ", strip=True)


def test_filters_that_leave_nothing_offer_the_words_alone(client):
    soup = _page(client, "/?q=spectrum&kind=issue&sector=ITU-T")
    total = client.get("/api/search?q=spectrum").json()["total"]
    link = soup.select_one(".empty a")
    assert link["href"] == "/?q=spectrum"
    assert link.get_text().startswith(f"{total} result")


def test_a_bad_filter_is_said_on_the_page_with_the_search_kept(client):
    response = client.get("/api/search?q=spectrum&year=2018..2015")
    soup = _page(client, "/?q=spectrum&year_from=2018&year_to=2015", status=400)
    said = soup.select_one(".problem .error").get_text()
    assert said == f"Years '2018..2015': {response.json()['problem']}"  # in the page's words
    assert "--" not in said
    assert soup.select_one("#q")["value"] == "spectrum"
    assert soup.select_one("input[name=year_from]")["value"] == "2018"


def test_a_year_range_from_the_form_filters_as_the_api_year_does(client):
    soup = _page(client, "/?q=spectrum&year_from=2012&year_to=2014")
    api = client.get("/api/search?q=spectrum&year=2012..2014").json()
    assert [h.select_one("a.details")["href"] for h in _hits(soup)] == [
        f"/chunks/{hit['id']}" for hit in api["hits"]
    ]


def test_the_start_page_counts_the_passages_and_offers_topics(client):
    soup = _page(client, "/")
    total = client.get("/api/stats").json()["chunks"]
    assert f"{total} passages" in soup.select_one("#results-heading").get_text()
    assert soup.select(".starts a")
    assert not _hits(soup)


def test_a_chunk_page_shows_the_whole_chunk_and_its_metadata(client):
    hit = client.get("/api/search?q=resolution+confidence").json()["hits"][0]
    soup = _page(client, f"/chunks/{hit['id']}")
    assert soup.select_one("h1").get_text() == hit["title"]
    assert soup.select_one(".text").get_text() == hit["text"]
    facts = soup.select_one("dl.facts").get_text(" ", strip=True)
    assert hit["date"] in facts and hit["id"] in facts
    _page(client, "/chunks/ffffffffffffffff", status=404)


HOSTILE_PATHS = ["/?q=quokka", "/results?q=quokka", "/?q=quokka&sort=newest"]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_a_hostile_page_is_shown_as_text(client, path):
    response = client.get(path)
    soup = BeautifulSoup(response.text, "html.parser")
    assert len(_hits(soup)) == 1 + len(HOSTILE_URLS) - 1
    scripts = soup.find_all("script")
    assert all(s.get("src", "").startswith("/static/search.js") for s in scripts)
    assert not soup.find_all("img")
    assert not [tag for tag in soup.find_all(True) if any(a.startswith("on") for a in tag.attrs)]
    for link in soup.find_all("a"):
        assert urlsplit(link["href"]).scheme in ("", "http", "https"), link
        assert not link["href"].startswith("//")
    text = soup.get_text()
    assert SCRIPT in text and IMG in text  # shown, as text
    for url in HOSTILE_URLS:
        assert not soup.find("a", href=url)


def test_a_hostile_chunk_page_is_shown_as_text(client):
    hostile = client.get("/api/search?q=quokka+headline").json()["hits"][0]
    soup = _page(client, f"/chunks/{hostile['id']}")
    assert [s["src"].split("?")[0] for s in soup.find_all("script")] == ["/static/search.js"]
    assert not soup.find_all("img")
    assert soup.select_one("h1").get_text() == hostile["title"]
    assert not soup.select(".source a")  # its address is javascript:, so no link
    assert hostile["url"] in soup.select_one("dl.facts").get_text()
