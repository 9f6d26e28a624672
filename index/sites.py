"""Web sources beside folders: fetched before a build scans, indexed from their copies.

A source given by its address (a sitemap, a sitemap index, a feed, a page) is a root as
a folder is; its pages are keyed by their addresses. Before the scan, each web root in
scope is fetched (`fetch_sites`): what it lists now, each page's stored copy and hash,
what failed, and what was not asked this run. The scan then treats a page as it treats
a file (`scan_site`): a changed hash is indexed, an unchanged one costs nothing, a page
gone from the listing is removed, a failed or unasked one keeps what the index had. A
`--rebuild` asks nothing: it re-indexes the copies kept beside the index.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dwsearch.ingest.pages import IngestError, Source, Taxonomy
from dwsearch.ingest.web import is_url
from dwsearch.ingest.web.crawl import FetchProgress, OnProgress, SiteFetch, crawl_source
from dwsearch.ingest.web.fetch import CrawlSettings, Fetcher
from dwsearch.ingest.web.pages import chunk_fetched
from dwsearch.ingest.web.store import PageStore, StoreError, read_stored

from .documents import chunk_document
from .location import Root
from .report import BuildReport
from .sourceset import Scopes, read_limit

if TYPE_CHECKING:
    from .scan import Entries, Found, Scan

__all__ = ["CrawlSettings", "FetchProgress", "Fetched", "OnProgress", "fetch_sites", "is_url"]


@dataclass
class Fetched:
    """One run's web roots, as fetched, and the store of their copies."""

    store: PageStore
    sites: dict[str, SiteFetch] = field(default_factory=dict)


def fetch_sites(
    index_dir: Path,
    roots: list[Root],
    scopes: Scopes,
    held: Entries,
    crawl: CrawlSettings,
    online: set[str],
    on_progress: OnProgress | None = None,
) -> Fetched:
    """Each web root in scope: those `online` fetched, the others read from their copies."""
    store = PageStore(index_dir)
    fetched = Fetched(store)
    sites = fetched.sites
    fetcher: Fetcher | None = None
    budget = None if crawl.max_pages is None else [crawl.max_pages]
    fetched_now: list[str] = []
    earlier_left = store.left()
    left: dict[str, set[str]] = {}
    for root in roots:
        if not is_url(root.path) or root.path not in scopes:
            continue
        mine = {k for k, e in held.items() if e.get("root") == root.path}
        if root.path not in online:
            sites[root.path] = _from_store(root, mine, held, store)
            continue
        if fetcher is None:
            fetcher = Fetcher(crawl, set())
        fetcher.settings = replace(
            crawl, max_bytes=read_limit(root), allow_hosts=tuple(root.allow_hosts)
        )
        wanted = scopes[root.path]
        site = crawl_source(
            root.path, fetcher, store, wanted, frozenset(root.exclude), on_progress, budget
        )
        site.left -= mine  # a page the index holds, not asked again, is kept as it is
        if site.incomplete:
            listed = set(site.pages) | set(site.failed)
            site.deferred |= {k for k in mine if k not in listed}
        if not site.down or site.pages:
            fetched_now.append(root.path)
            # A whole listing read says what is left; a few pages asked, only of those.
            asked = set(site.pages) | set(site.failed)
            before = set() if wanted is None else earlier_left.get(root.path, set()) - asked
            left[root.path] = before | site.left
        sites[root.path] = site
    store.mark_fetched(fetched_now, time.time())
    store.mark_left(left)
    return fetched


def _from_store(root: Root, mine: set[str], held: Entries, store: PageStore) -> SiteFetch:
    """A web root as its kept copies have it: the pages the index holds, none asked."""
    site = SiteFetch(root.path)
    for key in sorted(mine):
        record = store.record(key)
        if record is None:
            site.failed[key] = "no stored copy to rebuild from; kept as it was"
        else:
            site.pages[key] = record.digest or str(held[key].get("hash", ""))
    return site


def scan_site(
    root: Root,
    wanted: set[str] | None,
    fetched: Fetched | None,
    now: Scan,
    report: BuildReport,
    found: type[Found],
) -> None:
    """What a web root holds now, into the scan, as a folder's files go in."""
    site = fetched.sites.get(root.path) if fetched is not None else None
    if fetched is None or site is None or (site.down and not site.pages):
        why = site.down if site is not None else "not fetched in this build"
        report.failed_roots.append(f"{root.path}: {why}; what the index had of it is kept")
        now.missing_roots.add(root.path)
        return
    if site.down:
        report.failed_roots.append(f"{root.path}: {site.down}; the pages not read are kept")
    if site.left:
        report.of(root.path).left = len(site.left)
    store = fetched.store
    excluded = set(root.exclude)
    for url, digest in site.pages.items():
        if url in excluded or (wanted is not None and url not in wanted):
            continue
        source = Source(store.path_for(url), url)
        now.found[url] = found(root, source, digest, fetched=True)
    for url, why in site.failed.items():
        now.failed[url] = (root, url, f"{url}: {why}")
    now.unlisted |= site.deferred


def page_indexer(key: str, found: Found, taxonomy: Taxonomy) -> Callable[[Any], dict[str, Any]]:
    """A function that indexes one fetched page from its stored copy."""

    def index_page(writer: Any) -> dict[str, Any]:
        try:
            record, body = read_stored(found.source.path, key, read_limit(found.root))
        except StoreError as error:
            raise IngestError(f"{key}: {error}", key) from None
        chunks = chunk_fetched(record, body, taxonomy)
        for position, chunk in enumerate(chunks):
            writer.add_document(**chunk_document(chunk, position, key))
        return {
            "root": found.root.path,
            "name": key,
            "hash": record.digest,
            "chunks": len(chunks),
            "fetched": record.fetched,
        }

    return index_page


def keep_stored(index_dir: Path, roots: list[Root], entries: Entries) -> None:
    """After a build or removal is published: drop the copies of pages no longer held,
    and forget when removed sources were fetched."""
    store = PageStore(index_dir)
    if not store.folder.exists():
        return
    web_roots = {root.path for root in roots if is_url(root.path)}
    store.keep_only({k for k, e in entries.items() if e.get("root") in web_roots})
    store.forget_sources(web_roots)
