"""One build at a time per index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .location import LOCK, IndexProblem, claim_index_dir


class IndexBusy(IndexProblem):
    """Another build holds the index."""


@contextmanager
def build_lock(
    index_dir: Path, on_wait: Callable[[], None] | None, timeout: float
) -> Iterator[None]:
    """Hold the index's build lock: a second build waits, then gives up clearly."""
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
