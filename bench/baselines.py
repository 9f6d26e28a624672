"""The same chunks, indexed and searched without dwsearch: bare Whoosh, SQLite FTS5 and
tantivy (Rust, through its Python package: the practical limit).

Each gets what dwsearch gets: BM25 ranking of an OR of the words, the filters, facet
counts over the whole filtered result set, and highlights for the top 10.

Facets in FTS5 are done as a competent SQLite user would: one table per facet,
clustered on (rowid, value) `WITHOUT ROWID`, so a chunk's values are one B-tree probe
away; the matching rowids are found once per query into a temporary table, and each
facet is counted from it with an indexed lookup. In tantivy, facet fields are raw,
fast (columnar) fields counted by its terms aggregation.

Prefixes and typos get the same work too. FTS5 and bare Whoosh read `word*` as a
prefix; tantivy's parser does not (it drops the star), so its searcher asks for a prefix
query. A word the index lacks is a typo to dwsearch, corrected within Meilisearch's
budget; tantivy gets a fuzzy query within that budget for such a word (FTS5 has no
fuzzy matching, and its typo queries find nothing). The benchmark reports, per kind, the
share of queries that found anything, so a baseline answering with nothing shows.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


def read_chunks(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


# ------------------------------------------------------------------ bare Whoosh
def whoosh_schema():  # type: ignore[no-untyped-def]
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(), stored=True, field_boost=1.5),
        text=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        type=ID(stored=True),
        sectors=KEYWORD(stored=True, commas=True),
        topics=KEYWORD(stored=True, commas=True),
        years=NUMERIC(int, stored=True),
        source=STORED(),
    )


def whoosh_build(chunks_file: Path, folder: Path) -> int:
    from whoosh import index

    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(folder), whoosh_schema())
    writer = ix.writer()
    count = 0
    for chunk in read_chunks(chunks_file):
        document = {
            "id": chunk["id"], "title": chunk["title"], "text": chunk["text"],
            "type": chunk["type"], "sectors": ",".join(chunk["sectors"]),
            "topics": ",".join(chunk["topics"]), "source": chunk["source"],
        }  # fmt: skip
        if chunk["years"]:
            document["years"] = chunk["years"]
        writer.add_document(**document)
        count += 1
    writer.commit()
    return count


class WhooshSearcher:
    def __init__(self, folder: Path) -> None:
        from whoosh import index, qparser

        self.ix = index.open_dir(str(folder))
        self.searcher = self.ix.searcher()
        self.parser = qparser.MultifieldParser(
            ["title", "text"], self.ix.schema, group=qparser.OrGroup
        )

    def search(self, text: str, filters: dict[str, Any]) -> int:
        from whoosh import query, sorting

        parsed = self.parser.parse(text)
        filter_query = _whoosh_filter(filters)
        facets = {
            "type": sorting.FieldFacet("type"),
            "sectors": sorting.FieldFacet("sectors", allow_overlap=True),
            "topics": sorting.FieldFacet("topics", allow_overlap=True),
            "years": sorting.FieldFacet("years", allow_overlap=True),
        }
        results = self.searcher.search(
            parsed, limit=10, filter=filter_query, groupedby=facets, terms=True
        )
        for name in facets:
            results.groups(name)
        for hit in results:
            hit.highlights("text") or hit.highlights("title")
        del query
        return len(results)

    def close(self) -> None:
        self.searcher.close()


def _whoosh_filter(filters: dict[str, Any]):  # type: ignore[no-untyped-def]
    from whoosh import query

    parts = []
    if "type" in filters:
        parts.append(query.Term("type", filters["type"]))
    if "topic" in filters:
        parts.append(query.Term("topics", filters["topic"]))
    if "years" in filters:
        parts.append(query.NumericRange("years", *filters["years"]))
    return query.And(parts) if parts else None


# ----------------------------------------------------------------- SQLite FTS5
FTS5_FACETS = ("type", "sectors", "topics", "years")


def fts5_build(chunks_file: Path, database: Path) -> int:
    connection = sqlite3.connect(database)
    connection.executescript(
        "CREATE VIRTUAL TABLE chunks USING fts5(title, text, tokenize='porter unicode61');"
        "CREATE TABLE meta(rowid INTEGER PRIMARY KEY, id TEXT, source TEXT);"
        + "".join(
            f"CREATE TABLE facet_{name}(rowid INTEGER, value TEXT, "
            "PRIMARY KEY (rowid, value)) WITHOUT ROWID;"
            for name in FTS5_FACETS
        )
    )
    count = 0
    for rowid, chunk in enumerate(read_chunks(chunks_file), start=1):
        connection.execute(
            "INSERT INTO chunks(rowid, title, text) VALUES (?, ?, ?)",
            (rowid, chunk["title"], chunk["text"]),
        )
        connection.execute(
            "INSERT INTO meta VALUES (?, ?, ?)", (rowid, chunk["id"], chunk["source"])
        )
        for name in FTS5_FACETS:
            values = [chunk["type"]] if name == "type" else {str(v) for v in chunk[name]}
            connection.executemany(
                f"INSERT INTO facet_{name} VALUES (?, ?)", [(rowid, v) for v in values]
            )
        count += 1
    for name in FTS5_FACETS:  # for filters: the chunks with a value
        connection.execute(f"CREATE INDEX facet_{name}_by_value ON facet_{name}(value, rowid)")
    connection.commit()
    connection.close()
    return count


class FTS5Searcher:
    def __init__(self, database: Path) -> None:
        self.connection = sqlite3.connect(database)
        self.connection.execute("CREATE TEMP TABLE hits(rowid INTEGER PRIMARY KEY)")

    def search(self, text: str, filters: dict[str, Any]) -> int:
        match = _fts5_match(text)
        if not match:
            return 0
        where, arguments = ["chunks MATCH ?"], [match]
        for name, table in (("type", "type"), ("topic", "topics")):
            if name in filters:
                where.append(f"rowid IN (SELECT rowid FROM facet_{table} WHERE value = ?)")
                arguments.append(filters[name])
        if "years" in filters:
            low, high = filters["years"]
            years = [str(y) for y in range(low, high + 1)]
            marks = ", ".join("?" * len(years))
            where.append(f"rowid IN (SELECT rowid FROM facet_years WHERE value IN ({marks}))")
            arguments += years
        condition = " AND ".join(where)
        database = self.connection
        database.execute("DELETE FROM hits")
        database.execute(f"INSERT INTO hits SELECT rowid FROM chunks WHERE {condition}", arguments)
        total = database.execute("SELECT COUNT(*) FROM hits").fetchone()[0]
        for name in FTS5_FACETS:
            list(
                database.execute(
                    f"SELECT f.value, COUNT(*) FROM hits h JOIN facet_{name} f "
                    "ON f.rowid = h.rowid GROUP BY f.value"
                )
            )
        list(
            database.execute(
                f"SELECT rowid, highlight(chunks, 0, '<b>', '</b>'), "
                f"snippet(chunks, 1, '<b>', '</b>', '…', 30) FROM chunks WHERE {condition} "
                "ORDER BY bm25(chunks, 1.5, 1.0) LIMIT 10",
                arguments,
            )
        )
        return total

    def close(self) -> None:
        self.connection.close()


def _fts5_match(text: str) -> str:
    """An OR of the query's words; a quoted phrase stays a phrase, `word*` a prefix."""
    parts = []
    for index, piece in enumerate(text.split('"')):
        words = "".join(c if c.isalnum() or c.isspace() or c == "*" else " " for c in piece)
        if index % 2:
            found = words.replace("*", " ").split()
            if found:
                parts.append('"' + " ".join(found) + '"')
            continue
        for word in words.split():
            core = word.strip("*")
            if core:
                parts.append(f'"{core}"*' if word.endswith("*") else f'"{core}"')
    return " OR ".join(parts)


