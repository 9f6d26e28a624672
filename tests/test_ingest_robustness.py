"""Pages unlike the seed: sensible chunks, or one clear error that names the file."""

from __future__ import annotations

from collections import Counter

import pytest

from dwsearch.ingest.pages import IngestError, Source, chunk_paths, chunk_source, chunk_text
from helpers import assert_lossless, write


def _types(chunks):
    return [c.type for c in chunks]


def test_no_address_line():
    text = "World Trade Organization\n\nThe WTO deals with e-commerce and trade rules.\n"
    chunks = chunk_text(text, "wto.txt")
    assert _types(chunks) == ["overview"]  # the title titles the paragraph: no hollow chunk
    assert chunks[0].title == "World Trade Organization"
    assert chunks[0].text == "The WTO deals with e-commerce and trade rules."
    assert chunks[0].topics == ("e-commerce-and-trade",)
    assert_lossless(text, chunks)


def test_sections_missing_or_out_of_order():
    text = (
        "Some Actor\n\nRue 1, 1000 Town, Country\n\nProse about privacy.\n\n\n"
        "Other resources\n\nA guide (2016)\n\n"
        "GIP event reports\n\nA session (2017)\nAnother session (2018)\n"
    )
    chunks = chunk_text(text, "a.txt")
    assert _types(chunks) == ["overview", "resource", "event_report", "event_report"]
    assert chunks[0].text == "Rue 1, 1000 Town, Country Prose about privacy."
    assert [c.years for c in chunks[1:]] == [(2016,), (2017,), (2018,)]
    assert_lossless(text, chunks)


def test_items_without_year_and_with_unclosed_year():
    text = "Actor\n\nOther Instruments\n\nA charter without a year\nA strategy (2016\n"
    chunks = chunk_text(text, "a.txt")
    items = [(c.title, c.years) for c in chunks if c.type == "instrument"]
    assert items == [("A charter without a year", ()), ("A strategy", (2016,))]
    assert_lossless(text, chunks)


LABELLED = """Office of the United Nations High Commissioner for Human Rights
 Logo, Text, Symbol
Digital Watch 2.0 member badge
Acronym: OHCHR
Established: 1993
Address: Palais Wilson, 52 rue des Pâquis, CH-1201 Geneva, Switzerland
Website: https://www.ohchr.org
Stakeholder group: International and regional organisations

OHCHR leads the UN's work on human rights, including privacy in the digital age.

Digital activities

The office reports on the right to privacy and on freedom of expression online.

Digital policy issues

Privacy and data protection

Reports on surveillance and data protection.

Freedom of expression

Guidance for companies on content moderation.
"""


def test_labelled_field_layout():
    chunks = chunk_text(LABELLED, "ohchr.txt")
    assert _types(chunks) == ["profile", "overview", "activity", "policy_issue", "policy_issue"]
    profile = chunks[0]
    assert profile.text.splitlines()[0] == "Acronym: OHCHR"
    assert "Website: https://www.ohchr.org" in profile.text
    assert profile.years == ()  # "Established: 1993" is not what the page is about
    for chunk in chunks:
        assert "Logo" not in chunk.title + chunk.text
        assert "badge" not in chunk.title + chunk.text
    issues = chunks[3:]
    assert [c.title for c in issues] == ["Privacy and data protection", "Freedom of expression"]
    assert issues[0].topics == ("privacy-and-data-protection",)
    assert issues[1].section == "Digital policy issues"
    assert_lossless(LABELLED, chunks)


def test_truncated_page(seed_text):
    cut = seed_text[: seed_text.index("Innovative applications") + 12]
    chunks = chunk_text(cut, "cut.txt")
    assert chunks[-1].title == "Innovative a"
    assert chunks[-1].type == "event_report"
    assert_lossless(cut, chunks)
    cut_mid_prose = seed_text[:900]
    assert_lossless(cut_mid_prose, chunk_text(cut_mid_prose, "cut.txt"))


