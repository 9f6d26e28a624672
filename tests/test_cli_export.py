"""`dwsearch export --format opensearch`, driven as a user would, with no server: the
mapping is what OpenSearch documents, the bulk files are what its `_bulk` API reads,
and reading them back gives every chunk of the index."""

from __future__ import annotations

import inspect
import json
import os
import re
import stat
import subprocess
import unicodedata
from collections import Counter
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import Stemmer

from dwsearch.app import api
from dwsearch.index.analysis import case_as_meant, english_analyzer
from dwsearch.ingest import Chunk, bundled_corpus
from dwsearch.lexicon import acronym_rows, stop_words, uk_to_us
from dwsearch.search.query import FIELD_BOOSTS
from dwsearch.search.scoring import BM25_B, BM25_K1
from helpers import FIXTURES, SEED_NAME, seed_variants, write
from helpers import run_cli as run

PAGES = FIXTURES / "pages"  # HTML pages with dates, addresses and kinds of page


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory) -> Path:
    """The bundled page (.txt) and the HTML fixtures, built once."""
    folder = tmp_path_factory.mktemp("export-index")
    api.build([bundled_corpus(), PAGES], index=folder)
    return folder


@pytest.fixture(scope="module")
def exported(corpus_index, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exports") / "out"
    result = run("export", "--format", "opensearch", "--index", str(corpus_index), str(out))
    assert result.exit_code == 0, result.output
    return out


def _mapping(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "mapping.json").read_text(encoding="utf-8"))


def _bulk_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("bulk-*.ndjson"))


