"""dwsearch's application API: the one path the CLI, the web server and programs share.

    from dwsearch.app import api
    results = api.search("artificial intelligence", api.Filters(years=[(2018, 2018)]))

It drives the three stages: it opens the index (building the default index from the
bundled corpus on first use, or when it is out of date), searches it, and builds,
chunks and evaluates. The builder and ingestion load only when a call needs them, so
a search starts as fast as the search side alone.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from dwsearch.index import (
    BUNDLED,
    IndexDamaged,
    IndexProblem,
    Manifest,
    live_generation,
    resolve_index_dir,
)
from dwsearch.index.checksums import verify_generation
from dwsearch.index.location import (
    BUILD,
    REBUILD,
    REBUILD_FROM_PATHS,
    corpus_hash,
    current_generation,
    read_sources,
    read_vocabulary,
)
from dwsearch.index.reading import OpenIndex, open_generation
from dwsearch.index.schema import schema_version
from dwsearch.ingest import Chunk, bundled_corpus
from dwsearch.ingest.datafiles import taxonomy_digest
from dwsearch.ingest.sources import SUFFIXES
from dwsearch.lexicon.files import MIB
from dwsearch.search.engine import IndexStats, SearchSession, index_stats, show_chunk
from dwsearch.search.errors import ChunkNotFound, SearchError
from dwsearch.search.results import Filters, Hit, Results
from dwsearch.search.settings import (
    DEFAULT_OPTIONS,
    DEFAULT_SETTINGS,
    SearchOptions,
    SearchSettings,
)

from .bounds import (
    DEFAULT_EXPORT_FILE_MB,
    DEFAULT_EXPORT_NAME,
    EXPORT_FORMATS,
    MAX_DELAY,
    MAX_FILE_MB,
    MAX_PAGES,
    MAX_TIMEOUT,
)
from .wording import BadValue

if TYPE_CHECKING:
    from dwsearch.index.builder import BuildReport, Progress
    from dwsearch.ingest.sources import IngestError
    from dwsearch.ingest.web.crawl import FetchProgress

    from .evaluate import Evaluation
    from .export import ExportReport

__all__ = [
    "Filters",
    "Hit",
    "IndexProblem",
    "Results",
    "SearchError",
    "SearchOptions",
    "SearchSettings",
    "Service",
    "build",
    "chunks",
    "evaluate",
    "export",
    "facets",
    "open_index",
    "remove",
    "search",
    "session",
    "show",
    "sources",
    "stats",
]

OnBuild = Callable[[str], None]
OnFetch = Callable[["FetchProgress"], None]
COUNTS = SearchOptions(limit=0)  # a search for its facet counts and total alone


def bundled_corpus_hash() -> str:
    """Identifies the version of the corpus that ships with this dwsearch."""
    hashes = {
        f"{BUNDLED}/{path.name}": hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(bundled_corpus().iterdir())
        if path.suffix in SUFFIXES
    }
    return corpus_hash(hashes)


def _staleness(manifest: Manifest, is_default: bool) -> str | None:
    """Why an index cannot be trusted as it is, or None."""
    if manifest.schema_version != schema_version():
        return "it was built by another version of dwsearch"
    if is_default and manifest.root_paths == [BUNDLED]:
        if manifest.taxonomy_digest != taxonomy_digest():
            return "dwsearch's taxonomy has changed"
        if manifest.corpus_hash != bundled_corpus_hash():
            return "the bundled corpus has changed"
    return None


def _why_not_usable(directory: Path, is_default: bool) -> tuple[str | None, bool]:
    """Why the index cannot be searched as it is (None: it can), and whether the files
    and folders it was built from are known."""
    try:
        live = live_generation(directory)
    except IndexDamaged as error:
        return str(error), False
    if live is None:
        return "there is no index yet", False
    generation, manifest = live
    stale = _staleness(manifest, is_default)
    if stale:
        return stale, True
    damage = verify_generation(generation, manifest, thorough=False)
    if damage:
        return f"the index at {directory} is damaged ({damage})", True
    return None, True


def open_index(index: str | Path | None = None, on_build: OnBuild | None = None) -> OpenIndex:
    """The live index, ready to search.

    The per-user default index is built from the bundled corpus on first use, and rebuilt
    when it is out of date or damaged. An index given by path is never rebuilt behind
    the user's back: an out-of-date or damaged one is an error that says how to rebuild.
    """
    directory, is_default = resolve_index_dir(index)
    reason, sources_known = _why_not_usable(directory, is_default)
    if reason is not None and not is_default:
        if reason == "there is no index yet":
            raise IndexProblem(f"no index at {directory}", directory, BUILD)
        remedy = REBUILD if sources_known else REBUILD_FROM_PATHS
        if not reason.startswith("the index at"):
            reason = f"the index at {directory} cannot be used: {reason}"
        raise IndexProblem(reason, directory, remedy)
    if reason is not None:
        from dwsearch.index.builder import build_index

        if on_build:
            on_build(f"building the search index in {directory} ({reason})")
        build_index(directory, rebuild=True, bundled_if_lost=True)
    live = live_generation(directory)
    if live is None:
        raise IndexProblem(f"no index at {directory}", directory, BUILD)
    return open_generation(directory, *live)


def session(
    index: str | Path | None = None,
    on_build: OnBuild | None = None,
    settings: SearchSettings = DEFAULT_SETTINGS,
) -> SearchSession:
    """An open index and searcher for many searches, searching by `settings`; close it,
    or use it in `with`."""
    return SearchSession(open_index(index, on_build), settings)


Outcome = TypeVar("Outcome")


def _with_session(
    index: str | Path | None,
    on_build: OnBuild | None,
    work: Callable[[SearchSession], Outcome],
    opened_by: Callable[[], SearchSession] | None = None,
) -> Outcome:
    """`work` done on a session (a new one, or `opened_by`'s); a failure that damaged
    files explain is said as such.

    Opening checks every file's size, and the checksum of any file written since its
    build; damage that left no such trace shows only when Whoosh reads it, as any kind of
    exception, here or while the session opens. Then every file is checked, the default
    index is rebuilt and the work done again, and any other index is reported damaged.
    """
    directory, is_default = resolve_index_dir(index)
    for attempt in (1, 2):
        opened: SearchSession | None = None
        try:
            opened = opened_by() if opened_by else session(index, on_build)
            return work(opened)
        except (SearchError, IndexProblem, ChunkNotFound):
            raise
        except Exception:  # Whoosh reading damaged bytes raises anything, MemoryError too
            damage = _damage_behind(directory, opened)
            if damage is None:
                raise  # not damage: a bug, to be seen whole
        finally:
            if opened is not None and opened_by is None:
                opened.close()
        problem = IndexDamaged(directory, damage)
        if not is_default or attempt == 2:
            raise problem
        from dwsearch.index.builder import build_index

        if on_build:
            on_build(f"building the search index in {directory} ({problem})")
        build_index(directory, rebuild=True, bundled_if_lost=True)
    raise AssertionError("unreachable")


def _damage_behind(directory: Path, opened: SearchSession | None) -> str | None:
    """What is wrong with the files of the generation a failure came from (every byte
    checked), or None; that of the live one when the failure came before a session."""
    if opened is not None:
        return verify_generation(opened.opened.generation, opened.opened.manifest, True)
    try:
        live = live_generation(directory)
    except IndexDamaged as error:
        return error.what
    return None if live is None else verify_generation(*live, thorough=True)


def search(
    query: str = "",
    filters: Filters | None = None,
    limit: int = 10,
    offset: int = 0,
    index: str | Path | None = None,
    explain: bool = False,
    on_build: OnBuild | None = None,
    correct: bool = True,
    sort: str = "relevance",
    feedback: bool = False,
    all_chunks: bool = False,
) -> Results:
    """Ranked, highlighted chunks for `query`, with facet counts over all results.
    `feedback` adds the commonest words of the best hits to the query (RM3); a page's
    hits after its first two wait below other pages' unless `all_chunks`."""
    options = SearchOptions(
        limit=limit, offset=offset, sort=sort, explain=explain, correct=correct,
        feedback=feedback, all_chunks=all_chunks,
    )  # fmt: skip
    return _with_session(index, on_build, lambda opened: opened.search(query, filters, options))


def facets(
    query: str = "",
    filters: Filters | None = None,
    index: str | Path | None = None,
    on_build: OnBuild | None = None,
) -> Results:
    """Facet counts only: the same search, with no hits fetched."""
    return _with_session(index, on_build, lambda opened: opened.search(query, filters, COUNTS))


def show(chunk_id: str, index: str | Path | None = None, on_build: OnBuild | None = None) -> Chunk:
    """The whole chunk with this id (or a unique start of it); LookupError if none."""
    return _with_session(index, on_build, lambda opened: show_chunk(opened.opened, chunk_id))


def stats(index: str | Path | None = None, on_build: OnBuild | None = None) -> IndexStats:
    """What the index holds and what it was built from."""
    return _with_session(index, on_build, index_stats)


class Service:
    """The index as a long-running program (the web server) uses it.

    Each thread gets a session of its own (a Whoosh searcher is not shared between
    threads), and a session is reopened as soon as a build has published a new
    generation: a rebuild is picked up by the next request, without a restart. The
    generation a request started on stays on disk until the build after next.
    """

    def __init__(self, index: str | Path | None = None, on_build: OnBuild | None = None):
        self.index = index
        self.on_build = on_build
        self.directory, _ = resolve_index_dir(index)
        self._local = threading.local()
        self._names: tuple[Path, dict[str, dict[str, str]]] | None = None

    def session(self) -> SearchSession:
        """This thread's session on the live generation."""
        live = current_generation(self.directory)
        opened: SearchSession | None = getattr(self._local, "session", None)
        if opened is None or live is None or opened.opened.generation != live:
            if opened is not None:
                opened.close()  # this thread's last request on it has finished
            opened = session(self.index, self.on_build)
            self._local.session = opened
        return opened

    def search(
        self,
        query: str = "",
        filters: Filters | None = None,
        options: SearchOptions = DEFAULT_OPTIONS,
    ) -> Results:
        """As `search()`, with the options of `SearchSession.search`."""
        return self._run(lambda opened: opened.search(query, filters, options))

    def facets(self, query: str = "", filters: Filters | None = None) -> Results:
        """As `facets()`: the counts, no hits."""
        return self._run(lambda opened: opened.search(query, filters, COUNTS))

    def show(self, chunk_id: str) -> Chunk:
        """As `show()`: the whole chunk, or LookupError."""
        return self._run(lambda opened: show_chunk(opened.opened, chunk_id))

    def stats(self) -> IndexStats:
        return self._run(index_stats)

    def check(self) -> None:
        """Open this thread's session, or raise IndexProblem: what a server does before
        it takes its port, so that a damaged index is said at once."""
        self._run(lambda opened: None)

    def facet_names(self) -> dict[str, dict[str, str]]:
        """Each facet value's display name from the taxonomy the index was built with
        ("artificial-intelligence": "Artificial intelligence"), for a page to show; read
        once a generation."""
        generation = self.session().opened.generation
        known = self._names
        if known is None or known[0] != generation:
            known = (generation, read_vocabulary(generation))
            self._names = known
        return known[1]

    def _run(self, work: Callable[[SearchSession], Outcome]) -> Outcome:
        return _with_session(self.index, self.on_build, work, opened_by=self.session)


def build(
    paths: Iterable[str | Path] | None = None,
    index: str | Path | None = None,
    rebuild: bool = False,
    taxonomy: str | Path | None = None,
    url_pattern: str | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[], None] | None = None,
    max_file_mb: float | None = None,
    delay: float | None = None,
    timeout: float | None = None,
    max_pages: int | None = None,
    allow_hosts: Iterable[str] | None = None,
    on_fetch: OnFetch | None = None,
) -> BuildReport:
    """Add or refresh `paths` in the index, keeping its other sources; with none, refresh
    every source it remembers (a new index: the bundled corpus).

    A path is a file or folder of pages, or a web address (http or https): a sitemap, a
    sitemap index, an RSS or Atom feed, or one page. A site is fetched politely
    (robots.txt obeyed, one request at a time, `delay` seconds apart, 1 by default, or
    robots.txt's Crawl-delay when longer), only on its own host and `allow_hosts`, at
    most `max_pages` pages a run, each answer within `timeout` seconds (30 by default);
    a refresh asks conditionally, and a rebuild asks nothing (it re-indexes the copies
    kept beside the index). `on_fetch` is told how a fetch stands after each page.

    `url_pattern` gives the pages of `paths` that name no address of their own one, made
    from their file name (see the README). `max_file_mb` is the largest page read (20
    MiB by default; a larger one is named and skipped). They and `allow_hosts` are
    remembered with the sources of `paths`.
    """
    from dwsearch.index.builder import CrawlSettings, build_index
    from dwsearch.ingest.pages import check_url_pattern

    if url_pattern is not None:
        try:
            check_url_pattern(url_pattern)
        except ValueError as error:
            raise BadValue(str(error)) from None
    max_bytes = None if max_file_mb is None else file_size_limit(max_file_mb)
    crawl = CrawlSettings()
    if delay is not None:
        crawl = replace(crawl, delay=_within("delay", delay, 0, MAX_DELAY))
    if timeout is not None:
        seconds = _within("timeout", timeout, 0, MAX_TIMEOUT, above=True)
        crawl = replace(crawl, read_timeout=seconds, connect_timeout=min(seconds, 10.0))
    if max_pages is not None:
        crawl = replace(crawl, max_pages=int(_within("max_pages", max_pages, 1, MAX_PAGES)))
    hosts = None if allow_hosts is None else [_host(h) for h in allow_hosts]
    index_dir, _ = resolve_index_dir(index)
    return build_index(
        index_dir,
        [_source(p) for p in paths or []],
        rebuild=rebuild,
        taxonomy_path=Path(taxonomy) if taxonomy else None,
        url_pattern=url_pattern,
        progress=progress,
        on_wait=on_wait,
        max_bytes=max_bytes,
        crawl=crawl,
        allow_hosts=hosts or None,
        on_fetch=on_fetch,
    )


