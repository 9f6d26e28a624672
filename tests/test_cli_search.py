"""`dwsearch search` and `facets` from the command line: filters, dates, and a safe terminal.

Expected chunks come from `dwsearch chunks --json` (ingestion alone), never from a search.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dwsearch.lexicon import stop_words
from helpers import run_cli, write


def _chunks(*paths: str) -> list[dict]:
    result = run_cli("chunks", "--json", *paths)
    return [json.loads(line) for line in result.stdout.splitlines()]


def _search(index, *args: str) -> tuple[int, dict]:
    result = run_cli("search", *args, "--json", "--limit", "500", "--index", str(index))
    return result.exit_code, (json.loads(result.stdout) if result.stdout.strip() else {})


def test_basket_filter_keeps_the_chunks_of_that_basket(seed_index):
    expected = {c["id"] for c in _chunks() if "cybersecurity" in c["baskets"]}
    code, data = _search(seed_index, "", "--basket", "cybersecurity")
    assert code == 0 and expected
    assert {h["id"] for h in data["hits"]} == expected
    # by display name too, in any case, and OR'd with another basket
    code, by_name = _search(seed_index, "", "--basket", "CYBERSECURITY", "--basket", "Economic")
    wanted = {c["id"] for c in _chunks() if {"cybersecurity", "economic"} & set(c["baskets"])}
    assert {h["id"] for h in by_name["hits"]} == wanted


def test_basket_and_kind_are_counted(seed_index):
    chunks = _chunks()
    _, data = _search(seed_index, "")
    baskets: dict[str, int] = {}
    for chunk in chunks:
        for basket in chunk["baskets"]:
            baskets[basket] = baskets.get(basket, 0) + 1
    assert data["facets"]["basket"] == dict(sorted(baskets.items(), key=lambda i: (-i[1], i[0])))
    kinds: dict[str, int] = {}
    for chunk in chunks:
        kinds[chunk["kind"]] = kinds.get(chunk["kind"], 0) + 1
    assert data["facets"]["kind"] == kinds


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "٢٠١٨"], "--year '٢٠١٨': not a year or range"),
        (["--since", "2017-13"], "--since '2017-13': not a date"),
        (
            ["--since", "2018", "--until", "2017"],
            "--since '2018': comes after the end of the range (2017)",
        ),
        (["--basket", "sports"], "--basket 'sports': not a basket this index knows"),
        (["--kind", "blog"], "--kind 'blog': not a kind this index knows"),
        (["--sort", "latest"], "Invalid value for '--sort'"),
    ],
)
def test_bad_filters_are_one_line_and_exit_2(seed_index, args, message):
    result = run_cli("search", "itu", *args, "--index", str(seed_index))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert result.stdout == ""


def _hostile_index(tmp_path):
    pages = tmp_path / "pages"
    write(
        pages / "evil.html",
        "<html><head><title>Zebra watch</title></head><body><main><h1>Zebra watch</h1>"
        "<p>Zebra crossings &#27;]52;c;ZXZpbA==&#7; and &#27;[2J clear screens "
        "&#x202E;reversed&#x202C; text.</p></main></body></html>",
    )
    write(pages / "a\x1b[2Jb.txt", "Zebra notes\n\nZebra paragraph with a name.\n")
    assert run_cli("build", str(pages), "--index", str(tmp_path / "ix")).exit_code == 0
    return tmp_path / "ix"


@pytest.mark.parametrize("color", ["never", "always"])
def test_no_control_character_from_a_page_reaches_the_terminal(tmp_path, color):
    index = _hostile_index(tmp_path)
    result = run_cli("search", "zebra", "--color", color, "--index", str(index))
    assert result.exit_code == 0 and "Zebra" in result.stdout
    shown = result.stdout
    if color == "always":  # our own colours are the only escape sequences left
        shown = shown.replace("\x1b[0m", "").replace("\x1b[1m", "").replace("\x1b[2m", "")
        shown = shown.replace("\x1b[31m", "").replace("\x1b[36m", "")
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown


def test_show_and_chunks_escape_control_characters_too(tmp_path):
    index = _hostile_index(tmp_path)
    data = json.loads(run_cli("search", "crossings", "--json", "--index", str(index)).stdout)
    chunk_id = data["hits"][0]["id"]
    shown = run_cli("show", chunk_id, "--index", str(index)).stdout
    listed = run_cli("chunks", str(tmp_path / "pages")).stdout
    for output in (shown, listed):
        assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output


def test_json_keeps_text_exact(tmp_path):
    index = _hostile_index(tmp_path)
    data = json.loads(run_cli("search", "zebra", "--json", "--index", str(index)).stdout)
    sources = {hit["source"] for hit in data["hits"]}
    assert "a\x1b[2Jb.txt" in sources  # JSON escapes it itself, and keeps it exact


def test_a_line_break_in_a_file_name_is_shown_escaped_and_kept_in_json(tmp_path):
    """Text output that names a file or folder (build, sources, search, chunks, show,
    stats) shows a line break in its name as `\\n`, so no name spans two lines; JSON
    keeps the name exact."""
    pages, index = tmp_path / "my\npages", tmp_path / "ix\nd"
    write(pages / "page\none.txt", "Quokka page\n\nA paragraph about quokkas.\n")
    write(pages / "empty\nfile.txt", "")
    said = "dwsearch: empty\\nfile.txt: empty file\n"  # one line for the file it skips
    built = run_cli("build", str(pages), "--index", str(index))
    assert (built.exit_code, built.stderr) == (2, said)
    listed = run_cli("chunks", str(pages))
    assert (listed.exit_code, listed.stderr) == (2, said)
    found = json.loads(run_cli("search", "quokkas", "--json", "--index", str(index)).stdout)
    shown = {
        "build": (built.stdout, ["my\\npages", "ix\\nd"]),
        "sources": (run_cli("sources", "--index", str(index)).stdout, ["my\\npages"]),
        "search": (run_cli("search", "quokkas", "--index", str(index)).stdout, ["Quokka page"]),
        "chunks": (listed.stdout, ["Quokka page"]),  # its place as search names it
        "show": (
            run_cli("show", found["hits"][0]["id"], "--index", str(index)).stdout,
            [f"page\\none.txt:{found['hits'][0]['lines'][0]}"],
        ),
        "stats": (run_cli("stats", "--index", str(index)).stdout, ["ix\\nd"]),
    }
    for command, (output, names) in shown.items():
        for name in names:
            assert name in output, (command, name, output)
        for raw in ("my\npages", "page\none", "ix\nd"):
            assert raw not in output, (command, raw)

    assert {hit["source"] for hit in found["hits"]} == {"page\none.txt"}
    remembered = json.loads(run_cli("sources", "--json", "--index", str(index)).stdout)
    assert [each["path"] for each in remembered] == [str(pages)]
    assert {chunk["source"] for chunk in _chunks(str(pages))} == {"page\none.txt"}


def test_a_query_word_may_start_with_a_minus(seed_index):
    """`-word` excludes it, as documented, without `--` before the query."""
    _, with_it = _search(seed_index, "ITU")
    code, without = _search(seed_index, "ITU", "-cybersecurity")
    assert code == 0
    mentions = {h["id"] for h in with_it["hits"] if "ybersecurity" in h["title"] + h["text"]}
    assert mentions  # the page has ITU chunks on cybersecurity, so the test means something
    assert {h["id"] for h in without["hits"]} == {h["id"] for h in with_it["hits"]} - mentions


def _page_of(folder: Path, title: str, paragraphs: list[str]) -> Path:
    """An index of one page of these paragraphs, built by the CLI."""
    write(folder / "pages" / "page.txt", f"{title}\n\n" + "\n\n".join(paragraphs) + "\n")
    index = folder / "ix"
    assert run_cli("build", str(folder / "pages"), "--index", str(index)).exit_code == 0
    return index


def test_an_exclusion_leaves_out_every_chunk_with_the_word(tmp_path):
    """`council -policy` finds no chunk that says "policy", the first chunk with
    "council" included: Whoosh's exclusion let that one through when a chunk before it
    held the excluded word."""
    paragraphs = [
        "A policy on spectrum.",
        "The council adopted a policy on satellites.",
        "The council met in Geneva.",
        "The council on standards and its policy.",
    ]
    index = _page_of(tmp_path, "Notes", paragraphs)
    code, found = _search(index, "council", "-policy")
    assert code == 0
    assert [hit["text"] for hit in found["hits"]] == ["The council met in Geneva."]


@pytest.mark.parametrize(("pattern", "same_as"), [("*a*", "a*"), ("?tu", "tu")])
def test_a_wildcard_that_ends_no_word_is_text(seed_index, pattern, same_as):
    """Only a trailing `*` is an operator (issue 9): `*a*` is the prefix `a*`, `?tu` "tu"."""
    _, found = _search(seed_index, pattern)
    _, expected = _search(seed_index, same_as)
    assert found.get("total") == expected.get("total")
    assert [h["id"] for h in found.get("hits", [])] == [h["id"] for h in expected.get("hits", [])]


@pytest.mark.parametrize("prefix", ["a", "th", "in"])
def test_a_stop_words_prefix_is_a_prefix(seed_index, prefix):
    """`a*` finds "access", `th*` "three": a prefix is searched as typed, not analysed
    away as a stop word (nor stemmed: `comme*` is not `comm*`)."""
    words = {
        word.lower()
        for c in _chunks()
        for word in re.findall(r"\w+", f"{c['title']} {c['text']}")
        if word.lower().startswith(prefix) and word.lower() not in stop_words()
    }
    assert words - {prefix}  # the page has such words, so the test means something
    code, data = _search(seed_index, f"{prefix}*")
    assert code == 0 and data["total"] > 0
    snippets = " ".join(h["snippet"] for h in data["hits"])
    marked = {m.lower() for m in re.findall(r"<mark>(\w+).*?</mark>", snippets)}
    assert {m for m in marked if m.startswith(prefix)} <= words and marked & words


def _found_with_few_pattern_words(index, typed: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The hits of a search whose patterns may stand for 3 words at most (the default,
    500, is more than the bundled page holds), or the CLI's line for its refusal."""
    from dwsearch.app.api import session
    from dwsearch.app.wording import for_cli
    from dwsearch.search.errors import SearchError
    from dwsearch.search.settings import SearchSettings

    with session(index, settings=SearchSettings(max_pattern_words=3)) as opened:
        try:
            return [hit.id for hit in opened.search(typed).hits]
        except SearchError as refused:
            return [f"refused: {for_cli(refused)}"]


