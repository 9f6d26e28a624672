"""Building and updating an index from the files and folders it remembers, safely.

An index remembers its roots (the files and folders it was built from, `sourceset`) in
its manifest, and each page file's content hash in `sources.json`. `build_index` with
no paths refreshes every root; with paths, it adds or refreshes those and keeps the
rest; `remove_from_index` drops pages on purpose. Nothing is removed that the user did
not name: a page is dropped when it is gone from a root being refreshed, and a page that
cannot be read keeps what the index had of it.

A build is a list of phases, each in a module of its own: lock the index
(`locking`), read the live generation (`generations`), plan the sources
(`sourceset`), scan the disk for what changed (`scan`), write a new generation beside
the live one, anew or as an update under the merge policy (`updates`), finish it, and
publish it atomically (`generations`). A failed, killed or interrupted build leaves the
live index as it was; `faults` lets crash tests stop a build at each phase.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh import index as whoosh_index

from dwsearch.ingest import Chunk
from dwsearch.ingest.pages import Taxonomy, load_taxonomy

from . import faults
from .checksums import file_checksums, verify_generation
from .documents import chunk_document
from .facetmap import write_facetmap
from .generations import (
    Live,
    finish_generation,
    link_generation,
    new_generation,
    publish_generation,
    read_live,
)
from .location import (
    BUILD,
    BUNDLED,
    REBUILD,
    REBUILD_FROM_PATHS,
    IndexProblem,
    Manifest,
    Root,
    remove_stale,
    write_sources,
    write_vocabulary,
)
from .locking import IndexBusy, build_lock
from .postings import write_missing_postings
from .report import BuildReport, SourceReport
from .scan import Plan, plan
from .schema import build_schema, schema_version
from .segments import SegmentWriter
from .sites import CrawlSettings, Fetched, OnProgress, fetch_sites, is_url, keep_stored
from .sourceset import Scopes, Settings, SourceSet
from .updates import (
    DEFAULT_POLICY,
    MergePolicy,
    Progress,
    delete_pages,
    write_fresh,
    write_update,
)

__all__ = [
    "BuildReport",
    "CrawlSettings",
    "IndexBusy",
    "MergePolicy",
    "Progress",
    "SourceReport",
    "build_from_chunks",
    "build_index",
    "remove_from_index",
]


class LostSources(IndexProblem):
    """A damaged index that no longer says what it was built from, refreshed with no
    paths: only a rebuild from paths given can mend it."""

    def __init__(self, index_dir: Path, damage: str) -> None:
        self.damage = damage
        super().__init__(
            f"{damage}, and what it was built from is lost with it", index_dir, REBUILD_FROM_PATHS
        )


class CannotChange(IndexProblem):
    """A removal from an index that is missing or damaged."""

    def __init__(self, index_dir: Path, why: str, remedy: str) -> None:
        self.why = why
        super().__init__(f"the index at {index_dir} cannot be changed ({why})", index_dir, remedy)


def build_index(
    index_dir: Path,
    paths: list[Path | str] | None = None,
    rebuild: bool = False,
    taxonomy_path: Path | None = None,
    url_pattern: str | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[], None] | None = None,
    lock_timeout: float = 600.0,
    bundled_if_lost: bool = False,
    max_bytes: int | None = None,
    policy: MergePolicy = DEFAULT_POLICY,
    crawl: CrawlSettings | None = None,
    allow_hosts: list[str] | None = None,
    on_fetch: OnProgress | None = None,
) -> BuildReport:
    """Add or refresh `paths` in the index at `index_dir`, keeping its other sources;
    with no paths, refresh every source it remembers (a new index: the bundled corpus).

    A path may be a web address (a sitemap, sitemap index, feed or page), fetched as
    `crawl` says (`sites`); a rebuild fetches nothing, it re-indexes the copies kept.
    `url_pattern`, `max_bytes` (the largest page file read) and `allow_hosts` (a web
    source's other hosts followed) are remembered with the sources of `paths`, as the
    settings of their later refreshes.

    A damaged index that no longer says what it was built from needs `paths`, unless
    `bundled_if_lost` (the default index) says to fall back on the bundled corpus."""
    given: list[Path | str] = [p if is_url(p) else Path(p) for p in paths or []]
    for path in given:
        if isinstance(path, Path) and not (path.exists() or path.is_symlink()):
            raise IndexProblem(f"{path}: no such file or folder; the index was not changed")
    with build_lock(index_dir, on_wait, lock_timeout):
        started = time.perf_counter()
        live = read_live(index_dir)
        remove_stale(index_dir, keep=live.generation)
        taxonomy_path = _remembered_taxonomy(live.manifest, taxonomy_path)
        taxonomy = load_taxonomy(taxonomy_path)
        sources = SourceSet(live.roots, {k: str(e.get("root")) for k, e in live.sources.items()})
        if given:
            scopes = sources.add(given, Settings(url_pattern, max_bytes, allow_hosts))
        else:
            scopes = _refresh_all(sources, live, index_dir, bundled_if_lost)
        full = rebuild or _needs_rebuild(live, taxonomy)
        resettled = sources.resettled(live.roots)
        fetched = _fetched(index_dir, live, sources.roots, scopes, full, rebuild, crawl, on_fetch)
        _refuse_unread_new_sites(given, live, fetched)
        report, work = _planned(live, sources.roots, scopes, full, index_dir, resettled, fetched)
        changed = None
        if not full and fetched is None and _afresh(policy, live, work):
            # Many pages to add (a large folder given): built afresh in a fraction of the
            # time, where that changes the index exactly as the update would. No web
            # source is in scope: the copies of any other are read, none fetched.
            roots = sources.roots
            whole = _fetched(index_dir, live, roots, scopes, True, rebuild, crawl, None)
            told, every = _planned(live, roots, scopes, True, index_dir, resettled, whole)
            if _as_updated(live, report, work, told, every):
                full, changed, fetched = True, set(work.to_index), whole
                report, work = told, every
        if not full and _up_to_date(live, work, sources.roots, taxonomy_path):
            # Before saying "up to date", read every byte: damage must not pass for that.
            assert live.generation is not None and live.manifest is not None
            live.damaged = verify_generation(live.generation, live.manifest, thorough=True)
            if live.damaged is None:
                report.pages, report.chunks = live.manifest.pages, live.manifest.chunks
                report.seconds = time.perf_counter() - started
                return report
            full = True
            if fetched is not None and any(is_url(r.path) for r in sources.roots):
                fetched = _fetched(index_dir, live, sources.roots, scopes, True, True, crawl, None)
            report, work = _planned(
                live, sources.roots, scopes, full, index_dir, resettled, fetched
            )
        faults.reached("scanned")
        with new_generation(index_dir) as building:
            if full:
                carry_from = live.generation if live.usable else None
                entries = write_fresh(
                    building, work, taxonomy, carry_from, live.sources, report, progress, changed
                )
            else:
                assert live.generation is not None
                link_generation(live.generation, building)
                entries = write_update(
                    building, work, taxonomy, live.generation, live.sources, report, policy
                )
            faults.reached("written")
            manifest = finish_generation(building, entries, sources.roots, taxonomy, live, report)
            manifest.taxonomy_path = str(taxonomy_path or "")
            faults.reached("finished")
            publish_generation(index_dir, building, manifest, report)
        keep_stored(index_dir, sources.roots, entries)
        report.seconds = time.perf_counter() - started
        return report


def remove_from_index(
    index_dir: Path,
    paths: list[Path | str],
    on_wait: Callable[[], None] | None = None,
    policy: MergePolicy = DEFAULT_POLICY,
) -> BuildReport:
    """Drop the pages of these sources (a root given, or a page or subfolder inside a
    folder given); later refreshes of the folder then leave them out."""
    with build_lock(index_dir, on_wait, 600.0):
        started = time.perf_counter()
        live = read_live(index_dir)
        if not live.usable:
            if live.damaged:
                raise CannotChange(index_dir, live.damaged, REBUILD)
            raise CannotChange(index_dir, "there is no index yet", BUILD)
        assert live.manifest is not None and live.generation is not None
        sources = SourceSet(live.roots, {k: str(e.get("root")) for k, e in live.sources.items()})
        to_remove = sources.remove(paths, live.sources, index_dir)
        report = BuildReport(index_dir)
        for key in to_remove:
            report.of(live.sources[key]["root"]).removed.append(live.sources[key]["name"])
        if not to_remove and sources.roots == live.manifest.roots:
            report.seconds = time.perf_counter() - started
            return report
        taxonomy = load_taxonomy(_remembered_taxonomy(live.manifest, None))
        entries = {k: v for k, v in live.sources.items() if k not in to_remove}
        with new_generation(index_dir) as building:
            link_generation(live.generation, building)
            delete_pages(building, to_remove, policy)
            manifest = finish_generation(building, entries, sources.roots, taxonomy, live, report)
            manifest.taxonomy_path = live.manifest.taxonomy_path
            publish_generation(index_dir, building, manifest, report)
        keep_stored(index_dir, sources.roots, entries)
        report.seconds = time.perf_counter() - started
        return report


def build_from_chunks(index_dir: Path, chunks: Iterable[Chunk], label: str) -> BuildReport:
    """A fresh index of chunks that come from no page file (a test collection, say)."""
    started = time.perf_counter()
    report = BuildReport(index_dir, rebuilt=True)
    with build_lock(index_dir, None, 0), new_generation(index_dir) as building:
        writer = SegmentWriter(str(building), build_schema())
        digest = hashlib.sha256()
        for position, chunk in enumerate(chunks):
            writer.add_document(**chunk_document(chunk, position, label))
            digest.update(chunk.id.encode())
            report.chunks += 1
        writer.commit()
        written = whoosh_index.open_dir(str(building))
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
        publish_generation(index_dir, building, manifest, report)
    report.seconds = time.perf_counter() - started
    return report


# ------------------------------------------------------------------------ the phases
def _refresh_all(sources: SourceSet, live: Live, index_dir: Path, bundled_if_lost: bool) -> Scopes:
    """Every root in scope (a new index: the bundled corpus)."""
    if not sources.roots:
        if live.damaged and not bundled_if_lost:
            raise LostSources(index_dir, live.damaged)
        sources.roots = [Root(BUNDLED)]
    return {root.path: None for root in sources.roots}


def _needs_rebuild(live: Live, taxonomy: Taxonomy) -> bool:
    """Whether the live generation cannot be updated: missing, damaged, or made by
    another version of dwsearch or with another taxonomy."""
    manifest = live.manifest
    return (
        manifest is None
        or live.damaged is not None
        or manifest.schema_version != schema_version()
        or manifest.taxonomy_digest != taxonomy.digest
    )


def _fetched(
    index_dir: Path,
    live: Live,
    roots: list[Root],
    scopes: Scopes,
    full: bool,
    rebuild: bool,
    crawl: CrawlSettings | None,
    on_fetch: OnProgress | None,
) -> Fetched | None:
    """The web roots of a build, fetched: those given or refreshed ask their sites (a
    rebuild asks none), those a full build reads besides come from their copies."""
    in_scope = {root.path: None for root in roots} if full else scopes
    web = [root for root in roots if is_url(root.path) and root.path in in_scope]
    if not web:
        return None
    online = set() if rebuild else {root.path for root in web if root.path in scopes}
    return fetch_sites(
        index_dir, web, in_scope, live.sources, crawl or CrawlSettings(), online, on_fetch
    )


def _refuse_unread_new_sites(given: list[Path | str], live: Live, fetched: Fetched | None) -> None:
    """A site given for the first time that could not be read at all is not taken in:
    nothing would be remembered of it but its address."""
    known = {root.path for root in live.roots}
    for path in given:
        site = fetched.sites.get(str(path)) if fetched is not None else None
        if site is not None and str(path) not in known and site.down and not site.pages:
            raise IndexProblem(f"{path}: {site.down}; the index was not changed")


def _planned(
    live: Live,
    roots: list[Root],
    scopes: Scopes,
    full: bool,
    index_dir: Path,
    resettled: dict[str, list[str]],
    fetched: Fetched | None = None,
) -> tuple[BuildReport, Plan]:
    """A new report, and the plan of a build (a full one scans every root); the pages of
    the roots given new settings are read again, so the settings hold at once."""
    report = BuildReport(index_dir, rebuilt=full)
    for root, names in resettled.items():
        report.of(root).resettled = names
    in_scope = {root.path: None for root in roots} if full else scopes
    renew = frozenset(resettled)
    return report, plan(live.sources, roots, in_scope, full, report, renew, fetched)


def _afresh(policy: MergePolicy, live: Live, work: Plan) -> bool:
    """Whether the update planned would index enough of the pages the index is to hold
    to be built afresh (see `MergePolicy.builds_afresh`)."""
    pages = len((live.sources.keys() - set(work.to_remove)) | set(work.to_index))
    return policy.builds_afresh(len(work.to_index), pages)


def _as_updated(
    live: Live, report: BuildReport, work: Plan, told: BuildReport, every: Plan
) -> bool:
    """Whether the full build planned (`every`) leaves what the update planned (`work`)
    would: the same pages removed, none more kept or failing, and each page the update
    would not index unchanged on disk (a page deleted, edited or unreadable under
    another root keeps the update, which leaves it as indexed)."""
    held, found = live.sources, every.scan.found
    others = set(every.to_index) - set(work.to_index)
    return (
        set(every.to_remove) == set(work.to_remove)
        # A page kept as indexed (its root gone, unreadable, in a folder not listed) is
        # a failure reported: the same failures, the same pages kept.
        and sorted(told.failed) == sorted(report.failed)
        and all(key in held and held[key].get("hash") == found[key].digest for key in others)
    )


def _up_to_date(live: Live, work: Plan, roots: list[Root], taxonomy_path: Path | None) -> bool:
    """Whether an update would change nothing: no page, root or setting differs."""
    manifest = live.manifest
    return (
        manifest is not None
        and not work.to_index
        and not work.to_remove
        and [r.__dict__ for r in roots] == [r.__dict__ for r in manifest.roots]
        and manifest.taxonomy_path == str(taxonomy_path or "")
    )


def _remembered_taxonomy(manifest: Manifest | None, given: Path | None) -> Path | None:
    if given is not None:
        return given
    if manifest is not None and manifest.taxonomy_path:
        return Path(manifest.taxonomy_path)
    return None
