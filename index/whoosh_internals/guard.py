"""Whether dwsearch may go below Whoosh's public API: the version, its classes' methods,
and (checked on the first object of each kind) its objects' attributes."""

from __future__ import annotations

import os
import warnings
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any

import whoosh
from whoosh import columns
from whoosh import index as whoosh_index
from whoosh.codec import whoosh3

SUPPORTED_VERSION = (2, 7, 5)
PUBLIC_ONLY_VARIABLE = "DWSEARCH_WHOOSH_PUBLIC"
# Private methods this module calls, checked as well as the version number, so that a
# patched build of the same version that lacks them takes the public path too.
_PRIVATE_METHODS = (
    (whoosh3.W3LeafMatcher, ("_read_data", "_read_values", "_next_block")),
    (whoosh3.W3PerDocReader, ("_cached_reader",)),
    (whoosh3.W3PostingsWriter, ("_new_block", "_mini_ids", "_mini_weights", "_mini_values")),
    (whoosh_index.FileIndex, ("_reader",)),
)
# The attributes of Whoosh's objects this module reads or sets, by the kind of object;
# each kind is checked on the first object met (`has_attributes`).
MATCHER_ATTRIBUTES = ("_data", "_byteids", "_values", "_i")
PERDOC_READER_ATTRIBUTES = ("_readers",)
LENGTH_COLUMN_ATTRIBUTES = ("_fixedlen", "_count", "_dbfile", "_basepos")
PERDOC_WRITER_ATTRIBUTES = (
    "_storedfields", "_fieldlengths", "_cols", "_indoc", "_storage", "_segment",
)  # fmt: skip
POSTINGS_WRITER_ATTRIBUTES = (
    "_blocklimit", "_ids", "_weights", "_values", "_maxweight", "_minlength",
    "_maxlength", "_postfile", "_blockcount", "_terminfo", "_compression", "_byteids",
)  # fmt: skip


@cache
def deflater() -> Callable[[bytes, int], bytes]:
    """zlib's `compress`, or ISA-L's (the same format, twice as fast), where installed."""
    try:
        from isal.isal_zlib import compress  # declared deferred: only writing needs it
    except ImportError:  # no wheel for this machine
        return zlib.compress
    return compress


@cache
def crc32() -> Callable[..., int]:
    """zlib's `crc32`, or ISA-L's (the same checksum, five times as fast), where installed:
    a search checks a few hundred MB of postings files before it trusts them."""
    try:
        from isal.isal_zlib import crc32 as isal_crc32  # declared deferred
    except ImportError:
        return zlib.crc32
    return isal_crc32


class WhooshVersionWarning(UserWarning):
    """The installed Whoosh is not the version dwsearch's fast paths were written for."""


def _public_asked() -> bool:
    return os.environ.get(PUBLIC_ONLY_VARIABLE, "").strip() not in ("", "0")


def _supported() -> bool:
    if _public_asked():
        return False
    if tuple(whoosh.__version__[:3]) != SUPPORTED_VERSION:
        return False
    stored = whoosh3.STORED_COLUMN  # pickled, then deflated: written so here too
    if not (
        isinstance(stored, columns.PickleColumn)
        and isinstance(stored._child, columns.CompressedBytesColumn)
    ):
        return False
    return all(hasattr(kind, name) for kind, names in _PRIVATE_METHODS for name in names)


def _warn_public(why: str) -> None:
    warnings.warn(
        f"{why}; searching and building use Whoosh's public API (slower)",
        WhooshVersionWarning,
        stacklevel=3,
    )


FAST = _supported()
if not FAST and not _public_asked():
    _warn_public(
        f"Whoosh {whoosh.versionstring()} is not the {'.'.join(map(str, SUPPORTED_VERSION))} "
        "dwsearch was written for"
    )
_CHECKED: dict[type, bool] = {}


def has_attributes(thing: Any, names: tuple[str, ...]) -> bool:
    """Whether objects of this kind carry the attributes this module uses (checked on the
    first one met); a kind that does not is read through the public API, said once."""
    kind = type(thing)
    found = _CHECKED.get(kind)
    if found is None:
        missing = [name for name in names if not hasattr(thing, name)]
        found = _CHECKED[kind] = not missing
        if missing:
            _warn_public(f"Whoosh's {kind.__name__} has no {', '.join(missing)}")
    return found
