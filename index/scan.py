"""What changed on disk: the page files of the roots in scope, hashed, and the plan a
build makes of them against what the index holds (index, keep, remove)."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dwsearch.ingest.pages import IngestError, Source, Unchanged, find_sources
from dwsearch.ingest.sources import read_source

from .location import Root
from .report import BuildReport
from .sites import Fetched, is_url, scan_site
from .sourceset import Scopes, page_key, read_limit, root_folder, under

Entries = dict[str, dict[str, Any]]  # page key -> its entry in sources.json


class Found:
    """A page file found by a scan: its root, its name there, and its content hash;
    `info` what the file system said of a file that was read (its size and time, to be
    recorded), None for one taken as recorded or fetched."""

    __slots__ = ("_source", "digest", "fetched", "info", "root")

    def __init__(
        self,
        root: Root,
        source: Source | Unchanged,
        digest: str,
        fetched: bool = False,  # a web page: `source.path` is its stored copy
        info: os.stat_result | None = None,
    ) -> None:
        self.root, self._source, self.digest = root, source, digest
        self.fetched, self.info = fetched, info

    @property
    def source(self) -> Source:
        """The file; made when first asked for a file taken as recorded."""
        if isinstance(self._source, Unchanged):
            self._source = self._source.source()
        return self._source


@dataclass
class Scan:
    """What the files and folders hold now."""

    found: dict[str, Found] = field(default_factory=dict)  # key -> file
    failed: dict[str, tuple[Root, str, str]] = field(default_factory=dict)  # key -> root, name, why
    missing_roots: set[str] = field(default_factory=set)  # roots that are gone: pages kept
    # Keys of folders that cannot be listed: the pages in them are unknown, not gone.
    unlisted: set[str] = field(default_factory=set)


@dataclass
class Plan:
    """What a build will do: the pages found, and which to index, keep and remove."""

    scan: Scan
    to_index: list[str]
    to_remove: list[str]
    kept: set[str]  # unreadable now, or under a root that is gone: kept as they were


def scan(
    roots: list[Root],
    scopes: Scopes,
    report: BuildReport,
    known: Entries,
    fetched: Fetched | None = None,
) -> Scan:
    """Find and hash the page files of every root in scope; unreadable ones are noted.

    A file whose size and modification time are those the index recorded keeps its
    recorded hash unread, as rsync and git do (a rebuild reads everything again). A web
    root's pages are as `fetched` found them (`sites`)."""
    found_now = Scan()
    for root in roots:
        if root.path not in scopes:
            continue
        if is_url(root.path):
            scan_site(root, scopes[root.path], fetched, found_now, report, Found)
            continue
        folder = root_folder(root)
        if not (folder.exists() or folder.is_symlink()):
            report.failed_roots.append(
                f"{root.path}: no such file or folder; what the index had of it is kept"
            )
            found_now.missing_roots.add(root.path)
            continue
        wanted = scopes[root.path]
        excluded = set(root.exclude)
        is_folder = folder.is_dir()
        limit = read_limit(root)
        recorded = _recorded(known, root) if known and is_folder else None
        for found in find_sources([folder], limit, recorded):
            if isinstance(found, Unchanged):  # as recorded: its hash is the recorded one
                if excluded and under(found.key, excluded):
                    continue
                key = f"{root.path}/{found.key}" if is_folder else root.path  # page_key
                if wanted is not None and not under(key, wanted):
                    continue
                found_now.found[key] = Found(root, found, known[key]["hash"])
                continue
            if isinstance(found, IngestError) and found.folder and not found.source:
                report.failed_roots.append(f"{found}; what the index had of it is kept")
                found_now.missing_roots.add(root.path)
                continue
            if isinstance(found, IngestError):
                name = getattr(found, "source", None) or str(found).split(": ")[0]
                key = page_key(root, name, is_folder)
                if found.folder and (wanted is None or any(under(w, {key}) for w in wanted)):
                    found_now.unlisted.add(key)
                if wanted is None or under(key, wanted) or key in found_now.unlisted:
                    found_now.failed[key] = (root, name, str(found))
                continue
            if excluded and under(found.key, excluded):
                continue
            key = page_key(root, found.key, is_folder)
            if wanted is not None and not under(key, wanted):
                continue
            try:
                info = found.info or found.path.stat()
                entry = known.get(key, {})
                if entry.get("size") == info.st_size and entry.get("mtime") == info.st_mtime_ns:
                    digest = str(entry.get("hash", ""))
                    info = None
                else:
                    digest = hashlib.sha256(read_source(found, limit)).hexdigest()
            except OSError as error:
                message = f"{found.relative}: cannot read ({error.strerror or error})"
                found_now.failed[key] = (root, found.relative, message)
                continue
            except IngestError as error:
                found_now.failed[key] = (root, found.relative, str(error))
                continue
            found_now.found[key] = Found(root, found, digest, info=info)
    return found_now


def _recorded(known: Entries, root: Root) -> dict[str, tuple[int, int]]:
    """The size and modification time the index recorded of each file of the folder
    `root`, by its name there (its key less the root's path): a file found so is not
    read."""
    prefix = f"{root.path}/"
    found: dict[str, tuple[int, int]] = {}
    for key, entry in known.items():
        if key.startswith(prefix) and "hash" in entry:
            size, mtime = entry.get("size"), entry.get("mtime")
            if isinstance(size, int) and isinstance(mtime, int):
                found[key[len(prefix) :]] = (size, mtime)
    return found


def plan(
    held: Entries,
    roots: list[Root],
    scopes: Scopes,
    full: bool,
    report: BuildReport,
    renew: frozenset[str] = frozenset(),
    fetched: Fetched | None = None,
) -> Plan:
    """Scan the roots in scope and decide, page by page, against the pages `held`; the
    pages of the roots in `renew` (whose settings changed) are indexed again, changed or
    not. The report says it per root."""
    now = scan(roots, scopes, report, {} if full else held, fetched)
    to_index = [
        key
        for key, found in now.found.items()
        if full or found.root.path in renew or held.get(key, {}).get("hash") != found.digest
    ]
    kept = {k for k, entry in held.items() if entry.get("root") in now.missing_roots}
    kept |= {k for k in now.failed if k in held}
    if now.unlisted:
        kept |= {k for k in held if under(k, now.unlisted)}
    remembered = {root.path for root in roots}
    to_remove = [
        k
        for k, entry in held.items()
        if k not in now.found
        and k not in kept
        and (_in_scope(entry, k, scopes) or entry.get("root") not in remembered)
    ]
    indexed = set(to_index)
    unchanged = Counter(found.root.path for key, found in now.found.items() if key not in indexed)
    for root_path, count in unchanged.items():
        report.of(root_path).unchanged += count
    for root, _, message in now.failed.values():
        report.of(root.path).failed.append(message)
    for key in to_remove:
        report.of(held[key]["root"]).removed.append(held[key]["name"])
    return Plan(now, to_index, to_remove, kept)


def _in_scope(entry: dict[str, Any], key: str, scopes: Scopes) -> bool:
    root = entry.get("root")
    if root not in scopes:
        return False
    wanted = scopes[root]
    return wanted is None or under(key, wanted)