def test_a_pattern_that_expands_to_too_many_words_is_refused(seed_index):
    said = _found_with_few_pattern_words(seed_index, "c*")
    assert said == ["refused: 'c*' matches more than 3 words; give more letters"]
    assert _found_with_few_pattern_words(seed_index, "satel*")


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("(" * 2000 + "spectrum", "spectrum"),
        ('"' * 2001 + "spectrum", "spectrum"),
        ("(" * 2000 + "spectrum satellites" + ")" * 2000, "spectrum satellites"),
        ("spectrum " + '"' * 3000 + " satellites", "spectrum satellites"),
    ],
    ids=["2000 (", '2001 "', "nested words", "quotes between words"],
)
def test_a_long_query_of_brackets_or_quotes_is_searched_as_its_words(seed_index, typed, words):
    """Past 2,000 characters a query's syntax is not read, and its words are searched:
    they were cut off with the rest, and the query found nothing."""
    code, found = _search(seed_index, typed)
    _, expected = _search(seed_index, words)
    assert code == 0 and expected["total"]
    assert [h["id"] for h in found["hits"]] == [h["id"] for h in expected["hits"]]


@pytest.mark.parametrize("typed", [" ".join(["spectrum"] * 300), "a" * 10_000])
def test_a_query_of_more_words_than_are_searched_is_refused(seed_index, typed):
    """Words past the 2,000th character were dropped without a word said."""
    result = run_cli("search", typed, "--index", str(seed_index))
    assert result.exit_code == 2 and not result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "2,000" in lines[0] and "Traceback" not in result.stderr
    assert lines[0].startswith("dwsearch: QUERY") and len(lines[0]) < 200


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("[ITU TO spectrum]", "ITU TO spectrum"),
        ("[2015 TO 2017]", "2015 TO 2017"),
        ("ITU {c TO s}", "ITU c TO s"),
    ],
)
def test_a_range_without_a_field_is_searched_as_its_words(seed_index, typed, words):
    """A range is for a field (`year:[2015 TO 2017]`); without one it is text, as other
    brackets are. It was a range of every word, refused with advice about prefixes."""
    found = _found_with_few_pattern_words(seed_index, typed)  # a range would be refused
    expected = _found_with_few_pattern_words(seed_index, words)
    assert expected and found == expected


