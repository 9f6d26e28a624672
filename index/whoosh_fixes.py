"""Narrow fixes to Whoosh's internals, for the pinned whoosh-reloaded 2.7.5 only.

Each one is measured; each leaves Whoosh's results unchanged.
"""

from __future__ import annotations

from typing import Any

_applied = False


def apply() -> None:
    """Install the fixes once; a later call does nothing."""
    global _applied
    if _applied:
        return
    from whoosh.codec import whoosh3

    # Committing a segment asks the length of every field of every posting. For fields
    # without lengths (IDs, keywords), Whoosh remembered nothing and asked the file
    # system each time: 136,000 stat calls for 200 pages, 10% of a build.
    def cached_reader(self: Any, fieldname: str, column: Any) -> Any:
        try:
            return self._readers[fieldname]
        except KeyError:
            found = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            self._readers[fieldname] = found
            return found

    whoosh3.W3PerDocReader._cached_reader = cached_reader
    _applied = True
