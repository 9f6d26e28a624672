"""The seed page, chunk by chunk, as a reader of it would describe it."""

from __future__ import annotations

from collections import Counter

import pytest

from dwsearch.ingest.boilerplate import is_boilerplate
from dwsearch.ingest.pages import chunk_text
from helpers import SEED_NAME, assert_lossless


@pytest.fixture(scope="module")
def chunks(seed_text):
    return chunk_text(seed_text, SEED_NAME)


def test_types_and_counts(chunks):
    assert Counter(c.type for c in chunks) == {
        "overview": 6,
        "instrument": 4,
        "event_report": 27,
        "resource": 1,
    }


def test_years_of_list_items(chunks):
    instruments = [c.years for c in chunks if c.type == "instrument"]
    assert instruments == [(2017,), (2015,), (2015,), (2015,)]
    reports = Counter(c.years for c in chunks if c.type == "event_report")
    assert reports == {(2018,): 24, (2017,): 3}
    assert [c.years for c in chunks if c.type == "resource"] == [(2015,)]


def test_item_year_leaves_its_title():
    assert [c.title for c in chunk_text("T\n\nOther resources\n\nStorytellers (2018)\n")][-1] == (
        "Storytellers"
    )


def test_prose_years_include_resolution_numbers(chunks):
    overview = [c for c in chunks if c.type == "overview"]
    assert overview[4].years == (1988, 2012)  # WATTC-88 and WCIT-12
    assert overview[5].years == (2014,)  # "Resolution 101/2014" and its siblings
    assert overview[0].years == ()  # "1202 Genève" is a postcode, not a year


def test_the_title_and_address_open_the_first_paragraph(chunks):
    """A name and an address are no chunk of their own (no hollow hit): the page's title
    titles its opening paragraph, and the address opens its text."""
    first = chunks[0]
    assert first.type == "overview"
    assert first.title == "International Telecommunication Union"
    assert first.text.startswith("Place des Nations, 1202 Genève, Switzerland The International")
    assert first.lines == (1, 5)
    assert first.page == "international-telecommunication-union"
    assert not any(c.type == "profile" for c in chunks)


def test_sections_are_the_headings(chunks):
    assert {c.section for c in chunks if c.type == "event_report"} == {"GIP event reports"}
    assert {c.section for c in chunks if c.type == "instrument"} == {"Other Instruments"}
    assert {c.section for c in chunks if c.type == "overview"} == {""}


def test_no_boilerplate_in_any_chunk(chunks):
    chrome = ("provided by", "in partnership with", "Steering Committee", "operated by", "Scroll")
    for chunk in chunks:
        for fragment in chrome:
            assert fragment not in chunk.title + chunk.text, (chunk.id, fragment)


def test_lossless(seed_text, chunks):
    assert_lossless(seed_text, chunks)


def test_text_is_nfc_without_no_break_spaces(chunks):
    for chunk in chunks:
        assert "\u00a0" not in chunk.text
        assert "  " not in chunk.text
    assert "ITU’s key areas" in chunks[1].text  # curly apostrophe kept as written


def test_ids_are_unique_and_stable(seed_text, chunks):
    assert len({c.id for c in chunks}) == len(chunks)
    again = chunk_text(seed_text, SEED_NAME)
    assert [c.id for c in again] == [c.id for c in chunks]


def test_ids_survive_edits_elsewhere_on_the_page(seed_text, chunks):
    edited = seed_text.replace(
        "Storytellers (2018)\n", "Storytellers (2018)\nA new session on spectrum (2018)\n"
    )
    before = {c.title: c.id for c in chunks}
    after = {c.title: c.id for c in chunk_text(edited, SEED_NAME)}
    assert "A new session on spectrum" in after
    assert all(after[title] == chunk_id for title, chunk_id in before.items())


def test_boilerplate_lines_only_when_whole():
    assert is_boilerplate("Scroll to Top")
    assert is_boilerplate("The GIP Digital Watch observatory is a service provided by")
    assert is_boilerplate(" Logo, Text, Symbol")
    assert not is_boilerplate("The GIP Digital Watch observatory is provided by many partners.")
    assert not is_boilerplate("Text and data mining in partnership with universities")