def _source(given: str | Path) -> str | Path:
    """A source as given: a web address stays text, anything else is a path."""
    text = str(given)
    if text[:8].lower() == "https://" or text[:7].lower() == "http://":
        if not urlsplit(text).hostname:
            raise BadValue("is a web address without a host", "paths", text)
        return text
    return Path(given)


def _host(name: str) -> str:
    host = name.strip().lower()
    if not host or "/" in host or " " in host:
        raise BadValue("must be a host name, such as dig.watch", "allow_hosts", name)
    return host


def _within(field: str, value: float, low: float, high: float, above: bool = False) -> float:
    """A number given for `field`, checked: at least `low` (above it, with `above`) and
    at most `high`."""
    if value != value or value > high or value < low or (above and value == low):
        bound = "above" if above else "at least"
        raise BadValue(f"must be a number {bound} {low:g} and at most {high:g}", field, value)
    return value


def file_size_limit(max_file_mb: float) -> int:
    """`max_file_mb` MiB in whole bytes, at least one: the one reading of a size cap, for
    building and chunking alike. A BadValue unless it is above 0 and at most MAX_FILE_MB.
    """
    if not 0 < max_file_mb <= MAX_FILE_MB:
        raise BadValue(
            f"must be a number of MiB above 0 and at most {MAX_FILE_MB}", "max_file_mb", max_file_mb
        )
    return max(1, int(max_file_mb * MIB))


