"""Test collections in BEIR layout, read as chunks.

A collection is a folder with `corpus.jsonl` (`_id`, `title`, `text`), `queries.jsonl`
(`_id`, `text`) and `qrels/test.tsv` (`query-id`, `corpus-id`, `score`, with a header).
Documents become chunks of type `document`; a record's optional `metadata` may give its
chunk a type, years, topics, sectors and baskets, so that filters can be judged too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .chunk import Chunk
from .sources import IngestError


@dataclass(frozen=True)
class Collection:
    """A test collection in BEIR's layout: documents, queries and graded judgements."""

    name: str
    folder: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> document id -> grade

    def documents(self) -> Iterator[Chunk]:
        yield from _read_corpus(self.folder / "corpus.jsonl", self.name)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, line
    except FileNotFoundError:
        raise IngestError(f"{path}: missing (a BEIR collection needs it)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise IngestError(f"{path}: cannot read ({error})") from None


def _record(path: Path, number: int, line: str, fields: tuple[str, ...]) -> dict:
    try:
        record = json.loads(line)
        for name in fields:
            if name not in record:
                raise KeyError(name)
    except (ValueError, KeyError) as error:
        raise IngestError(f"{path}:{number}: not a BEIR record ({error})") from None
    return record


def _read_corpus(path: Path, name: str) -> Iterator[Chunk]:
    for number, line in _lines(path):
        record = _record(path, number, line, ("_id",))
        meta = record.get("metadata") or {}
        years = meta.get("years") or ()
        yield Chunk(
            id=str(record["_id"]),
            page=name,
            page_title=name,
            type=str(meta.get("type", "document")),
            section="",
            title=str(record.get("title") or ""),
            text=str(record.get("text") or ""),
            years=tuple(int(y) for y in years),
            topics=tuple(meta.get("topics") or ()),
            baskets=tuple(meta.get("baskets") or ()),
            sectors=tuple(meta.get("sectors") or ()),
            source="corpus.jsonl",
            lines=(number, number),
        )


def load_collection(folder: str | Path) -> Collection:
    """A BEIR collection's queries and judgments; its documents are read on demand."""
    folder = Path(folder)
    if not folder.is_dir():
        raise IngestError(f"{folder}: no such folder")
    queries = {}
    path = folder / "queries.jsonl"
    for number, line in _lines(path):
        record = _record(path, number, line, ("_id", "text"))
        queries[str(record["_id"])] = str(record["text"])
    qrels: dict[str, dict[str, int]] = {}
    path = folder / "qrels" / "test.tsv"
    for number, line in _lines(path):
        columns = line.rstrip("\n").split("\t")
        if number == 1 and not columns[-1].lstrip("-").isdigit():
            continue  # the header
        try:
            query_id, doc_id, grade = columns[0], columns[1], int(columns[2])
        except (IndexError, ValueError):
            raise IngestError(f"{path}:{number}: not a qrels line") from None
        qrels.setdefault(query_id, {})[doc_id] = grade
    return Collection(folder.name, folder, queries, qrels)
