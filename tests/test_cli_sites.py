"""`dwsearch build URL`: a site read from its sitemap or feed, politely, and kept fresh.

A small site is served from 127.0.0.1 in a thread (`website.Site`); every test drives
the real command and checks both the index (what a search finds, and where its hits
point) and the requests the site saw: how many, in what order, how far apart, and with
what headers.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dwsearch.app import api
from helpers import run_cli
from website import Page, Request, Site

pytestmark = pytest.mark.slow
DELAY = "0.05"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def html(title: str, words: str, main: bool = True, canonical: str = "") -> str:
    """A page whose one paragraph holds `words` (a made-up word to search for)."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    text = (
        f"<p>{words} is discussed at length here, with enough ordinary words around it "
        "to make a paragraph of its own about digital policy and governance.</p>"
    )
    body = f"<main><h1>{title}</h1>{text}</main>" if main else f"<div><h1>{title}</h1>{text}</div>"
    nav = "<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
    return f"<html><head><title>{title}</title>{link}</head><body>{nav}{body}</body></html>"


def urlset(site: Site, pages: dict[str, str]) -> Page:
    """A sitemap of these paths, each with its lastmod ("" for none)."""
    entries = "".join(
        f"<url><loc>{site.url(path)}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</url>"
        for path, mod in pages.items()
    )
    return Page(
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{SITEMAP_NS}">{entries}</urlset>',
        "application/xml",
    )


def sitemap_index(site: Site, paths: list[str]) -> Page:
    entries = "".join(f"<sitemap><loc>{site.url(p)}</loc></sitemap>" for p in paths)
    return Page(
        f'<?xml version="1.0"?><sitemapindex xmlns="{SITEMAP_NS}">{entries}</sitemapindex>',
        "application/xml",
    )


def build(index: Path, *args: str):
    return run_cli("build", *args, "--index", str(index), "--delay", DELAY, "--timeout", "2")


def found(index: Path, word: str) -> list[str]:
    """The addresses of the hits of a search for `word`."""
    return sorted({hit.chunk.url for hit in api.search(word, index=index).hits})


def sources(index: Path) -> list[dict]:
    result = run_cli("sources", "--json", "--index", str(index))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def gaps(requests: list[Request]) -> list[float]:
    return [later.at - earlier.at for earlier, later in itertools.pairwise(requests)]


@pytest.fixture
def site():
    with Site() as served:
        served.pages["/robots.txt"] = Page(
            "User-agent: *\nDisallow: /private/\n", "text/plain; charset=utf-8"
        )
        yield served


@pytest.fixture
def index(tmp_path):
    return tmp_path / "index"


# ------------------------------------------------------------------ sitemaps and feeds
def test_a_sitemap_index_of_two_sitemaps_is_read_page_by_page(site, index):
    site.pages["/wp-sitemap.xml"] = sitemap_index(site, ["/posts.xml", "/pages.xml"])
    site.pages["/posts.xml"] = urlset(site, {"/post-one/": "", "/post-two/": ""})
    site.pages["/pages.xml"] = urlset(site, {"/about-us/": ""})
    site.pages["/post-one/"] = Page(
        html("Post one", "quorvantic", canonical="https://dig.watch/updates/post-one")
    )
    site.pages["/post-two/"] = Page(html("Post two", "brillomet", main=False))
    site.pages["/about-us/"] = Page(html("About us", "zentrophy"))

    result = build(index, site.url("/wp-sitemap.xml"))

    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert f"{site.url('/wp-sitemap.xml')}: 3 added, 0 updated, 0 removed" in result.stdout
    # Each address once; robots.txt before anything else; the listings before pages.
    assert site.paths() == [
        "/robots.txt",
        "/wp-sitemap.xml",
        "/posts.xml",
        "/pages.xml",
        "/post-one/",
        "/post-two/",
        "/about-us/",
    ]
    # A page's canonical address, else the address it was fetched from.
    assert found(index, "quorvantic") == ["https://dig.watch/updates/post-one"]
    assert found(index, "brillomet") == [site.url("/post-two/")]
    assert found(index, "zentrophy") == [site.url("/about-us/")]
    # Only the page's content: a page without <main> loses its menu too.
    chunks = api.search("brillomet", index=index).hits
    assert all("About" not in hit.chunk.text for hit in chunks)


