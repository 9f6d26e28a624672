"""dwsearch's chunks for OpenSearch: an index mapping and NDJSON bulk files; and one
search's results as CSV or JSON, for a spreadsheet or a program (the search page's
"Export").

For an organisation that outgrows one machine, the chunks move to an engine built for
many, rather than to a cluster of dwsearch's own. The export is what the index holds,
read from its stored fields (ingestion is not run again), and writes, in a folder:

- `mapping.json`: the index's settings and mappings. Facets are keyword, integer and
  date fields; `title` and `text` are analysed by OpenSearch's own components, put
  together to do what dwsearch's analyzer does as far as they allow, and ranked by BM25
  with dwsearch's k1 and b.
- `bulk-0001.ndjson`, …: action and document line pairs for the `_bulk` API, each file
  at most a few MiB, each document the chunk as `dwsearch show --json` prints it.
- `load.sh`: the curl per file that loads them (the README shows them).

Everything is written to a new folder beside the destination first, so a failed export
leaves no half-written one.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

from dwsearch.index.documents import stored_chunk
from dwsearch.ingest.chunk import Chunk
from dwsearch.lexicon import acronym_rows, stop_words, uk_to_us
from dwsearch.lexicon.files import MIB
from dwsearch.search.engine import SearchSession
from dwsearch.search.query import FIELD_BOOSTS
from dwsearch.search.results import Hit, Results
from dwsearch.search.scoring import BM25_B, BM25_K1

from .bounds import DEFAULT_EXPORT_FILE_MB, DEFAULT_EXPORT_NAME, MAX_BULK_FILE_MB
from .printers import hit_json, results_data, snippet_html
from .wording import BadValue

MAPPING_FILE = "mapping.json"
LOAD_SCRIPT = "load.sh"
_BULK_FILE = re.compile(r"bulk-\d{4,}\.ndjson")

# dwsearch's words (`index.analysis.WORD_PATTERN`) less the hyphen: OpenSearch then
# indexes a compound's parts, as dwsearch does. (?U) makes Java's \w Unicode's, as
# Python's is; the rest is the same in both.
WORD_REGEX = r"\w+(?:['’]\w+)*"
JAVA_WORD_REGEX = "(?U)" + WORD_REGEX
_WORDS = re.compile(WORD_REGEX)

ANALYZER = "dwsearch_english"
SEARCH_ANALYZER = "dwsearch_english_search"
SIMILARITY = "dwsearch_bm25"
# The filters in order, as dwsearch's analyzer has them (`index/analysis.py`). OpenSearch
# parses a synonym rule with the filters before it, and refuses one that a stop filter
# leaves a gap in, so synonyms come before stop words (dwsearch's spelling comes after
# them; neither list holds a word of the other, so the order changes nothing).
# Acronyms are expanded both ways when indexing and never in queries, as dwsearch does
# it: the `synonym` filter lays an expansion's words on the acronym's place and the
# places after it, where dwsearch lays its aliases, and a query stays its own words.
INDEX_FILTERS = [
    "dwsearch_possessive",
    "dwsearch_ambiguous_acronyms",
    "lowercase",
    "asciifolding",
    "dwsearch_spelling",
    "dwsearch_acronyms",
    "dwsearch_stop",
    "dwsearch_stemmer",
]
SEARCH_FILTERS = [name for name in INDEX_FILTERS if name != "dwsearch_acronyms"]


class ExportError(BadValue):
    """An export that cannot be written as asked; the message says why."""


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote, and where."""

    folder: str
    index_name: str
    chunks: int
    bulk_files: tuple[str, ...]
    bytes: int
    files: tuple[str, ...]


def words(text: str) -> list[str]:
    """The words OpenSearch's tokenizer finds in `text` (as `JAVA_WORD_REGEX` does)."""
    return _WORDS.findall(text.replace("’", "'"))


def _rule_side(text: str, american: bool = False) -> str:
    """Words only: a comma or `=>` inside an expansion would be read as rule syntax.

    OpenSearch parses a rule with the filters before its own but the synonym filters
    (so that they may follow one another); the spelling filter's work is therefore done
    here, for rules that come after it (`american`)."""
    found = words(text)
    if american:
        spelling = uk_to_us()
        found = [spelling.get(word.lower(), word) for word in found]
    return " ".join(found)


def ambiguous_acronym_rules() -> list[str]:
    """`WHO => World Health Organization`: an acronym that is also a word is read as
    its (first) expansion where written in capitals, and is never the plain word."""
    rules = []
    for row in acronym_rows():
        if row.ambiguous:
            forms = dict.fromkeys(_rule_side(f) for f in (row.acronym, row.acronym.upper()))
            rules.append(f"{', '.join(forms)} => {_rule_side(row.expansions[0])}")
    return rules


