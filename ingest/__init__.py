"""Ingestion: observatory pages (plain-text extracts or HTML) into typed, faceted chunks.

The stage's way in is `dwsearch.ingest.pages` (`chunk_paths`, `chunk_source`, …). This
package itself holds only the record every stage shares, `Chunk`, so that a search,
which reads chunks back from the index, loads nothing else of ingestion. Nothing here
imports Whoosh.
"""

from __future__ import annotations

from pathlib import Path

from .chunk import Chunk

__all__ = ["Chunk", "bundled_corpus"]


def bundled_corpus() -> Path:
    """The folder of pages that ships inside the package: the default corpus."""
    return Path(__file__).resolve().parent.parent / "corpus"  # dwsearch/corpus, as installed
