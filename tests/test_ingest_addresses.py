"""Every chunk knows its page's address, and what kind of page it is."""

from __future__ import annotations

import os

import pytest

from dwsearch.ingest.kinds import kind_rules
from dwsearch.ingest.pages import Chunk, check_url_pattern, chunk_html, chunk_paths, chunk_text
from dwsearch.ingest.taxonomy import load_taxonomy
from dwsearch.ingest.vocabulary import facet_vocabulary
from helpers import assert_lossless, write

PAGE = "World Trade Organization\n\nThe WTO deals with the rules of trade between nations.\n"


def _head(head: str) -> str:
    return f"<html><head>{head}</head><body><main><h1>T</h1><p>Prose.</p></main></body></html>"


@pytest.mark.parametrize(
    ("head", "url"),
    [
        (
            '<link rel="canonical" href="https://dig.watch/actors/wto">'
            '<meta property="og:url" content="https://dig.watch/?p=12">',
            "https://dig.watch/actors/wto",
        ),
        (
            '<meta property="og:url" content="https://dig.watch/event/igf2017">',
            "https://dig.watch/event/igf2017",
        ),
        (
            '<meta property="og:url" content="https://dig.watch/actors/wto">'
            '<link rel="canonical" href="/actors/wto-2">',
            "https://dig.watch/actors/wto-2",
        ),
        ('<link rel="canonical" href="javascript:alert(1)">', ""),
        ('<link rel="canonical" href="/relative/only">', ""),
    ],
)
def test_html_address(head, url):
    assert {c.url for c in chunk_html(_head(head), "p.html")} == {url}


def test_a_url_line_gives_a_text_extract_its_address_and_is_not_content():
    text = (
        "World Trade Organization\nURL: https://dig.watch/actors/world-trade-organization\n\n"
        "The WTO deals with trade.\n\nWebsite: https://www.wto.org\n"
    )
    chunks = chunk_text(text, "wto.txt")
    assert {c.url for c in chunks} == {"https://dig.watch/actors/world-trade-organization"}
    assert all("dig.watch" not in c.title + c.text for c in chunks)
    assert "Website: https://www.wto.org" in chunks[-1].text  # the actor's own site stays
    assert {c.kind for c in chunks} == {"actor"}
    assert_lossless(text, chunks)


def test_source_line_too():
    text = PAGE + "\nSource: https://dig.watch/updates/wto-news\n"
    assert {c.url for c in chunk_text(text, "u.txt")} == {"https://dig.watch/updates/wto-news"}


def _urls(results) -> dict[str, str]:
    return {r.source: r.url for r in results if isinstance(r, Chunk)}


def test_a_url_pattern_names_pages_that_give_no_address(tmp_path):
    write(tmp_path / "world-trade-organization.txt", PAGE)
    write(tmp_path / "own.txt", PAGE + "\nURL: https://dig.watch/actors/own-address\n")
    write(tmp_path / "sub" / "Genève actor.txt", PAGE)
    results = list(chunk_paths([tmp_path], url_pattern="https://dig.watch/actors/{stem}"))
    assert _urls(results) == {
        "world-trade-organization.txt": "https://dig.watch/actors/world-trade-organization",
        "own.txt": "https://dig.watch/actors/own-address",
        "sub/Genève actor.txt": "https://dig.watch/actors/Gen%C3%A8ve%20actor",
    }
    assert {r.kind for r in results} == {"actor"}
    paths = list(chunk_paths([tmp_path], url_pattern="https://example.org/{path}.html"))
    assert (
        _urls(paths)["sub/Genève actor.txt"] == "https://example.org/sub/Gen%C3%A8ve%20actor.html"
    )
    assert {r.url for r in chunk_paths([tmp_path / "sub"])} == {""}  # no pattern, no address


def test_a_url_pattern_for_a_name_that_is_not_utf8(tmp_path):
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt")
    with open(raw, "wb") as handle:
        handle.write(PAGE.encode())
    results = list(chunk_paths([tmp_path], url_pattern="https://dig.watch/actors/{stem}"))
    assert _urls(results) == {"caf\\xe9.txt": "https://dig.watch/actors/caf%E9"}


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("https://dig.watch/actors/{name}", "unknown placeholder {name}"),
        ("dig.watch/actors/{stem}", "not an http:// or https:// address"),
    ],
)
def test_bad_url_patterns_are_refused_in_words(pattern, message):
    with pytest.raises(ValueError, match=message):
        check_url_pattern(pattern)
    check_url_pattern("https://dig.watch/actors/{stem}")


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://dig.watch/actors/world-trade-organization/", "actor"),
        ("https://dig.watch/actor/wto", "actor"),
        ("https://dig.watch/issues/network-neutrality", "issue"),
        ("https://wp.dig.watch/topics/gender-rights-online/page/6", "issue"),
        ("https://dig.watch/event/igf2017", "event"),
        ("https://dig.watch/events/igf2017", "event"),
        ("https://dig.watch/updates/eu-adopts-gdpr", "update"),
        ("https://dig.watch/baskets/security", "basket"),
        ("https://dig.watch/resources/digital-trade-report", "resource"),
        ("https://dig.watch/newsletter/january2018", "resource"),
        ("https://dig.watch/actors", "page"),  # the listing of actors is not an actor
        ("https://dig.watch/?p=1042", "page"),
    ],
)
def test_kind_from_the_address(url, kind):
    text = "A page\n\nProse about the page.\n"
    assert {c.kind for c in chunk_text(text, "p.txt", url=url)} == {kind}


def test_kind_from_body_classes_then_layout(seed_text):
    markup = (
        '<html><body class="single single-event"><main><h1>IGF</h1><p>A forum.</p></main>'
        "</body></html>"
    )
    assert {c.kind for c in chunk_html(markup, "e.html")} == {"event"}
    assert {c.kind for c in chunk_text(seed_text, "itu.txt")} == {"actor"}  # its sections
    labelled = "OHCHR\n\nAcronym: OHCHR\nEstablished: 1993\n\nProse.\n"
    assert {c.kind for c in chunk_text(labelled, "o.txt")} == {"actor"}  # its fields
    assert {c.kind for c in chunk_text("A page\n\nProse.\n", "p.txt")} == {"page"}


def test_kinds_come_from_the_data_file():
    kinds = facet_vocabulary(load_taxonomy())["kind"]
    assert kinds == {k.name: k.display for k in kind_rules().kinds}
    assert set(kinds) == {"actor", "issue", "event", "update", "basket", "resource", "page"}


def test_fallback_title_has_no_control_characters(tmp_path):
    assert chunk_text("\n\nProse only, no title line.\n", "a\x1bb.txt")[0].page_title == "A b"
