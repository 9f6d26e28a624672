"""End-to-end searches on the seed page.

Every expectation here comes from reading the page, not from running the engine:
the counts in the comments are of the page's own lines.
"""

from __future__ import annotations

import json
import re

import pytest

from dwsearch.app.api import Filters, search
from helpers import run_cli

# The 18 event reports that name AI (all of 2018): "AI-Powered" counts, "Storytellers" not.
AI_EVENT_REPORTS = 18


def titles(results):
    return [hit.chunk.title for hit in results.hits]


def run_json(index, *args):
    result = run_cli("search", *args, "--json", "--index", str(index))
    return result, (json.loads(result.stdout) if result.stdout.strip() else None)


def test_readme_query_ai_in_2018(seed_index):
    results = search("artificial intelligence", Filters(years=[(2018, 2018)]), index=seed_index)
    assert results.total == AI_EVENT_REPORTS
    assert {h.chunk.type for h in results.hits} == {"event_report"}
    assert results.facets["type"] == {"event_report": AI_EVENT_REPORTS}
    # The year facet ignores the year filter: no other year mentions AI.
    assert results.facets["year"] == {"2018": AI_EVENT_REPORTS}


def test_acronym_and_expansion_find_each_other(seed_index):
    by_acronym = search("AI", limit=100, index=seed_index)
    by_words = search('"artificial intelligence"', limit=100, index=seed_index)
    assert by_acronym.total == by_words.total == AI_EVENT_REPORTS
    assert set(titles(by_acronym)) == set(titles(by_words))
    # "internet of things" (P4) and "IoT" (Session 2) are the same thing
    iot = search("IoT", index=seed_index)
    spelled = search('"Internet of Things"', index=seed_index)
    assert iot.total == spelled.total == 2
    assert {h.chunk.type for h in iot.hits} == {"overview", "event_report"}


def test_acronym_never_matches_an_unrelated_short_word(seed_index):
    # "Ai" is no word of the page, and "ai" inside "maintain" or "Dubai" must not count.
    results = search("AI", limit=100, index=seed_index)
    assert all("Dubai" not in hit.chunk.text for hit in results.hits)
    assert not any(hit.chunk.type == "overview" for hit in results.hits)


def test_exact_phrase(seed_index):
    results = search('"digital divide"', index=seed_index)
    assert results.total == 1  # only the "key areas" paragraph says it
    assert results.hits[0].chunk.text.startswith("Some of ITU’s key areas")
    # the words apart match more: "digital" alone is in several chunks
    assert search("digital divide", index=seed_index).total > 1


def test_phrase_across_a_stop_word(seed_index):
    results = search('"confidence and security"', index=seed_index)
    # P3 ("Building confidence and security") and Session 2 ("building confidence and security")
    assert results.total == 2


def test_typo_is_corrected_and_said(seed_index):
    results = search("cybersecurty", index=seed_index)
    assert results.suggestion == "cybersecurity"
    # P2, P3, the Global Cybersecurity Index, and "AI and Cybersecurity"
    assert results.total == 4
    assert results.hits[0].chunk.type in {"instrument", "event_report"}  # titles weigh more


def test_a_word_that_matches_is_never_rewritten(seed_index):
    results = search("satellites", index=seed_index)
    assert results.suggestion is None
    assert results.total == 2  # P1 ("satellite orbits") and "AI + Satellites"


def test_accents_fold(seed_index):
    results = search("Geneve", index=seed_index)
    assert results.total == 1  # the address opening the page's first paragraph
    assert results.hits[0].chunk.type == "overview"
    assert results.suggestion is None


def test_british_and_american_spellings(seed_index):
    us = search("standardization", index=seed_index)
    uk = search("standardisation", index=seed_index)
    # P1, P2 and P4 say "standardisation"; P1 also names the Standardization Sector
    assert us.total == uk.total == 3
    assert titles(us) == titles(uk)
    organisation = search("organization", index=seed_index)
    assert organisation.total == 1  # P2: "carried out by the organisation"


