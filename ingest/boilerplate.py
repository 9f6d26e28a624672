"""Recognising the site's chrome, line by line, from patterns in a data file."""

from __future__ import annotations

import re
from functools import cache

from .datafiles import load_toml, package_data


@cache
def boilerplate_pattern() -> re.Pattern[str]:
    data = load_toml(package_data("boilerplate.toml"), "boilerplate.toml")
    alternatives = "|".join(f"(?:{p})" for p in data["patterns"])
    return re.compile(rf"(?:{alternatives})", re.IGNORECASE)


def is_boilerplate(line: str) -> bool:
    """True for a whole line of site chrome; a sentence that merely mentions it is kept."""
    stripped = line.strip()
    # Chrome lines are short; the check also bounds the regex's work on huge lines.
    return 0 < len(stripped) <= 200 and boilerplate_pattern().fullmatch(stripped) is not None
