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

from .location import IndexDamaged, Manifest
from .whoosh_internals import all_postings, open_index, posting_ids


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
        ix = open_index(str(generation))
    except Exception as error:  # Whoosh raises many kinds on a damaged folder
        raise IndexDamaged(directory, type(error).__name__) from None
    return OpenIndex(ix, directory, generation, manifest)


# An update deletes a changed or removed page's chunks, but Whoosh keeps them, and their
# words, in their segment until it is rewritten (see `MergePolicy`). What a user is
# shown of the index's words comes from its live chunks only.


def holds_live(reader: Any, fieldname: str, text: str) -> bool:
    """Whether a live document holds the term."""
    for leaf, _ in segment_leaves(reader):
        if (fieldname, text) not in leaf:
            continue
        if not leaf.has_deletions():
            return True
        if _live_in(leaf, fieldname, text, leaf.term_info(fieldname, text)):
            return True
    return False


def live_doc_frequency(reader: Any, fieldname: str, text: str) -> int:
    """How many live documents hold the term (Whoosh's count includes deleted ones)."""
    total = 0
    for leaf, _ in segment_leaves(reader):
        found = leaf.doc_frequency(fieldname, text)
        if found and leaf.has_deletions():
            held = posting_ids(all_postings(leaf, fieldname, text))
            found -= sum(1 for docnum in held if leaf.is_deleted(docnum))
        total += found
    return total


def live_terms(reader: Any, fieldname: str) -> Iterator[bytes]:
    """The field's terms that a live document holds, once per segment holding them."""
    for leaf, _ in segment_leaves(reader):
        if not leaf.has_deletions():
            yield from leaf.lexicon(fieldname)
            continue
        for text, info in leaf.iter_field(fieldname):
            if _live_in(leaf, fieldname, text, info):
                yield text


def _live_in(leaf: Any, fieldname: str, text: str | bytes, info: Any) -> bool:
    """Whether a live document of this segment holds the term: surely when its first or
    last document is live (no posting list read), else when Whoosh's postings, which
    pass over deleted documents, hold any."""
    if not (leaf.is_deleted(info.min_id()) and leaf.is_deleted(info.max_id())):
        return True
    return bool(leaf.postings(fieldname, text).is_active())
