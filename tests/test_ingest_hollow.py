"""No hollow chunks: a page's title, its date line and its address are what its chunks
are about, never a chunk of their own; and no line of real content is lost for it.

Pages are read through `dwsearch chunks --json`. The oracle reads the sources itself: a
.txt's lines, and an HTML page's paragraphs, items and headings outside its chrome.
"""

from __future__ import annotations

import calendar
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from dwsearch.ingest import bundled_corpus
from dwsearch.ingest.boilerplate import is_boilerplate
from dwsearch.ingest.layout import page_rules
from helpers import FIXTURES, SEED_NAME, run_cli, write

PAGES = sorted((FIXTURES / "pages").glob("*.html"))
OBSERVATORY = Path(__file__).parent / "relevance" / "observatory" / "pages"
SEED_HTML = FIXTURES / "international-telecommunication-union.html"
# The months as the standard library names them, in full and in three letters.
_MONTH = "|".join(calendar.month_name[1:] + calendar.month_abbr[1:])
# A date line under a title, as the fixtures write them ("16 Dec 2015", "Published on
# 27 April 2016", "18 Dec 2017 to 21 Dec 2017 Geneva", "7 Jun 2017 09:00h"), or naming
# a month or a year alone ("Nov 2015", "Published: November 2015", "2015-11", "2015").
DATE_LINE = re.compile(
    r"((published|posted|dated|date)( on)?:? )?"
    r"(\d{1,2} [A-Z][a-z]+ \d{4}( to \d{1,2} [A-Z][a-z]+ \d{4})?( \d{2}:\d{2}h)?( [A-Z][a-z]+)?"
    rf"|(({_MONTH})\.? )?\d{{4}}|\d{{4}}-\d{{2}})",
    re.IGNORECASE,
)


def _chunks(*paths: Path) -> list[dict]:
    listed = run_cli("chunks", "--json", *map(str, paths))
    assert listed.exit_code == 0, listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines()]


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def _is_hollow(chunk: dict, page: list[dict]) -> bool:
    """The page's own title, with nothing under it but a date line or a postal address
    (a few words), on a page that has other chunks."""
    text = _squeezed(chunk["text"])
    furniture = not text or DATE_LINE.fullmatch(text) or (len(text.split()) <= 8 and "," in text)
    return len(page) > 1 and chunk["title"] == chunk["page_title"] and bool(furniture)


def _by_page(chunks: list[dict]) -> dict[str, list[dict]]:
    pages: dict[str, list[dict]] = {}
    for chunk in chunks:
        pages.setdefault(chunk["source"], []).append(chunk)
    return pages


@pytest.mark.parametrize(
    "path",
    [bundled_corpus() / SEED_NAME, SEED_HTML, *PAGES],
    ids=lambda p: p.name,
)
def test_no_chunk_is_only_a_title_and_its_furniture(path):
    chunks = _chunks(path)
    for chunk in chunks:
        assert not _is_hollow(chunk, chunks), (chunk["title"], chunk["text"])


def _held(chunks: list[dict]) -> str:
    return " ".join(_squeezed(f"{c['title']} {c['text']}") for c in chunks)


def _opening_paragraph(path: Path) -> str:
    """The first paragraph after the page's <h1>: what a hollow title is folded into."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for paragraph in soup.find("h1").find_all_next("p"):
        text = _squeezed(paragraph.get_text(" "))
        if len(text.split()) > 8:
            return text
    raise AssertionError(f"{path.name} has no paragraph")


def _lines_of(path: Path, chunks: list[dict]) -> list[str]:
    """A .txt page's lines, less its title, the site's headings (a chunk's section, or
    one with nothing under it), its boilerplate and its `URL:` line; a year in brackets
    closing an item is its `years`."""
    headings = {c["section"].lower() for c in chunks} | set(page_rules().sections)
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = _squeezed(raw)
        furniture = line == chunks[0]["page_title"] or line.lower() in headings
        if line and not furniture and not is_boilerplate(line) and not line.startswith("URL:"):
            lines.append(re.sub(r" \(\d{4}\)$", "", line))
    return lines


TEXT_PAGES = [bundled_corpus() / SEED_NAME, *sorted(OBSERVATORY.glob("*.txt"))]


@pytest.mark.parametrize("path", TEXT_PAGES, ids=lambda p: p.name)
def test_every_line_of_a_text_page_is_in_a_chunk(path):
    chunks = _chunks(path)
    held = _held(chunks)
    for line in _lines_of(path, chunks):
        assert line in held, line


def test_the_html_rendering_of_the_bundled_page_holds_every_line_of_its_text():
    chunks = _chunks(SEED_HTML)
    held = _held(chunks)
    for line in _lines_of(bundled_corpus() / SEED_NAME, chunks):
        assert line in held, line


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_the_opening_paragraph_of_an_html_page_is_in_a_chunk(path):
    assert _opening_paragraph(path) in _held(_chunks(path))


def test_a_page_of_only_a_title_keeps_it(tmp_path):
    page = write(tmp_path / "only.txt", "A page with nothing but its title\n")
    chunks = _chunks(page)
    assert [(c["title"], c["text"]) for c in chunks] == [("A page with nothing but its title", "")]


def test_a_title_is_no_hit_of_its_own(tmp_path):
    """Searched, a page's title and date line are no hit of their own."""
    pages, index = tmp_path / "pages", tmp_path / "ix"
    write(
        pages / "u.txt",
        "Quokka census\n\n12 Mar 2021\n\nRangers counted the quokkas of the island.\n\n"
        "The quokkas were found in every valley of the island.\n",
    )
    assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0
    found = json.loads(run_cli("search", "quokka", "--json", "--index", str(index)).stdout)
    assert found["total"] == 2
    assert all(len(_squeezed(hit["text"]).split()) > 3 for hit in found["hits"])