def acronym_rules() -> list[str]:
    """`AI, artificial intelligence`: one rule per acronym, its expansions its equals."""
    rules = []
    for row in acronym_rows():
        if not row.ambiguous:
            sides = dict.fromkeys(
                _rule_side(side, american=True) for side in (row.acronym, *row.expansions)
            )
            rules.append(", ".join(sides))
    return rules


def spelling_rules() -> list[str]:
    """`colour => color`: British spellings become American ones. Spellings of more than
    one word (`e-mail`) are left out: dwsearch parts a compound before its spelling
    filter, so they never meet it."""
    return [
        f"{uk} => {us}"
        for uk, us in uk_to_us().items()
        if uk != us and words(uk) == [uk] and words(us) == [us]
    ]


def analysis_settings() -> dict[str, Any]:
    """dwsearch's analysis, in OpenSearch's components."""
    analyzer = {"type": "custom", "char_filter": ["dwsearch_apostrophes"]}
    return {
        "char_filter": {
            # A curly apostrophe is a plain one, so "ITU’s" and "ITU's" are one word.
            "dwsearch_apostrophes": {"type": "mapping", "mappings": ["’ => '"]},
        },
        "tokenizer": {
            "dwsearch_words": {"type": "pattern", "pattern": JAVA_WORD_REGEX, "group": 0},
        },
        "filter": {
            "dwsearch_possessive": {"type": "stemmer", "language": "possessive_english"},
            # One word in, several in a line out (a graph with one path): the words
            # after move along, in documents and queries alike, as in dwsearch.
            "dwsearch_ambiguous_acronyms": {
                "type": "synonym_graph",
                "synonyms": ambiguous_acronym_rules(),
            },
            "dwsearch_spelling": {"type": "synonym", "synonyms": spelling_rules()},
            "dwsearch_acronyms": {"type": "synonym", "synonyms": acronym_rules()},
            "dwsearch_stop": {"type": "stop", "stopwords": sorted(stop_words())},
            "dwsearch_stemmer": {"type": "snowball", "language": "English"},
        },
        "analyzer": {
            ANALYZER: {**analyzer, "tokenizer": "dwsearch_words", "filter": INDEX_FILTERS},
            SEARCH_ANALYZER: {
                **analyzer,
                "tokenizer": "dwsearch_words",
                "filter": SEARCH_FILTERS,
            },
        },
    }


def _keyword() -> dict[str, Any]:
    return {"type": "keyword"}


def _shown_only() -> dict[str, Any]:
    """A field kept for showing, as dwsearch stores it, neither searched nor counted."""
    return {"type": "keyword", "index": False, "doc_values": False}


def _text() -> dict[str, Any]:
    return {
        "type": "text",
        "analyzer": ANALYZER,
        "search_analyzer": SEARCH_ANALYZER,
        "similarity": SIMILARITY,
    }


def field_mappings() -> dict[str, Any]:
    """Each field of a document (a chunk's), in the chunk's order."""
    return {
        "id": _keyword(),
        "page": _keyword(),
        "page_title": _shown_only(),
        "type": _keyword(),
        "section": _shown_only(),
        "title": _text(),
        "text": _text(),
        "years": {"type": "integer"},
        "topics": _keyword(),
        "baskets": _keyword(),
        "sectors": _keyword(),
        "source": _keyword(),
        # [first, last] line of a .txt, or an HTML element's path: kept, not parsed.
        "lines": {"type": "object", "enabled": False},
        "url": _keyword(),
        "date": {"type": "date", "format": "strict_date"},
        "date_end": {"type": "date", "format": "strict_date"},
        "kind": _keyword(),
    }


def index_mapping(schema_version: str = "") -> dict[str, Any]:
    """The body of `PUT /NAME`: settings (analysis, BM25) and mappings."""
    return {
        "settings": {
            "index": {
                "similarity": {
                    SIMILARITY: {
                        "type": "BM25",
                        "k1": BM25_K1,
                        "b": BM25_B,
                        "discount_overlaps": True,
                    }
                },
                "analysis": analysis_settings(),
            }
        },
        "mappings": {
            # A document with a field the mapping does not declare is refused.
            "dynamic": "strict",
            "_meta": {
                "dwsearch": {
                    "schema_version": schema_version,
                    # dwsearch weighs a title this much more than text: a query can
                    # say so with multi_match's "title^1.5".
                    "field_boosts": FIELD_BOOSTS,
                }
            },
            "properties": field_mappings(),
        },
    }


