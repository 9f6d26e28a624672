"""The server answers only to its own names: a page elsewhere whose name an attacker
points at this machine (DNS rebinding) gets a 400, never the index, and nothing the
server sends back repeats the name it was asked by."""

from __future__ import annotations

import pytest
from web_support import Client, LiveServer

PATHS = (
    "/",
    "/?q=spectrum",
    "/results?q=spectrum",
    "/api/search?q=x",
    "/api/facets",
    "/api/stats",
    "/healthz",
    "/static/style.css",
    "/static",  # a redirect to /static/ would name the host
    "/chunks/abc",
    "/no-such-page",
)
FOREIGN = (
    "attacker.example:18765",
    "attacker.example",
    "localhost.attacker.example",
    "127.0.0.1.attacker.example:8765",
    "attacker.example:8765@localhost",
    "localhost:8765.attacker.example",
    "[::1].attacker.example",
    "[::1:8765",
    "",
)


def _loopback_names(port: int) -> list[str]:
    return [
        "localhost",
        f"localhost:{port}",
        "LocalHost:80",
        "127.0.0.1",
        f"127.0.0.1:{port}",
        "[::1]",
        f"[::1]:{port}",
        "::1",
    ]


def test_loopback_names_are_answered(client):
    for name in _loopback_names(client.port):
        answer = client.get("/api/search?q=spectrum", host=name)
        assert answer.status_code == 200, name
        assert answer.json()["total"] > 0
        assert client.get("/", host=name).status_code == 200


@pytest.mark.parametrize("name", FOREIGN)
def test_a_foreign_host_gets_400_and_is_never_repeated(client, name):
    for path in PATHS:
        answer = client.get(path, host=name)
        assert answer.status_code == 400, (name, path)
        sent = answer.text + " ".join(f"{k}: {v}" for k, v in answer.headers.items())
        assert "attacker" not in sent and "8765" not in answer.text, (name, path)
        assert "Spectrum" not in answer.text  # nothing of the index
        # the refusal carries the security headers as every answer does
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_refusal_is_json_on_the_api(client):
    answer = client.get("/api/search?q=spectrum", host="attacker.example")
    assert answer.headers["content-type"].startswith("application/json")
    assert "error" in answer.json()


def test_the_names_serve_was_given_are_answered_too(observatory):
    server = LiveServer(observatory, hosts=("search.example.org", "10.1.2.3"))
    try:
        client = Client(server.url)
        for name in ("search.example.org", "Search.Example.Org:8080", "10.1.2.3:80", "localhost"):
            assert client.get("/api/search?q=spectrum", host=name).status_code == 200, name
        for name in ("example.org", "www.search.example.org", "10.1.2.4", *FOREIGN):
            assert client.get("/api/search?q=spectrum", host=name).status_code == 400, name
    finally:
        server.stop()
