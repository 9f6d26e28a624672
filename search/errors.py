"""Errors a user can act on; each becomes one line on stderr and exit code 2."""


class SearchError(Exception):
    """Bad input to a search: an unknown facet value, a malformed year, a bad limit."""


class ChunkNotFound(LookupError):
    """No chunk has the id asked for (a LookupError, as a missing key is)."""