def document(chunk: Chunk) -> dict[str, Any]:
    """The chunk as an OpenSearch document: its JSON form (`dwsearch show --json`), with
    no date as null (an empty string is no date OpenSearch can read)."""
    data = chunk.to_dict()
    for key in ("date", "date_end"):
        data[key] = data[key] or None
    return data


def indexed_chunks(session: SearchSession) -> Iterator[Chunk]:
    """Every chunk the index holds, read from its stored fields, in the order of their
    sources and of each source's chunks: the same order however the index was built or
    updated, so two exports of the same chunks are the same files."""
    reader = session.searcher.reader()
    stored = session.stored
    order = reader.column_reader("order")
    placed = sorted((order[docnum], docnum) for docnum in reader.all_doc_ids())
    for _, group in groupby(placed, key=lambda item: item[0]):
        # Two sources of the same relative name, in two folders: by id within them.
        tied = [stored_chunk(stored(docnum)) for _, docnum in group]
        yield from sorted(tied, key=lambda chunk: chunk.id) if len(tied) > 1 else tied


def bulk_lines(chunk: Chunk, index_name: str) -> bytes:
    """A chunk's action and document lines."""
    action = {"index": {"_index": index_name, "_id": chunk.id}}
    return (_json_line(action) + _json_line(document(chunk))).encode()