def test_requests_are_polite(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {f"/page-{n}/": "" for n in range(4)})
    for n in range(4):
        site.pages[f"/page-{n}/"] = Page(html(f"Page {n}", f"politeword{n}x"))

    result = run_cli("build", site.url("/sitemap.xml"), "--index", str(index), "--delay", "0.25")

    assert result.exit_code == 0, result.stderr
    seen = site.asked()
    assert len(seen) == 6  # robots.txt, the sitemap, four pages
    assert min(gaps(seen)) >= 0.24  # one at a time, the delay between each
    agent = seen[0].headers["user-agent"]
    version = api_version()
    assert re.fullmatch(rf"dwsearch/{re.escape(version)} \(\+https?://\S+\)", agent), agent
    assert {r.headers["user-agent"] for r in seen} == {agent}


def api_version() -> str:
    from importlib import metadata

    return metadata.version("dwsearch")


def test_robots_crawl_delay_wins_when_longer(site, index):
    site.pages["/robots.txt"] = Page("User-agent: *\nCrawl-delay: 0.4\n", "text/plain")
    site.pages["/sitemap.xml"] = urlset(site, {"/a/": "", "/b/": ""})
    site.pages["/a/"] = Page(html("A", "crawlalpha"))
    site.pages["/b/"] = Page(html("B", "crawlbeta"))

    result = build(index, site.url("/sitemap.xml"))

    assert result.exit_code == 0, result.stderr
    assert min(gaps(site.asked())) >= 0.39


def test_an_rss_feed_and_an_atom_feed_are_sources(site, index):
    site.pages["/feed/"] = Page(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
        f"<item><title>One</title><link>{site.url('/news-one/')}</link></item>"
        f"<item><title>Two</title><link>{site.url('/news-two/')}</link></item>"
        "</channel></rss>",
        "application/rss+xml; charset=UTF-8",
    )
    site.pages["/atom/"] = Page(
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        f'<entry><title>Three</title><link href="{site.url("/news-three/")}"/>'
        "<updated>2024-05-01T00:00:00Z</updated></entry></feed>",
        "application/atom+xml",
    )
    site.pages["/news-one/"] = Page(html("One", "feedonea"))
    site.pages["/news-two/"] = Page(html("Two", "feedtwob"))
    site.pages["/news-three/"] = Page(html("Three", "atomthreec"))

    result = build(index, site.url("/feed/"), site.url("/atom/"))

    assert result.exit_code == 0, result.stderr
    assert found(index, "feedonea") == [site.url("/news-one/")]
    assert found(index, "feedtwob") == [site.url("/news-two/")]
    assert found(index, "atomthreec") == [site.url("/news-three/")]
    listed = {s["path"]: s["pages"] for s in sources(index)}
    assert listed == {site.url("/feed/"): 2, site.url("/atom/"): 1}


def test_a_single_page_is_a_source(site, index):
    site.pages["/lone/"] = Page(html("Lone", "solitaryword"))

    result = build(index, site.url("/lone/"))

    assert result.exit_code == 0, result.stderr
    assert found(index, "solitaryword") == [site.url("/lone/")]
    assert site.paths() == ["/robots.txt", "/lone/"]


def test_a_plain_text_page_is_read_and_a_pdf_is_not(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {"/notes.txt": "", "/report.pdf": ""})
    site.pages["/notes.txt"] = Page(
        "Plain notes\n\nThe word plaintextia appears in this extract of the site.\n",
        "text/plain; charset=utf-8",
    )
    site.pages["/report.pdf"] = Page(b"%PDF-1.4 binary", "application/pdf")

    result = build(index, site.url("/sitemap.xml"))

    assert result.exit_code == 2
    assert found(index, "plaintextia") == [site.url("/notes.txt")]
    assert result.stderr == (
        f"dwsearch: {site.url('/report.pdf')}: of type application/pdf, not a page read; skipped\n"
    )


