"""The HTTP API's contract, which both its server and its client (the command asking
a running server) keep: what one request may ask, and the API's level."""

from __future__ import annotations

# What one request may ask of the server: a query longer than a paragraph, or a page of
# hundreds of hits, is not a search a person makes, and each costs the others time.
MAX_QUERY_CHARS = 500
MAX_QUERY_WORDS = 32  # each word is a posting list to read and rank
MAX_LIMIT = 100
MAX_OFFSET = 10_000
MAX_VALUES = 50  # values of one filter
DEFAULT_LIMIT = 10
# Raised when the API's search parameters change (2: feedback), so that a command never
# asks a server started by an older dwsearch, which would ignore what it does not know.
API_LEVEL = 2


def within_bounds(query: str, limit: int, offset: int = 0) -> bool:
    """Whether a search is one the API answers (a command asks a server only then)."""
    return (
        0 < limit <= MAX_LIMIT
        and 0 <= offset <= MAX_OFFSET
        and len(query) <= MAX_QUERY_CHARS
        and len(query.split()) <= MAX_QUERY_WORDS
    )
