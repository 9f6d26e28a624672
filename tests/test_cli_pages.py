"""Hits as places on pages, on the observatory-like fixture pages, through the real CLI:
each hit's breadcrumb (its page's title and section), and host crowding (a page's hits
after its first two wait below other pages' hits; each hit says how many more its page
holds; `--from-page` lists them)."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from dwsearch.app.api import Filters, session
from dwsearch.ingest import bundled_corpus
from dwsearch.search.settings import SearchOptions, SearchSettings
from helpers import FIXTURES, SEED_NAME, both_paths, crowded_by_hand, run_cli

PAGES = FIXTURES / "pages"


@pytest.fixture(scope="module")
def pages_index(tmp_path_factory) -> Path:
    """An index of the seven fixture pages and the ITU's (with many chunks of its
    own), built once through the CLI."""
    folder = tmp_path_factory.mktemp("pages")
    for page in [*PAGES.glob("*.html"), FIXTURES / "international-telecommunication-union.html"]:
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
        if hit["source"].startswith("international-telecommunication-union"):
            assert hit["breadcrumb"].startswith("International Telecommunication Union")
            continue  # a page without hand-written expectations
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
    hit = next(h for h in data["hits"] if "›" in places.get((h["title"], h["text"]), ""))
    shown = run_cli("show", hit["id"], "--index", str(pages_index)).stdout
    assert shown.splitlines()[1] == places[hit["title"], hit["text"]]
    assert f"{hit['source']}#{hit['lines']}" in shown


# Queries whose plain ranking gives one page more than two of the first ten hits while
# other pages match too; and one that a single page answers.
CROWDED = ["telecommunications infrastructure", "data", "internet", "development"]
ONE_PAGE = "ITU 5G standards"


def _hits(index: Path, *args: str) -> tuple[dict, list[dict]]:
    result = run_cli("search", *args, "--json", "--index", str(index))
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    return data, data["hits"]


@pytest.mark.parametrize("query", [*CROWDED, ONE_PAGE])
def test_a_pages_further_hits_wait_below_other_pages(pages_index, query):
    """The default order is the plain ranking (`--all-chunks`) crowded by page: demoted,
    never dropped; a query that one page answers keeps the plain order."""
    _, plain = _hits(pages_index, query, "--all-chunks", "--limit", "1000")
    data, crowded = _hits(pages_index, query, "--limit", "1000")
    assert [hit["id"] for hit in crowded] == crowded_by_hand(plain)
    assert data["total"] == len(plain)
    if query == ONE_PAGE:
        assert [hit["id"] for hit in crowded] == [hit["id"] for hit in plain]
    else:
        top = Counter(hit["source"] for hit in plain[:10])
        assert max(top.values()) > 2 and len(top) > 1  # the query tests something
        assert [hit["id"] for hit in crowded] != [hit["id"] for hit in plain]


@pytest.mark.parametrize("size", [1, 3, 4])
def test_pages_of_hits_continue_the_crowded_order(pages_index, size):
    """Page after page (offset, limit), the crowded order with no repeat and no gap."""
    for query in CROWDED:
        _, plain = _hits(pages_index, query, "--all-chunks", "--limit", "1000")
        paged: list[str] = []
        for offset in range(0, len(plain) + size, size):
            _, part = _hits(pages_index, query, "--limit", str(size), "--offset", str(offset))
            paged += [hit["id"] for hit in part]
        assert paged == crowded_by_hand(plain), query


@pytest.mark.parametrize("query", CROWDED)
def test_each_hit_says_how_many_more_its_page_holds(pages_index, query):
    """`pages` beside `total` counts the pages of the whole result; a hit's
    `more_from_page` is its page's hits in the result that are not listed."""
    _, everything = _hits(pages_index, query, "--all-chunks", "--limit", "1000")
    by_page = Counter(hit["source"] for hit in everything)
    for args in (["--limit", "5"], ["--limit", "4", "--offset", "3"], ["--all-chunks"]):
        data, listed = _hits(pages_index, query, *args)
        assert data["pages"] == len(by_page)
        here = Counter(hit["source"] for hit in listed)
        for hit in listed:
            assert hit["more_from_page"] == by_page[hit["source"]] - here[hit["source"]]


