"""The files and folders an index remembers (its roots), and what a build or a removal
does to them.

A root is a file or folder given to `build`. A folder root may have pages or subfolders
removed on purpose (its excludes), and settings (an address pattern, a size limit) that
hold for all of it. A path given to `build` or `remove` is one of three things: a root
itself, a place inside a folder root, or new. `SourceSet.locate` says which, once, for
both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from dwsearch.ingest import bundled_corpus
from dwsearch.ingest.sources import DEFAULT_MAX_BYTES, key_name
from dwsearch.ingest.web import is_url

from .location import BUNDLED, IndexProblem, Root

# What to scan of each root: None for all of it, else the page keys (or folder keys)
# within it.
Scopes = dict[str, "set[str] | None"]
# The settings a source may be given, by their name in the application API.
SETTINGS = ("url_pattern", "max_file_mb", "allow_hosts")


class NotASource(IndexProblem):
    """A path given for removal that is neither a source nor anything the index holds."""

    def __init__(self, path: Path | str, index_dir: Path, sources: list[str]) -> None:
        self.path, self.index_dir, self.sources = path, index_dir, sources
        listed = ", ".join(sources) if sources else "none"
        super().__init__(
            f"{path} is not a source of the index at {index_dir}, nor a page it holds "
            f"(its sources: {listed}); the index was not changed"
        )


class SettingInsideSource(IndexProblem):
    """A setting given with a page of a folder source, where the folder's holds."""

    def __init__(self, path: Path, source: str, setting: str) -> None:
        self.path, self.source, self.setting = path, source, setting
        super().__init__(self.worded(str))

    def worded(self, name: Callable[[str], str]) -> str:
        setting = name(self.setting)
        return (
            f"{self.path} is inside the source {self.source}, whose {setting} holds for all "
            f"of it; give {setting} with {self.source}; the index was not changed"
        )


class InsideRemoved(IndexProblem):
    """A page given to build that lies in a subfolder removed on purpose."""

    def __init__(self, path: Path, removed: Path) -> None:
        self.path, self.removed = path, removed
        super().__init__(
            f"{path} is inside {removed}, which was removed from the index; add that back "
            "first; the index was not changed"
        )


def absolute_path(path: str | Path) -> str:
    """A path as roots are remembered: absolute, links in its folders resolved, but a
    link given by name kept as named (so that it is read the way it was given). A web
    address is remembered as given, less any fragment."""
    if is_url(path):
        return str(path).split("#")[0]
    path = Path(path).expanduser()
    return str(path.parent.resolve() / path.name) if path.name else str(path.resolve())


def under(name: str, places: set[str]) -> bool:
    """Whether `name` (a page's key or path) is one of `places` or inside a folder that is:
    a subfolder given or removed stands for every page in it."""
    if name in places:
        return True
    parts = name.split("/")
    return any("/".join(parts[:end]) in places for end in range(1, len(parts)))


def page_key(root: Root, relative: str, folder: bool) -> str:
    """A page file's name in the index, unique across roots: its path."""
    return f"{root.path}/{relative}" if folder else root.path


def read_limit(root: Root) -> int:
    """The largest page file read from `root`: its own limit, else ingestion's default."""
    return root.max_bytes or DEFAULT_MAX_BYTES


def root_folder(root: Root) -> Path:
    return bundled_corpus() if root.path == BUNDLED else Path(root.path)


@dataclass
class Settings:
    """What a build was told about the sources it was given (None: as remembered)."""

    url_pattern: str | None = None
    max_bytes: int | None = None
    allow_hosts: list[str] | None = None  # a web source's hosts followed besides its own

    def changed_for(self, root: Root) -> str | None:
        """The name of a setting that differs from what `root` remembers, if any."""
        if self.url_pattern is not None and self.url_pattern != root.url_pattern:
            return "url_pattern"
        if self.max_bytes is not None and self.apply(root.copy()).max_bytes != root.max_bytes:
            return "max_file_mb"
        if self.allow_hosts is not None and self.allow_hosts != root.allow_hosts:
            return "allow_hosts"
        return None

    def apply(self, root: Root) -> Root:
        if self.allow_hosts is not None and is_url(root.path):
            root.allow_hosts = list(self.allow_hosts)
        if self.url_pattern is not None:
            root.url_pattern = self.url_pattern
        if self.max_bytes is not None:
            root.max_bytes = 0 if self.max_bytes == DEFAULT_MAX_BYTES else self.max_bytes
        return root


class Place(NamedTuple):
    """Where a path given stands: a root itself (`relative` None), inside a folder root
    (`relative`: its name there, as a key), or new (`root` None)."""

    wanted: str
    root: Root | None
    relative: str | None


