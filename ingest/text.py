"""Text normalisation and year extraction shared by every reader."""

from __future__ import annotations

import re
import unicodedata

# Spaces the site's editor leaves behind: no-break, narrow no-break, figure, thin, zero-width.
_SPACE_LIKE = dict.fromkeys(map(ord, "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u3000"), " ")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Both in one pass: no character is in both, and a space is not invisible. Translating
# looks every character up in a dict; searching for any of them first costs far less.
_SPACES_SHOWN = {**_SPACE_LIKE, **_INVISIBLE}
_ANY_SHOWN = re.compile("[" + "".join(map(chr, _SPACES_SHOWN)) + "]")
# Control characters (C0 and C1 but tab and newline), the Unicode line separators editors
# do not break on, and the bidirectional embeddings, overrides and isolates that can make
# text read in another order than it is stored (U+202E turns "txt.exe" into "exe.txt").
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

YEAR_MIN, YEAR_MAX = 1900, 2100

# "(2018)" at the end of an item, or an unclosed "(2016" where the extract was cut.
_TRAILING_YEAR = re.compile(r"\s*\(\s*(\d{4})\s*\)?\s*$")
# Four-digit years in prose, and the year of a numbered resolution such as "101/2014":
# the year is a match's last four digits. The pattern opens with a digit, not with its
# look-behind, so that the engine skips to digits instead of trying every character.
_MENTIONED_YEAR = re.compile(r"\d(?<![\d/.,]\d)(?:\d{0,3}/\d{4}|\d{3})(?![\d/]|[.,]\d)")


def normalise(text: str) -> str:
    """NFC, ordinary spaces, no control characters; line breaks kept as `\\n` alone."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    if not text.isascii() and _ANY_SHOWN.search(text):  # each is beyond ASCII
        text = text.translate(_SPACES_SHOWN)
    return _CONTROL.sub(" ", text)


def strip_controls(text: str) -> str:
    """Control and bidi-override characters as spaces: for text decoded after `normalise`,
    such as HTML entities (`&#27;` is an escape character once BeautifulSoup reads it)."""
    return _CONTROL.sub(" ", text)


def source_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (after `normalise`)."""
    return text.split("\n")


def squeeze(text: str) -> str:
    """Collapse runs of white space, as a reader sees them."""
    # str.split's white space is exactly the regular expression `\s`, at a fraction of
    # the cost (every line of every page is squeezed, some more than once).
    return " ".join(text.split())


def split_trailing_year(item: str) -> tuple[str, int | None]:
    """`"Storytellers (2018)"` → `("Storytellers", 2018)`."""
    if "(" not in item:
        return item, None  # most items: no need for the pattern, which tries every place
    match = _TRAILING_YEAR.search(item)
    if match:
        year = int(match.group(1))
        if YEAR_MIN <= year <= YEAR_MAX:
            return item[: match.start()].rstrip(), year
    return item, None


def mentioned_years(text: str) -> tuple[int, ...]:
    """Plausible years a sentence mentions, in order of first mention."""
    found: dict[int, None] = {}
    for match in _MENTIONED_YEAR.finditer(text):
        year = int(match.group()[-4:])
        if YEAR_MIN <= year <= YEAR_MAX:
            found[year] = None
    return tuple(found)


def slugify(text: str) -> str:
    """ASCII, lower case, hyphens: `Genève 2018!` → `geneve-2018`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].strip("-") or "page"
