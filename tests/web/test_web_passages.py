"""The HTTP API and the search page show a chunk's passages as the CLI does: every term
it holds marked, the passages joined by "…"."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from test_search_passages import PAGE
from web_support import Client, LiveServer

from helpers import run_cli, write


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("passages")
    write(folder / "pages" / "registries.txt", PAGE)
    assert run_cli("build", str(folder / "pages"), "--index", str(folder / "ix")).exit_code == 0
    server = LiveServer(folder / "ix")
    yield folder / "ix", Client(server.url)
    server.stop()


def test_the_api_and_the_page_mark_every_term_in_passages(served):
    index, client = served
    query = urlencode({"q": "ICANN GDPR"})
    api_hit = client.get(f"/api/search?{query}").json()["hits"][0]
    cli_hit = json.loads(run_cli("search", "ICANN GDPR", "--json", "--index", str(index)).stdout)
    assert api_hit["snippet"] == cli_hit["hits"][0]["snippet"]
    assert api_hit["passages"] == cli_hit["hits"][0]["passages"]
    assert len(api_hit["passages"]) == 2
    page = client.get(f"/?{query}").text
    assert "<mark>ICANN</mark>" in page and "<mark>GDPR</mark>" in page
    assert api_hit["snippet"] in page
