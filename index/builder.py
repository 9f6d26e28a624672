"""Building and updating an index from the files and folders it remembers, safely.

An index remembers its roots (the files and folders it was built from) in its
manifest, and each page file's content hash in `sources.json`. `build_index` with no
paths refreshes every root; with paths, it adds or refreshes those and keeps the rest;
`remove_from_index` drops pages on purpose. Nothing is removed that the user did not
name: a page is dropped when it is gone from a root being refreshed, and a page that
cannot be read keeps what the index had of it.

Only new, changed or removed files are re-indexed. Every build writes a new generation
beside the live one and publishes it atomically; a failed, killed or interrupted build
leaves the live index as it was. The phases a build passes through are named (see
`PHASES`), so that tests can stop one at each of them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from whoosh import index as whoosh_index
from whoosh.query import Term
from whoosh.reading import SegmentReader

from dwsearch.ingest import Chunk, bundled_corpus
from dwsearch.ingest.pages import (
    IngestError,
    Source,
    Taxonomy,
    chunk_source,
    find_sources,
    load_taxonomy,
)
from dwsearch.ingest.sources import DEFAULT_MAX_BYTES, read_source
from dwsearch.ingest.vocabulary import facet_vocabulary

from . import whoosh_internals
from .documents import chunk_document, stored_chunk
from .facetmap import FACETMAP, write_facetmap
from .location import (
    BUNDLED,
    GENERATION_MARKER,
    LOCK,
    MANIFEST,
    SOURCES,
    VOCABULARY,
    IndexDamaged,
    IndexProblem,
    Manifest,
    Root,
    claim_index_dir,
    corpus_hash,
    current_generation,
    file_checksums,
    new_building_dir,
    publish,
    read_manifest,
    read_sources,
    remove_stale,
    verify_generation,
    write_new,
    write_sources,
    write_vocabulary,
)
from .parallel import Task, build_parts, workers_for
from .postings import write_missing_postings
from .schema import build_schema, schema_version
from .segments import SegmentWriter, collection_paused

Progress = Callable[[int, int], None]
# Where a build stands, in order; a crash test stops a build at each (see `_phase`).
PHASES = ("scanned", "written", "finished", "renamed", "published")
# A hook for crash tests: `DWSEARCH_FAULT_AT=written` kills the build with SIGKILL when it
# reaches that phase; `written:raise` raises there instead; `written:pause=FILE` creates
# FILE and waits there until it is deleted.
FAULT_VARIABLE = "DWSEARCH_FAULT_AT"
PAUSE_LIMIT = 120.0
# An update rewrites a segment once this share of its documents is deleted, so that
# deleted chunks neither take space nor weigh on the statistics ranking reads.
PURGE_SHARE = 0.10
# Updates add small segments; past this many, the two smallest are merged, so searches
# read few segments and the cost of a merge stays that of the smallest ones.
MAX_SMALL_SEGMENTS = 10
# Segments of at least this many chunks (a full build writes 30,000 to a segment) are
# never merged, only rewritten when their deleted share passes PURGE_SHARE: a one-page
# update must not re-index a large part of a million chunks.
LARGE_SEGMENT = 5_000


class IndexBusy(IndexProblem):
    """Another build holds the index."""


@dataclass
class SourceReport:
    """What a build did to the pages of one root (a file or folder given)."""

    root: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)  # one message per file, naming it

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass
class BuildReport:
    """What a build did, root by root, for the CLI to report."""

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


@dataclass
class _Live:
    """The generation a build starts from, and whether it can be trusted."""

    generation: Path | None
    manifest: Manifest | None
    sources: dict[str, dict[str, Any]]
    damaged: str | None = None  # why it cannot be updated, if so
    # The files and folders it was built from, where the manifest that lists them is
    # lost: read from its sources, or an earlier generation's manifest.
    recovered_roots: list[Root] = field(default_factory=list)


@dataclass
class _Found:
    """A page file found by a scan: its root, its name there, and its content hash."""

    root: Root
    source: Source
    digest: str


@dataclass
class _Scan:
    """What the files and folders hold now."""

    found: dict[str, _Found] = field(default_factory=dict)  # key -> file
    failed: dict[str, tuple[Root, str, str]] = field(default_factory=dict)  # key -> root, name, why
    missing_roots: set[str] = field(default_factory=set)  # roots that are gone: pages kept


def _phase(name: str) -> None:
    """Mark that a build reached `name`; a crash test may stop it here."""
    wanted = os.environ.get(FAULT_VARIABLE, "")
    phase, _, action = wanted.partition(":")
    if phase != name:
        return
    if action == "raise":
        raise RuntimeError(f"fault injected at {name}")
    if action.startswith("pause="):
        flag = Path(action[len("pause=") :])
        flag.touch()
        deadline = time.monotonic() + PAUSE_LIMIT
        while flag.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return
    os.kill(os.getpid(), signal.SIGKILL)


# ------------------------------------------------------------------------ the API
def build_index(
    index_dir: Path,
    paths: list[Path] | None = None,
    rebuild: bool = False,
    taxonomy_path: Path | None = None,
    url_pattern: str | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[], None] | None = None,
    lock_timeout: float = 600.0,
    bundled_if_lost: bool = False,
    max_bytes: int | None = None,
) -> BuildReport:
    """Add or refresh `paths` in the index at `index_dir`, keeping its other sources;
    with no paths, refresh every source it remembers (a new index: the bundled corpus).

    `url_pattern` and `max_bytes` (the largest page file read) are remembered with the
    sources of `paths`, as the settings of their later refreshes.

    A damaged index that no longer says what it was built from needs `paths`, unless
    `bundled_if_lost` (the default index) says to fall back on the bundled corpus."""
    given = [Path(p) for p in paths or []]
    for path in given:
        if not (path.exists() or path.is_symlink()):
            raise IndexProblem(f"{path}: no such file or folder; the index was not changed")
    with _build_lock(index_dir, on_wait, lock_timeout):
        return _build_locked(
            index_dir,
            given,
            rebuild,
            taxonomy_path,
            _Settings(url_pattern, max_bytes),
            progress,
            bundled_if_lost,
        )


def remove_from_index(
    index_dir: Path, paths: list[Path], on_wait: Callable[[], None] | None = None
) -> BuildReport:
    """Drop the pages of these sources (a root given, or a page inside a folder given)."""
    with _build_lock(index_dir, on_wait, 600.0):
        started = time.perf_counter()
        live = _read_live(index_dir)
        if live.manifest is None or live.generation is None or live.damaged:
            raise IndexProblem(
                f"the index at {index_dir} cannot be changed "
                f"({live.damaged or 'there is no index yet'})"
            )
        roots = [r.copy() for r in live.manifest.roots]
        report = BuildReport(index_dir)
        to_remove: list[str] = []
        for path in paths:
            wanted = _absolute(path)
            root = next((r for r in roots if r.path == wanted), None)
            if root is not None:
                roots.remove(root)
                keys = [k for k, e in live.sources.items() if e.get("root") == root.path]
            else:
                root = _root_holding(roots, wanted)
                if root is None:
                    raise IndexProblem(
                        f"{path} is not a source of the index at {index_dir}; see: dwsearch sources"
                    )
                relative = Path(wanted).relative_to(root.path).as_posix()
                if not _under(relative, set(root.exclude)):
                    inside = {relative}
                    root.exclude = [e for e in root.exclude if not _under(e, inside)]
                    root.exclude.append(relative)
                place = {_key(root, relative, folder=True)}
                keys = [k for k, e in live.sources.items() if e.get("root") == root.path
                        and _under(k, place)]  # fmt: skip
            for key in keys:  # each one a page the index holds
                to_remove.append(key)
                report.of(live.sources[key]["root"]).removed.append(live.sources[key]["name"])
        if not to_remove and roots == live.manifest.roots:
            report.seconds = time.perf_counter() - started
            return report
        taxonomy = load_taxonomy(_remembered_taxonomy(live.manifest, None))
        entries = {k: v for k, v in live.sources.items() if k not in to_remove}
        with _new_generation(index_dir) as building:
            _link_generation(live.generation, building)
            writer = _whoosh_for_writing().open_dir(str(building)).writer(limitmb=64, procs=1)
            try:
                for key in to_remove:
                    writer.delete_by_term("origin", key)
                writer.commit(mergetype=_purge_deleted)
            except BaseException:
                writer.cancel()
                raise
            manifest = _finish_generation(building, entries, roots, taxonomy, live, report)
            _publish(index_dir, building, manifest, report)
        report.seconds = time.perf_counter() - started
        return report


def build_from_chunks(index_dir: Path, chunks: Iterable[Chunk], label: str) -> BuildReport:
    """A fresh index of chunks that come from no page file (a test collection, say)."""
    started = time.perf_counter()
    report = BuildReport(index_dir, rebuilt=True)
    with _build_lock(index_dir, None, 0), _new_generation(index_dir) as building:
        writer = SegmentWriter(str(building), build_schema())
        digest = hashlib.sha256()
        for position, chunk in enumerate(chunks):
            writer.add_document(**chunk_document(chunk, position, label))
            digest.update(chunk.id.encode())
            report.chunks += 1
        writer.commit()
        written = _whoosh_for_writing().open_dir(str(building))
        write_facetmap(written, building)
        write_missing_postings(written, building)
        write_vocabulary(building, {})  # a collection's values are their own names
        entries = {label: {"root": label, "name": label, "hash": digest.hexdigest()}}
        entries[label]["chunks"] = report.chunks
        write_sources(building, entries)
        manifest = Manifest(
            schema_version=schema_version(),
            taxonomy_digest="",
            corpus_hash=digest.hexdigest()[:16],
            built_at=time.time(),
            roots=[Root(label)],
            pages=1,
            chunks=report.chunks,
            files=file_checksums(building),
        )
        _publish(index_dir, building, manifest, report)
    report.seconds = time.perf_counter() - started
    return report


# ------------------------------------------------------------------------ locking
@contextmanager
def _build_lock(
    index_dir: Path, on_wait: Callable[[], None] | None, timeout: float
) -> Iterator[None]:
    """One build at a time per index: a second one waits, then gives up clearly."""
    claim_index_dir(index_dir)
    lock = FileLock(str(index_dir / LOCK))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait:
            on_wait()
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise IndexBusy(
                f"another build of {index_dir} is still running after {timeout:.0f} s"
            ) from None
    try:
        yield
    finally:
        lock.release()


# ------------------------------------------------------------------------ planning
def _absolute(path: str | Path) -> str:
    """A path as roots are remembered: absolute, links in its folders resolved, but a
    link given by name kept as named (so that it is read the way it was given)."""
    path = Path(path).expanduser()
    return str(path.parent.resolve() / path.name) if path.name else str(path.resolve())


def _root_holding(roots: list[Root], path: str) -> Root | None:
    """The folder root that holds `path`, if any."""
    for root in roots:
        if root.path != BUNDLED and Path(path).is_relative_to(root.path) and path != root.path:
            return root
    return None


def _under(name: str, places: set[str]) -> bool:
    """Whether `name` (a page's key or path) is one of `places` or inside a folder that is:
    a subfolder given or removed stands for every page in it."""
    if name in places:
        return True
    parts = name.split("/")
    return any("/".join(parts[:end]) in places for end in range(1, len(parts)))


def _key(root: Root, relative: str, folder: bool) -> str:
    """A page file's name in the index, unique across roots: its path."""
    return f"{root.path}/{relative}" if folder else root.path


def _root_folder(root: Root) -> Path:
    return bundled_corpus() if root.path == BUNDLED else Path(root.path)


def _read_live(index_dir: Path, thorough: bool = False) -> _Live:
    """The live generation, its manifest and sources; damage is noted, not raised.

    Every file's size is checked, and small files' checksums (`thorough`: all of them)."""
    try:
        generation = current_generation(index_dir)
    except IndexDamaged as error:
        return _Live(None, None, {}, str(error), _recover_roots(index_dir, None))
    if generation is None:
        return _Live(None, None, {})
    try:
        manifest = read_manifest(generation)
        sources = read_sources(generation)
    except IndexDamaged as error:
        return _Live(generation, None, {}, str(error), _recover_roots(index_dir, generation))
    problem = verify_generation(generation, manifest, thorough)
    if problem:
        return _Live(generation, manifest, sources, damaged=problem)
    return _Live(generation, manifest, sources)


def _recover_roots(index_dir: Path, generation: Path | None) -> list[Root]:
    """What a damaged index was built from: its manifest's roots, else its sources'
    roots, else the roots of the newest earlier generation that still says."""
    folders = [generation] if generation else []
    folders += sorted((g for g in index_dir.glob("gen-*") if g != generation), reverse=True)
    for folder in folders:
        try:
            return read_manifest(folder).roots
        except IndexDamaged:
            pass
        try:
            named = {entry.get("root") for entry in read_sources(folder).values()}
        except IndexDamaged:
            continue
        if named and all(isinstance(root, str) for root in named):
            return [Root(root) for root in sorted(named)]  # type: ignore[arg-type]
    return []


def _remembered_taxonomy(manifest: Manifest | None, given: Path | None) -> Path | None:
    if given is not None:
        return given
    if manifest is not None and manifest.taxonomy_path:
        return Path(manifest.taxonomy_path)
    return None


@dataclass
class _Settings:
    """What a build was told about the sources it was given (None: as remembered)."""

    url_pattern: str | None = None
    max_bytes: int | None = None

    def changed_for(self, root: Root) -> str | None:
        """The flag of a setting that differs from what `root` remembers, if any."""
        if self.url_pattern is not None and self.url_pattern != root.url_pattern:
            return "--url-pattern"
        if self.max_bytes is not None and self.apply(root.copy()).max_bytes != root.max_bytes:
            return "--max-file-mb"
        return None

    def apply(self, root: Root) -> Root:
        if self.url_pattern is not None:
            root.url_pattern = self.url_pattern
        if self.max_bytes is not None:
            root.max_bytes = 0 if self.max_bytes == DEFAULT_MAX_BYTES else self.max_bytes
        return root


def _plan_roots(
    live: _Live, given: list[Path], settings: _Settings, index_dir: Path, bundled_if_lost: bool
) -> tuple[list[Root], dict[str, set[str] | None]]:
    """The roots after this build, and what to scan of each (None: all of it)."""
    remembered = live.manifest.roots if live.manifest else live.recovered_roots
    roots = [r.copy() for r in remembered]
    if not given:
        if not roots and live.damaged and not bundled_if_lost:
            raise IndexProblem(
                f"{live.damaged}, and what it was built from is lost with it; "
                f"rebuild it with: dwsearch build --rebuild --index {index_dir} PATH"
            )
        roots = roots or [Root(BUNDLED)]
        return roots, {root.path: None for root in roots}
    scopes: dict[str, set[str] | None] = {}
    given_roots = {_absolute(path) for path in given}
    for path in given:
        wanted = _absolute(path)
        root = next((r for r in roots if r.path == wanted), None)
        if root is not None:
            scopes[root.path] = None
            settings.apply(root)
            continue
        holder = _root_holding(roots, wanted)
        if holder is not None:  # a page of a folder already indexed: refresh just it
            flag = None if holder.path in given_roots else settings.changed_for(holder)
            if flag is not None:  # a setting belongs to a source, not to one of its pages
                raise IndexProblem(
                    f"{path} is inside the source {holder.path}, whose {flag} holds for all "
                    f"of it; give {flag} with {holder.path}; the index was not changed"
                )
            relative = Path(wanted).relative_to(holder.path).as_posix()
            inside = {relative}
            holder.exclude = [e for e in holder.exclude if not _under(e, inside)]
            removed = next((e for e in holder.exclude if _under(relative, {e})), None)
            if removed is not None:  # a page of a subfolder that was removed
                raise IndexProblem(
                    f"{path} is inside {Path(holder.path) / removed}, which was removed from "
                    f"the index; add that back first; the index was not changed"
                )
            if scopes.get(holder.path, set()) is not None:
                pages = scopes.setdefault(holder.path, set())
                assert pages is not None
                pages.add(_key(holder, relative, folder=True))
            continue
        # A new root; one it holds (a folder given that holds an old root) replaces it.
        inner = [r for r in roots if r.path != BUNDLED and Path(r.path).is_relative_to(wanted)]
        for old in inner:
            roots.remove(old)
            scopes.pop(old.path, None)
        roots.append(settings.apply(Root(wanted)))
        scopes[wanted] = None
    return roots, scopes


def _scan(
    roots: list[Root],
    scopes: dict[str, set[str] | None],
    report: BuildReport,
    known: dict[str, dict[str, Any]],
) -> _Scan:
    """Find and hash the page files of every root in scope; unreadable ones are noted.

    A file whose size and modification time are those the index recorded keeps its
    recorded hash unread, as rsync and git do (`--rebuild` reads everything again)."""
    scan = _Scan()
    for root in roots:
        if root.path not in scopes:
            continue
        folder = _root_folder(root)
        if not (folder.exists() or folder.is_symlink()):
            report.failed_roots.append(
                f"{root.path}: no such file or folder; what the index had of it is kept"
            )
            scan.missing_roots.add(root.path)
            continue
        wanted = scopes[root.path]
        excluded = set(root.exclude)
        is_folder = folder.is_dir()
        limit = root.max_bytes or DEFAULT_MAX_BYTES
        for found in find_sources([folder], limit):
            if isinstance(found, IngestError):
                name = getattr(found, "source", None) or str(found).split(": ")[0]
                key = _key(root, name, is_folder)
                if wanted is None or _under(key, wanted):
                    scan.failed[key] = (root, name, str(found))
                continue
            if _under(found.relative, excluded):
                continue
            key = _key(root, found.relative, is_folder)
            if wanted is not None and not _under(key, wanted):
                continue
            try:
                info = found.path.stat()
                entry = known.get(key, {})
                if entry.get("size") == info.st_size and entry.get("mtime") == info.st_mtime_ns:
                    digest = str(entry.get("hash", ""))
                else:
                    digest = hashlib.sha256(read_source(found, limit)).hexdigest()
            except OSError as error:
                message = f"{found.relative}: cannot read ({error.strerror or error})"
                scan.failed[key] = (root, found.relative, message)
                continue
            except IngestError as error:
                scan.failed[key] = (root, found.relative, str(error))
                continue
            scan.found[key] = _Found(root, found, digest)
    return scan


def _in_scope(entry: dict[str, Any], key: str, scopes: dict[str, set[str] | None]) -> bool:
    root = entry.get("root")
    if root not in scopes:
        return False
    wanted = scopes[root]
    return wanted is None or _under(key, wanted)


# ------------------------------------------------------------------------ building
@dataclass
class _Plan:
    """What a build will do: the pages found, and which to index, keep and remove."""

    scan: _Scan
    to_index: list[str]
    to_remove: list[str]
    kept: set[str]  # unreadable now, or under a root that is gone: kept as they were


def _plan(
    live: _Live,
    roots: list[Root],
    scopes: dict[str, set[str] | None],
    full: bool,
    report: BuildReport,
) -> _Plan:
    """Scan the roots in scope and decide, page by page; the report says it per root."""
    scan = _scan(roots, scopes, report, {} if full else live.sources)
    old = live.sources
    to_index = [k for k in scan.found if full or old.get(k, {}).get("hash") != scan.found[k].digest]
    kept = {k for k, entry in old.items() if entry.get("root") in scan.missing_roots}
    kept |= {k for k in scan.failed if k in old}
    remembered = {root.path for root in roots}
    to_remove = [
        k
        for k, entry in old.items()
        if k not in scan.found
        and k not in kept
        and (_in_scope(entry, k, scopes) or entry.get("root") not in remembered)
    ]
    for key, found in scan.found.items():
        if key not in to_index:
            report.of(found.root.path).unchanged += 1
    for root, _, message in scan.failed.values():
        report.of(root.path).failed.append(message)
    for key in to_remove:
        report.of(old[key]["root"]).removed.append(old[key]["name"])
    return _Plan(scan, to_index, to_remove, kept)


def _build_locked(
    index_dir: Path,
    given: list[Path],
    rebuild: bool,
    taxonomy_path: Path | None,
    settings: _Settings,
    progress: Progress | None,
    bundled_if_lost: bool,
) -> BuildReport:
    started = time.perf_counter()
    live = _read_live(index_dir)
    remove_stale(index_dir, keep=live.generation)
    taxonomy_path = _remembered_taxonomy(live.manifest, taxonomy_path)
    taxonomy = load_taxonomy(taxonomy_path)
    roots, scopes = _plan_roots(live, given, settings, index_dir, bundled_if_lost)
    manifest = live.manifest
    full = (
        rebuild
        or manifest is None
        or live.damaged is not None
        or manifest.schema_version != schema_version()
        or manifest.taxonomy_digest != taxonomy.digest
    )
    report = BuildReport(index_dir, rebuilt=full)
    plan = _plan(live, roots, {r.path: None for r in roots} if full else scopes, full, report)
    unchanged = (
        manifest is not None
        and not full
        and not plan.to_index
        and not plan.to_remove
        and [r.__dict__ for r in roots] == [r.__dict__ for r in manifest.roots]
        and manifest.taxonomy_path == str(taxonomy_path or "")
    )
    if unchanged:
        # Before saying "up to date", read every byte: damage must not pass for that.
        assert live.generation is not None and manifest is not None
        problem = verify_generation(live.generation, manifest, thorough=True)
        if problem is None:
            report.pages, report.chunks = manifest.pages, manifest.chunks
            report.seconds = time.perf_counter() - started
            return report
        live.damaged = problem
        report = BuildReport(index_dir, rebuilt=True)
        plan = _plan(live, roots, {r.path: None for r in roots}, True, report)
        full = True
    _phase("scanned")

    with _new_generation(index_dir) as building:
        if full:
            entries = _write_fresh(building, plan, taxonomy, live, report, progress)
        else:
            entries = _write_update(building, plan, taxonomy, live, report)
        _phase("written")
        manifest = _finish_generation(building, entries, roots, taxonomy, live, report)
        manifest.taxonomy_path = str(taxonomy_path or "")
        _phase("finished")
        _publish(index_dir, building, manifest, report)
    report.seconds = time.perf_counter() - started
    return report


def _indexer(key: str, found: _Found, taxonomy: Taxonomy) -> Callable[[Any], dict[str, Any]]:
    """A function that indexes one page file into a writer and returns its entry."""

    def index_file(writer: Any) -> dict[str, Any]:
        try:
            info = found.source.path.stat()
        except OSError as error:
            raise IngestError(
                f"{found.source.relative}: cannot read ({error.strerror or error})"
            ) from None
        data = read_source(found.source, found.root.max_bytes or DEFAULT_MAX_BYTES)
        pattern = found.root.url_pattern or None
        chunks = chunk_source(found.source, taxonomy, data, url_pattern=pattern)
        for position, chunk in enumerate(chunks):
            writer.add_document(**chunk_document(chunk, position, key))
        return {
            "root": found.root.path,
            "name": found.source.relative,
            "hash": hashlib.sha256(data).hexdigest(),
            "chunks": len(chunks),
            "size": info.st_size,
            "mtime": info.st_mtime_ns,
        }

    return index_file


def _write_fresh(
    building: Path,
    plan: _Plan,
    taxonomy: Taxonomy,
    live: _Live,
    report: BuildReport,
    progress: Progress | None,
) -> dict[str, dict[str, Any]]:
    """Every page file written anew: on several cores, or directly in this process."""
    scan, to_index, kept = plan.scan, plan.to_index, set(plan.kept)
    tasks: list[Task] = [(k, _indexer(k, scan.found[k], taxonomy)) for k in to_index]
    workers = workers_for(len(tasks))
    if workers > 1:
        result = build_parts(building, tasks, workers, progress, (IngestError,))
        entries, failed = result.entries, result.failed
    else:
        entries, failed = {}, {}
        writer = SegmentWriter(str(building), build_schema())
        with collection_paused():
            try:
                for done, (key, index_file) in enumerate(tasks, start=1):
                    try:
                        entries[key] = index_file(writer)
                    except IngestError as error:
                        failed[key] = str(error)
                    if progress:
                        progress(done, len(tasks))
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
    for key in to_index:
        found = scan.found[key]
        if key in failed:
            scan.failed[key] = (found.root, found.source.relative, failed[key])
            report.of(found.root.path).failed.append(failed[key])
        elif key in live.sources:
            report.of(found.root.path).updated.append(found.source.relative)
        else:
            report.of(found.root.path).added.append(found.source.relative)
    # A page that cannot be read now (or whose root is gone) keeps what the old index had
    # of it, if the old index can be read.
    kept |= {k for k in failed if k in live.sources}
    carried = sorted(kept) if live.generation and not live.damaged else []
    if carried:
        writer = _whoosh_for_writing().open_dir(str(building)).writer(limitmb=64, procs=1)
        for key in carried:
            entries[key] = dict(live.sources[key])
            entries[key]["chunks"] = _carry_over(live.generation, key, writer)  # type: ignore[arg-type]
        writer.commit(merge=False)
    return entries


def _write_update(
    building: Path, plan: _Plan, taxonomy: Taxonomy, live: _Live, report: BuildReport
) -> dict[str, dict[str, Any]]:
    """The live generation's files, linked, with changed pages deleted and re-added
    through Whoosh's writer (which deletes)."""
    scan, to_index, to_remove = plan.scan, plan.to_index, plan.to_remove
    assert live.generation is not None
    _link_generation(live.generation, building)
    entries = {k: v for k, v in live.sources.items() if k not in to_remove}
    for key, found in scan.found.items():  # a page now under a root that took over its own
        if key in entries and entries[key].get("root") != found.root.path:
            entries[key] = dict(entries[key], root=found.root.path)
    writer = _whoosh_for_writing().open_dir(str(building)).writer(limitmb=128, procs=1)
    try:
        for key in to_remove:
            writer.delete_by_term("origin", key)
        for key in to_index:
            found = scan.found[key]
            index_file = _indexer(key, found, taxonomy)
            if key in live.sources:
                writer.delete_by_term("origin", key)
            try:
                entries[key] = index_file(writer)
            except IngestError as error:  # changed, then unreadable: keep the old one
                report.of(found.root.path).failed.append(str(error))
                if key in live.sources:
                    _carry_over(live.generation, key, writer)
                continue
            place = report.of(found.root.path)
            (place.updated if key in live.sources else place.added).append(found.source.relative)
        writer.commit(mergetype=_purge_deleted)
    except BaseException:
        writer.cancel()
        raise
    return entries


def _purge_deleted(writer: Any, segments: list[Any]) -> list[Any]:
    """The merge policy of an update: rewrite any segment with many deleted chunks, and
    merge the two smallest segments when updates have left too many small ones.

    Whoosh's MERGE_SMALL would merge most of a large index's segments on its first update
    (of 1,000,000 chunks in 30,000-chunk segments, 700,000 re-indexed for one page). And
    Whoosh's merge copies each document's length as stored, quantised to a byte, so a
    merged index sums lengths that a fresh build sums exactly; deleted chunks stay in the
    statistics ranking reads until their segment is rewritten. Re-indexing the live
    chunks from their stored fields leaves what a fresh build of them would hold.
    """
    to_rewrite = {id(s) for s in segments if s.deleted_count() > PURGE_SHARE * s.doc_count_all()}
    small = sorted(
        (s for s in segments if id(s) not in to_rewrite and s.doc_count_all() < LARGE_SEGMENT),
        key=lambda s: s.doc_count_all(),
    )
    if len(small) > MAX_SMALL_SEGMENTS:
        to_rewrite |= {id(s) for s in small[:2]}
    for segment in segments:
        if id(segment) in to_rewrite:
            _reindex_segment(writer, segment)
    return [s for s in segments if id(s) not in to_rewrite]


def _reindex_segment(writer: Any, segment: Any) -> None:
    """Add a segment's live chunks to `writer` again, from their stored fields."""
    reader = SegmentReader(writer.storage, writer.schema, segment)
    try:
        order = reader.column_reader("order")
        for docnum in reader.all_doc_ids():
            fields = reader.stored_fields(docnum)
            position = int(bytes(order[docnum]).rpartition(b"\x00")[2] or 0)
            document = chunk_document(stored_chunk(fields), position, fields.get("origin", ""))
            writer.add_document(**document)
    finally:
        reader.close()


def _finish_generation(
    building: Path,
    entries: dict[str, dict[str, Any]],
    roots: list[Root],
    taxonomy: Taxonomy,
    live: _Live,
    report: BuildReport,
) -> Manifest:
    """The facet bitmaps, vocabulary and sources of a written generation, and its
    manifest with every file's checksum."""
    written = _whoosh_for_writing().open_dir(str(building))
    write_facetmap(written, building)
    write_missing_postings(written, building)
    write_vocabulary(building, facet_vocabulary(taxonomy))
    write_sources(building, entries)
    report.pages = len(entries)
    report.chunks = sum(int(entry.get("chunks", 0)) for entry in entries.values())
    known = live.manifest.files if live.manifest and not live.damaged else {}
    return Manifest(
        schema_version=schema_version(),
        taxonomy_digest=taxonomy.digest,
        corpus_hash=corpus_hash({key: str(e.get("hash", "")) for key, e in entries.items()}),
        built_at=time.time(),
        roots=roots,
        pages=report.pages,
        chunks=report.chunks,
        files=_checksums(building, known),
    )


def _checksums(building: Path, known: dict[str, list[int]]) -> dict[str, list[int]]:
    """Each file's size and checksum; a file linked from the live generation keeps the
    checksum it had there (segment files never change once written)."""
    found = {}
    fresh = None
    for path in sorted(building.iterdir()):
        if not path.is_file() or path.name in (MANIFEST, GENERATION_MARKER) or "LOCK" in path.name:
            continue
        if (
            path.name in known
            and path.stat().st_nlink > 1
            and known[path.name][0] == path.stat().st_size
        ):
            found[path.name] = known[path.name]
            continue
        if fresh is None:
            fresh = file_checksums(building)
        found[path.name] = fresh[path.name]
    return found


@contextmanager
def _new_generation(index_dir: Path) -> Iterator[Path]:
    """A folder for a new generation, removed if anything stops it before it is published."""
    building = new_building_dir(index_dir)
    try:
        yield building
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


def _publish(index_dir: Path, building: Path, manifest: Manifest, report: BuildReport) -> None:
    write_new(building / MANIFEST, manifest.to_json())
    publish(index_dir, building, _phase)
    report.published = True


def _whoosh_for_writing() -> Any:
    whoosh_internals.apply_reader_fix()
    return whoosh_index


def _link_generation(live: Path, building: Path) -> None:
    """Start the new generation from the live one's files.

    Whoosh never changes a segment file once written (new segments and tables of
    contents are new files), so hard links share them safely and make an update cost
    nothing per unchanged byte; copies stand in where links cannot be made.
    """
    for path in live.iterdir():
        # What every generation writes anew is not linked; Whoosh makes its own lock.
        skip = (MANIFEST, FACETMAP, SOURCES, VOCABULARY, GENERATION_MARKER)
        if path.name in skip or "LOCK" in path.name or not path.is_file():
            continue
        target = building / path.name
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def _carry_over(live: Path, key: str, writer: Any) -> int:
    """Copy what the live generation holds of one page file into `writer`."""
    kept = 0
    try:
        old_ix = whoosh_index.open_dir(str(live))
    except Exception:  # Whoosh raises many kinds on a damaged folder
        return 0
    with old_ix.searcher() as searcher:
        for docnum in searcher.docs_for_query(Term("origin", key)):
            fields = searcher.stored_fields(docnum)
            writer.add_document(**chunk_document(stored_chunk(fields), kept, key))
            kept += 1
    return kept