def remove(
    paths: Iterable[str | Path],
    index: str | Path | None = None,
    on_wait: Callable[[], None] | None = None,
) -> BuildReport:
    """Drop sources from the index: a file or folder it was built from, or one page of
    such a folder (which later refreshes then leave out)."""
    from dwsearch.index.builder import remove_from_index

    index_dir, _ = resolve_index_dir(index)
    return remove_from_index(index_dir, [_source(p) for p in paths], on_wait)


@dataclass(frozen=True)
class SourceSummary:
    """One file or folder an index was built from, and what the index holds of it."""

    path: str
    url_pattern: str
    pages: int
    chunks: int
    excluded: tuple[str, ...]
    max_file_mb: float | None = None  # None: the default limit
    fetched: float | None = None  # a web source: when it was last fetched (Unix time)
    allow_hosts: tuple[str, ...] = ()  # a web source: the other hosts followed
    left: int = 0  # a web source: pages it lists that a bounded build left for a later one


def sources(
    index: str | Path | None = None, on_build: OnBuild | None = None
) -> list[SourceSummary]:
    """The files and folders the index remembers, with its pages and chunks of each."""
    opened = open_index(index, on_build)
    entries = read_sources(opened.generation)
    from dwsearch.ingest.web.store import PageStore  # declared deferred: not a search's

    store = PageStore(opened.generation.parent)
    fetched, left = store.fetched_at(), store.left()
    summaries = []
    for root in opened.manifest.roots:
        mine = [e for e in entries.values() if e.get("root") == root.path]
        summaries.append(
            SourceSummary(
                path=root.path,
                url_pattern=root.url_pattern,
                pages=len(mine),
                chunks=sum(int(e.get("chunks", 0)) for e in mine),
                excluded=tuple(root.exclude),
                max_file_mb=root.max_bytes / MIB if root.max_bytes else None,
                fetched=fetched.get(root.path),
                allow_hosts=tuple(root.allow_hosts),
                left=len(left.get(root.path, set()) - set(root.exclude)),
            )
        )
    return summaries


