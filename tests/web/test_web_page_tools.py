"""The search page's filters, chips, errors, citations and accessibility in a real
browser (Debian's Chromium under Playwright), at a desktop's and a phone's width.

What the page should show is read from the JSON API of the same server.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where the tests' screenshots go, to be looked at: DWSEARCH_SHOTS, or a tmp folder."""
    folder = os.environ.get("DWSEARCH_SHOTS")
    return Path(folder) if folder else tmp_path_factory.mktemp("shots")


@pytest.fixture(params=list(WIDTHS))
def tab(request, browser):
    """A fresh tab at a desktop's width, then at a phone's."""
    context = browser.new_context(**WIDTHS[request.param])
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    page.width_name = request.param  # type: ignore[attr-defined]
    yield page
    context.close()


def _hit_ids(page) -> list[str]:
    hrefs = page.locator("ol.hits a.details").evaluate_all("as => as.map(a => a.pathname)")
    return [href.removeprefix("/chunks/") for href in hrefs]


def _wait_for_results(page, client, query: str) -> None:
    expected = [hit["id"] for hit in client.get(f"/api/search?{query}").json()["hits"]]
    page.wait_for_function(
        "ids => JSON.stringify([...document.querySelectorAll('ol.hits a.details')]"
        ".map(a => a.pathname.slice(8))) === JSON.stringify(ids)",
        arg=expected,
    )


def _focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.textContent")


def _show_filters(page) -> None:
    """On a phone, open the drawer; on a desktop the filters are there already."""
    if page.width_name == "phone":
        page.get_by_role("button", name=re.compile("^Filters")).click()
    expect_visible = page.locator("#facets")
    expect_visible.wait_for(state="visible")


def test_axe_finds_no_violation_on_any_page(tab, live_server, client):
    some_id = client.get("/api/search?q=spectrum&limit=1").json()["hits"][0]["id"]
    paths = {
        "start": "/",
        "results": "/?q=spectrum",
        "filtered": "/?q=spectrum&sector=ITU-R&since=2012",
        "no results": "/?q=xylophonic&kind=issue",
        "error": "/?q=spectrum&since=May",
        "chunk": f"/chunks/{some_id}",
    }
    axe = Axe()
    found = {}
    for name, path in paths.items():
        tab.goto(live_server.url + path)
        tab.wait_for_load_state("networkidle")
        results = axe.run(tab)
        if results.violations_count:
            found[name] = results.generate_report()
    if tab.width_name == "phone":  # and the drawer, opened
        tab.goto(live_server.url + "/?q=spectrum&sector=ITU-R")
        _show_filters(tab)
        results = axe.run(tab)
        if results.violations_count:
            found["filters drawer"] = results.generate_report()
    assert not found, "\n".join(f"{name}:\n{report}" for name, report in found.items())


def test_apply_filters_is_only_for_a_page_without_script(tab, live_server, browser):
    tab.goto(live_server.url + "/?q=spectrum")
    _show_filters(tab)
    assert not tab.get_by_role("button", name="Apply filters").is_visible()
    plain = browser.new_context(java_script_enabled=False, **WIDTHS[tab.width_name])
    try:
        page = plain.new_page()
        page.goto(live_server.url + "/?q=spectrum")
        assert page.get_by_role("button", name="Apply filters").is_visible()
    finally:
        plain.close()


def test_on_a_phone_the_filters_open_from_a_button_and_show_n_results(
    browser, live_server, client, shots
):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/?q=spectrum")
        toggle = page.get_by_role("button", name=re.compile("^Filters"))
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert not page.locator("#facets").is_visible()
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert page.locator("#results").evaluate("e => e.inert")  # Tab stays in the drawer
        page.locator("#facets input[name=sector][value='ITU-R']").check()
        _wait_for_results(page, client, "q=spectrum&sector=ITU-R")
        assert page.evaluate("[document.activeElement.name, document.activeElement.value]") == [
            "sector",
            "ITU-R",
        ]  # the focus stays on the box just ticked
        total = client.get("/api/search?q=spectrum&sector=ITU-R").json()["total"]
        show = page.get_by_role("button", name=f"Show {total} results")
        assert show.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(shots / "phone-drawer.png"))
        show.click()
        assert not page.locator("#facets").is_visible()
        assert not page.locator("#results").evaluate("e => e.inert")
        assert _focused(page) == "results"
        expect(page.locator("ol.hits li").first).to_be_in_viewport()
        assert "1" in toggle.inner_text()  # one filter in use, said on the button
        page.screenshot(path=str(shots / "phone-results.png"))
    finally:
        context.close()


