"""The page as the server renders it, which is also what a browser without JavaScript
gets: results, facets, pages, the empty state, errors, and a hostile page made inert."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from web_support import HOSTILE_URLS, IMG, SCRIPT, observatory_chunks


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


# ------------------------------------------------------------------ issue 24, item 7
def test_active_filters_are_chips_each_removing_itself_and_a_clear_all(client):
    query = [("q", "spectrum"), ("sector", "ITU-R"), ("sector", "ITU-D"), ("since", "2012")]
    soup = _page(client, "/?" + urlencode(query))
    chips = soup.select(".chips a.chip")
    assert len(chips) == 3
    remaining = []
    for chip in chips:
        kept = parse_qs(urlsplit(chip["href"]).query)
        remaining.append(kept)
        assert kept["q"] == ["spectrum"]  # the words stay
        assert "remove" in chip.get_text(" ", strip=True)
    # Each chip's link is the search without one filter, a different one each time.
    gone = [
        {(k, v) for k, v in query} - {(k, v) for k, vs in kept.items() for v in vs}
        for kept in remaining
    ]
    assert sorted(map(sorted, gone)) == sorted(
        [[("sector", "ITU-R")], [("sector", "ITU-D")], [("since", "2012")]]
    )
    assert parse_qs(urlsplit(soup.select_one(".chips a.clear-all")["href"]).query) == {
        "q": ["spectrum"]
    }
    assert not _page(client, "/?q=spectrum").select(".chips")  # no filter, no chips


def test_the_heading_says_what_is_filtered(client):
    soup = _page(client, "/?q=spectrum&sector=ITU-R&since=2012")
    total = client.get("/api/search?q=spectrum&sector=ITU-R&since=2012").json()["total"]
    heading = soup.select_one("#results-heading").get_text(" ", strip=True)
    assert heading.startswith(f"{total} results for spectrum in ITU-R, since 2012"), heading
    nothing = _page(client, "/?q=xylophonic&kind=issue").select_one("#results-heading")
    assert "in issue" in nothing.get_text(" ", strip=True)


def test_the_page_speaks_of_passages_never_chunks(client):
    some_id = client.get("/api/search?q=spectrum&limit=1").json()["hits"][0]["id"]
    pages = ["/", "/?q=spectrum", "/?q=xylophonic", f"/chunks/{some_id}", "/?since=x"]
    for path in [*pages, "/chunks/ffffffffffffffff"]:
        soup = BeautifulSoup(client.get(path).text, "html.parser")
        for hidden in soup.select("script, style"):
            hidden.decompose()
        words = soup.get_text(" ", strip=True).lower()
        assert "chunk" not in words, (path, words[words.find("chunk") - 60 :][:120])
    page = _page(client, "/?q=spectrum")
    assert page.find("label", string="Also find related passages")
    assert page.find("legend", string="Kind of page")


def test_one_date_control_explained_in_one_line(client):
    soup = _page(client, "/?q=spectrum")
    dates = soup.select("fieldset.dates")
    assert len(dates) == 1
    assert [box["name"] for box in dates[0].select("input")] == ["since", "until"]
    assert not soup.select("#year_from, #year_to")  # no second, unexplained pair
    help_text = soup.select_one("#date-help")
    assert len(help_text.get_text(strip=True).splitlines()) == 1
    assert all("date-help" in box["aria-describedby"] for box in dates[0].select("input"))
    # The control filters as the API's since/until do.
    dated = _page(client, "/?q=spectrum&since=2014&until=2016-06")
    ids = [h.select_one("a.details")["href"].removeprefix("/chunks/") for h in _hits(dated)]
    api = client.get("/api/search?q=spectrum&since=2014&until=2016-06").json()
    assert ids == [hit["id"] for hit in api["hits"]]


@pytest.mark.parametrize(
    ("path", "control"),
    [
        ("/?q=spectrum&since=May+2018", "since"),
        ("/?q=spectrum&until=2018-13", "until"),
        ("/?q=spectrum&since=2019&until=2017", "since"),
        ("/?q=" + "word+" * 40, "q"),
    ],
)
def test_an_error_is_said_beside_the_field_at_fault(client, path, control):
    api_path = path.replace("/?", "/api/search?")
    refusal = client.get(api_path).json()
    soup = _page(client, path, status=400)
    box = soup.select_one(f"#{control}")
    assert box["aria-invalid"] == "true"
    described = [soup.select_one(f"#{i}") for i in box["aria-describedby"].split()]
    messages = [d for d in described if "error" in d.get("class", [])]
    assert len(messages) == 1 and not messages[0].has_attr("hidden")
    said = messages[0].get_text()
    assert refusal["problem"] in said and "--" not in said and "'q'" not in said
    # Every other control is left as it was.
    assert len(soup.select("[aria-invalid]")) == 1
    # The summary above the results leads to the field.
    assert soup.select_one(f".problem a[href='#{control}']").get_text() == said


def test_a_title_opens_the_passage_on_its_page_and_details_opens_the_chunk_page(client):
    api = client.get("/api/search?q=resolution+OR+spectrum&limit=20").json()
    soup = _page(client, "/?q=resolution+OR+spectrum&limit=20")
    by_id = {hit["id"]: hit for hit in api["hits"]}
    with_address = without = 0
    for item in _hits(soup):
        hit = by_id[item.select_one("a.details")["href"].removeprefix("/chunks/")]
        title = item.select_one("h3 a")["href"]
        if hit["url"].startswith("https://"):
            with_address += 1
            page, _, fragment = title.partition("#:~:text=")
            assert page == hit["url"], title
            # The fragment's words are the passage's own, its start (and its end).
            start, _, end = (unquote(part) for part in fragment.partition(","))
            text = " ".join(hit["text"].split())
            assert text.startswith(start) and text.endswith(end) and start, (start, end)
        else:
            without += 1
            assert title == f"/chunks/{hit['id']}"
    assert with_address and without


def test_each_hit_has_a_citation_of_its_page_section_address_and_date(client):
    api = client.get("/api/search?q=spectrum").json()
    soup = _page(client, "/?q=spectrum")
    for item, hit in zip(_hits(soup), api["hits"], strict=True):
        cite = item.select_one("details.cite .cite-text").get_text()
        for part in (hit["page_title"], hit["section"], hit["url"], hit["date"]):
            assert part and part in cite, (part, cite)


def test_two_items_of_one_section_cite_apart_by_their_own_titles(client):
    """Two event reports under one page's section: each citation starts with its own
    title, so they differ (without it both were "page › section. date. address")."""
    api = client.get("/api/search?q=spectrum&limit=20").json()
    soup = _page(client, "/?q=spectrum&limit=20")
    cited = [
        (hit, item.select_one("details.cite .cite-text").get_text().strip())
        for item, hit in zip(_hits(soup), api["hits"], strict=True)
    ]
    titled = [
        (hit, cite)
        for hit, cite in cited
        if hit["section"] and hit["title"] and hit["title"] != hit["page_title"]
    ]
    by_section: dict[tuple[str, str], list] = {}
    for hit, cite in titled:
        by_section.setdefault((hit["page_title"], hit["section"]), []).append((hit, cite))
    pairs = [group[:2] for group in by_section.values() if len(group) > 1]
    assert pairs  # the test pages hold many event reports of one section
    for (first, first_cite), (second, second_cite) in pairs:
        assert first["title"] != second["title"]
        assert first_cite != second_cite
        for hit, cite in ((first, first_cite), (second, second_cite)):
            assert cite.startswith(hit["title"]), (hit["title"], cite)
            assert f"{hit['page_title']} › {hit['section']}" in cite


def test_the_search_is_offered_as_a_feed_and_as_exports(client):
    soup = _page(client, "/?q=spectrum&sector=ITU-R&offset=0")
    feed = soup.select_one("head link[rel=alternate][type='application/atom+xml']")
    assert parse_qs(urlsplit(feed["href"]).query) == {"q": ["spectrum"], "sector": ["ITU-R"]}
    assert urlsplit(feed["href"]).path == "/feed.atom"
    tools = {a.get_text(strip=True): a["href"] for a in soup.select(".tools a")}
    for name, path in [("CSV", "/export.csv"), ("JSON", "/export.json")]:
        assert urlsplit(tools[name]).path == path
        assert parse_qs(urlsplit(tools[name]).query) == {"q": ["spectrum"], "sector": ["ITU-R"]}
    assert any(urlsplit(href).path == "/feed.atom" for href in tools.values())


def test_a_one_page_result_offers_no_more_from_this_page_link(client):
    """Every hit from one page: the heading's "on 1 page" says it; no hit repeats it."""
    words = {w.lower() for chunk in observatory_chunks() for w in chunk.text.split() if w.isalpha()}
    for word in sorted(words):
        api = client.get(f"/api/search?q={word}&limit=2").json()
        if api["pages"] == 1 and api["total"] > 2:
            break
    else:
        pytest.fail("no word of the test pages matches more than two passages of one page")
    soup = _page(client, f"/?q={word}&limit=2")
    assert _hits(soup) and not soup.select(".more-from-page")
