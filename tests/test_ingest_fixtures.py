"""Observatory pages in the site's markup variants, each against its expected chunks.

`tests/fixtures/pages/NAME.html` is a page written in one of the layouts the observatory's
WordPress site has used (a theme with <main>, one without, a page builder's nested
columns); `NAME.expected.json` holds what a reader would index of it: the page's title,
address and kind, each chunk's fields, and chrome that must appear in no chunk.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dwsearch.ingest.pages import Chunk, chunk_html, chunk_paths
from helpers import FIXTURES

PAGES = sorted((FIXTURES / "pages").glob("*.html"))
FIELDS = ("type", "section", "title", "text", "years", "date", "date_end", "topics")


def _expected(page: Path) -> dict:
    return json.loads(page.with_suffix(".expected.json").read_text(encoding="utf-8"))


def _fields(chunk: Chunk) -> dict:
    data = chunk.to_dict()
    return {name: data[name] for name in FIELDS}


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_page_gives_its_expected_chunks(page):
    expected = _expected(page)
    chunks = chunk_html(page.read_text(encoding="utf-8"), page.name)
    assert [_fields(c) for c in chunks] == expected["chunks"]
    for chunk in chunks:
        assert (chunk.page_title, chunk.url, chunk.kind) == tuple(
            expected["page"][k] for k in ("page_title", "url", "kind")
        )
        assert chunk.page_title != page.stem
        for chrome in expected["absent"]:
            assert chrome not in f"{chunk.title} {chunk.text}", (chunk.title, chrome)


def test_fixtures_cover_the_sites_kinds_and_layouts():
    kinds = {_expected(p)["page"]["kind"] for p in PAGES}
    assert {"actor", "issue", "event", "update"} <= kinds
    for layout in ("-wordpress-main", "-wordpress-no-main", "-page-builder"):
        assert any(p.stem.endswith(layout) for p in PAGES), layout
    assert len(PAGES) >= 6


def test_a_page_without_an_address_takes_the_users_pattern(tmp_path):
    page = FIXTURES / "pages" / "session-report-ai-for-good-page-builder.html"
    (tmp_path / "ai-for-good-opening.html").write_bytes(page.read_bytes())
    found = list(chunk_paths([tmp_path], url_pattern="https://dig.watch/event/{stem}"))
    assert {c.url for c in found} == {"https://dig.watch/event/ai-for-good-opening"}
    own = FIXTURES / "pages" / "update-gdpr-wordpress-main.html"
    (tmp_path / "gdpr.html").write_bytes(own.read_bytes())
    found = list(chunk_paths([tmp_path / "gdpr.html"], url_pattern="https://x.org/{stem}"))
    assert {c.url for c in found} == {_expected(own)["page"]["url"]}


def test_reading_pages_prints_nothing_of_the_extractors_own(tmp_path):
    """trafilatura logs its fallbacks' failures; a user of `dwsearch chunks` must not see
    them (they would reach stderr through Python's last-resort log handler)."""
    from helpers import run_cli

    result = run_cli("chunks", str(FIXTURES / "pages"), "--json")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert len(result.stdout.splitlines()) == sum(len(_expected(p)["chunks"]) for p in PAGES)