@pytest.mark.parametrize("label", ["Published", "Posted on:", "Dated", "Date:", "published on"])
@pytest.mark.parametrize("suffix", [".html", ".txt"])
def test_a_labelled_date_line_dates_the_page_and_is_no_chunk(tmp_path, label, suffix):
    """ "Published 15 January 2019" under a title is the page's date line, as a bare
    date is: it dates the paragraphs and is no chunk of its own."""
    date_line = f"{label} 15 January 2019"
    paragraphs = [
        "Diplomats agreed on eleven norms of responsible state behaviour in cyberspace.",
        "The norms were welcomed by the General Assembly in a resolution the same year.",
    ]
    if suffix == ".html":
        body = "".join(f"<p>{p}</p>" for p in [date_line, *paragraphs])
        text = f"<html><body><main><h1>Cyber norms agreed</h1>{body}</main></body></html>"
    else:
        text = "\n\n".join(["Cyber norms agreed", date_line, *paragraphs]) + "\n"
    chunks = _chunks(write(tmp_path / f"updates-norms{suffix}", text))
    assert len(chunks) == len(paragraphs)
    assert [c["date"] for c in chunks] == ["2019-01-15"] * len(paragraphs)
    assert all(paragraph in _held(chunks) for paragraph in paragraphs)


TALKS = [
    "Delegates in Geneva weighed how the names and numbers of the internet are governed.",
    "A second session heard regulators on spectrum for broadband in rural areas.",
]


@pytest.mark.parametrize(
    ("line", "date", "date_end", "years"),
    [
        # A month covers its first to its last day; a year alone is the chunk's years,
        # as an item's "(2015)" is, which a search takes as 1 January to 31 December.
        ("2015", "", "", [2015]),
        ("Nov 2015", "2015-11-01", "2015-11-30", [2015]),
        ("November 2015", "2015-11-01", "2015-11-30", [2015]),
        ("Published: November 2015", "2015-11-01", "2015-11-30", [2015]),
        ("Posted on 2016", "", "", [2016]),
        ("2016-02", "2016-02-01", "2016-02-29", [2016]),
    ],
)
@pytest.mark.parametrize("form", ["{}.txt", "<time>{}</time>", "<p>{}</p>"])
def test_a_month_or_a_year_under_the_title_dates_the_page_and_is_no_chunk(
    tmp_path, line, date, date_end, years, form
):
    """Issue 22: "2015" under a title was a hollow chunk, "Nov 2015" a section heading
    and the page undated, `<time>May 2018</time>` a chunk of its own."""
    title = "Internet governance talks"
    if form.endswith(".txt"):
        page = write(tmp_path / "talks.txt", "\n\n".join([title, line, *TALKS]) + "\n")
    else:
        body = form.format(line) + "".join(f"<p>{p}</p>" for p in TALKS)
        page = write(tmp_path / "talks.html", f"<html><body><h1>{title}</h1>{body}</body></html>")
    chunks = _chunks(page)
    assert not any(_is_hollow(c, chunks) for c in chunks), [c["text"] for c in chunks]
    assert len(chunks) == len(TALKS)
    held = _held(chunks)
    assert all(text in held for text in [line, *TALKS])
    assert [c["title"] for c in chunks if TALKS[0] in c["text"]] == [title]
    assert [(c["date"], c["date_end"], c["years"]) for c in chunks] == [
        (date, date_end, years)
    ] * len(TALKS)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("list.txt", "Budget history\n\n2015\n2016\n2017\n\n{}\n"),
        ("later.txt", "Budget history\n\n{}\n\n2015\n\nThe budget was cut in 2019.\n"),
        ("later-month.txt", "Budget history\n\n{}\n\nNov 2015\n\nThe budget was cut.\n"),
        ("cells.html", "<h1>Budget history</h1><table><tr><td>2015</td></tr></table><p>{}</p>"),
        ("items.html", "<h1>Budget history</h1><ul><li>2015</li><li>2016</li></ul><p>{}</p>"),
        ("later.html", "<h1>Budget history</h1><p>{}</p><p>November 2015</p><p>The budget.</p>"),
    ],
)
def test_a_lone_year_or_month_in_the_content_dates_nothing(tmp_path, name, text):
    """Only the place of a page's date line makes a year or a month a date: in a list, a
    table or between paragraphs, "2015" is content, and each chunk is about the years
    its own words name."""
    paragraph = "The assembly revised the budget of the programme every year."
    chunks = _chunks(write(tmp_path / name, text.format(paragraph)))
    assert all(c["date"] == "" for c in chunks)
    assert [c["years"] for c in chunks if paragraph in c["text"]] == [[]]
    for chunk in chunks:
        named = {
            int(y) for y in re.findall(r"\b(?:19|20)\d\d\b", f"{chunk['title']} {chunk['text']}")
        }
        assert set(chunk["years"]) == named, (chunk["title"], chunk["text"], chunk["years"])
    # Kept as content: in a chunk's words, or as a heading ("Nov 2015" between paragraphs).
    assert paragraph in _held(chunks)
    assert any("2015" in f"{c['section']} {c['title']} {c['text']}" for c in chunks)
