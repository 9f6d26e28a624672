"""Fixtures for the web tests: the observatory index, the server on a real socket, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import CHROMIUM, CHROMIUM_ARGS, Client, LiveServer, observatory_chunks

from dwsearch.index.builder import build_from_chunks


@pytest.fixture(scope="session")
def observatory(tmp_path_factory) -> Path:
    """An index of `observatory_chunks()`; tests must not change it."""
    folder = tmp_path_factory.mktemp("web-observatory")
    build_from_chunks(folder, observatory_chunks(), "<web tests>")
    return folder


@pytest.fixture(scope="session")
def live_server(observatory: Path) -> Iterator[LiveServer]:
    server = LiveServer(observatory)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def client(live_server: LiveServer) -> Client:
    return Client(live_server.url)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium under Playwright; the tests skip where it is not installed, but
    never in CI, where .ci/run installs it."""
    if not CHROMIUM.exists():
        reason = f"Chromium is not at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (.ci/run installs it)")
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab (own cookies and history) at a 1280 × 900 window."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.errors = errors  # type: ignore[attr-defined]
    yield tab
    context.close()
