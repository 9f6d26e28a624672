"""Reading a file whole, safely: every stage reads some (a taxonomy, an index's manifest),
and none may be a device that never ends or a file of gigabytes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MIB = 1024 * 1024  # a mebibyte: the unit size caps are given in


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


def size_label(count: int) -> str:
    """A number of bytes as a person reads it: `104 bytes`, `1.5 KiB`, `20 MiB` (binary
    units, one decimal at most), so that a size cap of any magnitude prints plainly."""
    if count < 1024:
        return "1 byte" if count == 1 else f"{count} bytes"
    value, unit = count / 1024, "KiB"
    for larger in ("MiB", "GiB", "TiB"):
        if round(value, 1) < 1024:  # 1023.96 KiB would print as 1024 KiB: 1 MiB it is
            break
        value, unit = value / 1024, larger
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"
