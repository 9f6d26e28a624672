"""Property tests: random text and random HTML never crash ingestion or lose content."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dwsearch.ingest.boilerplate import is_boilerplate
from dwsearch.ingest.datafiles import load_toml, package_data
from dwsearch.ingest.html import BLOCK_TAGS
from dwsearch.ingest.pages import chunk_html, chunk_text
from dwsearch.ingest.text import normalise, squeeze
from helpers import assert_lossless

# Lines a page may hold: structure the chunker reacts to, mixed with arbitrary text.
_LINES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "",
            "",
            "Other Instruments",
            "GIP event reports",
            "Resolutions & Declarations",
            "Digital policy issues",
            "Key Publications",
            "Scroll to Top",
            " Logo, Text, Symbol",
            "Acronym: ITU",
            "Place des Nations, 1202 Genève, Switzerland",
            "A report on spectrum (2018)",
            "An unclosed year (2016",
            "Prose about cybersecurity and AI in 2017, with a comma.",
            "\u00a0\u00a0",
            "Caf\u0065\u0301 cre\u0300me",
            "\r",
        ]
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES, max_size=40))
def test_random_text_never_crashes_or_loses_a_line(lines):
    text = "\n".join(lines)
    chunks = chunk_text(text, "random.txt")
    assert_lossless(text, chunks)
    assert len({c.id for c in chunks}) == len(chunks)


_TAGS = ["p", "div", "li", "h2", "h3", "span", "em", "address", "section", "ul", "td", "a"]
_ITEMS = ("li", "address")  # blocks the reader keeps as they are, whatever they say
_WORDS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<>&"),
    min_size=1,
    max_size=30,
)


@st.composite
def _html(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 3 and draw(st.booleans()):
            tag = draw(st.sampled_from(_TAGS))
            parts.append(f"<{tag}>{draw(_html(depth + 1))}</{tag}>")
        else:
            parts.append(draw(_WORDS))
    return " ".join(parts)


def _section_headings() -> set[str]:
    """The section names the layout data lists, lowercased: a block holding only one is
    a heading styled as a paragraph, and becomes a section as a heading tag does."""
    data = load_toml(package_data("sections.toml"), "sections.toml")
    return {squeeze(h).lower() for entry in data["section"] for h in entry["headings"]}


_SECTION_HEADINGS = _section_headings()


def _visible_words(markup: str) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    words = []
    for string in soup.find_all(string=True):
        if string.find_parent(["h1", "h2", "h3", "h4", "h5", "h6"]):
            continue  # headings become sections; an empty one makes no chunk by design
        line = squeeze(str(string))
        # Boilerplate rules judge the text a block element holds directly (not in a child
        # block), as the reader groups it.
        block = string.find_parent(list(BLOCK_TAGS))
        own = [
            str(piece)
            for piece in block.find_all(string=True)
            if piece.find_parent(list(BLOCK_TAGS)) is block
        ] if block is not None else [str(string)]  # fmt: skip
        whole = squeeze(" ".join(own))
        if whole.lower() in _SECTION_HEADINGS and (block is None or block.name not in _ITEMS):
            continue  # a section's name: its section, and with nothing in it no chunk
        if line and not is_boilerplate(line) and not is_boilerplate(whole):
            words.extend(line.split())
    return words


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_html())
@example("GIP EVENT REPORTS")  # a section's name alone: no chunk, as with an empty heading
def test_random_html_never_crashes_or_loses_text(body):
    """All the text of the main content is kept (a page that does not mark its content
    loses what the extractor leaves out of it: that is what it is for)."""
    markup = normalise(f"<html><body><main><h1>Page</h1>{body}</main></body></html>")
    chunks = chunk_html(markup, "random.html")
    held = " ".join(f"{c.title} {c.text}" for c in chunks)
    for word in _visible_words(markup):
        assert word in held


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_html())
def test_random_html_without_main_never_crashes(body):
    markup = normalise(f"<html><body><h1>Page</h1>{body}</body></html>")
    chunks = chunk_html(markup, "random.html")
    assert chunks[0].page_title == "Page"
    assert len({c.id for c in chunks}) == len(chunks)