def test_plain_apostrophe_matches_curly(seed_index):
    results = search('"ITU\'s key areas"', index=seed_index)
    assert results.total == 1
    assert "ITU’s key areas" in results.hits[0].chunk.text


def test_exclusion_or_field_and_prefix(seed_index):
    assert search("AI -satellites", limit=100, index=seed_index).total == AI_EVENT_REPORTS - 1
    # "AI + Satellites", P1 ("satellite orbits") and Session 3 ("Privacy and beyond")
    assert search("satellites OR privacy", index=seed_index).total == 3
    assert titles(search("title:storytellers", index=seed_index)) == ["Storytellers"]
    assert search("type:resource", index=seed_index).total == 1
    # tagged cybersecurity: P2, P3, the Index, "AI and Cybersecurity", Session 2 (C5 line)
    assert search("topic:cybersecurity", index=seed_index).total == 5
    assert search("sector:itu-r", index=seed_index).total == 2  # P1 and "AI + Satellites"
    assert search("year:2017", index=seed_index).total == 4  # 3 reports and ICT Facts 2017
    # cybersecurity (P2, P3, the Index, Opening Session) and cyberwellness (the Index)
    assert search("cyber*", index=seed_index).total == 4


def test_more_matching_words_rank_higher(seed_index):
    results = search("AI satellites", index=seed_index)
    assert results.hits[0].chunk.title == "AI + Satellites"
    assert results.total == AI_EVENT_REPORTS + 1  # every AI report, plus P1's satellites


def test_filters_or_within_and_across_facets(seed_index):
    one_type = search("", Filters(types=["resource", "instrument"]), index=seed_index)
    assert one_type.total == 5  # 4 instruments + 1 resource
    both = search("", Filters(types=["event_report"], years=[(2017, 2017)]), index=seed_index)
    assert both.total == 3
    # disjunctive counts: each facet ignores its own filter
    assert both.facets["year"] == {"2018": 24, "2017": 3}
    assert both.facets["type"] == {"event_report": 3, "instrument": 1}


def test_year_ranges(seed_index):
    assert search("", Filters(years=[(2015, 2017)]), index=seed_index).total == 8
    assert (
        search("", Filters(years=[(None, 2015)]), index=seed_index).total == 6
    )  # +1988/2012, 2014
    assert search("", Filters(years=[(2018, None)]), index=seed_index).total == 24


def test_facets_count_the_whole_result_set(seed_index):
    results = search("AI", limit=1, index=seed_index)
    assert len(results.hits) == 1
    assert sum(results.facets["type"].values()) == AI_EVENT_REPORTS


def test_ties_break_by_place_in_the_page(seed_index):
    first = search("", Filters(types=["event_report"]), limit=27, index=seed_index)
    scores = {hit.score for hit in first.hits}
    assert len(scores) == 1  # a filter alone scores all alike...
    # ...so they come in page order, every time
    assert [hit.chunk.lines[0] for hit in first.hits] == list(range(35, 62))
    again = search("", Filters(types=["event_report"]), limit=27, index=seed_index)
    assert titles(again) == titles(first)


def test_paging(seed_index):
    everything = titles(search("AI", limit=100, index=seed_index))
    page_two = search("AI", limit=5, offset=5, index=seed_index)
    assert titles(page_two) == everything[5:10]
    assert page_two.total == AI_EVENT_REPORTS


def test_pages_cut_through_equal_scores_in_page_order(seed_index):
    reports = Filters(types=["event_report"])
    everything = titles(search("", reports, limit=100, index=seed_index))
    pages = [
        titles(search("", reports, limit=4, offset=n, index=seed_index)) for n in range(0, 28, 4)
    ]
    assert [title for page in pages for title in page] == everything


def test_snippet_is_the_densest_window(seed_index):
    results = search("IPv6 transition", index=seed_index)
    snippet = results.hits[0].snippet
    marked = [s.text for s in snippet.segments if s.marked]
    assert marked == ["IPv6", "transition"]
    assert snippet.cut_before and snippet.cut_after
    assert 25 <= len(snippet.plain.split()) <= 34


