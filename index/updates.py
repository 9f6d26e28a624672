"""Writing a generation's pages: all of them anew, or an update of the live one, and the
merge policy that keeps an updated index as a fresh build of it would be.

A full build writes segments directly (on several cores when there are many pages); an
update starts from the live generation's files and goes through Whoosh's writer, which
deletes. A page that cannot be read now keeps what the index had of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.query import Term

from dwsearch.ingest.pages import IngestError, Taxonomy, chunk_source
from dwsearch.ingest.sources import read_source

from . import whoosh_internals
from .documents import chunk_document, stored_chunk
from .parallel import Task, build_parts, workers_for
from .report import BuildReport
from .scan import Entries, Found, Plan
from .schema import build_schema
from .segments import SegmentWriter, collection_paused
from .sites import page_indexer as fetched_page_indexer
from .sourceset import read_limit
from .stored import StoredFields, write_segment_stored

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MergePolicy:
    """When an update rewrites or merges segments.

    Deleted chunks neither take space nor weigh on the statistics ranking reads once
    their segment is rewritten; few segments keep searches quick; and a one-page update
    must not re-index a large part of a million chunks.
    """

    # A segment is rewritten once this share of its documents is deleted.
    purge_share: float = 0.10
    # Past this many small segments, the two smallest are merged.
    max_small_segments: int = 10
    # Segments of at least this many chunks (a full build writes up to 60,000 to one)
    # are never merged, only rewritten when their deleted share passes `purge_share`.
    large_segment: int = 5_000
    # An update that would index at least this share of the pages the index is to hold,
    # and at least `afresh_from_pages` of them, builds the index afresh instead: through
    # Whoosh's writer a page costs six to eight times what a full build spends on it
    # (1,000 synthetic pages added to 1,000: 26.8 s, the first 1,000 built: 4.3 s; 25,000
    # added to 25,000: 698 s, against 89 s for the first 25,000).
    afresh_share: float = 0.25
    afresh_from_pages: int = 200

    def builds_afresh(self, to_index: int, pages: int) -> bool:
        """Whether indexing `to_index` pages of an index of `pages` is a full build's
        work rather than an update's."""
        return to_index >= self.afresh_from_pages and to_index >= self.afresh_share * pages

    def __call__(self, writer: Any, segments: list[Any]) -> list[Any]:
        """Whoosh's merge-policy call: reindex what to rewrite, return what stays.

        Whoosh's MERGE_SMALL would merge most of a large index's segments on its first
        update (of 1,000,000 chunks in 30,000-chunk segments, 700,000 re-indexed for one
        page). And Whoosh's merge copies each document's length as stored, quantised to a
        byte, so a merged index sums lengths that a fresh build sums exactly. Re-indexing
        the live chunks from their stored fields leaves what a fresh build would hold.
        """
        to_rewrite = {
            id(s) for s in segments if s.deleted_count() > self.purge_share * s.doc_count_all()
        }
        small = sorted(
            (
                s
                for s in segments
                if id(s) not in to_rewrite and s.doc_count_all() < self.large_segment
            ),
            key=lambda s: s.doc_count_all(),
        )
        if len(small) > self.max_small_segments:
            to_rewrite |= {id(s) for s in small[:2]}
        for segment in segments:
            if id(segment) in to_rewrite:
                _reindex_segment(writer, segment)
        return [s for s in segments if id(s) not in to_rewrite]


DEFAULT_POLICY = MergePolicy()


def _reindex_segment(writer: Any, segment: Any) -> None:
    """Add a segment's live chunks to `writer` again, from their stored fields."""
    with whoosh_internals.segment_reader(writer, segment) as reader:
        order = reader.column_reader("order")
        stored = StoredFields(reader, Path(writer.storage.folder))
        for docnum in reader.all_doc_ids():
            fields = stored(docnum)
            position = int(bytes(order[docnum]).rpartition(b"\x00")[2] or 0)
            document = chunk_document(stored_chunk(fields), position, fields.get("origin", ""))
            writer.add_document(**document)


def writer_of(folder: Path, limitmb: int = 64) -> Any:
    """Whoosh's writer of the index in `folder`, on one process."""
    codec = whoosh_internals.writing_codec(stored=write_segment_stored)
    return whoosh_internals.open_index(str(folder)).writer(limitmb=limitmb, procs=1, codec=codec)


def page_indexer(key: str, found: Found, taxonomy: Taxonomy) -> Callable[[Any], dict[str, Any]]:
    """A function that indexes one page file into a writer and returns its entry."""
    if found.fetched:
        return fetched_page_indexer(key, found, taxonomy)

    def index_file(writer: Any) -> dict[str, Any]:
        try:
            info = found.source.path.stat()
        except OSError as error:
            raise IngestError(
                f"{found.source.relative}: cannot read ({error.strerror or error})"
            ) from None
        data = read_source(found.source, read_limit(found.root))
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


