"""A full build on every core: each worker process writes a Whoosh segment of its own.

Whoosh's own multiprocess writer pickles every document to its workers and merges their
segments at the end, which measured no faster on two cores. Here each worker reads,
chunks and indexes whole files from a shared queue into its own index folder; the parent
then moves the segment files into the new generation and lists them all in one table of
contents. No document crosses a process boundary, and nothing is merged.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from dwsearch.ingest.pages import IngestError, Source, chunk_source

from . import whoosh_internals
from .documents import chunk_document
from .location import IndexProblem
from .schema import build_schema
from .segments import SegmentWriter

# Below this many files a single process is as fast, without the start-up.
PARALLEL_FROM_FILES = 200


@dataclass
class PartResult:
    """What one worker indexed, or the error that stopped it."""

    entries: dict[str, dict[str, object]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    error: str | None = None


def workers_for(file_count: int) -> int:
    """How many worker processes a build of this many files should use (1: none)."""
    if (
        file_count < PARALLEL_FROM_FILES
        or "fork" not in multiprocessing.get_all_start_methods()
        or not whoosh_internals.FAST  # segments are listed in one TOC by private API
    ):
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def _work(part: Path, tasks: Any, events: Any, taxonomy: Any, parent: int) -> None:
    """One worker: index files from `tasks` into `part`, reporting each one on `events`."""
    result = PartResult()
    gc.disable()  # this process only builds, then exits (see segments.collection_paused)
    try:
        writer = SegmentWriter(str(part), build_schema())
        while True:
            try:
                task = tasks.get(timeout=1)
            except queue.Empty:
                if os.getppid() != parent:  # the build was killed: stop, write nothing
                    writer.cancel()
                    events.cancel_join_thread()  # and do not wait to tell anyone
                    return
                continue
            if task is None:
                break
            source, data, digest = task
            try:
                chunks = chunk_source(source, taxonomy, data)
            except IngestError as error:
                result.failed.append(str(error))
            else:
                for position, chunk in enumerate(chunks):
                    writer.add_document(**chunk_document(chunk, position))
                result.entries[source.relative] = {"hash": digest, "chunks": len(chunks)}
            events.put(("done", source.relative))
        writer.commit()
    except BaseException as error:  # reported to the parent, which fails the build
        result.error = f"{type(error).__name__}: {error}"
    events.put(("result", result))


def build_parts(
    building: Path,
    items: list[tuple[Source, bytes, str]],
    taxonomy: Any,
    workers: int,
    progress: Any,
) -> PartResult:
    """Index `items` into `building` with `workers` processes; one combined result."""
    context = multiprocessing.get_context("fork")
    tasks, events = context.Queue(), context.Queue()
    parts = [building / f"part-{n}" for n in range(workers)]
    processes = []
    for part in parts:
        part.mkdir()
        process = context.Process(
            target=_work, args=(part, tasks, events, taxonomy, os.getpid()), daemon=True
        )
        process.start()
        processes.append(process)
    combined = PartResult()
    try:
        for item in items:
            tasks.put(item)
        for _ in processes:
            tasks.put(None)
        done = finished = 0
        while finished < len(processes):
            try:
                kind, payload = events.get(timeout=1)
            except queue.Empty:
                if not any(p.is_alive() for p in processes):
                    raise IndexProblem(
                        "a build worker stopped without a word; the index was not changed"
                    ) from None
                continue
            if kind == "done":
                done += 1
                if progress:
                    progress(done, len(items))
                continue
            finished += 1
            if payload.error:
                raise IndexProblem(
                    f"a build worker failed ({payload.error}); the index was not changed"
                )
            combined.entries.update(payload.entries)
            combined.failed += payload.failed
        for process in processes:
            process.join()
    except BaseException:
        for process in processes:
            process.kill()
        raise

    # One generation, listing every worker's segment; nothing merged, nothing copied.
    schema = build_schema()
    whoosh_index.create_in(str(building), schema)
    segments = []
    for part in parts:
        segments += whoosh_internals.segments_of(str(part))
        for path in part.iterdir():
            if path.name.startswith("MAIN_") and "LOCK" not in path.name:
                path.rename(building / path.name)
        shutil.rmtree(part)
    whoosh_internals.write_toc(str(building), schema, segments)
    return combined
