"""The dates chunks are about, and the years they are about."""

from __future__ import annotations

import pytest

from dwsearch.ingest import dates
from dwsearch.ingest.pages import chunk_html, chunk_text
from helpers import assert_lossless

ISSUE_2016 = """Network neutrality

Updates

15 Feb 2016
European regulators began drafting guidelines on the open Internet rules.

8 Feb 2016

India's regulator prohibited discriminatory tariffs for data services.
"""


def _dated(chunks):
    return [(c.type, c.text[:20], c.date, c.date_end, c.years) for c in chunks]


def test_a_date_line_belongs_to_the_paragraph_it_dates():
    chunks = chunk_text(ISSUE_2016, "nn.txt", url="https://dig.watch/issues/network-neutrality")
    assert _dated(chunks) == [
        ("update", "15 Feb 2016 European", "2016-02-15", "", (2016,)),
        ("update", "8 Feb 2016 India's r", "2016-02-08", "", (2016,)),
    ]
    assert chunks[0].lines == (5, 6) and chunks[1].lines == (8, 10)
    assert chunks[0].page_title == "Network neutrality" and chunks[0].title == ""
    assert_lossless(ISSUE_2016, chunks)


EVENT = """WSIS Forum 2017

24 Apr 2017 to 28 Apr 2017 Geneva

The forum brought together stakeholders to review the WSIS action lines, founded in 2003.

Session reports

Session 1: Opening
"""


def test_an_events_date_range_dates_the_whole_page():
    chunks = chunk_text(EVENT, "wsis.txt")
    # The title and the date line open the page's first paragraph: no hollow chunk.
    assert (chunks[0].type, chunks[0].title) == ("overview", "WSIS Forum 2017")
    assert chunks[0].text.startswith("24 Apr 2017 to 28 Apr 2017 Geneva The forum")
    assert {(c.kind, c.date, c.date_end, c.years) for c in chunks} == {
        ("event", "2017-04-24", "2017-04-28", (2017,))
    }
    assert_lossless(EVENT, chunks)


@pytest.mark.parametrize(
    ("line", "span"),
    [
        ("17 Nov 2015", ("2015-11-17", "")),
        ("24 Apr 2017 to 28 Apr 2017 Geneva", ("2017-04-24", "2017-04-28")),
        ("18 Apr 2016 - 22 Apr 2016", ("2016-04-18", "2016-04-22")),
        ("24-28 April 2017", ("2017-04-24", "2017-04-28")),
        ("21 Mar 2017 01:00h", ("2017-03-21", "")),
        ("Monday, 15 May 2023", ("2023-05-15", "")),
        ("December 28, 2017 – January 3, 2018", ("2017-12-28", "2018-01-03")),
        ("2019-06-10", ("2019-06-10", "")),
    ],
)
def test_date_lines(line, span):
    assert dates.date_line_span(line) == span


@pytest.mark.parametrize(
    "line",
    [
        "Storytellers (2018)",
        "2018",
        "May 2018",
        "17 Nov 2015 the Union adopted a resolution on spectrum management",
        "24 Apr to 28 Apr 2017",  # half a range: not understood, so no date rather than a wrong one
        "Resolution 101/2014",
    ],
)
def test_lines_that_are_not_date_lines(line):
    assert dates.date_line_span(line) is None


@pytest.mark.parametrize(
    ("line", "span"),
    [
        ("November 2015", ("2015-11-01", "2015-11-30")),
        ("Nov. 2015", ("2015-11-01", "2015-11-30")),
        ("Sept 2019", ("2019-09-01", "2019-09-30")),
        ("Feb 2016", ("2016-02-01", "2016-02-29")),
        ("2015-02", ("2015-02-01", "2015-02-28")),
        ("December, 2017", ("2017-12-01", "2017-12-31")),
        ("Date: May 2018", ("2018-05-01", "2018-05-31")),
        ("Published on 2015", ("2015-01-01", "2015-12-31")),
        ("2015", ("2015-01-01", "2015-12-31")),
    ],
)
def test_a_month_or_a_year_alone_covers_its_days(line, span):
    assert dates.month_or_year_span(line) == span


@pytest.mark.parametrize(
    "line",
    [
        "17 Nov 2015",  # a day: a date line of its own kind
        "May",
        "1865",  # not a year the site writes about
        "2015-13",
        "2015 2016",
        "2015/16",
        "Storytellers (2018)",
        "Resolution 101/2014",
        "November 2015 saw the delegates meet in Geneva",
    ],
)
def test_lines_that_name_no_month_or_year_alone(line):
    assert dates.month_or_year_span(line) is None


def test_a_range_over_new_year_is_about_both_years():
    chunks = chunk_text("Forum\n\n28 Dec 2017 to 3 Jan 2018\n\nA forum.\n", "f.txt")
    assert chunks[-1].years == (2017, 2018)


def test_founding_years_are_not_what_a_page_is_about():
    text = (
        "International Telecommunication Union\n\n"
        "Acronym: ITU\nEstablished: 1948\n\n"
        "Founded in 1865, the Union took its name in 1934; it has been a UN agency since 1949. "
        "The 2012 conference in Dubai amended the regulations.\n"
    )
    chunks = chunk_text(text, "itu.txt")
    assert [(c.type, c.years) for c in chunks] == [("profile", ()), ("overview", (1934, 2012))]


def test_seed_prose_keeps_the_years_it_is_about(seed_text):
    overview = [c for c in chunk_text(seed_text, "itu.txt") if c.type == "overview"]
    assert overview[4].years == (1988, 2012)
    assert overview[5].years == (2014,)


def test_time_element_dates_its_item():
    markup = (
        "<main><h1>Resources</h1><h2>Other resources</h2><ul>"
        '<li>Digital trade report <time datetime="2019-04-12">12 April 2019</time></li>'
        "<li>A handbook (2017)</li></ul></main>"
    )
    items = chunk_html(markup, "r.html", url="https://dig.watch/actors/wto")
    assert [(c.date, c.years) for c in items] == [("2019-04-12", (2019,)), ("", (2017,))]


def test_publication_date_dates_an_update_but_not_an_actor():
    def page(path: str) -> str:
        return (
            f'<html><head><link rel="canonical" href="https://dig.watch/{path}/x">'
            '<meta property="article:published_time" content="2018-03-05T10:00:00+00:00">'
            "</head><body><main><h1>A page</h1><p>Prose about privacy, founded 2001.</p>"
            "</main></body></html>"
        )

    update = chunk_html(page("updates"), "u.html")
    assert {(c.kind, c.date, c.years) for c in update} == {("update", "2018-03-05", (2018,))}
    actor = chunk_html(page("actors"), "a.html")
    assert {(c.kind, c.date, c.years) for c in actor} == {("actor", "", ())}


def test_only_candidate_lines_are_parsed(seed_text, monkeypatch):
    """Each line is matched against one pattern; only dates it finds are parsed."""
    parsed = []
    real = dates._parse_day
    monkeypatch.setattr(dates, "_parse_day", lambda text, **k: parsed.append(text) or real(text))
    dates.date_line_span.cache_clear()
    chunk_text(seed_text, "itu.txt")
    assert parsed == []
    chunk_text(ISSUE_2016, "nn.txt")
    assert parsed == ["15 Feb 2016", "8 Feb 2016"]
