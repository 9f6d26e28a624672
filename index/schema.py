"""The Whoosh schema, and the version that says when an index must be rebuilt."""

from __future__ import annotations

import hashlib

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import analysis_fingerprint, english_analyzer, spelling_analyzer

# Bump when the schema or the way chunks become documents changes.
SCHEMA_REVISION = 3
FACET_FIELDS = ("type", "sectors", "topics", "baskets", "years")


def build_schema() -> Schema:
    english = english_analyzer()
    title = TEXT(analyzer=english, stored=True, phrase=True)
    text = TEXT(analyzer=english, stored=True, phrase=True)
    # A word the analyzer splits ("ITU-T") is searched as the phrase of its parts.
    title.multitoken_query = text.multitoken_query = "phrase"
    return Schema(
        id=ID(stored=True, unique=True),
        page=ID(stored=True),
        page_title=STORED(),
        source=ID(stored=True),
        lines=STORED(),
        section=STORED(),
        title=title,
        text=text,
        # Facets: indexed for filtering, and kept in columns so counting them never
        # touches stored documents.
        type=ID(stored=True, sortable=True),
        sectors=KEYWORD(stored=True, commas=True, lowercase=True, sortable=True),
        topics=KEYWORD(stored=True, commas=True, lowercase=True, sortable=True),
        baskets=KEYWORD(stored=True, commas=True, lowercase=True, sortable=True),
        # Signed, as Whoosh defaults: its unsigned ranges match years outside them.
        years=NUMERIC(int, stored=True),
        year_facet=KEYWORD(commas=True, sortable=True),
        # Ties in score are broken by where a chunk stands in its source.
        order=ID(sortable=True),
        # Unstemmed words, to suggest a correction for a word the index does not have.
        spell=TEXT(analyzer=spelling_analyzer(), phrase=False),
    )


def schema_version() -> str:
    """Differs whenever this dwsearch would index the same chunks differently."""
    parts = f"{SCHEMA_REVISION}:{analysis_fingerprint()}"
    return hashlib.sha256(parts.encode()).hexdigest()[:16]
