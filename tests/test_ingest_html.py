"""HTML pages: the same chunks as their text extract, less the page chrome."""

from __future__ import annotations

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
    return [
        (c.id, c.type, c.section, c.title, c.text, c.years, c.topics, c.sectors) for c in chunks
    ]


def test_html_rendering_gives_the_text_versions_chunks(seed_text):
    from_html = chunk_html(HTML_SEED.read_text(encoding="utf-8"), HTML_SEED.name)
    from_text = chunk_text(seed_text, SEED_NAME)
    assert _comparable(from_html) == _comparable(from_text)


def test_no_chrome_in_html_chunks():
    for chunk in chunk_html(HTML_SEED.read_text(encoding="utf-8"), HTML_SEED.name):
        for word in CHROME:
            assert word not in f"{chunk.title} {chunk.text}", (chunk.id, word)


def test_html_chunks_carry_element_locators():
    chunks = chunk_html(HTML_SEED.read_text(encoding="utf-8"), HTML_SEED.name)
    assert chunks[0].lines == "main > article > h1"
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


def test_unknown_html_heading_makes_its_own_type(tmp_path):
    page = write(
        tmp_path / "p.html",
        "<h1>Org</h1><h2>Key Publications</h2><ul><li>Annual report (2019)</li></ul>",
    )
    chunks = chunk_html(page.read_text(), page.name)
    assert [(c.type, c.section, c.years) for c in chunks[1:]] == [
        ("key_publications", "Key Publications", (2019,))
    ]
