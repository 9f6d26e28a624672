"""The reading side's way in: a live generation opened for searching.

It opens the generation and its manifest, and builds nothing; building (and building on
first use) is the builder's and the application's. Kept apart from the package itself,
which loads no Whoosh, so that a program can find an index without loading Whoosh.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from .location import IndexDamaged, Manifest


@dataclass
class OpenIndex:
    """A live generation opened for reading, with what it was built from."""

    whoosh_index: Any
    directory: Path
    generation: Path
    manifest: Manifest


def segment_leaves(reader: Any) -> Iterator[tuple[Any, int]]:
    """Each segment's reader and the number of its first document. An index with no
    documents has none (Whoosh hands it one empty reader, of no segment)."""
    for leaf, offset in reader.leaf_readers():
        if leaf.segment() is not None:
            yield leaf, offset


def open_generation(directory: Path, generation: Path, manifest: Manifest) -> OpenIndex:
    """Open a generation's Whoosh index; damage is an IndexProblem that says what to do."""
    try:
        ix = whoosh_index.open_dir(str(generation))
    except Exception as error:  # Whoosh raises many kinds on a damaged folder
        raise IndexDamaged(
            f"the index at {directory} is damaged ({type(error).__name__})", directory
        ) from None
    return OpenIndex(ix, directory, generation, manifest)
