"""The search page in a real browser (Debian's Chromium, driven by Playwright): typing,
facets, history, no JavaScript, a hostile page, the keyboard alone, a phone's width.

What the page should show is read from the JSON API of the same server, never written
into the test.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect
from web_support import LiveServer

pytestmark = pytest.mark.slow

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "search-page.png"


def _params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _hit_ids(page) -> list[str]:
    hrefs = page.locator("ol.hits a.details").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return [href.removeprefix("/chunks/") for href in hrefs]


def _api_ids(client, query: str) -> list[str]:
    return [hit["id"] for hit in client.get(f"/api/search?{query}").json()["hits"]]


def _wait_for_results(page, client, query: str) -> None:
    """Until the page shows the hits the API gives for `query` (a query string)."""
    expected = _api_ids(client, query)
    page.wait_for_function(
        "ids => JSON.stringify([...document.querySelectorAll('ol.hits a.details')]"
        ".map(a => a.getAttribute('href').slice(8))) === JSON.stringify(ids)",
        arg=expected,
    )


def _open_start_page(page, url: str) -> None:
    """The start page, once its search box has taken the focus (Chromium gives it to an
    autofocus field a moment after the page has loaded)."""
    page.goto(url + "/")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'q'")


def _facet_counts(page) -> dict[tuple[str, str], int]:
    rows = page.locator("#facets input[type=checkbox]").evaluate_all(
        """boxes => boxes.map(b => [b.name, b.value,
            document.querySelector(`label[for="${b.id}"] .count`).firstChild.textContent])"""
    )
    return {(name, value): int(count) for name, value, count in rows}


def test_typing_shows_ranked_highlighted_results_and_puts_the_search_in_the_url(
    page, live_server, client
):
    _open_start_page(page, live_server.url)  # focus in the search box, ready to type
    page.keyboard.type("spectrum", delay=40)
    page.wait_for_url(re.compile(r"/\?q=spectrum$"))
    _wait_for_results(page, client, "q=spectrum")
    marks = page.locator("ol.hits mark").all_inner_texts()
    assert marks and {m.lower() for m in marks} == {"spectrum"}
    total = client.get("/api/search?q=spectrum").json()["total"]
    assert f"{total} results" in page.locator("#status").inner_text()
    assert page.errors == []


def test_an_answer_to_an_older_search_never_replaces_a_newer_one(page, live_server, client):
    # Answers to "satellite" come back 1.5 s late, after the next search's answer.
    page.add_init_script("""
        const realFetch = window.fetch;
        window.fetch = (url, options) => realFetch(url, options).then(response =>
            String(url).endsWith("q=satellite")
                ? new Promise(resolve => setTimeout(() => resolve(response), 1500))
                : response);
    """)
    _open_start_page(page, live_server.url)
    page.keyboard.type("satellite")
    page.wait_for_url(re.compile(r"q=satellite$"))
    page.fill("#q", "cybersecurity")
    _wait_for_results(page, client, "q=cybersecurity")
    page.wait_for_timeout(2000)  # the late answer has arrived by now
    assert _hit_ids(page) == _api_ids(client, "q=cybersecurity")
    expect(page.locator("#q")).to_have_value("cybersecurity")


def test_ticking_a_facet_changes_the_counts_the_hits_and_the_url(page, live_server, client):
    page.goto(live_server.url + "/?q=spectrum")
    before = _facet_counts(page)
    page.locator("#facets input[name=sector][value='ITU-R']").check()
    page.wait_for_url(re.compile(r"sector=ITU-R"))
    query = urlencode({"q": "spectrum", "sector": "ITU-R"})
    _wait_for_results(page, client, query)
    expected = client.get(f"/api/facets?{query}").json()["facets"]
    after = _facet_counts(page)
    for (facet, value), count in after.items():
        assert count == expected[facet].get(value, 0), (facet, value)
    assert after != before  # the other facets' counts now count ITU-R's hits only
    assert after[("sector", "ITU-D")] == before[("sector", "ITU-D")]  # OR within a facet
    focused = page.evaluate("[document.activeElement.name, document.activeElement.value]")
    assert focused == ["sector", "ITU-R"]
    assert page.errors == []


def test_the_related_box_adds_feedback_and_is_kept_in_the_url(page, live_server, client):
    page.goto(live_server.url + "/?q=cybersecurity")
    plain = client.get("/api/search?q=cybersecurity").json()["total"]
    widened = client.get("/api/search?q=cybersecurity&feedback=1").json()["total"]
    assert widened > plain  # related chunks are found: the page must show them
    page.locator("#feedback").check()
    page.wait_for_url(re.compile(r"feedback=1"))
    _wait_for_results(page, client, "q=cybersecurity&feedback=1")
    assert f"{widened} results" in page.locator("#status").inner_text()

    page.reload()
    _wait_for_results(page, client, "q=cybersecurity&feedback=1")
    expect(page.locator("#feedback")).to_be_checked()
    page.go_back()
    _wait_for_results(page, client, "q=cybersecurity")
    expect(page.locator("#feedback")).not_to_be_checked()
    assert page.errors == []


def test_reload_gives_the_same_page_and_back_and_forward_walk_the_searches(
    page, live_server, client
):
    _open_start_page(page, live_server.url)
    page.keyboard.type("satellite")
    _wait_for_results(page, client, "q=satellite")
    page.fill("#q", "cybersecurity")
    _wait_for_results(page, client, "q=cybersecurity")
    page.locator("#facets input[name=kind][value=issue]").check()
    _wait_for_results(page, client, "q=cybersecurity&kind=issue")

    page.reload()
    _wait_for_results(page, client, "q=cybersecurity&kind=issue")
    expect(page.locator("#facets input[name=kind][value=issue]")).to_be_checked()
    expect(page.locator("#q")).to_have_value("cybersecurity")

    page.go_back()
    _wait_for_results(page, client, "q=cybersecurity")
    expect(page.locator("#facets input[name=kind][value=issue]")).not_to_be_checked()
    page.go_back()
    _wait_for_results(page, client, "q=satellite")
    expect(page.locator("#q")).to_have_value("satellite")
    page.go_forward()
    _wait_for_results(page, client, "q=cybersecurity")
    expect(page.locator("#q")).to_have_value("cybersecurity")
    assert page.errors == []


def test_a_chunk_page_leads_back_to_the_search_it_came_from(page, live_server, client):
    page.goto(live_server.url + "/?q=spectrum")
    page.locator("#facets input[name=sector][value='ITU-D']").check()
    _wait_for_results(page, client, "q=spectrum&sector=ITU-D")
    search_url = page.url
    page.locator("ol.hits a.details").first.click()
    page.wait_for_url(re.compile(r"/chunks/"))
    page.get_by_role("link", name="Back to the search").click()
    page.wait_for_url(search_url)
    _wait_for_results(page, client, "q=spectrum&sector=ITU-D")
    expect(page.locator("#facets input[name=sector][value='ITU-D']")).to_be_checked()


def test_a_year_half_typed_is_not_searched_for(page, live_server, client):
    page.goto(live_server.url + "/?q=spectrum")
    page.locator("#since").type("201")
    page.wait_for_timeout(800)  # three debounce periods
    assert page.url.endswith("/?q=spectrum")
    assert page.locator(".error:visible").count() == 0
    page.locator("#since").type("5")
    page.wait_for_url(re.compile(r"since=2015"))
    _wait_for_results(page, client, "q=spectrum&since=2015")


def test_pages_of_results_move_focus_to_the_results(page, live_server, client):
    page.goto(live_server.url + "/?q=spectrum")
    page.locator(".pagination a[rel=next]").click()
    page.wait_for_url(re.compile(r"offset=10"))
    _wait_for_results(page, client, "q=spectrum&offset=10")
    assert page.evaluate("document.activeElement.id") == "results"
    assert page.locator("ol.hits").get_attribute("start") == "11"


def test_without_javascript_the_form_still_searches_and_filters(browser, live_server, client):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        page.fill("#q", "spectrum")
        page.press("#q", "Enter")
        page.wait_for_url(re.compile(r"q=spectrum"))
        assert _hit_ids(page) == _api_ids(client, "q=spectrum")
        page.locator("#facets input[name=sector][value='ITU-D']").check()
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url(re.compile(r"sector=ITU-D"))
        assert _params(page.url)["sector"] == ["ITU-D"]
        assert _hit_ids(page) == _api_ids(client, "q=spectrum&sector=ITU-D")
    finally:
        context.close()


@pytest.mark.parametrize("how", ["rendered by the server", "swapped in by the script"])
def test_a_hostile_page_renders_inert(page, live_server, client, how):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    if how == "rendered by the server":
        page.goto(live_server.url + "/?q=quokka")
    else:
        _open_start_page(page, live_server.url)
        page.keyboard.type("quokka")
    _wait_for_results(page, client, "q=quokka")
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned") is None
    assert dialogs == []
    results = page.locator("#results")
    assert "<script>" in results.inner_text() and "onerror" in results.inner_text()
    assert results.locator("img, script, iframe, svg").count() == 0
    hrefs = results.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert all(urlsplit(h).scheme in ("http", "https") for h in hrefs)
    assert all(urlsplit(h).netloc == urlsplit(live_server.url).netloc for h in hrefs)
    page.locator("ol.hits h3 a").first.click()  # the hostile chunk's own page
    page.wait_for_url(re.compile(r"/chunks/"))
    assert page.evaluate("window.pwned") is None
    assert "<script>" in page.locator("h1").inner_text()


def _focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
        return {tag: e.tagName, id: e.id, name: e.name || '', value: e.value || '',
                href: e.getAttribute('href') || '', outline: s.outlineStyle,
                width: parseFloat(s.outlineWidth), text: e.textContent.trim()}; }""")