def test_a_range_after_a_field_is_a_range(seed_index):
    wanted = {c["id"] for c in _chunks() if {2015, 2016, 2017} & set(c["years"])}
    code, found = _search(seed_index, "year:[2015 TO 2017]")
    assert code == 0 and wanted and {h["id"] for h in found["hits"]} == wanted
    said = _found_with_few_pattern_words(seed_index, "title:[c TO s]")
    assert said[0].startswith("refused: the range 'title:[c TO s]' spans more than 3 words")


# The fields a query may name, as the README lists them, with their plural aliases.
DOCUMENTED_FIELDS = {"title", "type", "kind", "topic", "sector", "basket", "year"}
DOCUMENTED_FIELDS |= {f"{name}s" for name in DOCUMENTED_FIELDS - {"title"}}


@pytest.fixture(scope="module")
def internal_fields_index(tmp_path_factory):
    """Pages whose text holds the internal fields' names as words, so that reading
    `name:value` as text finds other chunks than reading it as the field would."""
    from dwsearch.index.schema import build_schema

    folder = tmp_path_factory.mktemp("internal")
    for number in (1, 2):
        write(
            folder / "pages" / f"zeta{number}.txt", f"Actor {number}\n\nSpectrum policy {number}.\n"
        )
    names = sorted(set(build_schema().names()) - DOCUMENTED_FIELDS)
    write(folder / "pages" / "words.txt", "Words\n\n" + " and ".join(names) + ".\n")
    assert run_cli("build", str(folder / "pages"), "--index", str(folder / "ix")).exit_code == 0
    return folder / "ix", _chunks(str(folder / "pages"))


