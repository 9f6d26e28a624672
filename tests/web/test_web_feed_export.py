"""Every search as an Atom feed, read by a real feed parser, and the whole result list
exported as CSV and JSON; what they should hold is read from the JSON API."""

from __future__ import annotations

import calendar
import csv
import io
import json
import time
from dataclasses import replace
from urllib.parse import urlencode

import feedparser
import pytest
from web_support import SCRIPT

from dwsearch.app import api, bounds
from dwsearch.app.web import server
from dwsearch.app.web.feed import atom_feed
from dwsearch.search.results import Filters
from dwsearch.search.settings import SearchOptions

SEARCHES = [
    {"q": "spectrum"},
    {"q": "spectrum", "sector": "ITU-R", "since": "2012"},
    {"topic": "cybersecurity"},
    {"q": "quokka"},  # a hostile page's text, which the feed must carry as text
]


def _all_hits(client, query: str, **more: object) -> list[dict]:
    return client.get(f"/api/search?{query}&{urlencode(more)}").json()["hits"]


def _dated(hits: list[dict]) -> list[dict]:
    """The hits a feed lists: those dated by a day or a year."""
    return [hit for hit in hits if hit["date"] or hit["years"]]


@pytest.mark.parametrize("params", SEARCHES, ids=lambda p: urlencode(p))
def test_a_search_is_a_valid_atom_feed_of_its_newest_items(client, live_server, params):
    query = urlencode(params)
    answer = client.get(f"/feed.atom?{query}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(answer.text)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id and feed.feed.title and feed.feed.updated_parsed
    assert any(link.rel == "self" for link in feed.feed.links)
    found = _all_hits(client, query, sort="newest", limit=bounds.FEED_ENTRIES)
    assert found  # each search finds something: the feed must show what is dated of it
    newest = _dated(found)
    assert [entry.id for entry in feed.entries] == [
        f"{live_server.url}/chunks/{hit['id']}" for hit in newest
    ]
    for entry, hit in zip(feed.entries, newest, strict=True):
        assert entry.title == (hit["title"] or entry.title)
        assert entry.updated_parsed and entry.link and entry.summary
        if hit["date"]:
            assert entry.updated.startswith(hit["date_end"] or hit["date"])
        assert hit["page_title"] in entry.summary
    dates = [entry.updated_parsed for entry in feed.entries if entry.get("published")]
    assert dates == sorted(dates, reverse=True)  # newest first


def test_a_feed_dates_its_entries_in_its_own_order_year_only_items_too(client):
    """A feed reader orders entries by `updated`: it must follow the feed's order, in
    which an item dated by its year alone counts as that year's last day."""
    newest = _all_hits(client, "topic=cybersecurity", sort="newest", limit=bounds.FEED_ENTRIES)
    year_only = [hit for hit in newest if hit["years"] and not hit["date"]]
    assert year_only and len(newest) > len(year_only)  # both kinds, to be ordered together
    feed = feedparser.parse(client.get("/feed.atom?topic=cybersecurity").text)
    assert not feed.bozo, feed.get("bozo_exception")
    moments = [calendar.timegm(entry.updated_parsed) for entry in feed.entries]
    assert len(moments) == len(newest)
    assert moments == sorted(moments, reverse=True), [e.updated for e in feed.entries]
    by_id = {entry.id.rsplit("/", 1)[1]: entry for entry in feed.entries}
    for hit in year_only:
        assert by_id[hit["id"]].updated.startswith(f"{max(hit['years'])}-12-31")


def test_a_feed_made_before_a_year_ends_dates_nothing_after_it_was_made(observatory):
    """Made on a day of a year its items are about, the feed dates none after that day."""
    service = api.Service(observatory)
    results = service.search("", Filters(topics=["cybersecurity"]),
                             SearchOptions(limit=bounds.FEED_ENTRIES, sort="newest"))  # fmt: skip
    year = max(max(hit.chunk.years) for hit in results.hits if hit.chunk.years)
    made_at = f"{year}-03-01T12:00:00"
    body = atom_feed(results, title="t", self_url="http://127.0.0.1/feed.atom",
                     page_url="http://127.0.0.1/", base_url="http://127.0.0.1/",
                     built_at="2000-01-01T00:00:00", made_at=made_at)  # fmt: skip
    feed = feedparser.parse(body)
    made = calendar.timegm(time.strptime(made_at, "%Y-%m-%dT%H:%M:%S"))
    moments = [calendar.timegm(entry.updated_parsed) for entry in feed.entries]
    assert moments and max(moments) <= made
    assert calendar.timegm(feed.feed.updated_parsed) <= made
    assert moments == sorted(moments, reverse=True)


@pytest.mark.parametrize("path", ["/export.json", "/export.csv", "/feed.atom"])
@pytest.mark.parametrize("bad", ["q=ai&limit=abc", "q=ai&sort=newset", "q=ai&topics=privacy"])
def test_a_program_endpoint_refuses_a_bad_parameter_as_the_api_does(client, path, bad):
    """A program asks for the feed or an export: a bad parameter is a JSON 400 naming
    the API's parameter, the same as /api/search answers."""
    expected = client.get(f"/api/search?{bad}")
    assert expected.status_code == 400
    answer = client.get(f"{path}?{bad}")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body == expected.json()
    assert {"error", "field", "value", "problem"} <= body.keys()
    assert body["field"] in bad  # the parameter as the address spells it
    page = client.get(f"/?{bad}")  # a person's page keeps its HTML error
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")


def test_a_feed_lists_only_dated_passages_never_dating_one_by_the_build(client, live_server):
    """A feed reader shows entries by date: an undated passage dated by the index's build
    would stand as the newest item of all. The feed lists the dated ones, newest first."""
    built = calendar.timegm(time.strptime(client.get("/api/stats").json()["built_at"][:19],
                                          "%Y-%m-%dT%H:%M:%S"))  # fmt: skip
    found = _all_hits(client, "q=spectrum", sort="newest", limit=bounds.FEED_ENTRIES)
    dated = _dated(found)
    assert dated and len(dated) < len(found)  # the search finds both kinds
    feed = feedparser.parse(client.get("/feed.atom?q=spectrum").text)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [entry.id for entry in feed.entries] == [
        f"{live_server.url}/chunks/{hit['id']}" for hit in dated
    ]
    moments = [calendar.timegm(entry.updated_parsed) for entry in feed.entries]
    assert built not in moments and moments == sorted(moments, reverse=True)
    assert calendar.timegm(feed.feed.updated_parsed) == moments[0]

    undated_only = _all_hits(client, "q=quokka", sort="newest")
    assert undated_only and not _dated(undated_only)
    empty = feedparser.parse(client.get("/feed.atom?q=quokka").text)
    assert not empty.bozo and empty.entries == []
    assert calendar.timegm(empty.feed.updated_parsed) == built  # when its content was made


def test_a_hostile_page_stays_text_in_the_feed(observatory):
    """The hostile page is undated, which a feed leaves out: here it is dated."""
    results = api.Service(observatory).search("quokka headline", Filters(), SearchOptions())
    hits = [replace(hit, chunk=replace(hit.chunk, date="2019-05-05")) for hit in results.hits]
    body = atom_feed(replace(results, hits=hits), title="t",
                     self_url="http://127.0.0.1/feed.atom", page_url="http://127.0.0.1/",
                     base_url="http://127.0.0.1/", built_at="2020-01-01T00:00:00")  # fmt: skip
    feed = feedparser.parse(body)
    assert not feed.bozo
    assert any(SCRIPT in entry.title for entry in feed.entries)
    assert any(SCRIPT in entry.summary for entry in feed.entries)


def test_a_feed_refuses_what_the_page_refuses(client):
    assert client.get("/feed.atom?q=spectrum&since=May").status_code == 400
    assert client.get("/feed.atom?topics=privacy").status_code == 400


@pytest.mark.parametrize("params", SEARCHES[:3], ids=lambda p: urlencode(p))
def test_export_holds_every_result_not_only_the_page_shown(client, params):
    query = urlencode(params)
    expected = _all_hits(client, query, limit=bounds.MAX_HITS_PER_REQUEST)
    answer = client.get(f"/export.csv?{query}&offset=10&limit=5")  # the page shown: ignored
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["id"] for row in rows] == [hit["id"] for hit in expected]
    for row, hit in zip(rows, expected, strict=True):
        for column in ("page_title", "section", "url", "date", "type", "kind"):
            assert row[column] == hit[column], column
        assert row["topics"].split("; ") == (hit["topics"] or [""])
    data = json.loads(client.get(f"/export.json?{query}").text)
    assert [hit["id"] for hit in data["hits"]] == [hit["id"] for hit in expected]
    assert data["total"] == data["exported"] == len(expected)


def test_export_is_bounded(client, monkeypatch):
    monkeypatch.setattr(server, "MAX_EXPORT_HITS", 4)
    total = client.get("/api/search?q=spectrum").json()["total"]
    assert total > 4
    rows = list(csv.DictReader(io.StringIO(client.get("/export.csv?q=spectrum").text)))
    assert len(rows) == 4
    data = json.loads(client.get("/export.json?q=spectrum").text)
    assert (data["exported"], data["total"]) == (4, total)


def test_a_cell_is_never_a_spreadsheet_formula(client):
    rows = csv.DictReader(io.StringIO(client.get("/export.csv?q=quokka").text))
    for row in rows:
        assert not any(value[:1] in "=+-@" and value for value in row.values()), row
