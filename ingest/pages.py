"""Pages into chunks: the readers, the layout and the taxonomy, put together.

`chunk_paths` reads every page under files and folders, `chunk_source` one file, and
`chunk_text` / `chunk_html` one page's text. A file that cannot be read is an
IngestError that names it, and never stops the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .chunk import Chunk
from .layout import chunk_blocks
from .plaintext import blocks_from_text
from .sources import HTML_SUFFIXES, IngestError, Source, decode, find_sources
from .taxonomy import Taxonomy, load_taxonomy
from .text import normalise

__all__ = [
    "Chunk",
    "IngestError",
    "Source",
    "Taxonomy",
    "chunk_html",
    "chunk_paths",
    "chunk_source",
    "chunk_text",
    "find_sources",
    "load_taxonomy",
]


def _title_from_name(source: str) -> str:
    stem = Path(source).stem.replace("-", " ").replace("_", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else "Untitled page"


def chunk_text(text: str, source: str = "", taxonomy: Taxonomy | None = None) -> list[Chunk]:
    """Chunks of one plain-text extract."""
    blocks = blocks_from_text(normalise(text))
    return chunk_blocks(blocks, _title_from_name(source), source, taxonomy or load_taxonomy())


def chunk_html(markup: str, source: str = "", taxonomy: Taxonomy | None = None) -> list[Chunk]:
    """Chunks of one HTML page, less its navigation, header, footer and scripts."""
    from .html import blocks_from_html  # declared heavy: BeautifulSoup and lxml

    blocks = blocks_from_html(normalise(markup))
    return chunk_blocks(blocks, _title_from_name(source), source, taxonomy or load_taxonomy())


def chunk_source(
    source: Source, taxonomy: Taxonomy | None = None, data: bytes | None = None
) -> list[Chunk]:
    """Chunks of one file; any problem is an IngestError that names it."""
    name = source.relative
    if data is None:
        try:
            data = source.path.read_bytes()
        except OSError as error:
            raise IngestError(f"{name}: cannot read ({error.strerror or error})") from None
    text = decode(data, name)
    try:
        if source.path.suffix.lower() in HTML_SUFFIXES:
            return chunk_html(text, name, taxonomy)
        return chunk_text(text, name, taxonomy)
    except RecursionError:
        raise IngestError(f"{name}: nested too deeply to parse") from None


def chunk_paths(
    paths: Iterable[str | Path], taxonomy: Taxonomy | None = None
) -> Iterator[Chunk | IngestError]:
    """Chunks of every page under the paths; a bad file yields its error and the rest go on."""
    taxonomy = taxonomy or load_taxonomy()
    for found in find_sources(paths):
        if isinstance(found, IngestError):
            yield found
            continue
        try:
            yield from chunk_source(found, taxonomy)
        except IngestError as error:
            yield error