# What a reader of the seed would tag each chunk with, and why. Items not listed here
# (statistics reports, session wrap-ups, consultation meetings) name no topic at all.
EXPECTED_TAGS = {
    # sectors named outright; spectrum, standards and access to ICTs are its three topics
    "International Telecommunication Union": (
        ("access", "digital-standards", "telecommunications-infrastructure"),
        ("ITU-D", "ITU-R", "ITU-T"),
    ),
    # the paragraph is a list of the ITU's areas: each maps to one issue
    "Some of ITU’s key areas": (
        (
            "access",
            "child-safety-online",
            "cybersecurity",
            "digital-divide",
            "digital-standards",
            "gender-rights-online",
            "rights-of-persons-with-disabilities",
            "sustainable-development",  # "ICTs and climate change"
            "telecommunications-infrastructure",
        ),
        ("ITU-D", "ITU-T"),  # "standardisation work", "digital divide"
    ),
    # WSIS action line C5 and the Child Online Protection Initiative; digital inclusion
    "In the area of cybersecurity": (
        (
            "access",
            "child-safety-online",
            "cybersecurity",
            "digital-divide",
            "gender-rights-online",  # "women and girls"
            "rights-of-persons-with-disabilities",
        ),
        ("ITU-D",),
    ),
    # ITU-T Recommendations on networks, the cloud and the Internet of Things
    "With regard to standardisation": (
        (
            "cloud-computing",
            "digital-standards",
            "internet-of-things",
            "telecommunications-infrastructure",
        ),
        ("ITU-T",),
    ),
    # the ITRs govern interconnection and telecommunications traffic; no sector named
    "The ITU also works in the area of policy coordination": (
        ("telecommunications-infrastructure",),
        (),
    ),
    # IP, IPv6, domain names; internationalised domain names are also multilingualism
    "Some of the resolutions adopted by the ITU": (
        ("critical-internet-resources", "multilingualism"),
        (),
    ),
    "Trends in Telecommunication Reform 2015": (("digital-business-models",), ()),
    "Global Cybersecurity Index": (("cybersecurity",), ()),
    "Session 3: Policy and regulation perspective": (("privacy-and-data-protection",), ()),
    "Roundtable Discussion: AI for Development": (("artificial-intelligence",), ("ITU-D",)),
    "Leadership Debate: Emerging Technologies": (("emerging-technologies",), ()),
    "Opening Session and Session 1: AI and Cybersecurity": (
        ("artificial-intelligence", "cybersecurity"),
        (),
    ),
    # "building confidence and security in the use of ICTs" is WSIS's cybersecurity line
    "Session 2: AI and IoT": (
        ("artificial-intelligence", "cybersecurity", "internet-of-things"),
        (),
    ),
    "Innovative applications of AI in education": (
        ("artificial-intelligence", "online-education"),
        (),
    ),
    "Implementations of AI to Advance the SDGs": (
        ("artificial-intelligence", "sustainable-development"),
        ("ITU-D",),
    ),
    "AI + Satellites": (("artificial-intelligence",), ("ITU-R",)),
    "Storytellers": ((), ()),
    "Transformations on the Horizon": ((), ()),
    "Report for Symposium on The Future Networked Car": ((), ()),
    "StaTact, data and monitoring": ((), ()),
    "ICT Facts and Figures 2017": ((), ()),
    # closing the digital gender gap is about gender and the digital divide
    "Action Plan to Close the Digital Gender Gap": (
        ("digital-divide", "gender-rights-online"),
        ("ITU-D",),
    ),
}


@pytest.mark.parametrize("start", sorted(EXPECTED_TAGS))
def test_tags_a_reader_would_agree_with(chunks, start):
    matching = [c for c in chunks if (c.title or c.text).startswith(start)]
    assert len(matching) == 1, start
    topics, sectors = EXPECTED_TAGS[start]
    assert (matching[0].topics, matching[0].sectors) == (topics, sectors)


def test_every_ai_event_is_tagged_ai_and_nothing_else_is(chunks):
    for chunk in chunks:
        if chunk.type != "event_report":
            continue
        names_ai = " AI " in f" {chunk.title} ".replace("-", " ").replace(":", " ")
        assert ("artificial-intelligence" in chunk.topics) == names_ai, chunk.title


def test_baskets_follow_topics(chunks):
    by_start = {c.title or c.text[:40]: c for c in chunks}
    assert by_start["Global Cybersecurity Index & Cyberwellness Profiles"].baskets == (
        "cybersecurity",
    )
    session3 = next(c for c in chunks if c.title.startswith("Session 3"))
    assert session3.baskets == ("human-rights",)
