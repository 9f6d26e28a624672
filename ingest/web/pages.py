"""A stored page into chunks, as a saved page file would be, with its address."""

from __future__ import annotations

from ..chunk import Chunk
from ..pages import chunk_html, chunk_text
from ..sources import IngestError, decode
from ..taxonomy import Taxonomy
from .store import Record


def chunk_fetched(record: Record, body: bytes, taxonomy: Taxonomy) -> list[Chunk]:
    """Chunks of a fetched page: its canonical address if it gives one, else where it
    was found after redirects. Named by the address it is known by."""
    name = record.url
    text = decode(body, name)
    try:
        if record.content_type == "text/plain":
            return chunk_text(text, name, taxonomy, record.final_url)
        return chunk_html(text, name, taxonomy, record.final_url)
    except RecursionError:
        raise IngestError(f"{name}: nested too deeply to parse", name) from None