# ------------------------------------------------------------------ what is not fetched
def test_robots_txt_is_obeyed_and_the_refused_page_named_once(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {"/open/": "", "/private/secret/": ""})
    site.pages["/open/"] = Page(html("Open", "openpageword"))
    site.pages["/private/secret/"] = Page(html("Secret", "secretword"))

    result = build(index, site.url("/sitemap.xml"))

    assert result.exit_code == 2
    assert "/private/secret/" not in site.paths()
    refused = [line for line in result.stderr.splitlines() if "/private/secret/" in line]
    assert refused == [
        f"dwsearch: {site.url('/private/secret/')}: disallowed by the site's robots.txt; "
        "not fetched"
    ]
    assert found(index, "openpageword") == [site.url("/open/")]
    assert found(index, "secretword") == []


def test_failures_are_named_with_their_reason_and_the_rest_indexed(site, index):
    site.pages["/sitemap.xml"] = urlset(
        site, {"/ok/": "", "/missing/": "", "/slow/": "", "/big/": "", "/flaky/": ""}
    )
    site.pages["/ok/"] = Page(html("Ok", "okayword"))
    site.pages["/slow/"] = Page(html("Slow", "slowword"), pause=1.5)
    site.pages["/big/"] = Page(html("Big", "bigword " * 3000))
    size = f"{len(site.pages['/big/'].data) / 1024:.1f} KiB"  # type: ignore[union-attr]
    site.pages["/flaky/"] = Page(html("Flaky", "flakyword"), first=[500])

    result = run_cli(
        "build",
        site.url("/sitemap.xml"),
        "--index",
        str(index),
        "--delay",
        DELAY,
        "--timeout",
        "0.5",
        "--max-file-mb",
        "0.01",
    )

    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert errors == [
        f"dwsearch: {site.url('/missing/')}: not found (404)",
        f"dwsearch: {site.url('/slow/')}: no answer within 0.5 s (timed out)",
        f"dwsearch: {site.url('/big/')}: {size}, larger than the 10.2 KiB limit; skipped",
    ]
    # A 500 is asked again, after a pause, and the second answer taken.
    flaky = site.asked("/flaky/")
    assert [r.status for r in flaky] == [500, 200]
    assert gaps(flaky)[0] >= 0.09
    assert found(index, "okayword") == [site.url("/ok/")]
    assert found(index, "flakyword") == [site.url("/flaky/")]
    assert found(index, "slowword") == []


def test_a_busy_site_is_asked_again_after_its_retry_after(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {"/busy/": ""})
    site.pages["/busy/"] = Page(
        html("Busy", "busyword"), first=[503, 429], headers={"Retry-After": "1"}
    )

    result = build(index, site.url("/sitemap.xml"))

    assert result.exit_code == 0, result.stderr
    asked = site.asked("/busy/")
    assert [r.status for r in asked] == [503, 429, 200]
    assert min(gaps(asked)) >= 0.95
    assert found(index, "busyword") == [site.url("/busy/")]


def test_redirects_are_followed_to_the_final_address_five_at_most(site, index):
    for n in range(1, 4):  # /r1/ -> /r2/ -> /r3/ -> /landing/
        site.pages[f"/r{n}/"] = Page(status=301, headers={"Location": f"/r{n + 1}/"})
    site.pages["/r4/"] = Page(status=302, headers={"Location": "/landing/"})
    site.pages["/landing/"] = Page(html("Landing", "landingword"))
    for n in range(1, 8):  # a chain of seven
        site.pages[f"/loop{n}/"] = Page(status=307, headers={"Location": f"/loop{n + 1}/"})
    site.pages["/sitemap.xml"] = urlset(site, {"/r1/": "", "/loop1/": ""})

    result = build(index, site.url("/sitemap.xml"))

    assert result.exit_code == 2
    assert found(index, "landingword") == [site.url("/landing/")]
    assert result.stderr == f"dwsearch: {site.url('/loop1/')}: more than 5 redirects\n"
    assert [p for p in site.paths() if p.startswith("/loop")] == [f"/loop{n}/" for n in range(1, 7)]