def test_internal_fields_are_text(internal_fields_index):
    """Only the documented fields may be named: `spell:policy`, `source:zeta1.txt` or
    `day:2017` is text ("a colon after a word that is no field"), never the field."""
    from dwsearch.app.api import session
    from dwsearch.index.schema import build_schema

    index, chunks = internal_fields_index
    zeta = [c for c in chunks if c["source"] == "zeta1.txt"]
    with session(index) as opened:
        origin = next(
            fields["origin"]
            for fields in map(opened.stored, opened.searcher.reader().all_doc_ids())
            if fields["source"] == "zeta1.txt"
        )
    # A value each field holds, and the chunks that field would find by it.
    as_fields = {
        "id": (zeta[0]["id"], {zeta[0]["id"]}),
        "page": (zeta[0]["page"], {c["id"] for c in chunks if c["page"] == zeta[0]["page"]}),
        "source": ("zeta1.txt", {c["id"] for c in zeta}),
        "origin": (origin, {c["id"] for c in zeta}),
        "spell": ("policy", {c["id"] for c in chunks if "policy" in c["text"]}),
        "text": ("policy", {c["id"] for c in chunks if "policy" in c["text"]}),
    }
    internal = set(build_schema().names()) - DOCUMENTED_FIELDS
    assert set(as_fields) <= internal
    for name in sorted(internal):
        value, as_field = as_fields.get(name, ("2017", set()))
        code, found = _search(index, f"{name}:{value}", "--no-correct")
        _, as_text = _search(index, f"{name} {value}", "--no-correct")
        ids = [h["id"] for h in found.get("hits", [])]
        assert ids == [h["id"] for h in as_text.get("hits", [])], name
        assert code in (0, 1) and set(ids) != as_field, name  # and not as the field


def test_a_query_of_invisible_characters_matches_nothing(seed_index):
    result = run_cli("search", "\x01\x02\x7f", "--json", "--index", str(seed_index))
    assert result.exit_code == 1 and json.loads(result.stdout)["total"] == 0
    everything = run_cli("search", "", "--json", "--index", str(seed_index))
    assert json.loads(everything.stdout)["total"] == len(_chunks())


def test_feedback_finds_chunks_that_share_the_best_hits_words(tmp_path):
    """--feedback (RM3) lends the query the best hits' commonest words: a paragraph that
    holds none of the words typed but shares theirs is found, and ranks below them."""
    paragraphs = [
        "Apple orchard harvest in the valley orchard.",
        "The apple orchard and its harvest festival.",
        "Orchard soil and orchard irrigation.",
        "Banana plantations near the coast.",
    ]
    index = _page_of(tmp_path, "Fruit notes", paragraphs)

    def texts(*flags: str, query: str = "apple") -> list[str]:
        code, data = _search(index, query, "--no-correct", *flags)
        assert code == 0
        return [hit["text"] for hit in data["hits"]]

    plain, widened = texts(), texts("--feedback")
    assert all("apple" in text.lower() for text in plain)
    assert set(widened[: len(plain)]) == set(plain)  # the words typed still lead
    found = widened[len(plain) :]
    assert any("irrigation" in text for text in found)
    assert not any("Banana" in text for text in found)
    required = texts("--feedback", query="+apple")  # a required word stays required
    assert required == texts(query="+apple") and set(required) == set(plain)


def test_the_quick_starts_hits_link_to_the_bundled_page():
    """The README's first search, on the index a first search builds of the bundled page:
    every hit carries the page's address, and the text output shows it."""
    address = "https://dig.watch/actors/international-telecommunication-union"
    found = run_cli("search", "artificial intelligence", "--year", "2018", "--json")
    assert found.exit_code == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert len(hits) == 10 and {hit["url"] for hit in hits} == {address}
    shown = run_cli("search", "artificial intelligence", "--year", "2018")
    assert shown.stdout.count(address) == 10
