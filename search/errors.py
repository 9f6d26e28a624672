"""Errors a user can act on, said as the search layer sees them.

A `SearchError` names the field at fault by its name in the application API (`limit`,
`year`, `topic`, `query`), the value given, what is wrong with it, and where known what
is allowed and the nearest allowed value. It never names a command-line option or a
form label: each face (the CLI, the HTTP API, the search page) words it in its own
terms (`dwsearch.app.wording`). Its plain text is a sentence a program can log.
"""

from __future__ import annotations

from collections.abc import Sequence


class SearchError(Exception):
    """Bad input to a search: an unknown facet value, a malformed year, a bad limit."""

    def __init__(
        self,
        problem: str,
        field: str = "",
        value: object = None,
        allowed: Sequence[str] = (),
        suggestion: str = "",
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.field = field
        self.value = value
        self.allowed = tuple(allowed)
        self.suggestion = suggestion

    def __str__(self) -> str:
        if not self.field:
            return self.problem
        given = "" if self.value is None else f" {self.value!r}"
        return f"{self.field}{given}: {self.problem}"


class ChunkNotFound(LookupError):
    """No chunk has the id asked for (a LookupError, as a missing key is)."""