def test_keyboard_alone(page, live_server, client):
    page.goto(live_server.url + "/?q=satellite")  # a page that puts focus nowhere
    page.wait_for_load_state("networkidle")  # the script has settled the results
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to results"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "results"

    page.keyboard.press("/")  # back to the search box
    page.keyboard.press("Control+A")
    page.keyboard.type("spectrum")
    page.wait_for_url(re.compile(r"q=spectrum$"))
    _wait_for_results(page, client, "q=spectrum")
    page.wait_for_load_state("networkidle")  # no answer to "spectru" is still to come
    first_hit = page.locator("ol.hits h3 a").first.get_attribute("href")
    # From the search box, the first result is a few Tab stops away (the button, the
    # export and feed links), the filters come after the results.
    stops = 0
    while _focused(page)["href"] != first_hit and stops < 10:
        page.keyboard.press("Tab")
        stops += 1
    assert _focused(page)["href"] == first_hit and stops <= 5, stops

    for _ in range(80):  # on past the results to the first value of the sector facet
        page.keyboard.press("Tab")
        now = _focused(page)
        assert now["outline"] != "none" and now["width"] >= 2, now  # focus is visible
        if now["name"] == "sector":
            break
    value = now["value"]
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(rf"sector={re.escape(value)}"))
    _wait_for_results(page, client, urlencode({"q": "spectrum", "sector": value}))
    assert _focused(page)["name"] == "sector" and _focused(page)["value"] == value  # kept

    for _ in range(80):  # back up to a hit's details
        page.keyboard.press("Shift+Tab")
        if _focused(page)["href"].startswith("/chunks/"):
            break
    chosen = _focused(page)["href"]
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(chosen) + "$"))
    assert page.locator("h1").is_visible()


