"""Reading a file whole, safely: every stage reads some (a taxonomy, an index's manifest),
and none may be a device that never ends or a file of gigabytes."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def read_bounded(path: Path, limit: int) -> bytes:
    """A regular file's bytes, if it has at most `limit`: OSError if it cannot be read,
    ValueError if it is no regular file (a device, a FIFO: opened without blocking) or
    larger."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise ValueError("not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit:,} bytes")
    return data
