"""Building and updating an index from source files, safely.

Only new, changed or removed files are re-indexed (by content hash). Every build writes
a new generation beside the live one and publishes it atomically; a failed, killed or
interrupted build leaves the live index as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from whoosh import index as whoosh_index
from whoosh.query import Term

from dwsearch.ingest import Chunk, bundled_corpus
from dwsearch.ingest.pages import (
    IngestError,
    Source,
    Taxonomy,
    chunk_source,
    find_sources,
    load_taxonomy,
)
from dwsearch.ingest.vocabulary import facet_vocabulary

from . import whoosh_internals
from .documents import chunk_document, stored_chunk
from .facetmap import FACETMAP, write_facetmap
from .location import (
    BUNDLED,
    LOCK,
    MANIFEST,
    IndexProblem,
    Manifest,
    corpus_hash,
    current_generation,
    new_building_dir,
    publish,
    read_manifest,
    remove_stale,
    write_vocabulary,
)
from .parallel import build_parts, workers_for
from .schema import build_schema, schema_version
from .segments import SegmentWriter, collection_paused

Progress = Callable[[int, int], None]


class IndexBusy(IndexProblem):
    """Another build holds the index."""


@dataclass
class BuildReport:
    """What a build did, file by file, for the CLI to report."""

    index_dir: Path
    rebuilt: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)  # one message per file, naming it
    chunks: int = 0
    seconds: float = 0.0
    published: bool = False


def _root_names(roots: list[Path] | None) -> list[str]:
    return [BUNDLED] if roots is None else [str(Path(r).resolve()) for r in roots]


def build_index(
    index_dir: Path,
    roots: list[Path] | None = None,
    rebuild: bool = False,
    taxonomy_path: Path | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[], None] | None = None,
    lock_timeout: float = 600.0,
) -> BuildReport:
    """Index the pages under `roots` (default: the bundled corpus) into `index_dir`."""
    for root in roots or []:
        if not Path(root).exists():
            raise IndexProblem(f"{root}: no such file or folder; the index was not changed")
    with _build_lock(index_dir, on_wait, lock_timeout):
        return _build_locked(index_dir, roots, rebuild, taxonomy_path, progress)


@contextmanager
def _build_lock(
    index_dir: Path, on_wait: Callable[[], None] | None, timeout: float
) -> Iterator[None]:
    """One build at a time per index: a second one waits, then gives up clearly."""
    index_dir.mkdir(parents=True, exist_ok=True)
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


def build_from_chunks(index_dir: Path, chunks: Iterable[Chunk], label: str) -> BuildReport:
    """A fresh index of chunks that come from no page file (a test collection, say)."""
    whoosh_index = _whoosh_for_writing()

    started = time.perf_counter()
    report = BuildReport(index_dir, rebuilt=True)
    with _build_lock(index_dir, None, 0), _new_generation(index_dir) as building:
        writer = SegmentWriter(str(building), build_schema())
        digest = hashlib.sha256()
        for position, chunk in enumerate(chunks):
            writer.add_document(**chunk_document(chunk, position))
            digest.update(chunk.id.encode())
            report.chunks += 1
        writer.commit()
        write_facetmap(whoosh_index.open_dir(str(building)), building)
        write_vocabulary(building, {})  # a collection's values are their own names
        manifest = Manifest(
            schema_version=schema_version(),
            taxonomy_digest="",
            corpus_hash=digest.hexdigest()[:16],
            built_at=time.time(),
            roots=[label],
            sources={label: {"hash": digest.hexdigest(), "chunks": report.chunks}},
        )
        _publish(index_dir, building, manifest, report)
    report.seconds = time.perf_counter() - started
    return report


def _build_locked(
    index_dir: Path,
    roots: list[Path] | None,
    rebuild: bool,
    taxonomy_path: Path | None,
    progress: Progress | None,
) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport(index_dir)
    taxonomy = load_taxonomy(taxonomy_path)
    version = schema_version()
    try:
        live = current_generation(index_dir)
    except IndexProblem:
        live = None  # a damaged index is simply rebuilt
    remove_stale(index_dir, keep=live)
    previous: Manifest | None = None
    if live is not None:
        try:
            previous = read_manifest(live)
        except IndexProblem:
            previous = None  # a damaged index is simply rebuilt
    incremental = (
        not rebuild
        and previous is not None
        and previous.schema_version == version
        and previous.taxonomy_digest == taxonomy.digest
    )
    report.rebuilt = not incremental

    # Read and hash every source; unreadable ones keep whatever the index had of them.
    sources: dict[str, tuple[Source, bytes, str]] = {}
    for found in find_sources(roots if roots is not None else [bundled_corpus()]):
        if isinstance(found, IngestError):
            report.failed.append(str(found))
            continue
        if found.relative in sources:
            report.failed.append(f"{found.relative}: more than one file has this name; skipped")
            continue
        try:
            data = found.path.read_bytes()
        except OSError as error:
            report.failed.append(f"{found.relative}: cannot read ({error.strerror})")
            continue
        sources[found.relative] = (found, data, hashlib.sha256(data).hexdigest())

    old = previous.sources if previous else {}
    to_index = [
        name
        for name in sources
        if not incremental or old.get(name, {}).get("hash") != sources[name][2]
    ]
    to_remove = [name for name in old if name not in sources] if incremental else []
    if incremental and not to_index and not to_remove and previous.roots == _root_names(roots):
        report.unchanged = len(sources)
        report.chunks = sum(entry.get("chunks", 0) for entry in old.values())
        report.seconds = time.perf_counter() - started
        return report

    with _new_generation(index_dir) as building:
        manifest = _write_generation(
            building, live, incremental, previous, sources, to_index, to_remove,
            taxonomy, version, report, progress,
        )  # fmt: skip
        manifest.roots = _root_names(roots)
        _publish(index_dir, building, manifest, report)
    report.seconds = time.perf_counter() - started
    return report


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
    (building / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    publish(index_dir, building)
    report.published = True


def _whoosh_for_writing() -> Any:
    whoosh_internals.apply_reader_fix()
    return whoosh_index


def _write_generation(
    building: Path,
    live: Path | None,
    incremental: bool,
    previous: Manifest | None,
    sources: dict[str, tuple[Source, bytes, str]],
    to_index: list[str],
    to_remove: list[str],
    taxonomy: Taxonomy,
    version: str,
    report: BuildReport,
    progress: Progress | None,
) -> Manifest:
    whoosh_index = _whoosh_for_writing()
    old_entries = previous.sources if previous else {}
    entries: dict[str, dict[str, object]] = {}
    if incremental and live is not None:
        _link_generation(live, building)
        ix = whoosh_index.open_dir(str(building))
        entries = {k: v for k, v in old_entries.items() if k not in to_remove}
    else:
        workers = workers_for(len(to_index))
        if workers > 1:
            return _write_in_parallel(
                building, live, previous, sources, to_index, taxonomy, version, report,
                progress, workers,
            )  # fmt: skip
        ix = None

    # A fresh index is written directly; an update goes through Whoosh, which deletes.
    writer = (
        ix.writer(limitmb=128, procs=1)
        if ix is not None
        else SegmentWriter(str(building), build_schema())
    )
    with collection_paused() if ix is None else nullcontext():
        try:
            for name in to_remove:
                writer.delete_by_term("source", name)
                report.removed.append(name)
            for done, name in enumerate(to_index, start=1):
                source, data, digest = sources[name]
                try:
                    chunks = chunk_source(source, taxonomy, data)
                except IngestError as error:
                    report.failed.append(str(error))
                    if not incremental and name in old_entries and live is not None:
                        # A rebuild keeps what the old index had of a file that is now unreadable.
                        kept = _carry_over(live, name, writer)
                        entries[name] = dict(old_entries[name], chunks=kept)
                    if progress:
                        progress(done, len(to_index))
                    continue
                if incremental:
                    writer.delete_by_term("source", name)
                for position, chunk in enumerate(chunks):
                    writer.add_document(**chunk_document(chunk, position))
                (report.updated if name in old_entries else report.added).append(name)
                entries[name] = {"hash": digest, "chunks": len(chunks)}
                if progress:
                    progress(done, len(to_index))
            if not incremental and live is not None:
                for name in old_entries:
                    if name not in sources and name not in entries:
                        report.removed.append(name)
            report.unchanged = len(sources) - len(to_index) if incremental else 0
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
    return _finish_generation(building, entries, taxonomy, version, report)


def _finish_generation(
    building: Path,
    entries: dict[str, dict[str, object]],
    taxonomy: Taxonomy,
    version: str,
    report: BuildReport,
) -> Manifest:
    """The facet bitmaps and vocabulary of a written generation, and its manifest."""
    write_facetmap(_whoosh_for_writing().open_dir(str(building)), building)
    write_vocabulary(building, facet_vocabulary(taxonomy))
    report.chunks = sum(int(str(entry.get("chunks", 0))) for entry in entries.values())
    hashes = {name: str(entry.get("hash", "")) for name, entry in entries.items()}
    return Manifest(
        schema_version=version,
        taxonomy_digest=taxonomy.digest,
        corpus_hash=corpus_hash(hashes),
        built_at=time.time(),
        roots=[],
        sources=entries,
    )


def _write_in_parallel(
    building: Path,
    live: Path | None,
    previous: Manifest | None,
    sources: dict[str, tuple[Source, bytes, str]],
    to_index: list[str],
    taxonomy: Taxonomy,
    version: str,
    report: BuildReport,
    progress: Progress | None,
    workers: int,
) -> Manifest:
    """A full build on several cores; what a serial build would report, and the same index."""
    whoosh_index = _whoosh_for_writing()
    result = build_parts(building, [sources[n] for n in to_index], taxonomy, workers, progress)
    old_entries = previous.sources if previous else {}
    entries = dict(result.entries)
    report.failed += result.failed
    kept = [name for name in old_entries if name in sources and name not in entries and live]
    if kept:
        # A rebuild keeps what the old index had of a file that is now unreadable.
        ix = whoosh_index.open_dir(str(building))
        writer = ix.writer(limitmb=64, procs=1)
        for name in kept:
            entries[name] = dict(old_entries[name], chunks=_carry_over(live, name, writer))
        writer.commit(merge=False)
    for name in to_index:
        if name in result.entries:
            (report.updated if name in old_entries else report.added).append(name)
    report.removed += [n for n in old_entries if n not in sources and n not in entries]
    return _finish_generation(building, entries, taxonomy, version, report)


def _link_generation(live: Path, building: Path) -> None:
    """Start the new generation from the live one's files.

    Whoosh never changes a segment file once written (new segments and tables of
    contents are new files), so hard links share them safely and make an update cost
    nothing per unchanged byte; copies stand in where links cannot be made.
    """
    for path in live.iterdir():
        # The manifest and facet bitmaps are written anew; Whoosh makes its own lock.
        if path.name in (MANIFEST, FACETMAP) or "LOCK" in path.name or not path.is_file():
            continue
        target = building / path.name
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def _carry_over(live: Path, name: str, writer: object) -> int:
    kept = 0
    try:
        old_ix = whoosh_index.open_dir(str(live))
    except Exception:
        return 0
    with old_ix.searcher() as searcher:
        for docnum in searcher.docs_for_query(Term("source", name)):
            fields = searcher.stored_fields(docnum)
            writer.add_document(**chunk_document(stored_chunk(fields), kept))  # type: ignore[attr-defined]
            kept += 1
    return kept
