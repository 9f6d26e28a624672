"""Indexing: chunks into a Whoosh index, rebuilt or updated safely.

This package is the one place that knows how Whoosh writes. `reading.open_generation`
is the reading side's way in. The package itself loads no Whoosh: finding an index and
its live generation is cheap (the `dwsearch` command asks a running server first).
"""

from __future__ import annotations

from pathlib import Path

from .location import (
    BUNDLED,
    IndexDamaged,
    IndexProblem,
    Manifest,
    current_generation,
    read_manifest,
    resolve_index_dir,
)

__all__ = [
    "BUNDLED",
    "IndexDamaged",
    "IndexProblem",
    "Manifest",
    "live_generation",
    "resolve_index_dir",
]


def live_generation(directory: Path) -> tuple[Path, Manifest] | None:
    """The live generation and its manifest, or None where there is no index yet."""
    generation = current_generation(directory)
    if generation is None:
        return None
    return generation, read_manifest(generation)
