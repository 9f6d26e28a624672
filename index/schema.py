"""The Whoosh schema, and the version that says when an index must be rebuilt."""

from __future__ import annotations

import hashlib
from pathlib import Path

import whoosh
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import analysis_fingerprint, english_analyzer, spelling_analyzer
from .whoosh_internals import bytes_column, number_column

# Bump when the schema or the way chunks become documents changes (9: a chunk's id is
# stored only, and found through the stored-fields file's table of ids).
SCHEMA_REVISION = 9


def build_schema() -> Schema:
    english = english_analyzer()
    title = TEXT(analyzer=english, stored=True, phrase=True)
    text = TEXT(analyzer=english, stored=True, phrase=True)
    # A word the analyzer splits ("ITU-T") is searched as the phrase of its parts.
    title.multitoken_query = text.multitoken_query = "phrase"
    return Schema(
        # Found through the stored-fields file's table (index.stored), not as a term.
        id=STORED(),
        page=ID(stored=True),
        page_title=STORED(),
        url=STORED(),
        source=ID(stored=True),
        # The file a chunk came from, unique across every root: what updates delete by.
        origin=ID(stored=True),
        lines=STORED(),
        section=STORED(),
        title=title,
        text=text,
        # Facets: indexed for filtering, and kept in columns so counting them never
        # touches stored documents.
        type=ID(stored=True, sortable=True),
        kind=ID(stored=True, sortable=True),
        sectors=KEYWORD(stored=True, commas=True, lowercase=True, sortable=True),
        topics=KEYWORD(stored=True, commas=True, lowercase=True, sortable=True),
        baskets=KEYWORD(stored=True, commas=True, lowercase=True, sortable=True),
        # Signed, as Whoosh defaults: its unsigned ranges match years outside them. A few
        # dozen distinct years need no tiered range terms (shift_step=0): fewer postings.
        years=NUMERIC(int, stored=True, shift_step=0),
        # Read only as columns (for facet bitmaps, and to break ties by where a chunk
        # stands in its source), so they have no postings to write.
        year_facet=COLUMN(bytes_column()),
        order=COLUMN(bytes_column()),
        # The day a chunk is about, and the last day of a range, as stored and as day
        # numbers (0: none) for sorting by date and filtering by a range of dates.
        date=STORED(),
        date_end=STORED(),
        day=COLUMN(number_column()),
        day_end=COLUMN(number_column()),
        # Unstemmed words, to suggest a correction for a word the index does not have.
        spell=TEXT(analyzer=spelling_analyzer(), phrase=False),
    )


# The code that decides what an index holds for a chunk: the analysis filters, the
# fields, how a chunk becomes a document, and the facet files. Their bytes are hashed,
# so that any change to them (even one nobody remembered to note) rebuilds old indexes.
INDEXING_CODE = tuple(
    Path(__file__).with_name(name)
    for name in ("analysis.py", "indexers.py", "schema.py", "documents.py", "facetmap.py")
)


def schema_version() -> str:
    """Differs whenever this dwsearch would index the same chunks differently: the code
    above, the lexicon's data files, and Whoosh's version (its stemmer and formats)."""
    digest = hashlib.sha256(f"{SCHEMA_REVISION}:{analysis_fingerprint()}".encode())
    digest.update(whoosh.versionstring().encode())
    for path in INDEXING_CODE:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