def test_short_chunks_are_shown_whole(seed_index):
    hit = search("storytellers", index=seed_index).hits[0]
    assert hit.title.plain == "Storytellers"
    assert not hit.snippet.cut_before and not hit.snippet.cut_after


# ------------------------------------------------------------------------------- CLI


def test_json_shape(seed_index):
    result, data = run_json(seed_index, "global cybersecurity index")
    assert result.exit_code == 0
    assert set(data) == {
        "query",
        "total",
        "pages",
        "offset",
        "limit",
        "sort",
        "took_ms",
        "suggestion",
        "hits",
        "facets",
    }
    assert set(data["facets"]) == {"type", "kind", "sector", "topic", "basket", "year"}
    hit = data["hits"][0]
    assert {
        "id", "score", "type", "kind", "title", "text", "snippet", "title_snippet", "page",
        "page_title", "url",
        "section", "date", "date_end", "years", "topics", "sectors", "baskets", "source", "lines",
        "breadcrumb", "more_from_page", "passages",
    } == set(hit)  # fmt: skip
    assert hit["title"] == "Global Cybersecurity Index & Cyberwellness Profiles"
    assert hit["lines"] == [31, 31]
    # marked terms in <mark>, everything else escaped
    assert hit["snippet"] == (
        "<mark>Global</mark> <mark>Cybersecurity</mark> <mark>Index</mark> &amp; "
        "Cyberwellness Profiles"
    )


def test_exit_codes(seed_index):
    assert run_cli("search", "satellites", "--index", str(seed_index)).exit_code == 0
    none = run_cli("search", "xylophone", "--index", str(seed_index))
    assert none.exit_code == 1
    assert none.stderr == ""
    bad = run_cli("search", "x", "--type", "nonsense", "--index", str(seed_index))
    assert bad.exit_code == 2


def test_readable_output(seed_index):
    result = run_cli("search", "satellites", "--index", str(seed_index))
    lines = result.stdout.splitlines()
    assert lines[0].startswith("  1. AI + Satellites  event_report · 2018")
    # The hit's place as a reader names it; its file and line are for tools (JSON).
    assert lines[1].strip() == (
        "International Telecommunication Union › GIP event reports  "
        "https://dig.watch/actors/international-telecommunication-union"
    )
    assert lines[-1].startswith("1–2 of 2 results on 1 page  type: ")
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


def test_colour_on_request_and_never_with_no_color(seed_index):
    always = run_cli("search", "satellites", "--color", "always", "--index", str(seed_index))
    assert "\x1b[" in always.stdout
    never = run_cli("search", "satellites", "--index", str(seed_index), env={"NO_COLOR": "1"})
    assert "\x1b[" not in never.stdout


def test_suggestion_is_shown(seed_index):
    result = run_cli("search", "satelites", "--index", str(seed_index))
    assert result.stdout.startswith("Showing results for: satellites")
    _, data = run_json(seed_index, "satelites")
    assert data["suggestion"] == "satellites"


def test_explain_says_in_words_which_word_matched_where(seed_index):
    """`text:cybersecur = 2.9546` is Whoosh's form, kept in JSON; the text output names
    the words as typed, the fields, how often and with what weight."""
    typed = "cybersecurity standards"
    result = run_cli("search", typed, "--explain", "--index", str(seed_index))
    assert result.exit_code == 0
    because = [
        line.strip()
        for block in result.stdout.split("because:\n")[1:]
        for line in block.split("\n\n")[0].splitlines()
    ]
    assert because and "cybersecur" not in " ".join(because).replace("cybersecurity", "")
    for line in because:
        said = re.fullmatch(
            r'(cybersecurity|standards|"cybersecurity standards" side by side): '
            r"?((once|twice|\d+ times) )?in the (title|text).*: (bonus )?[0-9.]+",
            line,
        )
        assert said, line
    assert any("in the title (×1.5)" in line for line in because)
    _, data = run_json(seed_index, typed, "--explain")
    for hit in data["hits"]:
        assert all(re.fullmatch(r'(title|text):\S+ = [0-9.]+( \(weight .*\))?', raw)
                   for raw in hit["explanation"])  # fmt: skip
        shares = [share["score"] for share in hit["shares"]]
        assert sum(shares) == pytest.approx(hit["score"], abs=1e-3)