def test_only_the_sources_host_is_followed_unless_allowed(site, index):
    other = site.url("/elsewhere/", host="localhost")
    site.pages["/sitemap.xml"] = urlset(site, {"/home/": "", "/moved/": ""})
    site.pages["/home/"] = Page(html("Home", "homeword"))
    site.pages["/moved/"] = Page(status=301, headers={"Location": other})
    site.pages["/elsewhere/"] = Page(html("Elsewhere", "elsewhereword"))

    refused = build(index, site.url("/sitemap.xml"))

    assert refused.exit_code == 2
    assert refused.stderr == (
        f"dwsearch: {site.url('/moved/')}: on another host (localhost), not followed\n"
    )
    assert "/elsewhere/" not in site.paths()

    allowed = build(index, site.url("/sitemap.xml"), "--allow-host", "localhost")

    assert allowed.exit_code == 0, allowed.stderr
    assert found(index, "elsewhereword") == [other]
    # The other host's robots.txt is read before its page, with the same agent.
    on_other = [r for r in site.asked() if r.headers.get("host", "").startswith("localhost")]
    assert [r.path for r in on_other] == ["/robots.txt", "/elsewhere/"]
    assert sources(index)[0]["allow_hosts"] == ["localhost"]


# ------------------------------------------------------------------ keeping fresh
def test_a_refresh_asks_conditionally_and_a_304_costs_nothing(site, index):
    site.pages["/sitemap.xml"] = urlset(
        site, {"/tagged/": "", "/dated/": "", "/mapped/": "2024-03-01T10:00:00+00:00"}
    )
    site.pages["/tagged/"] = Page(html("Tagged", "etagword"), etag='"v1"')
    site.pages["/dated/"] = Page(
        html("Dated", "lastmodword"), last_modified="Fri, 01 Mar 2024 10:00:00 GMT"
    )
    site.pages["/mapped/"] = Page(html("Mapped", "lastmapword"))
    first = build(index, site.url("/sitemap.xml"))
    assert first.exit_code == 0, first.stderr
    site.forget()

    again = run_cli("build", "--index", str(index), "--delay", DELAY)

    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip().endswith(
        "is up to date (3 chunks)"
    )  # a title and its paragraph: one chunk a page
    tagged, dated = site.asked("/tagged/"), site.asked("/dated/")
    assert [r.headers.get("if-none-match") for r in tagged] == ['"v1"']
    assert [r.headers.get("if-modified-since") for r in dated] == ["Fri, 01 Mar 2024 10:00:00 GMT"]
    assert [r.status for r in tagged + dated] == [304, 304]
    # The sitemap's lastmod says the page is as it was: not asked at all.
    assert site.asked("/mapped/") == []


def test_a_changed_page_replaces_its_chunks_and_a_page_gone_from_the_sitemap_goes(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {"/stays/": "", "/changes/": "", "/leaves/": ""})
    site.pages["/stays/"] = Page(html("Stays", "stayingword"), etag='"s"')
    site.pages["/changes/"] = Page(html("Changes", "beforeword"), etag='"c1"')
    site.pages["/leaves/"] = Page(html("Leaves", "leavingword"))
    assert build(index, site.url("/sitemap.xml")).exit_code == 0
    assert found(index, "leavingword") == [site.url("/leaves/")]

    site.pages["/changes/"] = Page(html("Changes", "afterword"), etag='"c2"')
    site.pages["/sitemap.xml"] = urlset(site, {"/stays/": "", "/changes/": ""})
    site.forget()
    result = build(index)

    assert result.exit_code == 0, result.stderr
    assert f"{site.url('/sitemap.xml')}: 0 added, 1 updated, 1 removed, 1 unchanged" in (
        result.stdout
    )
    assert "/leaves/" not in site.paths()
    assert found(index, "afterword") == [site.url("/changes/")]
    assert found(index, "beforeword") == []
    assert found(index, "leavingword") == []
    assert found(index, "stayingword") == [site.url("/stays/")]
    assert [s["pages"] for s in sources(index)] == [2]


