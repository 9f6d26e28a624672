"""Finding and decoding source files, so one bad file never stops the others."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES


class IngestError(Exception):
    """A source that cannot be read as a page; the message names the file."""


@dataclass(frozen=True)
class Source:
    """A page file, and the name chunks give it."""

    path: Path
    relative: str  # the path relative to the corpus root, as chunks report it


def find_sources(paths: Iterable[str | Path]) -> Iterator[Source | IngestError]:
    """Every page file under the given files and folders, in a stable order."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = []
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [Path(folder, f) for f in files if f.lower().endswith(SUFFIXES)]
            for file in sorted(found):
                yield Source(file, file.relative_to(path).as_posix())
        elif path.is_file():
            yield Source(path, path.name)
        else:
            yield IngestError(f"{given}: no such file or folder")


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, else Latin-1; binary is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(f"{name}: not valid UTF-16 despite its byte-order mark") from None
    if not data.strip():
        raise IngestError(f"{name}: empty file")
    if b"\x00" in data[:8192]:
        raise IngestError(f"{name}: binary file (not a text or HTML page)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if _mostly_control(text):
        raise IngestError(f"{name}: binary file (not a text or HTML page)")
    return text


def _mostly_control(text: str) -> bool:
    sample = text[:8192]
    control = sum(1 for c in sample if ord(c) < 32 and c not in "\r\n\t\f")
    return control > len(sample) * 0.1