def test_from_page_lists_that_pages_hits_and_text_output_says_so(pages_index):
    """Text output names, under a page's last hit listed, how many more the page holds
    and the filter that lists them; that filter gives exactly the page's hits, in plain
    order, and narrows the facet counts to them."""
    query = "telecommunications infrastructure"
    text = run_cli("search", query, "--limit", "5", "--index", str(pages_index)).stdout
    _, listed = _hits(pages_index, query, "--limit", "5")
    _, plain = _hits(pages_index, query, "--all-chunks", "--limit", "1000")
    said = [line.strip() for line in text.splitlines() if "more from this page" in line]
    expected = []
    for n, hit in enumerate(listed):
        later = [other["source"] for other in listed[n + 1 :]]
        if hit["more_from_page"] and hit["source"] not in later:
            expected.append(
                f"{hit['more_from_page']} more from this page: --from-page {hit['source']}"
            )
    assert said == expected and said
    source = said[0].rsplit(" ", 1)[1]
    data, page_hits = _hits(pages_index, query, "--from-page", source, "--limit", "1000")
    assert [hit["id"] for hit in page_hits] == [h["id"] for h in plain if h["source"] == source]
    assert data["pages"] == 1 and {hit["more_from_page"] for hit in page_hits} == {0}
    counted = Counter(hit["type"] for hit in page_hits)
    assert data["facets"]["type"] == dict(counted)
    assert (
        f"of {len(page_hits)} results on 1 page"
        in run_cli("search", query, "--from-page", source, "--index", str(pages_index)).stdout
    )
    # With no words, the page's chunks: every one of them.
    whole, _ = _hits(pages_index, "--from-page", source, "--limit", "0")
    assert whole["total"] > len(page_hits) and whole["pages"] == 1


def test_an_unknown_page_is_one_line_and_exit_2(pages_index):
    result = run_cli("search", "data", "--from-page", "nowhere.html", "--index", str(pages_index))
    assert result.exit_code == 2
    assert result.stderr == (
        "dwsearch: --from-page 'nowhere.html': no page of this index has this source\n"
    )


def test_a_pages_shown_address_given_as_the_page_suggests_its_source(tmp_path):
    """A hit shows its page's address (a text page's `URL:` line); given to --from-page it
    is refused (the filter takes the source), with a suggestion that, followed, lists
    that page's hits, when the file is named as the address's last part."""
    folder, index = tmp_path / "pages", tmp_path / "index"
    folder.mkdir()
    shutil.copy(bundled_corpus() / SEED_NAME, folder)
    shutil.copy(PAGES / "actor-wto-wordpress-main.html", folder)
    assert run_cli("build", str(folder), "--index", str(index)).exit_code == 0
    _, hits = _hits(index, "", "--limit", "1000")
    address = next(h["url"] for h in hits if h["source"] == SEED_NAME)
    assert address.startswith("https://")
    refused = run_cli("search", "AI", "--from-page", address, "--index", str(index))
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    suggested = re.search(r"did you mean '([^']+)'\?$", refused.stderr.strip())
    assert suggested, refused.stderr
    _, listed = _hits(index, "", "--from-page", suggested.group(1), "--limit", "1000")
    assert listed and {hit["url"] for hit in listed} == {address}


def test_crowding_leaves_facets_and_date_order_alone(pages_index):
    """Facet counts are the whole result's either way, and an order by date stays one."""
    for query in CROWDED:
        crowded, _ = _hits(pages_index, query)
        plain, _ = _hits(pages_index, query, "--all-chunks")
        assert crowded["facets"] == plain["facets"] and crowded["total"] == plain["total"]
        _, newest = _hits(pages_index, query, "--sort", "newest", "--limit", "1000")
        _, newest_plain = _hits(
            pages_index, query, "--sort", "newest", "--all-chunks", "--limit", "1000"
        )
        assert newest == newest_plain


