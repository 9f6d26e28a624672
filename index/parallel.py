"""A full build on every core: each worker process writes a Whoosh segment of its own.

Whoosh's own multiprocess writer pickles every document to its workers and merges their
segments at the end, which measured no faster on two cores. Here each worker reads,
chunks and indexes whole files into its own index folder; the parent then moves the
segment files into the new generation and lists them all in one table of contents. No
document crosses a process boundary, and nothing is merged.

Workers are forked with the list of files already in memory, and take the next file by
a shared counter, so nothing but small reports travels through a pipe. They ignore
Ctrl-C (the parent decides), and the kernel kills them when the parent dies, however it
dies; the parent also kills them itself before it lets an interruption through.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from . import whoosh_internals
from .children import die_with_parent
from .facetmap import SEGMENT_MAP, write_segment_facetmaps
from .location import IndexProblem
from .postings import SEGMENT_POSTINGS
from .schema import build_schema
from .segments import SegmentWriter
from .stored import STORED_FILE

# Below this many files a single process is as fast, without the start-up.
PARALLEL_FROM_FILES = 200
# More processes than this measured no faster: the parent's own work is then the limit.
MAX_WORKERS = 4
# What a worker leaves in its folder for the generation: segments and the files beside them.
_SEGMENT_FILES = (
    "MAIN_*",
    SEGMENT_POSTINGS.format("*"),
    SEGMENT_MAP.format("*"),
    STORED_FILE.format("*"),
)


@dataclass
class PartResult:
    """What one worker indexed, or the error that stopped it."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # key -> message naming the file
    error: str | None = None


# key, and a function that indexes that file into a writer and returns its entry (or
# raises the error that names it)
Task = tuple[str, Callable[[SegmentWriter], dict[str, Any]]]


def workers_for(file_count: int) -> int:
    """How many worker processes a build of this many files should use (1: none)."""
    if (
        file_count < PARALLEL_FROM_FILES
        or "fork" not in multiprocessing.get_all_start_methods()
        or not whoosh_internals.can_write_segments()  # one TOC lists them, by private API
    ):
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _work(
    part: Path,
    tasks: list[Task],
    next_task: Any,
    events: Any,
    parent: int,
    expected_errors: tuple[type[BaseException], ...],
) -> None:
    """One worker: index files from `tasks` into `part`, reporting each one on `events`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked since the fork
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)
    gc.disable()  # this process only builds, then exits (see segments.collection_paused)
    result = PartResult()
    try:
        writer = SegmentWriter(str(part), build_schema())
        while True:
            with next_task.get_lock():
                number = next_task.value
                next_task.value += 1
            if number >= len(tasks):
                break
            if os.getppid() != parent:  # the parent is gone: stop, write nothing
                os._exit(1)
            key, index_file = tasks[number]
            try:
                result.entries[key] = index_file(writer)
            except expected_errors as error:
                result.failed[key] = str(error)
            events.put(("done", key))
        writer.commit()
        # Worked out here, on this core, rather than by the parent after every worker.
        write_segment_facetmaps(whoosh_index.open_dir(str(part)), part)
    except BaseException as error:  # reported to the parent, which fails the build
        result.error = f"{type(error).__name__}: {error}"
    events.put(("result", result))
    events.close()
    events.join_thread()


def build_parts(
    building: Path,
    tasks: list[Task],
    workers: int,
    progress: Callable[[int, int], None] | None,
    expected_errors: tuple[type[BaseException], ...],
) -> PartResult:
    """Index `tasks` into `building` with `workers` processes; one combined result.

    An interruption (Ctrl-C, or any error) kills every worker before it goes on up.
    """
    context = multiprocessing.get_context("fork")
    next_task = context.Value("q", 0)
    events = context.Queue()
    parts = [building / f"part-{n}" for n in range(workers)]
    processes = []
    combined = PartResult()
    try:
        for part in parts:
            part.mkdir()
            process = context.Process(
                target=_work,
                args=(part, tasks, next_task, events, os.getpid(), expected_errors),
                daemon=True,
            )
            # Born with Ctrl-C blocked, so one pressed while it starts cannot stop it
            # before it ignores Ctrl-C; the parent gets its own as soon as it unblocks.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                process.start()
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            processes.append(process)
        done = finished = 0
        while finished < len(processes):
            try:
                kind, payload = events.get(timeout=0.5)
            except queue.Empty:
                if not any(p.is_alive() for p in processes):
                    raise IndexProblem(
                        "a build worker stopped without a word; the index was not changed"
                    ) from None
                continue
            if kind == "done":
                done += 1
                if progress:
                    progress(done, len(tasks))
                continue
            finished += 1
            if payload.error:
                raise IndexProblem(
                    f"a build worker failed ({payload.error}); the index was not changed"
                )
            combined.entries.update(payload.entries)
            combined.failed.update(payload.failed)
        for process in processes:
            process.join()
    except BaseException:
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(timeout=1)
        events.cancel_join_thread()
        raise

    # One generation, listing every worker's segment; nothing merged, nothing copied.
    schema = build_schema()
    whoosh_index.create_in(str(building), schema)
    segments = []
    for part in parts:
        segments += whoosh_internals.segments_of(str(part))
        for path in part.iterdir():
            if "LOCK" not in path.name and any(
                fnmatch(path.name, pattern) for pattern in _SEGMENT_FILES
            ):
                path.rename(building / path.name)
        shutil.rmtree(part)
    whoosh_internals.write_toc(str(building), schema, segments)
    return combined
