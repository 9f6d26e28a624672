"""HTML pages: the same chunks as their text extract, less the page chrome."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest

from dwsearch.app.api import search
from dwsearch.ingest.pages import chunk_html, chunk_text
from helpers import FIXTURES, SEED_NAME, write

HTML_SEED = FIXTURES / "international-telecommunication-union.html"
CHROME = (
    "Actors",
    "Updates",
    "DiploFoundation",
    "dataLayer",
    "classList",
    "Scroll to Top",
    "observatory",
)


def _comparable(chunks):
    return [(c.type, c.section, c.title, c.text, c.years, c.topics, c.sectors) for c in chunks]


def test_html_rendering_gives_the_text_versions_chunks(seed_text):
    from_html = chunk_html(HTML_SEED.read_text(encoding="utf-8"), HTML_SEED.name)
    from_text = chunk_text(seed_text, SEED_NAME)
    assert _comparable(from_html) == _comparable(from_text)
    # Two files, two places: an index of both keeps every chunk of each.
    assert {c.id for c in from_html}.isdisjoint(c.id for c in from_text)


def test_no_chrome_in_html_chunks():
    for chunk in chunk_html(HTML_SEED.read_text(encoding="utf-8"), HTML_SEED.name):
        for word in CHROME:
            assert word not in f"{chunk.title} {chunk.text}", (chunk.id, word)


def test_html_chunks_carry_element_locators():
    chunks = chunk_html(HTML_SEED.read_text(encoding="utf-8"), HTML_SEED.name)
    # The page's title and address open its first paragraph, located by the paragraph.
    assert chunks[0].lines == "main > article > p:nth-of-type(1)"
    item = next(c for c in chunks if c.title == "Storytellers")
    assert item.lines.endswith("li:nth-of-type(17)")
    assert item.location == f"{HTML_SEED.name}#{item.lines}"


def test_malformed_html_still_gives_its_text():
    markup = "<html><body><h1>Broken page<p>First para<ul><li>Item one (2016)<li>Item two</ul"
    chunks = chunk_html(markup, "broken.html")
    text = " ".join(f"{c.title} {c.text}" for c in chunks)
    for fragment in ("First para", "Item one", "Item two"):
        assert fragment in text


def test_title_falls_back_to_the_title_element():
    markup = "<title>Only a title</title><p>Body text about cybersecurity.</p>"
    chunks = chunk_html(markup, "t.html")
    assert chunks[0].page_title == "Only a title"
    assert chunks[-1].topics == ("cybersecurity",)


def test_unknown_html_heading_makes_a_generic_section(tmp_path):
    page = write(
        tmp_path / "p.html",
        "<h1>Org</h1><h2>Key Publications</h2><ul><li>Annual report (2019)</li></ul>",
    )
    chunks = chunk_html(page.read_text(), page.name)
    assert [(c.type, c.section, c.years) for c in chunks] == [
        ("section", "Key Publications", (2019,))
    ]


# Characters a page must not carry to a terminal: C0 and C1 controls but tab and newline,
# and the bidirectional overrides and isolates.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_entity_encoded_control_characters_are_removed():
    markup = (
        "<html><head><title>T&#27;[2J</title>"
        '<meta property="og:title" content="Evil &#27;]52;c;ZXZpbA==&#7; page">'
        '<link rel="canonical" href="https://dig.watch/updates/x&#27;[2J"></head>'
        "<body><main><h1>Evil &#x202e;txt.exe</h1>"
        "<p>Clipboard &#27;]52;c;ZXZpbA==&#7; write and &#x1b;[2J clear &#155; C1.</p>"
        "<ul><li>Item &#x2066;isolated&#x2069; (2018)</li></ul></main></body></html>"
    )
    chunks = chunk_html(markup, "evil.html")
    for chunk in chunks:
        for value in chunk.to_dict().values():
            assert not CONTROLS.search(str(value)), value
    assert "ZXZpbA==" in chunks[0].text  # the rest of the text stays
    assert chunks[0].url == ""  # an address with a control character in it is no address


def test_control_characters_are_removed_from_plain_text():
    chunks = chunk_text("Evil \u202etxt.exe\n\nClipboard \x1b]52;c;ZXZpbA==\x07 write.\n", "e.txt")
    for chunk in chunks:
        assert not CONTROLS.search(chunk.title + chunk.text)


def _tag_comparisons(paragraphs: int, monkeypatch) -> int:
    """How often BeautifulSoup compares two elements while a page is read."""
    from bs4.element import Tag

    calls = 0
    compare = Tag.__eq__

    def counting(self, other):
        nonlocal calls
        calls += 1
        return compare(self, other)

    body = "".join(f"<p>Same paragraph.</p><p>Paragraph {n}.</p>" for n in range(paragraphs))
    with monkeypatch.context() as patch:
        patch.setattr(Tag, "__eq__", counting)
        chunks = chunk_html(f"<main><h1>Long</h1><div>{body}</div></main>", "long.html")
    assert len(chunks) == 2 * paragraphs  # the title titles the first paragraph
    return calls


@pytest.mark.slow
def test_reading_a_page_is_linear_in_its_siblings(monkeypatch):
    """The locator once found a node with `list.index`, comparing whole trees: a page of
    8,000 paragraphs in one <div> took 43 s."""
    small, large = _tag_comparisons(500, monkeypatch), _tag_comparisons(2000, monkeypatch)
    assert large <= 4.5 * small + 100, (small, large)
    started = time.perf_counter()
    body = "".join(f"<p>Paragraph {n} about spectrum.</p>" for n in range(8000))
    chunks = chunk_html(f"<html><body><h1>Long</h1><div>{body}</div></body></html>", "l.html")
    assert len(chunks) == 8000
    assert time.perf_counter() - started < 20  # was 43 s; now about 1.5 s


def test_identical_siblings_get_distinct_locators():
    markup = "<main><h1>List</h1><ul><li>Same (2018)</li><li>Same (2018)</li></ul></main>"
    items = chunk_html(markup, "l.html")
    assert [c.lines for c in items] == [
        "main > ul > li:nth-of-type(1)",
        "main > ul > li:nth-of-type(2)",
    ]
    assert len({c.id for c in items}) == 2


def test_title_from_og_title_or_h1_never_the_file_name():
    og = (
        '<html><head><meta property="og:title" content="Cloud computing | Digital Watch">'
        "</head><body><div><p>Cloud computing is the delivery of computing services over "
        "the Internet, from storage to software.</p></div></body></html>"
    )
    assert chunk_html(og, "p-1234.html")[0].page_title == "Cloud computing"
    h1 = "<html><body><div><h1>Encryption</h1><p>Encryption protects data.</p></div></body></html>"
    assert chunk_html(h1, "p-1234.html")[0].page_title == "Encryption"


def test_site_tags_become_topics_when_they_name_one():
    markup = (
        '<html><head><meta property="article:tag" content="Network neutrality">'
        '<meta property="article:tag" content="Breaking news"></head><body><main>'
        "<h1>Regulators meet</h1><p>Regulators met in Brussels.</p>"
        "<h2>Documents</h2><ul><li>Agenda of the meeting (2016)</li></ul>"
        '<p>Tags: <a rel="tag" href="/tag/encryption">Encryption</a></p>'
        "</main></body></html>"
    )
    chunks = chunk_html(markup, "u.html")
    assert [(c.type, c.topics) for c in chunks] == [
        ("overview", ("encryption", "network-neutrality")),
        ("section", ()),  # an item names something else: the page's tags are not its own
    ]
    assert chunks[0].baskets == ("cybersecurity", "infrastructure")


def test_chrome_headings_never_become_types():
    markup = (
        "<html><body><div class='post'><h1>Update</h1><p>Something happened in 2018, "
        "and the observatory reported on it at length, with sources.</p>"
        "<h2>Subscribe to our newsletter</h2><p>Monthly, in your inbox.</p>"
        "<h2>Latest updates</h2><ul><li><a href='/u/1'>Another update</a></li></ul>"
        "</div></body></html>"
    )
    chunks = chunk_html(markup, "u.html")
    assert [c.type for c in chunks] == ["overview"]


def test_pages_that_look_like_xml_or_a_name_read_without_warnings(recwarn):
    chunk_html('<?xml version="1.0"?><html><body><p>An XHTML page.</p></body></html>', "x.html")
    chunk_html("page.html", "y.html")
    assert [str(w.message) for w in recwarn] == []


@pytest.mark.slow
def test_a_tag_of_200000_attributes_is_read_in_seconds_and_its_text_found(tmp_path):
    """lxml's tree costs the square of an element's attributes: 200,000 on one tag (3.4
    MB) took htmldate and trafilatura over two minutes, and the build stalled. The first
    attributes still count (a class that marks chrome), and the page's text is indexed."""
    attributes = " ".join(f'data-a{n}="v{n}"' for n in range(200_000))
    write(
        tmp_path / "pages" / "quokkas.html",
        "<html><head><title>Quokkas</title></head><body><main><h1>Quokkas</h1>"
        f'<div class="share-buttons" {attributes}>Share on Mastodon</div>'
        "<p>The quokka is a small marsupial of Rottnest Island.</p></main></body></html>",
    )
    write(tmp_path / "pages" / "other.txt", "Other page\n\nA paragraph on spectrum.\n")
    index = tmp_path / "index"
    started = time.monotonic()
    built = subprocess.run(
        [sys.executable, "-m", "dwsearch.app", "build", str(tmp_path / "pages"),
         "--index", str(index)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert time.monotonic() - started < 20  # was over 120 s; now about 3 s
    assert (built.returncode, built.stderr) == (0, "")
    found = search("marsupial Rottnest", index=index).hits
    assert [(h.chunk.source, h.chunk.text) for h in found] == [
        ("quokkas.html", "The quokka is a small marsupial of Rottnest Island.")
    ]
    assert search("Mastodon", index=index).total == 0  # chrome, by its first attribute


@pytest.mark.parametrize(
    "page",
    [HTML_SEED, *sorted((FIXTURES / "pages").glob("*.html"))],
    ids=lambda p: p.stem,
)
def test_pages_of_ordinary_attributes_read_as_without_a_limit(page, monkeypatch):
    """The limit on attributes leaves an ordinary page's chunks as they were."""
    from dwsearch.ingest import html

    markup = page.read_text(encoding="utf-8")
    limited = chunk_html(markup, page.name)
    monkeypatch.setattr(html, "MAX_ATTRIBUTES", 10**9)
    assert limited == chunk_html(markup, page.name)
