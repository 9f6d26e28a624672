"""The JSON API: the objects `--json` prints, the CLI's sentences for bad input, 404 for
an unknown id, and never a 500 or a stack trace, whatever is sent."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwsearch.app.bounds import MAX_HITS_PER_REQUEST, MAX_QUERY_CHARS, MAX_QUERY_WORDS
from helpers import run_cli


def _cli_json(*args: str) -> dict:
    result = run_cli(*args)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(result.stdout)


def _without_timing(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "took_ms"}


@pytest.mark.parametrize(
    ("params", "cli"),
    [
        ({"q": "spectrum"}, []),
        ({"q": "spectrum satellite", "limit": "3", "offset": "2"},
         ["--limit", "3", "--offset", "2"]),
        ({"q": "spectrum", "sector": ["ITU-R", "ITU-T"]},
         ["--sector", "ITU-R", "--sector", "ITU-T"]),
        ({"q": "spectrum", "year": "2012..2015", "topic": "cybersecurity"},
         ["--year", "2012..2015", "--topic", "cybersecurity"]),
        ({"q": "spectrum", "sort": "newest", "since": "2013-06"},
         ["--sort", "newest", "--since", "2013-06"]),
        ({"q": "spectrun"}, []),  # a typo: the suggestion too
        ({"q": "states", "kind": "issue"}, ["--kind", "issue"]),
        ({"q": "spectrum", "feedback": "1"}, ["--feedback"]),
    ],
)  # fmt: skip
def test_search_returns_what_search_json_prints(client, observatory, params, cli):
    response = client.get("/api/search?" + urlencode(params, doseq=True))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected = _cli_json("search", params["q"], *cli, "--json", "--index", str(observatory))
    assert _without_timing(response.json()) == _without_timing(expected)


def test_facets_chunks_and_stats_return_what_the_cli_prints(client, observatory):
    index = ["--index", str(observatory)]
    facets = client.get("/api/facets?q=spectrum&sector=ITU-R").json()
    expected = _cli_json("facets", "spectrum", "--sector", "ITU-R", "--json", *index)
    assert _without_timing(facets) == _without_timing(expected)
    assert "hits" not in facets

    some_id = client.get("/api/search?q=spectrum&limit=1").json()["hits"][0]["id"]
    assert client.get(f"/api/chunks/{some_id}").json() == _cli_json(
        "show", some_id, "--json", *index
    )
    assert client.get(f"/api/chunks/{some_id[:8]}").json()["id"] == some_id  # a unique start

    assert client.get("/api/stats").json() == _cli_json("stats", "--json", *index)
    assert client.get("/healthz").json()["status"] == "ok"


def test_repeating_a_facet_ors_its_values_and_facets_and(client):
    def ids(query: str) -> set[str]:
        return {hit["id"] for hit in client.get(f"/api/search?limit=100&{query}").json()["hits"]}

    radio, development = ids("q=spectrum&sector=ITU-R"), ids("q=spectrum&sector=ITU-D")
    assert radio and development
    assert ids("q=spectrum&sector=ITU-R&sector=ITU-D") == radio | development
    cyber = ids("q=spectrum&topic=cybersecurity")
    assert ids("q=spectrum&sector=ITU-R&topic=cybersecurity") == radio & cyber


@pytest.mark.parametrize(
    ("params", "cli"),
    [
        ("year=20x5", ["--year", "20x5"]),
        ("year=2018..2015", ["--year", "2018..2015"]),
        ("since=2017-13", ["--since", "2017-13"]),
        ("until=yesterday", ["--until", "yesterday"]),
        ("since=2018&until=2017", ["--since", "2018", "--until", "2017"]),
        ("topic=astrology", ["--topic", "astrology"]),
        ("type=poem", ["--type", "poem"]),
    ],
)
def test_bad_input_is_400_saying_what_the_cli_says_in_its_own_names(
    client, observatory, params, cli
):
    """The same refusal on both faces: the field at fault, the value and the problem,
    each named as that face names it (a parameter in the API, an option on the CLI)."""
    response = client.get(f"/api/search?q=spectrum&{params}")
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == cli[0].removeprefix("--") == params.split("=")[0]
    assert body["error"].startswith(f"{body['field']} ") and "--" not in body["error"]
    result = run_cli("search", "spectrum", *cli, "--index", str(observatory))
    assert result.exit_code == 2
    said = result.stderr.strip()
    assert said.startswith(f"dwsearch: {cli[0]} {body['value']!r}: {body['problem']}")
    assert said.count("\n") == 0


def test_feedback_is_on_or_off(client):
    def ranking(switch: str) -> list[tuple[str, float]]:
        hits = client.get(f"/api/search?q=spectrum&feedback={switch}").json()["hits"]
        return [(hit["id"], hit["score"]) for hit in hits]

    plain, widened = ranking("0"), ranking("1")
    assert widened != plain  # the feedback words change the scores
    assert ranking("on") == ranking("true") == widened
    assert ranking("off") == ranking("false") == ranking("") == plain
    refused = client.get("/api/search?q=spectrum&feedback=maybe")
    assert refused.status_code == 400 and "feedback" in refused.json()["error"]


def test_a_leading_wildcard_is_text_as_on_the_cli(client, observatory):
    """Only a trailing `*` is an operator; `*ctrum` is searched as the word it holds."""
    response = client.get("/api/search?q=" + quote("*ctrum"))
    result = run_cli("search", "*ctrum", "--json", "--index", str(observatory))
    assert response.status_code == 200
    assert response.json()["total"] == json.loads(result.stdout)["total"]


def test_an_unknown_id_is_404(client):
    response = client.get("/api/chunks/ffffffffffffffff")
    assert response.status_code == 404
    assert "ffffffffffffffff" in response.json()["error"]


def test_the_query_and_the_page_size_are_bounded(client):
    too_long = client.get("/api/search?" + urlencode({"q": "a" * (MAX_QUERY_CHARS + 1)}))
    assert too_long.status_code == 400
    assert str(MAX_QUERY_CHARS) in too_long.json()["error"]
    too_many = client.get("/api/search?" + urlencode({"q": "spectrum " * (MAX_QUERY_WORDS + 1)}))
    assert too_many.status_code == 400
    assert str(MAX_QUERY_WORDS) in too_many.json()["error"]
    words = client.get("/api/search?" + urlencode({"q": "spectrum " * MAX_QUERY_WORDS}))
    assert words.status_code == 200
    largest = MAX_HITS_PER_REQUEST
    assert client.get(f"/api/search?q=spectrum&limit={largest + 1}").status_code == 400
    assert client.get(f"/api/search?q=spectrum&limit={largest}").status_code == 200
    many = "&".join(["sector=ITU-R"] * 51)
    assert client.get(f"/api/search?q=spectrum&{many}").status_code == 400


def test_nothing_writes(client):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/api/search", "/api/stats", "/", "/api/chunks/abc"):
            response = client.request(method, path)
            assert response.status_code == 405, (method, path)
            assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


HOSTILE_PATHS = [
    "/api/search?q=%00%01%02",
    "/api/search?q=%ED%A0%80",  # a lone surrogate, as UTF-8 bytes
    "/api/search?q=%FF%FE",
    "/api/search?q=" + quote('"unclosed phrase'),
    "/api/search?q=" + quote("year:[2015 TO"),
    "/api/search?q=" + quote("title: type: topic:"),
    "/api/search?q=" + quote("a OR OR AND NOT -"),
    "/api/search?q=" + quote("((((((((((spectrum"),
    "/api/search?q=" + quote("spec*"),
    "/api/search?q=" + quote("?"),
    "/api/search?q=" + quote("\u202espectrum\u2066"),
    "/api/search?q=spectrum&limit=-1",
    "/api/search?q=spectrum&limit=1e9",
    "/api/search?q=spectrum&limit=99999999999999999999999",
    "/api/search?q=spectrum&offset=-5",
    "/api/search?q=spectrum&offset=NaN",
    "/api/search?q=spectrum&offset=100000000",
    "/api/search?q=spectrum&year=99999",
    "/api/search?q=spectrum&year=..",
    "/api/search?q=spectrum&year=0000..9999",
    "/api/search?q=spectrum&since=2017-02-30",
    "/api/search?q=spectrum&since=0000-00-00",
    "/api/search?q=spectrum&sort=../../etc/passwd",
    "/api/search?q=spectrum&type=",
    "/api/search?q=spectrum&type=%00",
    "/api/search?q=spectrum&q=other&q=",
    "/api/search?q",
    "/api/search?=&&&=x",
    "/api/search?q=%",
    "/api/facets?q=%ED%A0%80&year=x",
    "/api/chunks/%00",
    "/api/chunks/..",
    "/api/chunks/" + "a" * 5000,
    "/api/chunks/%25%25%25%25",
    "/api/chunks/" + quote("<script>"),
    "/api/unknown",
    "/static/../pyproject.toml",
    "/static/%2e%2e/server.py",
    "/chunks/%00",
    "/?q=%ED%A0%80&year_from=abc",
    "/results?since=2017-99&sort=x",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_hostile_requests_get_an_answer_never_a_failure(client, path):
    response = client.get(path)
    assert response.status_code in (200, 400, 404), response.text[:500]
    assert "Traceback" not in response.text
    if path.startswith("/api/") and response.status_code != 200:
        body = response.json()
        assert "error" in body and "--" not in body["error"]
        assert set(body) <= {"error", "field", "value", "problem", "allowed", "suggestion"}
    if path.startswith("/static/"):
        assert response.status_code == 404


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.text(max_size=60),
    year=st.text(alphabet="0123456789.x -", max_size=12),
    since=st.text(alphabet="0123456789-", max_size=11),
    limit=st.text(alphabet="0123456789-", max_size=4),
    sector=st.sampled_from(["", "ITU-R", "itu-d", "ITU-X"]),
)  # fmt: skip
def test_any_query_string_gets_a_200_or_a_400(client, q, year, since, limit, sector):
    params = {"q": q, "year": year, "since": since, "limit": limit, "sector": sector}
    response = client.get("/api/search?" + urlencode(params))
    assert response.status_code in (200, 400), response.text[:500]
    body = response.json()
    assert ("error" in body) == (response.status_code == 400)


def test_every_response_carries_the_security_headers(client):
    for path in ("/", "/api/search?q=x", "/api/chunks/nope", "/static/search.js", "/nowhere"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "default-src 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("given", "meant"), [("topics", "topic"), ("yaer", "year"), ("lmit", "limit")]
)
def test_a_parameter_no_search_has_is_refused_with_the_nearest(client, given, meant):
    """`topics=privacy` returned unfiltered results, as if the filter had been applied."""
    for route in ("/api/search", "/api/facets"):
        response = client.get(f"{route}?q=spectrum&{given}=2")
        assert response.status_code == 400
        body = response.json()
        assert (body["field"], body["suggestion"]) == (given, meant)
        assert body["error"] == f"{given}: not a parameter a search takes; did you mean '{meant}'?"
    page = client.get(f"/?q=spectrum&{given}=2")
    assert page.status_code == 400 and f"did you mean &#39;{meant}&#39;?" in page.text
