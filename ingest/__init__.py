"""Ingestion: observatory pages (plain-text extracts or HTML) into typed, faceted chunks.

Nothing here imports Whoosh, and BeautifulSoup loads only when an HTML page is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .chunk import Chunk

if TYPE_CHECKING:
    from .sources import IngestError, Source
    from .taxonomy import Taxonomy

__all__ = [
    "Chunk",
    "IngestError",
    "Source",
    "Taxonomy",
    "bundled_corpus",
    "chunk_html",
    "chunk_paths",
    "chunk_source",
    "chunk_text",
    "find_sources",
    "load_taxonomy",
]


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The packaged taxonomy, or a user's own TOML file in the same shape."""
    from .taxonomy import load_taxonomy as load

    return load(path)


def __getattr__(name: str) -> object:
    # The search path reads chunks back from the index and never needs the readers.
    if name == "Taxonomy":
        from .taxonomy import Taxonomy

        return Taxonomy
    if name in ("IngestError", "Source", "find_sources"):
        from . import sources

        return getattr(sources, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def bundled_corpus() -> Path:
    """The folder of pages that ships inside the package: the default corpus."""
    return Path(__file__).resolve().parent.parent / "corpus"  # dwsearch/corpus, as installed


def _title_from_name(source: str) -> str:
    stem = Path(source).stem.replace("-", " ").replace("_", " ").strip()
    return stem[:1].upper() + stem[1:] if stem else "Untitled page"


def chunk_text(text: str, source: str = "", taxonomy: Taxonomy | None = None) -> list[Chunk]:
    """Chunks of one plain-text extract."""
    from .layout import chunk_blocks
    from .plaintext import blocks_from_text
    from .text import normalise

    blocks = blocks_from_text(normalise(text))
    return chunk_blocks(blocks, _title_from_name(source), source, taxonomy or load_taxonomy())


def chunk_html(markup: str, source: str = "", taxonomy: Taxonomy | None = None) -> list[Chunk]:
    """Chunks of one HTML page, less its navigation, header, footer and scripts."""
    from .html import blocks_from_html  # BeautifulSoup is costly to import
    from .layout import chunk_blocks
    from .text import normalise

    blocks = blocks_from_html(normalise(markup))
    return chunk_blocks(blocks, _title_from_name(source), source, taxonomy or load_taxonomy())


def chunk_source(
    source: Source, taxonomy: Taxonomy | None = None, data: bytes | None = None
) -> list[Chunk]:
    """Chunks of one file; any problem is an IngestError that names it."""
    from .sources import HTML_SUFFIXES, IngestError, decode

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
    from .sources import IngestError, find_sources

    taxonomy = taxonomy or load_taxonomy()
    for found in find_sources(paths):
        if isinstance(found, IngestError):
            yield found
            continue
        try:
            yield from chunk_source(found, taxonomy)
        except IngestError as error:
            yield error
