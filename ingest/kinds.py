"""What a page is (actor, issue, event, update, basket, resource), from `kinds.toml`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from .datafiles import load_toml, package_data


@dataclass(frozen=True)
class KindRule:
    """How one kind of page shows itself, and whether its own date dates its chunks."""

    name: str
    display: str
    url_sections: frozenset[str]
    body_classes: frozenset[str]
    section_types: frozenset[str]
    labelled_profile: bool
    dated: bool
    one_subject: bool = False


@dataclass(frozen=True)
class KindRules:
    """Every kind, in the order `kinds.toml` lists them, and the kind of an unknown page."""

    kinds: tuple[KindRule, ...]
    default: str

    def from_address(self, url: str) -> str | None:
        """`https://dig.watch/actors/wto` → `actor`; a listing (`/actors`) says nothing."""
        parts = [p for p in urlsplit(url).path.split("/") if p]
        if len(parts) < 2:
            return None
        return next((k.name for k in self.kinds if parts[0].lower() in k.url_sections), None)

    def from_body_classes(self, classes: Iterable[str]) -> str | None:
        found = {c.lower() for c in classes}
        return next((k.name for k in self.kinds if k.body_classes & found), None)

    def from_layout(self, chunk_types: Iterable[str], labelled_profile: bool) -> str | None:
        types = set(chunk_types)
        for kind in self.kinds:
            if kind.section_types & types or (labelled_profile and kind.labelled_profile):
                return kind.name
        return None

    def is_dated(self, name: str) -> bool:
        """Whether a page of this kind is about the day it gives (an event, an update)."""
        return next((k.dated for k in self.kinds if k.name == name), True)

    def is_one_subject(self, name: str) -> bool:
        """Whether a page of this kind is about one subject (an update, an event's report),
        rather than many (an actor's activities, an issue's updates)."""
        return next((k.one_subject for k in self.kinds if k.name == name), False)

    def displays(self) -> dict[str, str]:
        return {k.name: k.display for k in self.kinds}


@cache
def kind_rules() -> KindRules:
    data = load_toml(package_data("kinds.toml"), "kinds.toml")
    kinds = tuple(
        KindRule(
            name=entry["name"],
            display=entry.get("display", entry["name"]),
            url_sections=frozenset(s.lower() for s in entry.get("url_sections", [])),
            body_classes=frozenset(c.lower() for c in entry.get("body_classes", [])),
            section_types=frozenset(entry.get("section_types", [])),
            labelled_profile=bool(entry.get("labelled_profile", False)),
            dated=bool(entry.get("dated", True)),
            one_subject=bool(entry.get("one_subject", False)),
        )
        for entry in data["kind"]
    )
    return KindRules(kinds, data.get("default", "page"))