def test_a_failing_page_keeps_what_the_index_had(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {"/steady/": "", "/breaks/": ""})
    site.pages["/steady/"] = Page(html("Steady", "steadyword"))
    site.pages["/breaks/"] = Page(html("Breaks", "keptword"))
    assert build(index, site.url("/sitemap.xml")).exit_code == 0

    site.pages["/breaks/"] = Page("oops", "text/plain", status=500)
    result = build(index)

    assert result.exit_code == 2
    assert result.stderr == f"dwsearch: {site.url('/breaks/')}: a server error (500)\n"
    assert found(index, "keptword") == [site.url("/breaks/")]
    assert len(site.asked("/breaks/")) == 4  # the first build's, then three tries


def test_max_pages_bounds_a_run_and_the_rest_wait(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {"/one/": "", "/two/": "", "/three/": ""})
    for name in ("one", "two", "three"):
        site.pages[f"/{name}/"] = Page(html(name, f"bound{name}word"))

    first = build(index, site.url("/sitemap.xml"), "--max-pages", "2")

    assert first.exit_code == 0, first.stderr
    assert site.paths() == ["/robots.txt", "/sitemap.xml", "/one/", "/two/"]
    assert found(index, "boundthreeword") == []

    second = build(index, "--max-pages", "2")

    assert second.exit_code == 0, second.stderr
    assert found(index, "boundthreeword") == [site.url("/three/")]
    # The pages not asked again this time are kept as they were.
    assert found(index, "boundoneword") == [site.url("/one/")]
    assert found(index, "boundtwoword") == [site.url("/two/")]


def test_a_bounded_build_says_how_many_pages_wait_until_a_later_build_fetches_them(site, index):
    names = [f"p{n}" for n in range(8)]
    site.pages["/sitemap.xml"] = urlset(site, {f"/{name}/": "" for name in names})
    for name in names:
        site.pages[f"/{name}/"] = Page(html(name, f"wait{name}word"))
    sitemap = site.url("/sitemap.xml")

    def indexed() -> int:  # counted by searching, not by what the build says
        return sum(len(found(index, f"wait{name}word")) for name in names)

    def told() -> tuple[int, str]:
        line = next(s for s in run_cli("sources", "--index", str(index)).stdout.splitlines()
                    if s.startswith(sitemap))  # fmt: skip
        return sources(index)[0]["left"], line

    first = build(index, sitemap, "--max-pages", "3")

    assert first.exit_code == 0, first.stderr
    assert indexed() == 3
    summary = f"{sitemap}: 3 added, 0 updated, 0 removed, 0 unchanged"
    assert f"{summary}; 5 pages left for the next build (--max-pages 3)\n" in first.stdout
    left, line = told()
    assert left == 5 and line.startswith(f"{sitemap}  3 page(s), 3 chunks  ")
    assert line.endswith("  5 pages left for the next build")

    second = build(index, "--max-pages", "4")

    assert second.exit_code == 0, second.stderr
    assert indexed() == 7
    assert "; 1 page left for the next build (--max-pages 4)" in second.stdout
    assert told()[0] == 1
    held = next(f"/{n}/" for n in names if found(index, f"wait{n}word"))

    one = build(index, site.url(held))  # one page of it refreshed: the page left still waits

    assert one.exit_code == 0, one.stderr
    assert "left" not in one.stdout and told()[0] == 1
    whole = build(index)

    assert whole.exit_code == 0, whole.stderr
    assert indexed() == 8
    left, line = told()
    assert left == 0 and "left" not in line
    assert "left" not in whole.stdout


