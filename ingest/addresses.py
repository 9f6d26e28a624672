"""A page's address on the web: from the page itself, else from the user's pattern.

HTML gives it in `<link rel="canonical">` or `og:url` (see `html.py`); a plain-text
extract in a `URL:` line (`addresses.toml`). A user's pattern such as
`https://dig.watch/actors/{stem}` names the pages that give none.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import PurePosixPath
from urllib.parse import quote, urljoin, urlsplit

from .datafiles import load_toml, package_data
from .text import strip_controls

PLACEHOLDERS = ("{stem}", "{path}")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@cache
def _address_line() -> re.Pattern[str]:
    data = load_toml(package_data("addresses.toml"), "addresses.toml")
    labels = "|".join(re.escape(label) for label in data["labels"])
    return re.compile(rf"\s*(?:{labels})\s*:\s*(https?://\S+)\s*", re.IGNORECASE)


def address_in_line(line: str) -> str | None:
    """The address a `URL: https://…` line gives, else None."""
    if ":" not in line[:20]:
        return None  # most lines: no label, no need for the pattern
    found = _address_line().fullmatch(line)
    return web_address(found.group(1)) if found else None


def web_address(value: str, base: str = "") -> str | None:
    """An absolute http(s) address, or None; a relative one is resolved against `base`."""
    value = strip_controls(value).strip()
    if not value or any(c.isspace() for c in value):
        return None
    if base and not urlsplit(value).scheme:
        value = urljoin(base, value)
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


def check_url_pattern(pattern: str) -> None:
    """Raise ValueError, in words a user can act on, if `pattern` cannot make addresses."""
    unknown = [p for p in _PLACEHOLDER.findall(pattern) if p not in PLACEHOLDERS]
    if unknown:
        raise ValueError(
            f"URL pattern {pattern!r}: unknown placeholder {unknown[0]} "
            "(use {stem}, the file name without its suffix, or {path}, its path in the folder)"
        )
    example = pattern.replace("{stem}", "page").replace("{path}", "folder/page")
    if web_address(example) is None:
        raise ValueError(f"URL pattern {pattern!r}: not an http:// or https:// address")


def address_from_pattern(pattern: str, relative: str) -> str:
    """`https://dig.watch/actors/{stem}` and `actors/wto.txt` → `…/actors/wto`.

    `{stem}` is the file name without its suffix, `{path}` the path in the folder
    without it; each is percent-encoded (a name's bytes that are not UTF-8 as such).
    """
    path = PurePosixPath(relative)
    without_suffix = path.with_suffix("").as_posix() if path.suffix else path.as_posix()
    stem = path.stem if path.suffix else path.name

    def encoded(value: str, safe: str) -> str:
        return quote(os.fsencode(value), safe=safe)

    return pattern.replace("{stem}", encoded(stem, "")).replace(
        "{path}", encoded(without_suffix, "/")
    )