def test_windows_line_endings_change_nothing(seed_text):
    crlf = seed_text.replace("\n", "\r\n")
    assert chunk_text(crlf, "a.txt") == chunk_text(seed_text, "a.txt")


def test_latin1_file(tmp_path):
    path = write(
        tmp_path / "zurich.txt",
        "Zürich Actor\n\nBahnhofstrasse 1, 8001 Zürich, Suisse\n".encode("latin-1"),
    )
    chunks = chunk_source(Source(path, path.name))
    assert chunks[0].title == "Zürich Actor"
    assert chunks[0].text == "Bahnhofstrasse 1, 8001 Zürich, Suisse"


def test_utf16_with_bom(tmp_path):
    path = write(tmp_path / "u16.txt", "Genève Actor\n\nSome prose.\n".encode("utf-16"))
    assert chunk_source(Source(path, path.name))[0].title == "Genève Actor"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"  \n\n ", "empty file"),
        (b"\x00\x01\x02PNG\x00", "binary file (not a text or HTML page)"),
    ],
)
def test_empty_and_binary_files_are_clear_errors(tmp_path, content, message):
    path = write(tmp_path / "bad.txt", content)
    with pytest.raises(IngestError) as raised:
        chunk_source(Source(path, "bad.txt"))
    assert str(raised.value) == f"bad.txt: {message}"


def test_a_bad_file_never_stops_the_others(tmp_path, seed_text):
    write(tmp_path / "a-empty.txt", b"")
    write(tmp_path / "b-binary.html", bytes(range(256)) * 4)
    write(tmp_path / "c-seed.txt", seed_text)
    write(tmp_path / "notes.md", "ignored: not a page type")
    results = list(chunk_paths([tmp_path, tmp_path / "missing.txt"]))
    errors = [str(r) for r in results if isinstance(r, IngestError)]
    assert errors == [
        "a-empty.txt: empty file",
        "b-binary.html: binary file (not a text or HTML page)",
        f"{tmp_path / 'missing.txt'}: no such file or folder",
    ]
    assert Counter(r.type for r in results if not isinstance(r, IngestError))["event_report"] == 27


@pytest.mark.slow
def test_single_ten_megabyte_line():
    line = ("cybersecurity and spectrum policy in 2018, " * 240_000)[:10_000_000]
    chunks = chunk_text(line, "huge.txt")
    # Far too long for a title: the page is named after its file, and the line is prose.
    assert [(c.type, c.page_title) for c in chunks] == [("overview", "Huge")]
    assert len(chunks[0].text) == len(line.strip())
    assert chunks[0].years == (2018,)
    assert "cybersecurity" in chunks[0].topics


def test_nested_folders_give_relative_sources(tmp_path, seed_text):
    write(tmp_path / "actors" / "itu.txt", seed_text)
    chunks = list(chunk_paths([tmp_path]))
    assert {c.source for c in chunks} == {"actors/itu.txt"}


def test_unknown_text_heading_makes_a_generic_section():
    text = (
        "Actor\n\nSome prose about the actor.\n\n"
        "Key Publications\n\nA handbook (2019)\nA toolkit (2020)\n"
    )
    chunks = chunk_text(text, "a.txt")
    assert [(c.type, c.section) for c in chunks[1:]] == [
        ("section", "Key Publications"),
        ("section", "Key Publications"),
    ]
    assert_lossless(text, chunks)


def test_short_line_with_nothing_under_it_is_content():
    text = "Actor\n\nSome prose.\n\nStorytellers\n"
    chunks = chunk_text(text, "a.txt")
    assert chunks[-1].text == "Storytellers"
    assert_lossless(text, chunks)


def test_empty_heading_makes_no_chunk(seed_text):
    chunks = chunk_text(seed_text, "a.txt")
    assert not [c for c in chunks if c.section == "Resolutions & Declarations"]