def _json_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def check_index_name(name: str) -> None:
    """OpenSearch's rules for an index name, kept to the plain part of them."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", name) or len(name) > 255:
        raise ExportError(
            "must be lower-case letters, digits, '.', '_' or '-', starting with a letter or "
            "digit, and at most 255 characters",
            "name",
            name,
        )


def _is_export_file(name: str) -> bool:
    return name in (MAPPING_FILE, LOAD_SCRIPT) or bool(_BULK_FILE.fullmatch(name))


def check_request(out: str | Path, index_name: str, file_mb: float) -> None:
    """An ExportError where the export could not be written as asked, before any work."""
    check_index_name(index_name)
    if not 0 < file_mb <= MAX_BULK_FILE_MB:
        raise ExportError(f"must be more than 0 and at most {MAX_BULK_FILE_MB}", "file_mb", file_mb)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; give a folder to write the export into")
    if out.is_dir():
        others = sorted(p.name for p in out.iterdir() if not _is_export_file(p.name))
        if others:
            raise ExportError(
                f"{out} holds other files ({', '.join(others[:3])}"
                f"{', …' if len(others) > 3 else ''}); give a new or empty folder, "
                "or one an earlier export wrote"
            )


def write_export(
    session: SearchSession,
    out: str | Path,
    index_name: str = DEFAULT_EXPORT_NAME,
    file_mb: float = DEFAULT_EXPORT_FILE_MB,
) -> ExportReport:
    """Write the session's index as an OpenSearch export into the folder `out`: new, or
    empty, or an earlier export's (which this one replaces whole)."""
    out = Path(os.path.abspath(out))
    check_request(out, index_name, file_mb)
    staging = out.parent / f".{out.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        try:
            staging.mkdir()
        except FileNotFoundError:  # a new folder in a new folder
            out.parent.mkdir(parents=True, exist_ok=True)
            staging.mkdir()
        mapping = index_mapping(session.opened.manifest.schema_version)
        (staging / MAPPING_FILE).write_text(
            json.dumps(mapping, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        chunks, bulk_files, size = _write_bulk_files(
            indexed_chunks(session), staging, index_name, int(file_mb * MIB)
        )
        (staging / LOAD_SCRIPT).write_text(load_script(index_name), encoding="utf-8")
        _publish(staging, out)
    except OSError as error:
        raise ExportError(f"cannot write the export to {out}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportReport(
        folder=str(out),
        index_name=index_name,
        chunks=chunks,
        bulk_files=tuple(bulk_files),
        bytes=size,
        files=(MAPPING_FILE, *bulk_files, LOAD_SCRIPT),
    )


def _write_bulk_files(
    chunks: Iterable[Chunk], folder: Path, index_name: str, max_bytes: int
) -> tuple[int, list[str], int]:
    """Bulk files of at most `max_bytes` each (a chunk larger than that alone in one);
    how many chunks, which files, how many bytes."""
    names: list[str] = []
    count = total = size = 0
    current = None
    try:
        for chunk in chunks:
            pair = bulk_lines(chunk, index_name)
            if current is None or (size and size + len(pair) > max_bytes):
                if current is not None:
                    current.close()
                names.append(f"bulk-{len(names) + 1:04d}.ndjson")
                current = open(folder / names[-1], "wb")  # noqa: SIM115 - one per file
                size = 0
            current.write(pair)
            size += len(pair)
            total += len(pair)
            count += 1
    finally:
        if current is not None:
            current.close()
    return count, names, total


def _publish(staging: Path, out: Path) -> None:
    """The staged files in `out`: a rename for a new folder, else the earlier export's
    files replaced by these."""
    if not out.exists():
        staging.rename(out)
        return
    for old in out.iterdir():
        if _is_export_file(old.name):
            old.unlink()
    for new in staging.iterdir():
        new.rename(out / new.name)


def load_script(index_name: str) -> str:
    """A shell script with the curl per file that loads the export."""
    return f"""#!/bin/sh
# Loads this dwsearch export into OpenSearch at $HOST (default http://localhost:9200):
# one curl creates the index "{index_name}" from {MAPPING_FILE}, then one per bulk file.
# CURL_OPTS passes more to curl, e.g. CURL_OPTS='-u admin:PASSWORD --insecure'.
set -eu
HOST="${{HOST:-http://localhost:9200}}"
cd "$(dirname "$0")"
answer=$(curl -sS ${{CURL_OPTS:-}} -XPUT "$HOST/{index_name}" \\
  -H 'Content-Type: application/json' --data-binary @{MAPPING_FILE})
case "$answer" in
  *'"acknowledged":true'*) echo "index {index_name} created" ;;
  *) echo "creating the index {index_name} failed: $answer" >&2; exit 1 ;;
esac
for file in bulk-*.ndjson; do
  answer=$(curl -sS ${{CURL_OPTS:-}} -XPOST "$HOST/_bulk" \\
    -H 'Content-Type: application/x-ndjson' --data-binary "@$file")
  case "$answer" in
    *'"errors":false'*) echo "$file loaded" ;;
    *) echo "$file: OpenSearch refused some documents: $answer" | head -c 2000 >&2; exit 1 ;;
  esac
done
"""


# ---------------------------------------------------------------- a search's results
# The columns of a results export, in the order a reader scans them.
RESULT_COLUMNS = (
    "rank", "title", "page_title", "section", "url", "date", "date_end", "years", "type",
    "kind", "topics", "sectors", "baskets", "snippet", "id", "source", "score",
)  # fmt: skip
_MARKS = re.compile(r"</?mark>")
# A cell a spreadsheet would run as a formula (=, +, -, @, or a tab/return first).
_FORMULA = re.compile(r"^[=+\-@\t\r]")


def snippet_plain(hit: Hit) -> str:
    """A hit's snippet as plain text, its marks dropped."""
    return html.unescape(_MARKS.sub("", snippet_html(hit.snippet)))


def _cell(value: str) -> str:
    """Text as a spreadsheet shows it, never runs it: a leading `=` is quoted."""
    return "'" + value if _FORMULA.match(value) else value


def result_row(rank: int, hit: Hit) -> dict[str, str]:
    """One hit as a CSV row: lists joined with "; ", the snippet plain text."""
    chunk = hit.chunk
    row = {
        "rank": str(rank),
        "title": chunk.display_title,
        "page_title": chunk.page_title,
        "section": chunk.section,
        "url": chunk.url,
        "date": chunk.date,
        "date_end": chunk.date_end,
        "years": "; ".join(str(y) for y in chunk.years),
        "type": chunk.type,
        "kind": chunk.kind,
        "topics": "; ".join(chunk.topics),
        "sectors": "; ".join(chunk.sectors),
        "baskets": "; ".join(chunk.baskets),
        "snippet": snippet_plain(hit),
        "id": chunk.id,
        "source": chunk.location,
        "score": f"{hit.score:.4f}",
    }
    return {name: _cell(value) for name, value in row.items()}


def results_csv(results: Results) -> str:
    """The hits of `results` as CSV (a header row, then one row per hit, best first)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for rank, hit in enumerate(results.hits, results.offset + 1):
        writer.writerow(result_row(rank, hit))
    return out.getvalue()


def results_export_data(results: Results) -> dict[str, Any]:
    """The hits of `results` as `search --json` gives them, with how many were exported
    of how many matched (an export is bounded, `bounds.MAX_EXPORT_HITS`)."""
    data = results_data(results, with_hits=False)
    data["exported"] = len(results.hits)
    data["hits"] = [hit_json(hit) for hit in results.hits]
    return data
