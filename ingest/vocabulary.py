"""Every value each facet may take, with the name people know it by.

The builder writes this into each index, so that a search can check a filter's values
(and accept their display names) without loading ingestion.
"""

from __future__ import annotations

from .kinds import kind_rules
from .layout import page_rules
from .taxonomy import Taxonomy


def _display(slug: str) -> str:
    words = slug.replace("_", " ")
    return words[:1].upper() + words[1:]


def facet_vocabulary(taxonomy: Taxonomy) -> dict[str, dict[str, str]]:
    """Facet -> value -> display name, for the facets a filter may name."""
    types = {"profile": "Profile", "overview": "Overview", "section": "Section"}
    for rule in page_rules().sections.values():
        types.setdefault(rule.type, _display(rule.type))
    return {
        "type": types,
        "kind": kind_rules().displays(),  # what a page is (see `Chunk.kind`, kinds.toml)
        "sector": dict(taxonomy.sectors),
        "topic": dict(taxonomy.topic_names),
        "basket": dict(taxonomy.baskets),
    }