# ------------------------------------------------------------------------ tantivy
def typo_budget(word: str) -> int:
    """Meilisearch's typo budget, which dwsearch keeps: none under 5 letters, one from 5,
    two from 9."""
    return 2 if len(word) >= 9 else 1 if len(word) >= 5 else 0


TANTIVY_FACETS = ("type", "sectors", "topics", "years")


def tantivy_build(chunks_file: Path, folder: Path) -> int:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("text", stored=True, tokenizer_name="en_stem")
    for name in ("type", "sectors", "topics"):
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    builder.add_integer_field("years", indexed=True, fast=True)
    folder.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(builder.build(), path=str(folder))
    writer = index.writer(heap_size=256 * 2**20, num_threads=2)
    count = 0
    for chunk in read_chunks(chunks_file):
        document = tantivy.Document()
        document.add_text("id", chunk["id"])
        document.add_text("title", chunk["title"])
        document.add_text("text", chunk["text"])
        document.add_text("type", chunk["type"])
        for name in ("sectors", "topics"):
            for value in chunk[name]:
                document.add_text(name, value)
        for year in chunk["years"]:
            document.add_integer("years", year)
        writer.add_document(document)
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


class TantivySearcher:
    def __init__(self, folder: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        self.index = tantivy.Index.open(str(folder))
        self.searcher = self.index.searcher()
        self.schema = self.index.schema
        self.stemmer = (  # the en_stem tokenizer the text fields are indexed with
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("english"))
            .build()
        )

    def search(self, text: str, filters: dict[str, Any]) -> int:
        tantivy = self.tantivy
        words = "".join(c if c.isalnum() or c in ' "*' else " " for c in text).strip()
        if not words.replace('"', "").strip():
            return 0
        query = self._query(words)
        clauses = [(tantivy.Occur.Must, query)]
        for name, field in (("type", "type"), ("topic", "topics")):
            if name in filters:
                term = tantivy.Query.term_query(self.schema, field, filters[name])
                clauses.append((tantivy.Occur.Must, term))
        if "years" in filters:
            low, high = filters["years"]
            years = tantivy.Query.range_query(
                self.schema, "years", tantivy.FieldType.Integer, low, high
            )
            clauses.append((tantivy.Occur.Must, years))
        whole = tantivy.Query.boolean_query(clauses) if len(clauses) > 1 else query
        found = self.searcher.search(whole, 10, count=True)
        self.searcher.aggregate(
            whole,
            {name: {"terms": {"field": name, "size": 1000}} for name in TANTIVY_FACETS},
        )
        snippets = tantivy.SnippetGenerator.create(self.searcher, whole, self.schema, "text")
        for _score, address in found.hits:
            snippets.snippet_from_doc(self.searcher.doc(address)).to_html()
        return found.count or 0

    def _query(self, words: str):  # type: ignore[no-untyped-def]
        """The words as dwsearch reads them: `word*` a prefix (one constant score, as
        Lucene scores one), and a word neither field holds a fuzzy word within its
        length's typo budget, as dwsearch corrects one; the rest parsed as they were."""
        tantivy, fields, boosts = self.tantivy, ["title", "text"], {"title": 1.5}
        parts = []
        plain = []
        for index, piece in enumerate(words.split('"')):
            if index % 2:
                if piece.strip():
                    plain.append(f'"{piece}"')
                continue
            for word in piece.split():
                core = word.strip("*")
                if not core:
                    continue
                if word.endswith("*"):
                    parts.append(self._prefix(core.lower(), fields, boosts))
                elif core.isalpha() and (budget := typo_budget(core)) and self._unknown(core):
                    # (prefix, distance, a swap costs one edit), as dwsearch counts it
                    fuzzy = {name: (False, budget, True) for name in fields}
                    parts.append(
                        self.index.parse_query(
                            core, fields, field_boosts=boosts, fuzzy_fields=fuzzy
                        )
                    )
                else:
                    plain.append(core)
        if not parts:  # as before: the whole text parsed at once
            return self.index.parse_query_lenient(words, fields, field_boosts=boosts)[0]
        if plain:
            parts.append(
                self.index.parse_query_lenient(" ".join(plain), fields, field_boosts=boosts)[0]
            )
        should = tantivy.Occur.Should
        return tantivy.Query.boolean_query([(should, part) for part in parts])

    def _prefix(self, core: str, fields: list[str], boosts: dict[str, float]):  # type: ignore[no-untyped-def]
        tantivy = self.tantivy
        clauses = []
        for name in fields:
            found = tantivy.Query.fuzzy_term_query(self.schema, name, core, distance=0, prefix=True)
            boosted = tantivy.Query.boost_query(found, boosts.get(name, 1.0))
            clauses.append((tantivy.Occur.Should, boosted))
        return tantivy.Query.boolean_query(clauses)

    def _unknown(self, word: str) -> bool:
        terms = self.stemmer.analyze(word)
        return bool(terms) and not any(
            self.searcher.doc_freq(name, terms[0]) for name in ("title", "text")
        )

    def close(self) -> None:
        del self.searcher