def test_unknown_facet_value_suggests_the_nearest_and_where_to_see_them(seed_index):
    result = run_cli("search", "x", "--sector", "ITU-X", "--index", str(seed_index))
    assert result.exit_code == 2
    assert result.stderr.startswith("dwsearch: --sector 'ITU-X': not a sector this index knows")
    suggested = result.stderr.split("did you mean ", 1)[1].split("?")[0].strip("'")
    assert suggested in {"ITU-D", "ITU-R", "ITU-T"}
    assert "dwsearch facets" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("value", ["20x", "2018..2015", "2015 2018", "..", ""])
def test_bad_year_is_an_error(seed_index, value):
    result = run_cli("search", "x", "--year", value, "--index", str(seed_index))
    assert result.exit_code == 2
    assert result.stderr.startswith("dwsearch: --year")


@pytest.mark.parametrize("option", [["--limit", "-1"], ["--offset", "-3"], ["--limit", "x"]])
def test_bad_paging_is_an_error(seed_index, option):
    result = run_cli("search", "x", *option, "--index", str(seed_index))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1


def test_case_insensitive_filter_values_and_topic_names(seed_index):
    by_slug = run_cli("search", "", "--topic", "cybersecurity", "--index", str(seed_index))
    by_name = run_cli(
        "search", "", "--topic", "Cybersecurity", "--sector", "itu-d", "--index", str(seed_index)
    )
    assert by_slug.exit_code == 0 and by_name.exit_code == 0


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "(open", "close)", "-", "title:", "nofield:value", "(" * 10_000,
     "ai\x00\x07\x1b[31m", "AND OR NOT", "*", "year:[2015 TO", "((((((((((((((((ai", "^2"],
)  # fmt: skip
def test_bad_queries_never_fail(seed_index, query):
    result = run_cli("search", query, "--json", "--index", str(seed_index))
    assert result.exit_code in (0, 1), result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    json.loads(result.stdout)


@pytest.mark.parametrize(
    ("query", "total"),
    [("(" * 1500 + "satellites", 2), ("year:[2015 TO satellites", None), ("-", 0), ("the", 0)],
)
def test_syntax_that_does_not_parse_is_searched_as_words(seed_index, query, total):
    if total is None:  # as the same words typed plainly
        total = search(" ".join(re.findall(r"\w+", query)), index=seed_index).total
    assert search(query, index=seed_index).total == total


def test_show_and_stats(seed_index):
    _, data = run_json(seed_index, "storytellers")
    chunk_id = data["hits"][0]["id"]
    shown = run_cli("show", chunk_id[:8], "--json", "--index", str(seed_index))
    assert json.loads(shown.stdout)["title"] == "Storytellers"
    missing = run_cli("show", "ffffffffffff", "--index", str(seed_index))
    assert missing.exit_code == 1
    stats = json.loads(run_cli("stats", "--json", "--index", str(seed_index)).stdout)
    assert stats["chunks"] == 38 and stats["pages"] == 1
    assert stats["chunks_by_type"]["event_report"] == 27
    assert stats["distinct_terms"] > 100 and stats["size_bytes"] > 0


def test_facets_command(seed_index):
    result = run_cli("facets", "AI", "--json", "--index", str(seed_index))
    data = json.loads(result.stdout)
    assert "hits" not in data
    assert data["facets"]["topic"]["artificial-intelligence"] == AI_EVENT_REPORTS
    assert run_cli("facets", "--index", str(seed_index)).exit_code == 0
