"""One web source fetched: its sitemap, sitemap index or feed read, and each page it
lists asked for (conditionally, where a copy is kept), or the one page it is.

A page is asked for only when its stored copy may be stale: a sitemap's `<lastmod>`
equal to the one of the stored copy skips the request, and a stored ETag or
Last-Modified makes it conditional (304: unchanged, nothing read). What comes back is
written to the store at once, so an interrupted run keeps what it fetched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .fetch import LISTING_TYPES, Fetcher, FetchFailure, SiteDown, host_of
from .listings import Listing, NotAListing, looks_like_xml, read_listing
from .store import PageStore, Record

# A sitemap index lists sitemaps, which list pages; deeper nesting is not followed.
MAX_SITEMAPS = 1000


@dataclass
class FetchProgress:
    """Where a run stands, for a progress line."""

    source: str
    done: int = 0
    to_go: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0


OnProgress = Callable[[FetchProgress], None]


@dataclass
class SiteFetch:
    """What a source holds now, as far as this run could tell."""

    source: str
    pages: dict[str, str] = field(default_factory=dict)  # address -> stored body's hash
    failed: dict[str, str] = field(default_factory=dict)  # address -> why
    deferred: set[str] = field(default_factory=set)  # listed, not asked: kept as they are
    left: set[str] = field(default_factory=set)  # of those, the ones the page budget left
    down: str = ""  # why the source could not be read at all ("": it could)
    incomplete: bool = False  # a sitemap of it failed: pages not listed are not gone
    fetched: int = 0  # pages fetched anew (200)


def crawl_source(
    source: str,
    fetcher: Fetcher,
    store: PageStore,
    wanted: set[str] | None = None,
    excluded: frozenset[str] = frozenset(),
    on_progress: OnProgress | None = None,
    budget: list[int] | None = None,
) -> SiteFetch:
    """Fetch a source (or only the pages `wanted` of it). `budget` holds how many more
    pages this run may ask for (shared by the sources of one run; None: no bound)."""
    site = SiteFetch(source)
    fetcher.hosts = {host_of(source), *fetcher.settings.allow_hosts}
    try:
        listed = (
            _listed(source, fetcher, store, site) if wanted is None else dict.fromkeys(wanted, "")
        )
    except SiteDown as error:
        site.down = f"cannot be reached: {error}"
        return site
    except (FetchFailure, NotAListing) as error:
        site.down = str(error)
        return site
    pages = {url: lastmod for url, lastmod in listed.items() if url not in excluded}
    records = {url: store.record(url) for url in pages if url not in site.pages}
    # Pages never fetched first, then the longest unasked: a bounded run goes on where
    # the last one stopped.
    order = sorted(records, key=lambda url: (records[url] is not None, _fetched(records[url])))
    progress = FetchProgress(source, done=len(pages) - len(order), to_go=len(order))
    for position, url in enumerate(order):
        lastmod, record = pages[url], records[url]
        if record is not None and lastmod and record.lastmod == lastmod:
            site.pages[url] = record.digest
        elif budget is not None and budget[0] <= 0:
            site.deferred.add(url)
            site.left.add(url)
        else:
            if budget is not None:
                budget[0] -= 1
            try:
                _fetch_page(url, lastmod, record, fetcher, store, site)
            except SiteDown as error:
                site.deferred |= set(order[position:])
                site.down = f"cannot be reached: {error}"
                site.incomplete = True
                break
            except FetchFailure as error:
                site.failed[url] = str(error)
                progress.failed += 1
        progress.done, progress.to_go = progress.done + 1, progress.to_go - 1
        if on_progress is not None:
            on_progress(progress)
    return site


def _fetched(record: Record | None) -> float:
    return record.fetched if record is not None else 0.0


def _fetch_page(
    url: str,
    lastmod: str,
    record: Record | None,
    fetcher: Fetcher,
    store: PageStore,
    site: SiteFetch,
) -> None:
    answer = fetcher.get(url, record.validators if record is not None else None)
    if answer.status == 304 and record is not None:
        site.pages[url] = record.digest
        return
    if answer.status == 304:
        raise FetchFailure("answered 304 to a request that was not conditional")
    kept = Record(url, answer.url, dict(answer.headers), time.time(), lastmod)
    store.write(kept, answer.body)
    site.pages[url] = kept.digest
    site.fetched += 1


def _listed(source: str, fetcher: Fetcher, store: PageStore, site: SiteFetch) -> dict[str, str]:
    """The pages a source lists (address -> lastmod): a sitemap's, a sitemap index's,
    a feed's, or the source alone if it is a page (then fetched here, once)."""
    record = store.record(source)
    answer = fetcher.get(source, record.validators if record else None, listing=True)
    if answer.status == 304 and record is not None:  # a one-page source, unchanged
        site.pages[source] = record.digest
        return {source: ""}
    if answer.status == 304:
        raise FetchFailure("answered 304 to a request that was not conditional")
    kind = answer.content_type
    xml = kind in LISTING_TYPES or (kind.endswith("+xml") and kind != "application/xhtml+xml")
    if xml or (looks_like_xml(answer.body) and kind != "text/html"):
        listing = read_listing(answer.body)
    else:
        kept = Record(source, answer.url, dict(answer.headers), time.time())
        store.write(kept, answer.body)
        site.pages[source] = kept.digest
        site.fetched += 1
        return {source: ""}
    return _expand(listing, fetcher, site)


def _expand(listing: Listing, fetcher: Fetcher, site: SiteFetch) -> dict[str, str]:
    """A sitemap index's sitemaps read in turn; one that fails is named, and the pages
    it would have listed are not taken for gone."""
    pages = dict(listing.pages)
    for count, sitemap in enumerate(listing.sitemaps):
        if count >= MAX_SITEMAPS:
            site.failed[sitemap] = f"more than {MAX_SITEMAPS} sitemaps; not read"
            site.incomplete = True
            continue
        try:
            inner = read_listing(fetcher.get(sitemap, listing=True).body)
        except (FetchFailure, NotAListing) as error:
            if isinstance(error, SiteDown):
                raise
            site.failed[sitemap] = str(error)
            site.incomplete = True
            continue
        for url, lastmod in inner.pages.items():
            pages.setdefault(url, lastmod)
    return pages