def test_removing_a_chip_drops_its_filter_and_keeps_the_focus_in_the_chips(
    tab, live_server, client
):
    tab.goto(live_server.url + "/?q=spectrum&sector=ITU-R&sector=ITU-D&since=2012")
    chips = tab.locator(".chips a.chip")
    assert chips.count() == 3
    chips.nth(0).focus()
    tab.keyboard.press("Enter")
    tab.wait_for_url(re.compile(r"^(?!.*ITU-R).*$"))
    assert parse_qs(urlsplit(tab.url).query) == {
        "q": ["spectrum"], "sector": ["ITU-D"], "since": ["2012"]
    }  # fmt: skip
    _wait_for_results(tab, client, "q=spectrum&sector=ITU-D&since=2012")
    assert not tab.locator("#facets input[value='ITU-R']").is_checked()
    assert tab.evaluate("document.activeElement.classList.contains('chip')")  # the next one
    assert "ITU-D" in _focused(tab)
    tab.get_by_role("link", name="Clear all filters").click()
    tab.wait_for_url(re.compile(r"/\?q=spectrum$"))
    _wait_for_results(tab, client, "q=spectrum")
    assert tab.locator("#since").input_value() == ""
    assert _focused(tab) == "results"
    assert tab.errors == []


def test_a_bad_date_is_said_beside_the_date_control(tab, live_server, client, shots):
    tab.goto(live_server.url + "/?q=spectrum")
    _show_filters(tab)
    tab.locator("#since").fill("May 2018")
    tab.locator("#since").press("Enter")
    message = tab.locator("#since-error")
    message.wait_for(state="visible")
    refusal = client.get("/api/search?q=spectrum&since=May+2018").json()
    assert refusal["problem"] in message.inner_text()
    assert tab.locator("#since").get_attribute("aria-invalid") == "true"
    assert "since-error" in tab.locator("#since").get_attribute("aria-describedby")
    if tab.width_name == "desktop":
        tab.screenshot(path=str(shots / "date-error.png"))
    tab.locator("#since").fill("2015")
    _wait_for_results(tab, client, "q=spectrum&since=2015")
    assert not message.is_visible()
    assert tab.locator("#since").get_attribute("aria-invalid") is None
    assert tab.locator("[aria-invalid]").count() == 0


def test_cite_copies_the_citation_or_shows_it_to_copy(browser, live_server, client):
    hit = client.get("/api/search?q=spectrum&limit=1").json()["hits"][0]
    for allowed in (True, False):
        context = browser.new_context(**DESKTOP)
        if allowed:
            context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = context.new_page()
        try:
            if not allowed:  # a browser that refuses the clipboard
                page.add_init_script(
                    "navigator.clipboard.writeText = () => Promise.reject(new Error('no'))"
                )
            page.goto(live_server.url + "/?q=spectrum")
            first = page.locator("ol.hits li.hit").first
            first.get_by_text("Cite").click()
            citation = first.locator(".citation")
            citation.wait_for(state="visible")
            text = first.locator(".cite-text").inner_text()
            for part in (hit["page_title"], hit["section"], hit["url"], hit["date"]):
                assert part in text
            if allowed:
                page.wait_for_function(
                    "el => el.textContent.startsWith('Copied')",
                    arg=first.locator(".cite-status").element_handle(),
                )
                assert page.evaluate("navigator.clipboard.readText()") == text
            else:
                page.wait_for_function(
                    "el => el.textContent.startsWith('Copy this')",
                    arg=first.locator(".cite-status").element_handle(),
                )
                assert page.evaluate("String(getSelection())").strip() == text
        finally:
            context.close()
