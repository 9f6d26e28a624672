"""What a caller may ask of the application, each bound defined once, in a module light
enough for the command to read without loading what enforces it. A search's own bounds
are the search layer's (`dwsearch.search.results`).
"""

from __future__ import annotations

# The application API's: the largest size cap on page files (a tebibyte: no cap at all),
# and the largest bulk file of an export (a gibibyte is more than OpenSearch takes).
MAX_FILE_MB = 1_000_000
MAX_BULK_FILE_MB = 1024
# An export's engines, the index it loads into, and its bulk files' size, by default.
EXPORT_FORMATS = ("opensearch",)
DEFAULT_EXPORT_NAME = "dwsearch"
DEFAULT_EXPORT_FILE_MB = 5.0
# A web source's fetch: the longest delay between requests and wait for an answer (an
# hour, ten minutes), and the most pages one run may ask for.
MAX_DELAY = 3600.0
MAX_TIMEOUT = 600.0
MAX_PAGES = 10_000_000

# The HTTP API's, which both its server and its client (the command asking a running
# server) keep. A query longer than a paragraph, or a page of hundreds of hits, is not
# a search a person makes, and each costs the others time.
MAX_QUERY_CHARS = 500
MAX_QUERY_WORDS = 32  # each word is a posting list to read and rank
MAX_HITS_PER_REQUEST = 100
MAX_REQUEST_OFFSET = 10_000
MAX_VALUES = 50  # values of one filter
DEFAULT_LIMIT = 10
# What the search page hands over at once: an export of the current results (CSV,
# JSON), and a feed's newest items. A reader wanting more narrows the search.
MAX_EXPORT_HITS = 1000
FEED_ENTRIES = 30
# Raised when the API's search parameters change (2: feedback; 3: all_chunks, from_page,
# and crowded order), so that a command never asks a server started by an older
# dwsearch, which would ignore or refuse what it does not know.
API_LEVEL = 3


def within_bounds(query: str, limit: int, offset: int = 0) -> bool:
    """Whether a search is one the API answers (a command asks a server only then)."""
    return (
        0 < limit <= MAX_HITS_PER_REQUEST
        and 0 <= offset <= MAX_REQUEST_OFFSET
        and len(query) <= MAX_QUERY_CHARS
        and len(query.split()) <= MAX_QUERY_WORDS
    )
