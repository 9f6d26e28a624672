"""Tagging chunks with the observatory's topics and baskets and the ITU's sectors."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .datafiles import DataFileError, read_toml, text_digest
from .spelling import fold_spelling, uk_to_us
from .text import squeeze

# Words, keeping hyphenated compounds ("ITU-T", "e-commerce") and apostrophes together.
_TOKEN = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
# Distinct sets of labels remembered: a bound on memory for an odd corpus.
_MAX_TAG_SETS = 4096


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.replace("’", "'"))


@dataclass(frozen=True)
class Tags:
    """The facets a text was tagged with."""

    topics: tuple[str, ...]
    baskets: tuple[str, ...]
    sectors: tuple[str, ...]


_NO_TAGS = Tags((), (), ())


@dataclass(frozen=True)
class Taxonomy:
    """The vocabularies of one TOML file, compiled for fast whole-word lookup."""

    baskets: dict[str, str]
    topic_names: dict[str, str]
    topic_baskets: dict[str, str]
    sectors: dict[str, str]
    terms: dict[str, frozenset[str]]  # folded phrase -> labels
    acronyms: dict[str, frozenset[str]]  # exact-case token -> labels
    longest_term: int
    first_words: frozenset[str]  # words that start some term: the only places to look
    digest: str
    # What follows is made from the fields above, never passed: a copy that
    # `dataclasses.replace` makes computes its own.
    # Every term's leading words ("internet", "internet of"): a walk from a first word
    # stops at the first n-gram that starts no term, so it never joins more words.
    prefixes: frozenset[str] = field(default=frozenset(), init=False, compare=False, repr=False)
    # Any acronym anywhere in a text, even inside a word: most texts have none, and are
    # then not split into their exact-case tokens at all.
    acronym_in: re.Pattern[str] | None = field(default=None, init=False, compare=False, repr=False)
    # The facets of each set of labels found: a page's chunks mostly repeat a few.
    _tags: dict[frozenset[str], Tags] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        leading = set()
        for key in self.terms:
            words = key.split(" ")
            leading.update(" ".join(words[:n]) for n in range(1, len(words) + 1))
        object.__setattr__(self, "prefixes", frozenset(leading))
        if self.acronyms:
            written = sorted(self.acronyms, key=len, reverse=True)
            pattern = re.compile("|".join(re.escape(a) for a in written))
            object.__setattr__(self, "acronym_in", pattern)

    @classmethod
    def from_data(cls, data: dict[str, Any], text: str, origin: str) -> Taxonomy:
        terms: dict[str, set[str]] = {}
        acronyms: dict[str, set[str]] = {}

        def add(label: str, entry: dict[str, Any]) -> None:
            for term in entry.get("terms", []):
                key = " ".join(_tokens(fold_spelling(term)))
                if key:
                    terms.setdefault(key, set()).add(label)
            for acronym in entry.get("acronyms", []):
                acronyms.setdefault(acronym, set()).add(label)

        try:
            baskets = {str(k): str(v) for k, v in data.get("baskets", {}).items()}
            topic_names, topic_baskets = {}, {}
            for slug, entry in data.get("topics", {}).items():
                topic_names[slug] = entry.get("name", slug)
                basket = entry.get("basket", "")
                if basket and basket not in baskets:
                    raise ValueError(f"topic {slug!r} names unknown basket {basket!r}")
                topic_baskets[slug] = basket
                add(f"topic:{slug}", entry)
            sectors = {}
            for slug, entry in data.get("sectors", {}).items():
                sectors[slug] = entry.get("name", slug)
                add(f"sector:{slug}", entry)
        except (AttributeError, TypeError) as error:
            raise DataFileError(f"{origin}: not a taxonomy file ({error})") from None
        except ValueError as error:
            raise DataFileError(f"{origin}: {error}") from None
        return cls(
            baskets=baskets,
            topic_names=topic_names,
            topic_baskets=topic_baskets,
            sectors=sectors,
            terms={k: frozenset(v) for k, v in terms.items()},
            acronyms={k: frozenset(v) for k, v in acronyms.items()},
            longest_term=max((k.count(" ") + 1 for k in terms), default=1),
            first_words=frozenset(k.split(" ")[0] for k in terms),
            digest=text_digest(text),
        )

    def topics_named(self, names: Collection[str]) -> tuple[str, ...]:
        """The topics among a page's own tags, by name or slug (`Network neutrality`,
        `network-neutrality`); tags that name no topic are ignored."""
        if not names:
            return ()
        lookup = {name.casefold(): slug for slug, name in self.topic_names.items()}
        lookup.update((slug.casefold(), slug) for slug in self.topic_names)
        found = {lookup.get(squeeze(name).casefold()) for name in names}
        return tuple(sorted(slug for slug in found if slug))

    def tag(self, text: str, also: tuple[str, ...] = ()) -> Tags:
        """The facets of a text; `also` adds topics known otherwise (the page's tags)."""
        labels: set[str] = {f"topic:{slug}" for slug in also} if also else set()
        text = text.replace("’", "'")
        acronyms = self.acronyms
        hyphens = "-" in text
        if self.acronym_in is not None and self.acronym_in.search(text):
            # A hyphenated token ("ITU-T") is looked up whole and by its parts ("ITU",
            # "T"): the parts are the tokens of the text with its hyphens as spaces.
            for token in acronyms.keys() & set(_TOKEN.findall(text)):
                labels |= acronyms[token]
            if hyphens:
                for part in acronyms.keys() & set(_TOKEN.findall(text.replace("-", " "))):
                    labels |= acronyms[part]
        spelling = uk_to_us()
        words = _TOKEN.findall(text.lower())
        if not spelling.keys().isdisjoint(words):
            words = [spelling.get(w, w) for w in words]
            hyphens = True  # a spelling may bring a hyphen
        terms = self.terms
        if hyphens:
            for word in words:
                if "-" in word:
                    for part in word.split("-"):
                        labels |= terms.get(part, frozenset())
        first_words = self.first_words
        if not first_words.isdisjoint(words):
            prefixes = self.prefixes
            count = len(words)
            for i, word in enumerate(words):
                if word not in first_words:
                    continue
                key = word
                j = i + 1
                while True:
                    found = terms.get(key)
                    if found:
                        labels |= found
                    if j == count:
                        break
                    key = f"{key} {words[j]}"
                    if key not in prefixes:
                        break
                    j += 1
        return self._tags_of(frozenset(labels)) if labels else _NO_TAGS

    def _tags_of(self, labels: frozenset[str]) -> Tags:
        tags = self._tags.get(labels)
        if tags is None:
            topics = sorted(label[6:] for label in labels if label.startswith("topic:"))
            sectors = sorted(label[7:] for label in labels if label.startswith("sector:"))
            baskets = sorted({self.topic_baskets[t] for t in topics if self.topic_baskets[t]})
            tags = Tags(tuple(topics), tuple(baskets), tuple(sectors))
            if len(self._tags) < _MAX_TAG_SETS:
                self._tags[labels] = tags
        return tags


@cache
def _load_cached(path: Path | None) -> Taxonomy:
    data, text = read_toml(path, "taxonomy.toml")
    return Taxonomy.from_data(data, text, str(path or "taxonomy.toml"))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The packaged taxonomy, or a user's own TOML file in the same shape."""
    return _load_cached(Path(path).resolve() if path else None)
