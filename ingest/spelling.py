"""British and American spellings, folded to one form so either finds the other."""

from __future__ import annotations

import re
from functools import cache

from .datafiles import read_pairs

_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?")


@cache
def uk_to_us() -> dict[str, str]:
    return read_pairs("spelling.tsv")


def fold_spelling(text: str) -> str:
    """Lower-case text with every listed British spelling made American."""
    table = uk_to_us()
    return _WORD.sub(lambda m: table.get(m.group(0), m.group(0)), text.lower())
