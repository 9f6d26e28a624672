"""What a build did, source by source: plain data for the application to word."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SourceReport:
    """What a build did to the pages of one root (a file or folder given)."""

    root: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)  # one message per file, naming it
    # Settings given anew (by their Python API names), for which every page was re-read.
    resettled: list[str] = field(default_factory=list)
    # Pages a web source lists that the page budget left for a later build.
    left: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class BuildReport:
    """What a build did, root by root."""

    index_dir: Path
    rebuilt: bool = False
    sources: dict[str, SourceReport] = field(default_factory=dict)
    failed_roots: list[str] = field(default_factory=list)  # roots that cannot be read
    pages: int = 0
    chunks: int = 0
    seconds: float = 0.0
    published: bool = False

    def of(self, root: str) -> SourceReport:
        return self.sources.setdefault(root, SourceReport(root))

    @property
    def added(self) -> list[str]:
        return [name for each in self.sources.values() for name in each.added]

    @property
    def updated(self) -> list[str]:
        return [name for each in self.sources.values() for name in each.updated]

    @property
    def removed(self) -> list[str]:
        return [name for each in self.sources.values() for name in each.removed]

    @property
    def unchanged(self) -> int:
        return sum(each.unchanged for each in self.sources.values())

    @property
    def failed(self) -> list[str]:
        return self.failed_roots + [m for each in self.sources.values() for m in each.failed]