@pytest.mark.parametrize("depth", [1, 32])
def test_the_python_api_and_the_bulk_ranking_crowd_alike(pages_index, depth):
    """`SearchOptions(all_chunks=True)` is the plain order; the bulk ranking of large
    indexes (numpy) crowds and counts pages as Whoosh's own search does; and crowding
    that first reads too little of the plain ranking reads deeper until it knows."""
    settings = SearchSettings(crowding_depth=depth)
    with session(pages_index, settings=settings) as opened, both_paths(opened) as paths:
        for query in [*CROWDED, ONE_PAGE, "ITU internet"]:  # its first five: one page
            outcomes = []
            for by in paths:
                plain = by.search(query, Filters(), SearchOptions(limit=1000, all_chunks=True))
                ranked = [{"id": h.id, "source": h.chunk.source} for h in plain.hits]
                for limit, offset in ((1000, 0), (3, 0), (3, 3), (5, 4)):
                    options = SearchOptions(limit=limit, offset=offset)
                    found = by.search(query, Filters(), options)
                    ids = [hit.id for hit in found.hits]
                    assert ids == crowded_by_hand(ranked)[offset : offset + limit]
                    more = [hit.more_from_page for hit in found.hits]
                    outcomes.append((ids, more, found.pages, found.total))
            assert outcomes[: len(outcomes) // 2] == outcomes[len(outcomes) // 2 :], query


def test_facets_count_the_pages_too(pages_index):
    for query in CROWDED:
        _, plain = _hits(pages_index, query, "--all-chunks", "--limit", "1000")
        pages = len({hit["source"] for hit in plain})
        found = run_cli("facets", query, "--json", "--index", str(pages_index))
        assert json.loads(found.stdout)["pages"] == pages
        said = run_cli("facets", query, "--index", str(pages_index)).stdout.splitlines()[0]
        assert said == f"{len(plain)} results on {pages} pages"


@pytest.mark.slow
def test_a_page_fetched_from_a_site_is_named_by_its_address(tmp_path):
    """A page read from a site (`dwsearch build URL`) is its address: crowding, the
    count of more hits and `--from-page` take it as they take a file."""
    from website import Page, Site

    paragraphs = {
        "/long/": [f"Quorvantic matters, the {n} part of a long story about policy." for n in
                   ("first", "second", "third", "fourth")],
        "/short/": ["Quorvantic appears once here, among other words about governance."],
    }  # fmt: skip
    with Site() as site:
        entries = "".join(f"<url><loc>{site.url(path)}</loc></url>" for path in paragraphs)
        site.pages["/robots.txt"] = Page("User-agent: *\n", "text/plain")
        site.pages["/sitemap.xml"] = Page(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</urlset>",
            "application/xml",
        )
        for path, texts in paragraphs.items():
            body = "".join(f"<h2>Part {n}</h2><p>{text}</p>" for n, text in enumerate(texts))
            site.pages[path] = Page(
                f"<html><head><title>Page {path.strip('/')}</title></head>"
                f"<body><main><h1>Page {path.strip('/')}</h1>{body}</main></body></html>"
            )
        index = tmp_path / "index"
        built = run_cli("build", site.url("/sitemap.xml"), "--index", str(index),
                        "--delay", "0.01", "--timeout", "2")  # fmt: skip
        assert built.exit_code == 0, built.output
        long_page, short_page = site.url("/long/"), site.url("/short/")
    _, plain = _hits(index, "quorvantic", "--all-chunks")
    assert Counter(hit["source"] for hit in plain) == {long_page: 4, short_page: 1}
    _, crowded = _hits(index, "quorvantic")
    assert [hit["id"] for hit in crowded] == crowded_by_hand(plain)
    text = run_cli("search", "quorvantic", "--limit", "2", "--index", str(index)).stdout
    said = [line.strip() for line in text.splitlines() if "more from this page" in line]
    listed = _hits(index, "quorvantic", "--limit", "2")[1]
    long_listed = sum(hit["source"] == long_page for hit in listed)
    assert f"{4 - long_listed} more from this page: --from-page {long_page}" in said
    data, page_hits = _hits(index, "quorvantic", "--from-page", long_page)
    assert [hit["id"] for hit in page_hits] == [h["id"] for h in plain if h["source"] == long_page]
    assert data["pages"] == 1


def test_one_page_result_names_no_more_from_this_page(tmp_path):
    """When every hit comes from one page, "on 1 page" under the hits already says where
    the rest are: no hit repeats it as "N more from this page" (JSON keeps the count)."""
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(FIXTURES / "international-telecommunication-union.html", folder)
    index = tmp_path / "index"
    assert run_cli("build", str(folder), "--index", str(index)).exit_code == 0
    data, text = _search(index, "telecommunication", "--limit", "2")
    assert data["pages"] == 1 and data["total"] > 2
    assert {hit["more_from_page"] for hit in data["hits"]} == {data["total"] - 2}
    assert "more from this page" not in text and "on 1 page" in text
