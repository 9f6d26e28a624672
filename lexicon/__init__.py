"""The lexicon: word lists that ingestion and indexing both read.

British and American spellings, acronyms and their expansions, and stop words live in
`lexicon/data/`, one home for both stages, so a tag and a search never disagree on what
a word is. This package imports nothing of dwsearch's and reads its files by path.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import NamedTuple

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = ("acronyms.tsv", "spelling.tsv", "stopwords.txt")


def lexicon_text(name: str) -> str:
    """One data file's text."""
    return (DATA_DIR / name).read_text(encoding="utf-8")


def _rows(name: str) -> list[list[str]]:
    """A TSV data file's rows; blank lines and `#` comments skipped."""
    return [
        line.split("\t")
        for line in lexicon_text(name).splitlines()
        if line.strip() and not line.startswith("#")
    ]


@cache
def uk_to_us() -> dict[str, str]:
    """British spellings to their American forms, both lower case."""
    return {row[0].strip(): row[1].strip() for row in _rows("spelling.tsv") if len(row) > 1}


@cache
def stop_words() -> frozenset[str]:
    """Words too common to rank by (Lucene's English list)."""
    return frozenset(row[0].strip() for row in _rows("stopwords.txt"))


class AcronymRow(NamedTuple):
    """An acronym as written, its expansions as written, and whether it is also a word."""

    acronym: str
    expansions: tuple[str, ...]
    ambiguous: bool


@cache
def acronym_rows() -> tuple[AcronymRow, ...]:
    rows = []
    for columns in _rows("acronyms.tsv"):
        ambiguous = len(columns) > 2 and columns[2].strip() == "ambiguous"
        rows.append(AcronymRow(columns[0], tuple(columns[1].split("|")), ambiguous))
    return tuple(rows)


def fingerprint() -> str:
    """Changes whenever any lexicon file changes, read as bytes (cheap at start-up)."""
    digest = hashlib.sha256()
    for name in FILES:
        digest.update(name.encode() + b"\0" + (DATA_DIR / name).read_bytes())
    return digest.hexdigest()[:16]
