"""Indexing: chunks into a Whoosh index, rebuilt or updated safely.

This package is the one place that knows how Whoosh writes. `open_generation` is the
reading side's way in: it opens the live generation and its manifest, and builds
nothing; building (and building on first use) is the builder's and the application's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

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
    "OpenIndex",
    "live_generation",
    "open_generation",
    "resolve_index_dir",
]


@dataclass
class OpenIndex:
    """A live generation opened for reading, with what it was built from."""

    whoosh_index: Any
    directory: Path
    generation: Path
    manifest: Manifest


def open_generation(directory: Path, generation: Path, manifest: Manifest) -> OpenIndex:
    """Open a generation's Whoosh index; damage is an IndexProblem that says what to do."""
    try:
        ix = whoosh_index.open_dir(str(generation))
    except Exception as error:  # Whoosh raises many kinds on a damaged folder
        raise IndexProblem(
            f"the index at {directory} is damaged ({type(error).__name__}); rebuild it with: "
            f"dwsearch build --rebuild --index {directory}"
        ) from None
    return OpenIndex(ix, directory, generation, manifest)


def live_generation(directory: Path) -> tuple[Path, Manifest] | None:
    """The live generation and its manifest, or None where there is no index yet."""
    generation = current_generation(directory)
    if generation is None:
        return None
    return generation, read_manifest(generation)
