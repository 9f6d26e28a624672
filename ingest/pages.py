"""Pages into chunks: the readers, the layout and the taxonomy, put together.

`chunk_paths` reads every page under files and folders, `chunk_source` one file, and
`chunk_text` / `chunk_html` one page's text. A file that cannot be read is an
IngestError that names it, and never stops the others.

Each chunk carries its page's address (`url`: the page's own, else one made by the
caller's `url_pattern`), the kind of page (`kind`), and the day or days it is about
(`date`, `date_end`, ISO 8601), as `layout.chunk_blocks` settles them. Only regular files
of at most `max_bytes` are read (`sources.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .addresses import address_from_pattern, check_url_pattern
from .chunk import Chunk
from .layout import chunk_blocks
from .plaintext import blocks_from_text
from .sources import (
    DEFAULT_MAX_BYTES,
    HTML_SUFFIXES,
    IngestError,
    Source,
    Unchanged,
    decode,
    find_sources,
    read_source,
    too_large,
)
from .taxonomy import Taxonomy, load_taxonomy
from .text import normalise, strip_controls

__all__ = [
    "DEFAULT_MAX_BYTES",
    "Chunk",
    "IngestError",
    "Source",
    "Taxonomy",
    "Unchanged",
    "check_url_pattern",
    "chunk_html",
    "chunk_paths",
    "chunk_source",
    "chunk_text",
    "find_sources",
    "load_taxonomy",
]


def _title_from_name(source: str) -> str:
    stem = Path(source).stem.replace("-", " ").replace("_", " ")
    stem = " ".join(strip_controls(stem).split())
    return stem[:1].upper() + stem[1:] if stem else "Untitled page"


def chunk_text(
    text: str, source: str = "", taxonomy: Taxonomy | None = None, url: str = ""
) -> list[Chunk]:
    """Chunks of one plain-text extract; `url` is its address if it gives none itself."""
    blocks, facts = blocks_from_text(normalise(text))
    return chunk_blocks(
        blocks, facts, _title_from_name(source), source, taxonomy or load_taxonomy(), url
    )


def chunk_html(
    markup: str, source: str = "", taxonomy: Taxonomy | None = None, url: str = ""
) -> list[Chunk]:
    """Chunks of one HTML page's main content, without the site's chrome; `url` is its
    address if it gives none itself."""
    from .html import read_html  # declared heavy: BeautifulSoup and lxml

    blocks, facts = read_html(normalise(markup))
    return chunk_blocks(
        blocks, facts, _title_from_name(source), source, taxonomy or load_taxonomy(), url
    )


def chunk_source(
    source: Source,
    taxonomy: Taxonomy | None = None,
    data: bytes | None = None,
    url_pattern: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Chunk]:
    """Chunks of one file; any problem is an IngestError that names it.

    `data` is the file's bytes if the caller has read them (else they are read here, from
    a regular file of at most `max_bytes`). `url_pattern`, such as
    `https://dig.watch/actors/{stem}`, gives the address of a page that gives none.
    """
    name = source.relative
    if data is None:
        data = read_source(source, max_bytes)
    elif len(data) > max_bytes:
        raise IngestError(f"{name}: {too_large(len(data), max_bytes)}", name)
    text = decode(data, name)
    url = address_from_pattern(url_pattern, source.name_on_disk) if url_pattern else ""
    try:
        if source.path.suffix.lower() in HTML_SUFFIXES:
            return chunk_html(text, name, taxonomy, url)
        return chunk_text(text, name, taxonomy, url)
    except RecursionError:
        raise IngestError(f"{name}: nested too deeply to parse", name) from None


def chunk_paths(
    paths: Iterable[str | Path],
    taxonomy: Taxonomy | None = None,
    url_pattern: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[Chunk | IngestError]:
    """Chunks of every page under the paths; a bad file yields its error and the rest go on.

    `url_pattern` and `max_bytes` are as for `chunk_source`.
    """
    taxonomy = taxonomy or load_taxonomy()
    for found in find_sources(paths, max_bytes):
        if isinstance(found, IngestError):
            yield found
            continue
        try:
            yield from chunk_source(found, taxonomy, url_pattern=url_pattern, max_bytes=max_bytes)
        except IngestError as error:
            yield error