def chunks(
    paths: Iterable[str | Path] | None = None,
    taxonomy: str | Path | None = None,
    max_file_mb: float | None = None,
) -> Iterator[Chunk | IngestError]:
    """The chunks ingestion makes of pages (default: the bundled corpus), not indexed.

    A file that cannot be read (or larger than `max_file_mb` MiB, 20 by default) yields
    its IngestError and the others go on. A taxonomy that cannot be read, or a limit
    that is no positive number, raises ValueError before anything is read.
    """
    from dwsearch.ingest.pages import DEFAULT_MAX_BYTES, chunk_paths, load_taxonomy

    max_bytes = DEFAULT_MAX_BYTES if max_file_mb is None else file_size_limit(max_file_mb)
    vocabulary = load_taxonomy(taxonomy)
    return chunk_paths(list(paths or []) or [bundled_corpus()], vocabulary, max_bytes=max_bytes)


def export(
    out: str | Path,
    index: str | Path | None = None,
    format: str = "opensearch",
    name: str = DEFAULT_EXPORT_NAME,
    file_mb: float = DEFAULT_EXPORT_FILE_MB,
    on_build: OnBuild | None = None,
) -> ExportReport:
    """The index's chunks as another search engine loads them, written into the folder
    `out` (new, empty, or an earlier export's). For "opensearch": `mapping.json` (the
    index's analysis, BM25 and fields), NDJSON bulk files of at most `file_mb` MiB
    each, to load into the index `name`, and `load.sh`, the curls that load them."""
    from .export import ExportError, check_request, write_export  # declared deferred

    if format not in EXPORT_FORMATS:
        raise ExportError(
            f"must be one of {', '.join(EXPORT_FORMATS)}", "format", format, EXPORT_FORMATS
        )
    check_request(out, name, file_mb)
    return _with_session(index, on_build, lambda opened: write_export(opened, out, name, file_mb))


def evaluate(collection: str | Path, limit: int = 100, feedback: bool = False) -> Evaluation:
    """nDCG@10, MAP@100, MRR@10 and Recall@100 of the default search on a judged collection
    (with `feedback`, of the search with RM3 feedback)."""
    from .evaluate import evaluate as run_evaluation  # declared deferred

    return run_evaluation(collection, limit, feedback)