def test_readable_on_a_375_pixel_screen(browser, live_server, client):
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/?q=spectrum")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.locator("ol.hits li").first.is_visible()
        assert not page.locator("#facets").is_visible()  # behind the "Filters" button
        page.get_by_role("button", name="Filters").click()
        page.locator("#facets input[name=sector][value='ITU-R']").check()
        _wait_for_results(page, client, "q=spectrum&sector=ITU-R")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        context.close()


# Each visible text's contrast with the first opaque background behind it (WCAG 2's
# relative luminance): the texts below AA's 4.5:1, or 3:1 for large text.
LOW_CONTRAST = """() => {
  const rgba = (c) => c.match(/[\\d.]+/g).map(Number).concat([1]).slice(0, 4);
  const channel = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const behind = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const colour = rgba(getComputedStyle(e).backgroundColor);
      if (colour[3] === 1) return colour;
    }
    return [255, 255, 255, 1];
  };
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const element = walker.currentNode.parentElement;
    const text = walker.currentNode.textContent.trim();
    if (!text || element.closest(".visually-hidden") || !element.getClientRects().length) continue;
    const style = getComputedStyle(element);
    const [a, b] = [luminance(rgba(style.color)), luminance(behind(element))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) low.push(`${text.slice(0, 40)}: ${ratio.toFixed(2)}`);
  }
  return low;
}"""


@pytest.mark.parametrize(
    "path",
    ["/", "/?q=spectrum&sector=ITU-R", "/?q=spectrun", "/?q=xylophonic", "/?since=x"],
)
def test_text_meets_wcag_aa_contrast(page, live_server, path):
    page.goto(live_server.url + path)
    page.locator("#q").focus()
    assert page.evaluate(LOW_CONTRAST) == []
    page.locator("a").first.focus()  # the skip link, shown while focused
    assert page.evaluate(LOW_CONTRAST) == []


def test_a_chunk_page_meets_wcag_aa_contrast(page, live_server, client):
    some_id = client.get("/api/search?q=spectrum&limit=1").json()["hits"][0]["id"]
    page.goto(f"{live_server.url}/chunks/{some_id}")
    assert page.evaluate(LOW_CONTRAST) == []


@pytest.fixture(scope="module")
def bundled_server(seed_index):
    server = LiveServer(seed_index)
    yield server
    server.stop()


def test_screenshot_for_the_readme(browser, bundled_server, tmp_path):
    """A screenshot of the bundled ITU page searched as a user types; with
    DWSEARCH_UPDATE_SCREENSHOT=1 it replaces docs/search-page.png, which the README
    shows (otherwise a run never changes the checkout)."""
    target = SCREENSHOT if os.environ.get("DWSEARCH_UPDATE_SCREENSHOT") else tmp_path / "shot.png"
    context = browser.new_context(viewport={"width": 1200, "height": 820})
    page = context.new_page()
    try:
        _open_start_page(page, bundled_server.url)
        page.keyboard.type("cybersecurity standards")
        page.wait_for_url(re.compile(r"q=cybersecurity\+standards$"))
        page.wait_for_selector("ol.hits mark")
        target.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(target))
    finally:
        context.close()
    assert target.stat().st_size > 20_000
