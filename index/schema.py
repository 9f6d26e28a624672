"""The Whoosh schema, and the version that says when an index must be rebuilt."""

from __future__ import annotations

import hashlib

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import analysis_fingerprint, english_analyzer, spelling_analyzer

# Bump when the schema or the way chunks become documents changes.
SCHEMA_REVISION = 6


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
        baskets=STORED(),
        # Signed, as Whoosh defaults: its unsigned ranges match years outside them. A few
        # dozen distinct years need no tiered range terms (shift_step=0): fewer postings.
        years=NUMERIC(int, stored=True, shift_step=0),
        # Read only as columns (for facet bitmaps, and to break ties by where a chunk
        # stands in its source), so they have no postings to write.
        year_facet=COLUMN(VarBytesColumn()),
        order=COLUMN(VarBytesColumn()),
        # Unstemmed words, to suggest a correction for a word the index does not have.
        spell=TEXT(analyzer=spelling_analyzer(), phrase=False),
    )


def schema_version() -> str:
    """Differs whenever this dwsearch would index the same chunks differently."""
    parts = f"{SCHEMA_REVISION}:{analysis_fingerprint()}"
    return hashlib.sha256(parts.encode()).hexdigest()[:16]