# ------------------------------------------------------------------ sources and removal
def test_sources_lists_a_site_with_its_counts_and_last_fetch(site, index, tmp_path):
    site.pages["/sitemap.xml"] = urlset(site, {"/a/": "", "/b/": ""})
    site.pages["/a/"] = Page(html("A", "listeda"))
    site.pages["/b/"] = Page(html("B", "listedb"))
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "local.txt").write_text("Local page\n\nA line about localword here.\n")
    before = time.time()
    assert build(index, site.url("/sitemap.xml"), str(folder)).exit_code == 0

    listed = sources(index)
    text = run_cli("sources", "--index", str(index)).stdout

    web = next(s for s in listed if s["path"] == site.url("/sitemap.xml"))
    # One chunk a page: its title titles its paragraph.
    assert web["pages"] == 2 and web["chunks"] == 2
    assert before - 1 <= web["fetched"] <= time.time()
    local = next(s for s in listed if s["path"] == str(folder))
    assert local["fetched"] is None
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(web["fetched"]))
    assert f"{site.url('/sitemap.xml')}  2 page(s), 2 chunks  last fetched {when}" in text


def test_remove_drops_a_site_or_one_of_its_pages(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {"/keep/": "", "/drop/": ""})
    site.pages["/keep/"] = Page(html("Keep", "keepword"))
    site.pages["/drop/"] = Page(html("Drop", "dropword"))
    assert build(index, site.url("/sitemap.xml")).exit_code == 0
    store = index / "fetched"
    assert len(list(store.glob("*.gz"))) == 2

    one = run_cli("remove", site.url("/drop/"), "--index", str(index))

    assert one.exit_code == 0, one.stderr
    assert found(index, "dropword") == []
    assert len(list(store.glob("*.gz"))) == 1
    site.forget()
    assert build(index).exit_code == 0
    assert "/drop/" not in site.paths()  # left out of later refreshes
    assert found(index, "dropword") == []
    assert sources(index)[0]["excluded"] == [site.url("/drop/")]

    back = build(index, site.url("/drop/"))  # built again by name: back

    assert back.exit_code == 0, back.stderr
    assert found(index, "dropword") == [site.url("/drop/")]
    whole = run_cli("remove", site.url("/sitemap.xml"), "--index", str(index))

    assert whole.exit_code == 0, whole.stderr
    assert found(index, "keepword") == [] and found(index, "dropword") == []
    assert sources(index) == []
    assert list(store.glob("*.gz")) == []


def test_sources_names_a_removed_page_so_that_building_it_brings_it_back(site, index, tmp_path):
    site.pages["/sitemap.xml"] = urlset(site, {"/updates/u1.html": "", "/updates/u2.html": ""})
    site.pages["/updates/u1.html"] = Page(html("U1", "firstupdateword"))
    site.pages["/updates/u2.html"] = Page(html("U2", "secondupdateword"))
    folder = tmp_path / "pages"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "kept.txt").write_text("Kept\n\nA line about keptfileword here.\n")
    (folder / "sub" / "gone.txt").write_text("Gone\n\nA line about gonefileword here.\n")
    assert build(index, site.url("/sitemap.xml"), str(folder)).exit_code == 0
    page, file = site.url("/updates/u2.html"), folder / "sub" / "gone.txt"
    assert run_cli("remove", page, str(file), "--index", str(index)).exit_code == 0
    assert (
        found(index, "secondupdateword") == [] and not api.search("gonefileword", index=index).hits
    )

    text = run_cli("sources", "--index", str(index)).stdout
    listed = {s["path"]: s["excluded"] for s in sources(index)}

    shown = [line.strip() for line in text.splitlines() if line.startswith("    ")]
    assert shown == [page, str(file)]
    assert listed == {site.url("/sitemap.xml"): [page], str(folder): ["sub/gone.txt"]}
    for name in shown:  # each name shown, given back to build, brings its page back
        back = build(index, name)
        assert back.exit_code == 0, back.stderr
    assert found(index, "secondupdateword") == [page]
    assert api.search("gonefileword", index=index).hits
    assert "removed on purpose" not in run_cli("sources", "--index", str(index)).stdout


