"""The same chunks, indexed and searched without dwsearch: bare Whoosh and SQLite FTS5.

Both get what dwsearch gets: BM25 ranking of an OR of the words, the filters, facet
counts over the whole result set, and highlights for the top 10.
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
def fts5_build(chunks_file: Path, database: Path) -> int:
    connection = sqlite3.connect(database)
    connection.executescript(
        """
        CREATE VIRTUAL TABLE chunks USING fts5(title, text, tokenize='porter unicode61');
        CREATE TABLE meta(rowid INTEGER PRIMARY KEY, id TEXT, type TEXT, source TEXT);
        CREATE TABLE facet(rowid INTEGER, name TEXT, value TEXT);
        """
    )
    count = 0
    for rowid, chunk in enumerate(read_chunks(chunks_file), start=1):
        connection.execute(
            "INSERT INTO chunks(rowid, title, text) VALUES (?, ?, ?)",
            (rowid, chunk["title"], chunk["text"]),
        )
        connection.execute(
            "INSERT INTO meta VALUES (?, ?, ?, ?)",
            (rowid, chunk["id"], chunk["type"], chunk["source"]),
        )
        values = [("type", chunk["type"])]
        values += [(name, str(v)) for name in ("sectors", "topics", "years") for v in chunk[name]]
        connection.executemany(
            "INSERT INTO facet VALUES (?, ?, ?)", [(rowid, n, v) for n, v in values]
        )
        count += 1
    connection.execute("CREATE INDEX facet_by_row ON facet(rowid)")
    connection.execute("CREATE INDEX facet_by_value ON facet(name, value)")
    connection.commit()
    connection.close()
    return count


class FTS5Searcher:
    def __init__(self, database: Path) -> None:
        self.connection = sqlite3.connect(database)

    def search(self, text: str, filters: dict[str, Any]) -> int:
        match = _fts5_match(text)
        if not match:
            return 0
        where, arguments = ["chunks MATCH ?"], [match]
        for name, column in (("type", "type"), ("topic", "topics")):
            if name in filters:
                where.append("rowid IN (SELECT rowid FROM facet WHERE name = ? AND value = ?)")
                arguments += [column, filters[name]]
        if "years" in filters:
            where.append(
                "rowid IN (SELECT rowid FROM facet WHERE name = 'years' "
                "AND CAST(value AS INTEGER) BETWEEN ? AND ?)"
            )
            arguments += list(filters["years"])
        condition = " AND ".join(where)
        total = 0
        for name, _value, count in self.connection.execute(
            "SELECT name, value, COUNT(*) FROM facet WHERE rowid IN "
            f"(SELECT rowid FROM chunks WHERE {condition}) GROUP BY name, value",
            arguments,
        ):
            total += count if name == "type" else 0
        list(
            self.connection.execute(
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
    """An OR of the query's words; a quoted phrase stays a phrase."""
    parts = []
    for index, piece in enumerate(text.split('"')):
        if index % 2:
            words = "".join(c if c.isalnum() or c.isspace() else " " for c in piece).split()
            if words:
                parts.append('"' + " ".join(words) + '"')
        else:
            words = "".join(c if c.isalnum() or c.isspace() else " " for c in piece).split()
            parts += [f'"{w}"' for w in words]
    return " OR ".join(parts)