def _pairs(folder: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (action, document) of the export's bulk files, in order."""
    pairs = []
    for path in _bulk_files(folder):
        lines = path.read_text(encoding="utf-8").split("\n")
        assert lines[-1] == "", f"{path.name} does not end with a newline, as _bulk needs"
        lines = lines[:-1]
        assert len(lines) % 2 == 0, f"{path.name} has an odd number of lines"
        actions, documents = lines[::2], lines[1::2]
        pairs += [(json.loads(a), json.loads(d)) for a, d in zip(actions, documents, strict=True)]
    return pairs


def _chunk(document: dict[str, Any]) -> Chunk:
    """A bulk document read back as a chunk, by this test's own reading of the format."""
    fields = dict(document)
    for key in ("years", "topics", "baskets", "sectors"):
        fields[key] = tuple(fields[key])
    if isinstance(fields["lines"], list):
        fields["lines"] = tuple(fields["lines"])
    for key in ("date", "date_end"):
        fields[key] = fields[key] or ""
    return Chunk(**fields)


def _ingested(*paths: Path) -> dict[str, dict[str, Any]]:
    """`dwsearch chunks --json` of the pages: ingestion's own path, not the index's."""
    result = run("chunks", "--json", *map(str, paths))
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    return {row["id"]: row for row in rows}


# --- the bulk files -----------------------------------------------------------------


def test_the_command_says_what_it_wrote_and_how_to_load_it(corpus_index, tmp_path):
    out = tmp_path / "out"
    result = run("export", "--format", "opensearch", "--index", str(corpus_index), str(out))
    assert result.exit_code == 0
    first, second = result.stdout.splitlines()
    assert re.fullmatch(
        rf"exported 67 chunks to {re.escape(str(out))}: mapping\.json, 1 bulk file "
        r"\(\d+(\.\d)? KiB\), load\.sh",
        first,
    )
    assert second == f"load them with: HOST=http://localhost:9200 sh {out}/load.sh"
    assert sorted(p.name for p in out.iterdir()) == [
        "bulk-0001.ndjson",
        "load.sh",
        "mapping.json",
    ]
    report = json.loads(
        run(
            "export", "--format", "opensearch", "--index", str(corpus_index), str(out),
            "--json", "--name", "observatory",
        ).stdout
    )  # fmt: skip
    assert report["chunks"] == 67 and report["index_name"] == "observatory"
    assert report["bulk_files"] == ["bulk-0001.ndjson"]
    assert report["bytes"] == (out / "bulk-0001.ndjson").stat().st_size


def test_every_action_pairs_with_a_document_the_mapping_declares(exported):
    pairs = _pairs(exported)
    properties = _mapping(exported)["mappings"]["properties"]
    assert len(pairs) == 67
    for action, document in pairs:
        assert action == {"index": {"_index": "dwsearch", "_id": document["id"]}}
        assert set(document) == set(properties), document["id"]
        for field, value in document.items():
            assert _fits(properties[field], value), f"{document['id']} {field}: {value!r}"


def _fits(declared: dict[str, Any], value: Any) -> bool:
    """Whether OpenSearch would take `value` into a field declared so (an array of
    values of the type, or one, or null)."""
    values = value if isinstance(value, list) else [value]
    kind = declared["type"]
    if kind == "object":
        return declared["enabled"] is False  # not parsed: any JSON
    if kind in ("keyword", "text"):
        return all(isinstance(v, str) for v in values)
    if kind == "integer":
        return all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if kind == "date":
        assert declared["format"] == "strict_date"
        return all(v is None or date.fromisoformat(v).isoformat() == v for v in values)
    return False


def test_every_kind_of_value_is_exported(exported):
    """The fixtures hold what the fields can: dates, addresses, HTML paths, facets."""
    documents = [d for _, d in _pairs(exported)]
    assert any(d["date"] and d["date_end"] for d in documents)
    assert any(d["date"] is None for d in documents)
    assert Counter(type(d["lines"]).__name__ for d in documents) == {"list": 38, "str": 29}
    assert any(d["url"].startswith("https://") for d in documents)
    assert {d["kind"] for d in documents} >= {"actor", "event", "update", "issue", "basket"}
    for field in ("years", "topics", "baskets", "sectors"):
        assert any(d[field] for d in documents), field


def test_the_round_trip_gives_back_every_chunk_as_ingestion_made_it(exported, corpus_index):
    read_back = {d["id"]: _chunk(d) for _, d in _pairs(exported)}
    ingested = _ingested(bundled_corpus(), PAGES)
    assert len(read_back) == len(ingested) == 67
    assert {i: c.to_dict() for i, c in read_back.items()} == ingested
    for chunk_id, chunk in read_back.items():
        shown = run("show", chunk_id, "--json", "--index", str(corpus_index))
        assert json.loads(shown.stdout) == chunk.to_dict()


def test_ids_are_the_chunks_and_two_exports_are_the_same_files(exported, corpus_index, tmp_path):
    ids = [a["index"]["_id"] for a, _ in _pairs(exported)]
    assert len(set(ids)) == len(ids)
    assert set(ids) == set(_ingested(bundled_corpus(), PAGES))

    again = tmp_path / "again"
    run("export", "--format", "opensearch", "--index", str(corpus_index), str(again))
    # An index built another way, a page at a time, holds its documents in another
    # order; the export is the same.
    other = tmp_path / "other-index"
    api.build([PAGES], index=other)
    api.build([bundled_corpus()], index=other)
    built_apart = tmp_path / "built-apart"
    run("export", "--format", "opensearch", "--index", str(other), str(built_apart))
    for folder in (again, built_apart):
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            p.name for p in exported.iterdir()
        )
        for path in exported.iterdir():
            assert (folder / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.slow
def test_copies_of_a_page_have_ids_of_their_own_and_each_is_exported(tmp_path):
    """A page's .html and .txt, and a file copied, once gave the same chunk ids: the
    export wrote fewer documents than it said it did (OpenSearch keeps one per _id), and
    `show` picked one copy."""
    pages, index, out = tmp_path / "pages", tmp_path / "index", tmp_path / "out"
    text = (bundled_corpus() / SEED_NAME).read_bytes()
    write(pages / "itu.txt", text)
    write(pages / "itu-copy.txt", text)
    write(
        pages / "itu.html", (FIXTURES / "international-telecommunication-union.html").read_bytes()
    )
    ids = {name: set(_ingested(pages / name)) for name in ("itu.txt", "itu-copy.txt", "itu.html")}
    assert ids["itu.txt"].isdisjoint(ids["itu-copy.txt"])
    assert ids["itu.txt"].isdisjoint(ids["itu.html"])

    built = run("build", str(pages), "--index", str(index))
    assert built.exit_code == 0, built.stderr
    reported = int(re.search(r"3 page\(s\), (\d+) chunks", built.stdout).group(1))  # type: ignore[union-attr]
    assert reported == sum(len(each) for each in ids.values())
    exported = run("export", "--format", "opensearch", "--index", str(index), str(out), "--json")
    assert json.loads(exported.stdout)["chunks"] == reported
    pairs = _pairs(out)
    assert len(pairs) == len({a["index"]["_id"] for a, _ in pairs}) == reported
    sources = {chunk_id: name for name, each in ids.items() for chunk_id in each}
    for _, document in pairs:
        shown = run("show", document["id"], "--json", "--index", str(index))
        assert json.loads(shown.stdout)["source"] == sources[document["id"]] == document["source"]


def test_an_updated_index_exports_what_it_holds_now(seed_text, tmp_path):
    """Chunks a page no longer has (deleted in the index, not yet purged from their
    segment) are not exported; its new ones are."""
    pages = seed_variants(tmp_path / "pages", 12, seed_text)
    api.build([pages[0].parent], index=tmp_path / "index")
    write(pages[0], pages[0].read_text().replace("Place des Nations", "Rue de Varembé"))
    api.build([pages[0].parent], index=tmp_path / "index")
    with api.session(tmp_path / "index") as opened:
        assert opened.searcher.reader().has_deletions()  # the case this test is for
    out = tmp_path / "out"
    api.export(out, index=tmp_path / "index")
    exported = {d["id"]: _chunk(d).to_dict() for _, d in _pairs(out)}
    assert exported == _ingested(pages[0].parent)
    assert "Rue de Varembé" in exported[next(iter(exported))]["text"]


def test_bulk_files_keep_to_the_size_asked(exported, corpus_index, tmp_path):
    out = tmp_path / "small"
    result = run(
        "export", "--format", "opensearch", "--index", str(corpus_index), str(out),
        "--file-mb", "0.01",
    )  # fmt: skip
    assert result.exit_code == 0
    files = _bulk_files(out)
    assert len(files) > 3
    assert [p.name for p in files] == [f"bulk-{n:04d}.ndjson" for n in range(1, len(files) + 1)]
    limit = int(0.01 * 1024 * 1024)
    for path in files:
        pairs = len(path.read_bytes().splitlines()) // 2
        assert path.stat().st_size <= limit or pairs == 1, path.name
    assert _pairs(out) == _pairs(exported)

    # Exporting again into the same folder replaces the earlier export whole.
    result = run("export", "--format", "opensearch", "--index", str(corpus_index), str(out))
    assert result.exit_code == 0
    assert [p.name for p in _bulk_files(out)] == ["bulk-0001.ndjson"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


# --- the mapping --------------------------------------------------------------------


def test_the_mapping_declares_facets_dates_and_bm25_with_dwsearchs_settings(exported, corpus_index):
    mapping = _mapping(exported)
    properties = mapping["mappings"]["properties"]
    for facet in ("id", "type", "kind", "sectors", "topics", "baskets", "page", "source", "url"):
        assert properties[facet] == {"type": "keyword"}, facet
    assert properties["years"] == {"type": "integer"}
    assert properties["date"]["type"] == properties["date_end"]["type"] == "date"
    assert mapping["mappings"]["dynamic"] == "strict"
    similarity = mapping["settings"]["index"]["similarity"]
    for field in ("title", "text"):
        declared = properties[field]
        assert declared["type"] == "text"
        bm25 = similarity[declared["similarity"]]
        assert (bm25["type"], bm25["k1"], bm25["b"]) == ("BM25", BM25_K1, BM25_B)
    meta = mapping["mappings"]["_meta"]["dwsearch"]
    assert meta["field_boosts"] == FIELD_BOOSTS
    assert meta["schema_version"] == api.stats(index=corpus_index).schema_version


# The keys OpenSearch documents for each part of an index's settings and mappings, as
# its API specification gives them (the JavaScript client generated from it,
# @opensearch-project/opensearch 3.9.0: api/indices/create.d.ts and api/_types/
# _common.analysis.d.ts, _common.mapping.d.ts, indices._common.d.ts).
CREATE_INDEX_BODY = {"aliases", "mappings", "settings"}
ANALYSIS_KINDS = {"analyzer", "char_filter", "filter", "normalizer", "tokenizer"}
TYPE_MAPPING = {
    "_data_stream_timestamp", "_field_names", "_meta", "_routing", "_size", "_source",
    "all_field", "date_detection", "dynamic", "dynamic_date_formats", "dynamic_templates",
    "enabled", "index_field", "numeric_detection", "properties",
}  # fmt: skip
DYNAMIC_MAPPING = {"false", "strict", "strict_allow_templates", "true", True, False}
SYNONYM_KEYS = {
    "expand", "format", "lenient", "synonyms", "synonyms_path", "tokenizer", "type",
    "updateable", "version",
}  # fmt: skip
STOP_KEYS = {"ignore_case", "remove_trailing", "stopwords", "stopwords_path", "type", "version"}
CUSTOM_ANALYZER_KEYS = {
    "char_filter", "filter", "position_increment_gap", "position_offset_gap", "tokenizer",
    "type",
}  # fmt: skip
COMPONENT_KEYS = {
    ("char_filter", "mapping"): {"mappings", "mappings_path", "type", "version"},
    ("tokenizer", "pattern"): {"flags", "group", "pattern", "type", "version"},
    ("filter", "stemmer"): {"language", "type", "version"},
    ("filter", "stop"): STOP_KEYS,
    ("filter", "synonym"): SYNONYM_KEYS,
    ("filter", "synonym_graph"): SYNONYM_KEYS,
    ("filter", "snowball"): {"language", "type", "version"},
    ("analyzer", "custom"): CUSTOM_ANALYZER_KEYS,
}
SNOWBALL_LANGUAGES = {
    "Armenian", "Basque", "Catalan", "Danish", "Dutch", "English", "Finnish", "French",
    "German", "German2", "Hungarian", "Italian", "Kp", "Lovins", "Norwegian", "Porter",
    "Portuguese", "Romanian", "Russian", "Spanish", "Swedish", "Turkish",
}  # fmt: skip
# The stemmer filter's English languages, from OpenSearch's page on it.
STEMMER_ENGLISH = {
    "english", "light_english", "lovins", "minimal_english", "porter2", "possessive_english",
}  # fmt: skip
BUILT_IN_FILTERS = {"lowercase", "asciifolding"}
BM25_KEYS = {"b", "discount_overlaps", "k1", "type"}
_BASE = {"dynamic", "fields", "ignore_above", "meta", "properties"}
_CORE = _BASE | {"copy_to", "similarity", "store"}
_DOC_VALUES = _CORE | {"doc_values"}
PROPERTY_KEYS = {
    "text": _CORE | {
        "analyzer", "boost", "eager_global_ordinals", "fielddata",
        "fielddata_frequency_filter", "index", "index_options", "index_phrases",
        "index_prefixes", "norms", "position_increment_gap", "search_analyzer",
        "search_quote_analyzer", "term_vector", "type",
    },
    "keyword": _DOC_VALUES | {
        "boost", "eager_global_ordinals", "index", "index_options", "normalizer", "norms",
        "null_value", "split_queries_on_whitespace", "type",
    },
    "integer": _DOC_VALUES | {"boost", "coerce", "ignore_malformed", "index", "null_value", "type"},
    "date": _DOC_VALUES | {
        "boost", "fielddata", "format", "ignore_malformed", "index", "locale", "null_value",
        "precision_step", "type",
    },
    "object": _CORE | {"enabled", "type"},
}  # fmt: skip


def test_the_mapping_uses_only_what_opensearch_documents(exported):
    mapping = _mapping(exported)
    assert set(mapping) <= CREATE_INDEX_BODY
    assert set(mapping["mappings"]) <= TYPE_MAPPING
    assert mapping["mappings"]["dynamic"] in DYNAMIC_MAPPING
    index_settings = mapping["settings"]["index"]
    assert set(index_settings) == {"analysis", "similarity"}
    for similarity in index_settings["similarity"].values():
        assert set(similarity) <= BM25_KEYS and similarity["type"] == "BM25"
    analysis = index_settings["analysis"]
    assert set(analysis) <= ANALYSIS_KINDS
    for kind, components in analysis.items():
        for name, component in components.items():
            allowed = COMPONENT_KEYS.get((kind, component["type"]))
            assert allowed is not None, f"{kind} {name}: type {component['type']}"
            assert set(component) <= allowed, f"{kind} {name}: {set(component) - allowed}"
            if component["type"] == "snowball":
                assert component["language"] in SNOWBALL_LANGUAGES
            if component["type"] == "stemmer":
                assert component["language"] in STEMMER_ENGLISH
    for name, analyzer in analysis["analyzer"].items():
        assert analyzer["tokenizer"] in analysis["tokenizer"], name
        assert set(analyzer["char_filter"]) <= set(analysis["char_filter"]), name
        assert set(analyzer["filter"]) <= set(analysis["filter"]) | BUILT_IN_FILTERS, name
    for field, declared in mapping["mappings"]["properties"].items():
        allowed = PROPERTY_KEYS[declared["type"]]
        assert set(declared) <= allowed, f"{field}: {set(declared) - allowed}"
        for key in ("analyzer", "search_analyzer"):
            if key in declared:
                assert declared[key] in analysis["analyzer"], field
        if "similarity" in declared:
            assert declared["similarity"] in index_settings["similarity"], field


def test_the_mappings_patterns_are_regular_expressions(exported):
    """Java's and Python's regular expressions agree on the tokenizer's pattern, once
    (?U) (Unicode classes: Python's are by default) is taken off."""
    analysis = _mapping(exported)["settings"]["index"]["analysis"]
    for tokenizer in analysis["tokenizer"].values():
        assert tokenizer["pattern"].startswith("(?U)")
        re.compile(tokenizer["pattern"].removeprefix("(?U)"))


# --- the analysis, simulated --------------------------------------------------------


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


_STEMMER = Stemmer.Stemmer("english")


Token = tuple[str, bool]  # a term, and whether a synonym filter stacked it on others


class Simulated:
    """An analyzer of the mapping, in Python, as OpenSearch's components are documented
    to work. Only what the export uses is simulated; anything else fails."""

    def __init__(self, analysis: dict[str, Any], analyzer: str) -> None:
        self.analysis = analysis
        self.chain = analysis["analyzer"][analyzer]
        self.tables: dict[str, tuple[dict[tuple[str, ...], list[Token]], int]] = {}

    def terms(self, text: str, upto: str = "") -> list[str]:
        """The terms of `text` in order, without the synonyms stacked on them; with
        `upto`, from the filters before that one only, as OpenSearch parses a rule."""
        return [term for term, stacked in self.tokens(text, upto) if not stacked]

    def tokens(self, text: str, upto: str = "") -> list[Token]:
        for name in self.chain["char_filter"]:
            char_filter = self.analysis["char_filter"][name]
            assert char_filter["type"] == "mapping"
            for rule in char_filter["mappings"]:
                before, after = (side.strip() for side in rule.split("=>"))
                text = text.replace(before, after)
        tokenizer = self.analysis["tokenizer"][self.chain["tokenizer"]]
        assert tokenizer["type"] == "pattern" and tokenizer["group"] == 0
        tokens = [(t, False) for t in re.findall(tokenizer["pattern"].removeprefix("(?U)"), text)]
        for name in self.chain["filter"]:
            if name == upto:
                break
            if upto and self.analysis["filter"].get(name, {}).get("type", "").startswith("syn"):
                # A rule is parsed without the synonym filters before its own: OpenSearch
                # (as Elasticsearch) leaves them out, to let synonym filters follow one
                # another.
                continue
            tokens = self._filtered(name, tokens)
        return tokens

    def _filtered(self, name: str, tokens: list[Token]) -> list[Token]:
        if name == "lowercase":
            return [(t.lower(), s) for t, s in tokens]
        if name == "asciifolding":
            return [(_fold(t), s) for t, s in tokens]
        spec = self.analysis["filter"][name]
        if spec["type"] == "stemmer" and spec["language"] == "possessive_english":
            return [(t[:-2] if re.search(r"['’][sS]$", t) else t, s) for t, s in tokens]
        if spec["type"] == "stop":
            return [(t, s) for t, s in tokens if t not in set(spec["stopwords"])]
        if spec["type"] == "snowball" and spec["language"] == "English":
            return [(_STEMMER.stemWord(t), s) for t, s in tokens]
        if spec["type"] in ("synonym", "synonym_graph"):
            assert not any(s for _, s in tokens), "a synonym filter after another's stacking"
            return self._synonyms(name, spec["synonyms"], [t for t, _ in tokens])
        raise AssertionError(f"no simulation of {name}: {spec}")

    def _table(self, name: str, rules: list[str]) -> tuple[dict, int]:
        """Each rule side's terms, and what they become: `a, b => c` replaces a and b by
        c; `a, b` keeps a and stacks b on it (and the other way), as `expand` does."""
        if name not in self.tables:
            table: dict[tuple[str, ...], list[Token]] = {}
            for rule in rules:
                if "=>" in rule:
                    left, right = rule.split("=>")
                    into = [(t, False) for t in self.terms(right, upto=name)]
                    for side in left.split(","):
                        table[tuple(self.terms(side, upto=name))] = into
                    continue
                sides = [tuple(self.terms(side, upto=name)) for side in rule.split(",")]
                for side in sides:
                    found = table.setdefault(side, [(t, False) for t in side])
                    found += [(t, True) for other in sides if other != side for t in other]
            self.tables[name] = (table, max(map(len, table)))
        return self.tables[name]

    def _synonyms(self, name: str, rules: list[str], terms: list[str]) -> list[Token]:
        """Each rule applied where its side stands, the longest first, as Lucene does."""
        table, longest = self._table(name, rules)
        out: list[Token] = []
        at = 0
        while at < len(terms):
            for size in range(min(longest, len(terms) - at), 0, -1):
                found = table.get(tuple(terms[at : at + size]))
                if found is not None:
                    out += found
                    at += size
                    break
            else:
                out.append((terms[at], False))
                at += 1
        return out


@cache
def _dwsearch_analyzer() -> Any:
    return english_analyzer(cached=False)


def _dwsearch_terms(text: str, mode: str = "index") -> list[str]:
    """The words dwsearch indexes (or searches, in mode "query") for `text`, in order,
    without the aliases indexing lays beside them (acronyms and their expansions)."""
    analyzer = _dwsearch_analyzer()
    tokens = analyzer(text, mode=mode, positions=True)
    return [t.text for t in tokens if not getattr(t, "alias", False)]


TRICKY = [
    "The ITU’s multi-stakeholder work on IPv6 and IoT, with the WHO and the OECD.",
    "Co-operation on standardisation: WHO-led, IP-based, state-of-the-art analysers.",
    "Genève’s children's rights; don't, it's, rock'n'roll, naïve façade, x-ray.",
    "who said what? The world health organisation (WHO) and COP 21 in Paris.",
    "ITU-T, ITU-R and ITU-D; CWG-Internet; ccTLDs; the UN’s IGF 2017 in Geneva.",
]


def test_the_index_analyzer_indexes_the_words_dwsearch_indexes(exported):
    """On every chunk, a few hard sentences and every synonym rule's sides, OpenSearch's
    analyzers (simulated) make the terms dwsearch makes, in the same order, in documents
    and in queries: tokens, apostrophes, compounds' parts, acronyms that are also words,
    case, accents, stop words, spelling and stems. (The acronyms stacked beside them are
    the next test's.) Only a text in capitals throughout differs: dwsearch reads it as
    lower case; see the README."""
    analysis = _mapping(exported)["settings"]["index"]["analysis"]
    documents = [d for _, d in _pairs(exported)]
    texts = [d[f] for d in documents for f in ("title", "text") if d[f]] + TRICKY
    for spec in analysis["filter"].values():
        for rule in spec.get("synonyms", []):
            texts += [side for part in rule.split("=>") for side in part.split(",")]
    indexing = Simulated(analysis, "dwsearch_english")
    searching = Simulated(analysis, "dwsearch_english_search")
    compared = 0
    for text in texts:
        if case_as_meant(text) != text:
            continue
        assert indexing.terms(text) == _dwsearch_terms(text), text
        assert searching.tokens(text) == [(t, False) for t in _dwsearch_terms(text, "query")]
        compared += 1
    assert compared > 800


def test_synonym_rules_are_well_formed(exported):
    analysis = _mapping(exported)["settings"]["index"]["analysis"]
    filters = analysis["filter"]
    rows = acronym_rows()
    plain = [r for r in rows if not r.ambiguous]
    ambiguous = [r for r in rows if r.ambiguous]
    acronyms = filters["dwsearch_acronyms"]["synonyms"]
    replaced = filters["dwsearch_ambiguous_acronyms"]["synonyms"]
    spelling = filters["dwsearch_spelling"]["synonyms"]
    # One rule per acronym: the acronym first, its expansions its equals.
    assert len(acronyms) == len(plain) and len(replaced) == len(ambiguous) == 3

    def side(text: str) -> str:  # its words, as the tokenizer finds them, spelt American
        found = re.findall(r"\w+(?:['’]\w+)*", text)
        return " ".join(uk_to_us().get(word.lower(), word) for word in found)

    for row, rule in zip(plain, acronyms, strict=True):
        sides = rule.split(", ")
        assert "=>" not in rule and len(sides) == len(set(sides)) >= 2, rule
        assert sides == [side(row.acronym), *map(side, row.expansions)], rule
    assert "ITU T, ITU Telecommunication Standardization Sector" in acronyms
    # The rules are parsed without the ambiguous acronyms' filter, which documents meet
    # first: a rule holding one as written could never match.
    written = {r.acronym for r in ambiguous}
    assert not [rule for rule in acronyms if written & set(re.split(r"[ ,]+", rule))]
    for row, rule in zip(ambiguous, replaced, strict=True):
        assert rule == f"{row.acronym} => {row.expansions[0]}"
    one_word = {uk: us for uk, us in uk_to_us().items() if "-" not in uk + us}
    assert len(spelling) == len(one_word) == len(uk_to_us()) - 2  # e-mail, cyber-security
    for rule in spelling:
        uk, us = rule.split(" => ")
        assert uk_to_us()[uk] == us and uk != us
        assert re.fullmatch(r"[a-z]+", uk) and re.fullmatch(r"[a-z]+", us), rule
        assert uk not in stop_words() and us not in stop_words(), rule
    # Each side is words alone (no comma or => inside one), and OpenSearch's parse of
    # it (the filters before the rule's) leaves at least one word, so no rule is refused.
    for analyzer, name in [
        ("dwsearch_english", "dwsearch_acronyms"),
        ("dwsearch_english", "dwsearch_ambiguous_acronyms"),
        ("dwsearch_english", "dwsearch_spelling"),
    ]:
        assert name in analysis["analyzer"][analyzer]["filter"]
        parse = Simulated(analysis, analyzer)
        for rule in filters[name]["synonyms"]:
            for part in rule.split("=>"):
                for side in part.split(","):
                    assert re.fullmatch(r"\w+(?:['’]\w+)*(?: \w+(?:['’]\w+)*)*", side.strip())
                    assert parse.terms(side, upto=name), rule


def test_acronyms_are_expanded_when_indexing_never_in_queries_and_before_stop_words(
    exported,
):
    """As dwsearch does it; and before stop words are dropped, since OpenSearch refuses
    a rule that a stop filter leaves a gap in."""
    analyzers = _mapping(exported)["settings"]["index"]["analysis"]["analyzer"]
    index_filters = analyzers["dwsearch_english"]["filter"]
    search_filters = analyzers["dwsearch_english_search"]["filter"]
    assert "dwsearch_acronyms" in index_filters
    assert search_filters == [f for f in index_filters if f != "dwsearch_acronyms"]
    for filters in (index_filters, search_filters):
        stop = filters.index("dwsearch_stop")
        synonyms = [f for f in filters if "acronyms" in f or "spelling" in f]
        assert all(filters.index(f) < stop for f in synonyms)
        # Case tells an ambiguous acronym from a word, so it is read before lower case.
        assert filters.index("dwsearch_ambiguous_acronyms") < filters.index("lowercase")


def test_an_acronym_and_its_expansion_index_each_other(exported):
    """Indexing "AI" stacks the terms of "artificial intelligence" on it, and indexing
    "artificial intelligence" stacks "ai", for every acronym (dwsearch's both ways);
    "WHO" in capitals is indexed as "World Health Organization", "who" as itself."""
    analysis = _mapping(exported)["settings"]["index"]["analysis"]
    opensearch = Simulated(analysis, "dwsearch_english")

    def indexed(text: str) -> set[str]:
        return {term for term, _ in opensearch.tokens(text)}

    for row in acronym_rows():
        acronym = opensearch.terms(row.acronym)
        for expansion in row.expansions:
            words = opensearch.terms(expansion)
            if row.ambiguous:
                assert acronym == words, row
                assert opensearch.terms(row.acronym.lower()) == [row.acronym.lower()]
                continue
            assert indexed(row.acronym) >= set(words), row
            assert indexed(expansion) >= set(acronym), row
    # Written in either spelling, an expansion is its acronym.
    assert "oecd" in indexed("the Organisation for Economic Co-operation and Development")
    assert "oecd" in indexed("the Organization for Economic Co-operation and Development")


# --- loading ------------------------------------------------------------------------


def test_load_script_sends_one_curl_per_file(exported, corpus_index, tmp_path):
    out = tmp_path / "out"
    run(
        "export", "--format", "opensearch", "--index", str(corpus_index), str(out),
        "--file-mb", "0.02", "--name", "observatory",
    )  # fmt: skip
    log = tmp_path / "curl.log"
    fake = write(
        tmp_path / "bin" / "curl",
        f"""#!/bin/sh
echo "$*" >> {log}
case "$*" in
  *_bulk*) echo '{{"took":3,"errors":false,"items":[]}}' ;;
  *) echo '{{"acknowledged":true,"index":"observatory"}}' ;;
esac
""",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "HOST": "http://h:9"}
    done = subprocess.run(
        ["sh", str(out / "load.sh")], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    files = [p.name for p in _bulk_files(out)]
    assert len(files) > 1 and len(calls) == 1 + len(files)
    assert calls[0] == (
        "-sS -XPUT http://h:9/observatory -H Content-Type: application/json "
        "--data-binary @mapping.json"
    )
    for call, name in zip(calls[1:], files, strict=True):
        assert call == (
            "-sS -XPOST http://h:9/_bulk -H Content-Type: application/x-ndjson "
            f"--data-binary @{name}"
        )

    # A bulk answer with errors stops the load, and says so.
    fake.write_text(fake.read_text().replace('"errors":false', '"errors":true'))
    log.unlink()
    done = subprocess.run(
        ["sh", str(out / "load.sh")], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "bulk-0001.ndjson: OpenSearch refused some documents" in done.stderr
    assert len(log.read_text().splitlines()) == 2


# --- mistakes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_out", "message"),
    [
        (lambda tmp: write(tmp / "a-file", "x"), "is a file; give a folder"),
        (lambda tmp: write(tmp / "a-file", "x") / "out", "cannot write the export to"),
        (lambda tmp: write(tmp / "full" / "notes.txt", "x").parent, "holds other files"),
        (lambda tmp: Path("/sys/dwsearch-export"), "cannot write the export to"),
    ],
)
def test_a_bad_destination_is_one_line_and_exit_2(corpus_index, tmp_path, make_out, message):
    out = make_out(tmp_path)
    result = run("export", "--format", "opensearch", "--index", str(corpus_index), str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith("dwsearch: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ([], "Missing option '--format'. Choose from: opensearch"),
        (["--format", "solr"], "'solr' is not 'opensearch'"),
        (
            ["--format", "opensearch", "--name", "Observatory"],
            "--name 'Observatory': must be lower-case",
        ),
        (
            ["--format", "opensearch", "--file-mb", "0"],
            "'--file-mb': 0.0 is not in the range 0<x<=1024",
        ),
    ],
)
def test_bad_options_are_one_line_and_exit_2(corpus_index, tmp_path, options, message):
    out = tmp_path / "out"
    result = run("export", *options, "--index", str(corpus_index), str(out))
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()


def test_the_commands_defaults_are_the_apis_and_the_writers():
    """The command, the Python API and the writer offer the same formats and defaults."""
    from dwsearch.app import api, export
    from dwsearch.app.cli import cli

    declared = {param.name: param for param in cli.commands["export"].params}
    offered = inspect.signature(api.export).parameters
    written = inspect.signature(export.write_export).parameters
    assert offered["format"].default in declared["export_format"].type.choices
    assert declared["name"].default == offered["name"].default == written["index_name"].default
    assert declared["file_mb"].default == offered["file_mb"].default
    assert offered["file_mb"].default == written["file_mb"].default


def test_an_index_that_is_not_there_is_one_line(tmp_path):
    result = run("export", "--format", "opensearch", "--index", str(tmp_path / "none"), "out")
    assert result.exit_code == 2
    assert result.stderr.startswith("dwsearch: no index at ") and result.stderr.count("\n") == 1