# ------------------------------------------------------------------ offline, down, stopped
def test_a_rebuild_reads_the_kept_copies_without_a_request(index):
    with Site() as site:
        site.pages["/sitemap.xml"] = urlset(site, {"/a/": "", "/b/": ""})
        site.pages["/a/"] = Page(html("A", "offlinea", canonical="https://dig.watch/a"))
        site.pages["/b/"] = Page("Plain\n\nThe word offlineb is here.\n", "text/plain")
        assert build(index, site.url("/sitemap.xml")).exit_code == 0
        before = {w: found(index, w) for w in ("offlinea", "offlineb")}
        site.forget()
        result = run_cli("build", "--rebuild", "--index", str(index))
        assert site.paths() == []
    assert result.exit_code == 0, result.stderr
    assert "rebuilt" in result.stdout
    assert {w: found(index, w) for w in ("offlinea", "offlineb")} == before
    assert before["offlinea"] == ["https://dig.watch/a"]

    again = run_cli("build", "--rebuild", "--index", str(index))  # the site is gone now

    assert again.exit_code == 0, again.stderr


def test_a_site_that_is_down_fails_in_one_line_and_loses_nothing(index):
    with Site() as site:
        site.pages["/sitemap.xml"] = urlset(site, {"/a/": ""})
        site.pages["/a/"] = Page(html("A", "survivorword"))
        assert build(index, site.url("/sitemap.xml")).exit_code == 0
        address = site.url("/sitemap.xml")

    result = build(index)

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"dwsearch: {address}: cannot be reached: cannot connect")
    assert result.stderr.endswith("; what the index had of it is kept\n")
    assert found(index, "survivorword") == [address.replace("/sitemap.xml", "/a/")]
    assert sources(index)[0]["pages"] == 1

    new = build(index, address.replace("/sitemap.xml", "/feed/"))  # never read: not taken

    assert new.exit_code == 2
    assert new.stderr.count("\n") == 1
    assert new.stderr.endswith("; the index was not changed\n")
    assert [s["path"] for s in sources(index)] == [address]


def test_ctrl_c_stops_a_fetch_within_two_seconds(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {f"/p{n}/": "" for n in range(20)})
    for n in range(20):
        site.pages[f"/p{n}/"] = Page(html(f"P{n}", f"stopword{n}"))
    command = [sys.executable, "-m", "dwsearch.app", "build", site.url("/sitemap.xml")]
    process = subprocess.Popen(
        [*command, "--index", str(index), "--delay", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.time() + 30
    while "/robots.txt" not in site.paths():  # then 30 s before the sitemap is asked
        assert process.poll() is None and time.time() < deadline
        time.sleep(0.02)
    time.sleep(0.3)

    stopped = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=10)

    assert time.monotonic() - stopped < 2.0
    assert process.returncode == 130
    assert stderr.decode() == "dwsearch: interrupted\n"
    assert not (index / "CURRENT").exists()
    assert list(index.glob("building-*")) == []


# ------------------------------------------------------------------ faces
def test_the_python_api_builds_from_addresses(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {"/api/": ""})
    site.pages["/api/"] = Page(html("Api", "apiword"))

    report = api.build([site.url("/sitemap.xml")], index=index, delay=0.05)

    assert report.added == [site.url("/api/")]
    assert found(index, "apiword") == [site.url("/api/")]
    with pytest.raises(api.SearchError) as refused:
        api.build([site.url("/sitemap.xml")], index=index, delay=-1)
    assert refused.value.field == "delay"


def test_a_progress_line_shows_on_a_terminal_only(site, index):
    site.pages["/sitemap.xml"] = urlset(site, {"/a/": "", "/b/": ""})
    site.pages["/a/"] = Page(html("A", "ttya"))
    site.pages["/b/"] = Page(html("B", "ttyb"))
    command = [sys.executable, "-m", "dwsearch.app", "build", site.url("/sitemap.xml")]
    command += ["--delay", "0.3", "--index"]

    piped = subprocess.run([*command, str(index)], capture_output=True, text=True, check=False)

    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    leader, follower = os.openpty()
    on_terminal = subprocess.run(
        [*command, str(index.with_name("tty"))],
        stdout=subprocess.PIPE,
        stderr=follower,
        check=False,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert on_terminal.returncode == 0
    text = shown.decode()
    assert re.search(r"fetching http://\S+: \d+ done, \d+ to go, [\d.]+ pages/s", text), text
    assert "updated" not in text  # the summary goes to stdout, as before