def write_fresh(
    building: Path,
    plan: Plan,
    taxonomy: Taxonomy,
    live_generation: Path | None,
    held: Entries,
    report: BuildReport,
    progress: Progress | None,
    changed: Collection[str] | None = None,
) -> Entries:
    """Every page file written anew: on several cores, or directly in this process. The
    pages `held` by the live generation that cannot be read now are carried over from
    it (`live_generation`: None when it cannot be read). Where an update was asked and
    built afresh, `changed` are the pages it would have indexed: the others held are
    reported unchanged, not updated."""
    scan, to_index, kept = plan.scan, plan.to_index, set(plan.kept)
    tasks: list[Task] = [(k, page_indexer(k, scan.found[k], taxonomy)) for k in to_index]
    workers = workers_for(len(tasks))
    if workers > 1:
        result = build_parts(building, tasks, workers, progress, (IngestError,))
        entries, failed = result.entries, result.failed
    else:
        entries, failed = _write_here(building, tasks, progress)
    for key in to_index:
        found = scan.found[key]
        if key in failed:
            scan.failed[key] = (found.root, found.source.relative, failed[key])
            report.of(found.root.path).failed.append(failed[key])
        elif key in held and changed is not None and key not in changed:
            report.of(found.root.path).unchanged += 1
        elif key in held:
            report.of(found.root.path).updated.append(found.source.relative)
        else:
            report.of(found.root.path).added.append(found.source.relative)
    kept |= {k for k in failed if k in held}
    carried = sorted(kept) if live_generation is not None else []
    if carried:
        writer = writer_of(building)
        for key in carried:
            entries[key] = dict(held[key])
            entries[key]["chunks"] = _carry_over(live_generation, key, writer)  # type: ignore[arg-type]
        writer.commit(merge=False)
    return entries


def _write_here(
    building: Path, tasks: list[Task], progress: Progress | None
) -> tuple[Entries, dict[str, str]]:
    """The tasks' pages written into one segment by this process."""
    entries: Entries = {}
    failed: dict[str, str] = {}
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
    return entries, failed


def write_update(
    building: Path,
    plan: Plan,
    taxonomy: Taxonomy,
    live_generation: Path,
    held: Entries,
    report: BuildReport,
    policy: MergePolicy,
) -> Entries:
    """The live generation's files (already linked into `building`), with removed and
    changed pages deleted and changed ones re-added through Whoosh's writer."""
    scan, to_index, to_remove = plan.scan, plan.to_index, plan.to_remove
    entries = {k: v for k, v in held.items() if k not in to_remove}
    for key, found in scan.found.items():
        entry = entries.get(key)
        if entry is None:
            continue
        if entry.get("root") != found.root.path:  # now under a root that took over its own
            entries[key] = entry = dict(entry, root=found.root.path)
        if found.info is not None and entry.get("hash") == found.digest:
            # Read because its time or size changed, but the same: recorded as it is now,
            # so that the next scan need not read it again.
            entries[key] = dict(entry, size=found.info.st_size, mtime=found.info.st_mtime_ns)
    writer = writer_of(building, limitmb=128)
    try:
        for key in to_remove:
            writer.delete_by_term("origin", key)
        for key in to_index:
            found = scan.found[key]
            if key in held:
                writer.delete_by_term("origin", key)
            try:
                entries[key] = page_indexer(key, found, taxonomy)(writer)
            except IngestError as error:  # changed, then unreadable: keep the old one
                report.of(found.root.path).failed.append(str(error))
                if key in held:
                    _carry_over(live_generation, key, writer)
                continue
            place = report.of(found.root.path)
            (place.updated if key in held else place.added).append(found.source.relative)
        writer.commit(mergetype=policy)
    except BaseException:
        writer.cancel()
        raise
    return entries


def delete_pages(building: Path, keys: list[str], policy: MergePolicy) -> None:
    """Delete these pages' chunks from the generation in `building`."""
    writer = writer_of(building)
    try:
        for key in keys:
            writer.delete_by_term("origin", key)
        writer.commit(mergetype=policy)
    except BaseException:
        writer.cancel()
        raise


def _carry_over(live: Path, key: str, writer: Any) -> int:
    """Copy what the live generation holds of one page file into `writer`."""
    kept = 0
    try:
        old_ix = whoosh_index.open_dir(str(live))
    except Exception:  # Whoosh raises many kinds on a damaged folder
        return 0
    with old_ix.searcher() as searcher:
        stored = StoredFields(searcher.reader(), live)
        for docnum in searcher.docs_for_query(Term("origin", key)):
            fields = stored(docnum)
            writer.add_document(**chunk_document(stored_chunk(fields), kept, key))
            kept += 1
    return kept
