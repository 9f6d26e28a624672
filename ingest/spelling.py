"""British and American spellings, folded to one form so either finds the other."""

from __future__ import annotations

import re

from dwsearch.lexicon import uk_to_us

_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)?")


def fold_spelling(text: str) -> str:
    """Lower-case text with every listed British spelling made American."""
    table = uk_to_us()
    return _WORD.sub(lambda m: table.get(m.group(0), m.group(0)), text.lower())