class SourceSet:
    """The roots of an index, changed by a build or a removal (on copies: the index's
    own manifest is never changed in place). `held` (page key -> its root) tells which
    web source a page's address belongs to."""

    def __init__(self, roots: list[Root], held: dict[str, str] | None = None) -> None:
        self.roots = [root.copy() for root in roots]
        self.held = held or {}

    def locate(self, path: str | Path) -> Place:
        wanted = absolute_path(path)
        for root in self.roots:
            if root.path == wanted:
                return Place(wanted, root, None)
        if is_url(wanted):
            for root in self.roots:
                if self.held.get(wanted) == root.path or wanted in root.exclude:
                    return Place(wanted, root, wanted)
            return Place(wanted, None, None)
        for root in self.roots:
            if (
                root.path != BUNDLED
                and not is_url(root.path)
                and Path(wanted).is_relative_to(root.path)
            ):
                relative = Path(wanted).relative_to(root.path).as_posix()
                return Place(wanted, root, key_name(relative))
        return Place(wanted, None, None)

    def add(self, given: list[Path | str], settings: Settings) -> Scopes:
        """Take in the paths given to a build; return what to scan of each root.

        A root given is refreshed whole, with the settings given. A page or subfolder of a
        folder root is refreshed alone, and brought back if it was removed. A new path
        becomes a root, and replaces any roots inside it.
        """
        scopes: Scopes = {}
        given_roots = {absolute_path(path) for path in given}
        for path in given:
            place = self.locate(path)
            root = place.root
            if root is not None and place.relative is None:
                scopes[root.path] = None
                settings.apply(root)
            elif root is not None and place.relative is not None:
                setting = None if root.path in given_roots else settings.changed_for(root)
                if setting is not None:
                    raise SettingInsideSource(path, root.path, setting)
                self._include(root, place.relative, path)
                if scopes.get(root.path, set()) is not None:
                    pages = scopes.setdefault(root.path, set())
                    assert pages is not None
                    web = is_url(root.path)
                    pages.add(place.relative if web else page_key(root, place.relative, True))
            elif is_url(place.wanted):
                self.roots.append(settings.apply(Root(place.wanted)))
                scopes[place.wanted] = None
            else:
                inner = [
                    r
                    for r in self.roots
                    if r.path != BUNDLED
                    and not is_url(r.path)
                    and Path(r.path).is_relative_to(place.wanted)
                ]
                for old in inner:
                    self.roots.remove(old)
                    scopes.pop(old.path, None)
                self.roots.append(settings.apply(Root(place.wanted)))
                scopes[place.wanted] = None
        return scopes

    def remove(
        self, paths: list[Path | str], held: dict[str, dict[str, Any]], index_dir: Path
    ) -> list[str]:
        """Take out the paths given to a removal; return the keys of the pages to drop.

        A root is forgotten with its pages. A page or subfolder of a folder root is
        excluded from it, so later refreshes leave it out. A path the index holds nothing
        of, and that is not on disk either (a mistyped name), is refused, and nothing is
        recorded.
        """
        to_remove: list[str] = []
        for path in paths:
            place = self.locate(path)
            root = place.root
            if root is None:
                raise NotASource(path, index_dir, [r.path for r in self.roots])
            if place.relative is None:
                self.roots.remove(root)
                keys = [k for k, e in held.items() if e.get("root") == root.path]
            elif is_url(root.path):
                keys = [place.relative] if place.relative in held else []
                self._exclude(root, place.relative)
            else:
                inside = {page_key(root, place.relative, folder=True)}
                keys = [
                    k for k, e in held.items() if e.get("root") == root.path and under(k, inside)
                ]
                # A page of the folder that the index never held but that is there (one
                # that cannot be read, say) may be left out too; a name that is nowhere
                # is a mistake, and recording it would hide a page of that name later.
                known = keys or under(place.relative, set(root.exclude))
                if not known and not (Path(path).exists() or Path(path).is_symlink()):
                    raise NotASource(path, index_dir, [r.path for r in self.roots])
                self._exclude(root, place.relative)
            to_remove += [k for k in keys if k not in to_remove]
        return to_remove

    def resettled(self, before: list[Root]) -> dict[str, list[str]]:
        """The roots whose settings differ from what they were `before`, and the names of
        those settings: their pages are read again, so the settings hold at once."""
        earlier = {root.path: root for root in before}
        changed: dict[str, list[str]] = {}
        for root in self.roots:
            old = earlier.get(root.path)
            if old is None:
                continue
            names = [
                name
                for name, now, then in (
                    ("url_pattern", root.url_pattern, old.url_pattern),
                    ("max_file_mb", root.max_bytes, old.max_bytes),
                    ("allow_hosts", root.allow_hosts, old.allow_hosts),
                )
                if now != then
            ]
            if names:
                changed[root.path] = names
        return changed

    @staticmethod
    def _include(root: Root, relative: str, path: Path | str) -> None:
        """Bring back a page or subfolder of `root` that was removed; refuse one inside a
        subfolder that stays removed. A web source's pages are each their own."""
        if is_url(root.path):
            root.exclude = [e for e in root.exclude if e != relative]
            return
        root.exclude = [e for e in root.exclude if not under(e, {relative})]
        removed = next((e for e in root.exclude if under(relative, {e})), None)
        if removed is not None:
            raise InsideRemoved(path, Path(root.path) / removed)

    @staticmethod
    def _exclude(root: Root, relative: str) -> None:
        """Leave a page or subfolder of `root` out of it from now on."""
        if is_url(root.path):
            root.exclude = [e for e in root.exclude if e != relative] + [relative]
            return
        if not under(relative, set(root.exclude)):
            root.exclude = [e for e in root.exclude if not under(e, {relative})]
            root.exclude.append(relative)
