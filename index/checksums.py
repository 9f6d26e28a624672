"""A generation's files are what its build wrote: each one's size, CRC-32 and
modification time, recorded in the manifest and checked when the index is opened (a
stat a file, and the checksum of any file written since) and by every build (every
byte)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
import zlib
from collections.abc import Container
from pathlib import Path

from .location import GENERATION_MARKER, MANIFEST, Manifest

# A file whose modification time is this recent is not vouched for by it: a write in
# the same tick of a coarse clock (or of a file system that keeps whole seconds) would
# leave it unchanged.
_SETTLED_NS = 2 * 10**9
_CLOCK_TICK_WAIT = 3.0  # seconds, at most: FAT keeps modification times to 2 s


def file_checksums(generation: Path, only: Container[str] | None = None) -> dict[str, list[int]]:
    """Each file of a generation (but the manifest; `only`: of these names): its size,
    CRC-32 and mtime.

    Returns once the file system's clock has moved past the newest of those mtimes, so
    that any later write to any of the files changes its mtime.
    """
    found = {}
    for path in sorted(generation.iterdir()):
        if (
            (only is None or path.name in only)
            and path.is_file()
            and path.name not in (MANIFEST, GENERATION_MARKER)
            and "LOCK" not in path.name
        ):
            size, checksum, stamp = _fingerprint(path)
            found[path.name] = [size, checksum, stamp or 0]
    newest = max((entry[2] for entry in found.values()), default=0)
    if _clock_past(generation, newest) is None:  # the mtimes vouch for nothing
        for entry in found.values():
            entry[2] = 0
    return found


def _fingerprint(path: Path) -> tuple[int, int, int | None]:
    """A file's size and CRC-32, and its mtime (ns) if the file was not written while
    it was read (None if it was)."""
    checksum = 0
    with path.open("rb") as handle:
        before = os.fstat(handle.fileno())
        while block := handle.read(2**20):
            checksum = zlib.crc32(block, checksum)
        after = os.fstat(handle.fileno())
    same = (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)
    return after.st_size, checksum, after.st_mtime_ns if same else None


def _clock_past(folder: Path, stamp: int) -> int | None:
    """The mtime a file written in `folder` now gets, once it is later than `stamp`;
    None if the file system's clock does not get there in a few seconds."""
    probe = folder / f".clock-{os.getpid()}"
    deadline = time.monotonic() + _CLOCK_TICK_WAIT
    while True:
        try:
            handle = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError:
            return None
        try:
            now = os.fstat(handle).st_mtime_ns
        finally:
            os.close(handle)
            probe.unlink()
        if now > stamp:
            return now
        if time.monotonic() > deadline:
            return None
        time.sleep(0.001)


def verify_generation(generation: Path, manifest: Manifest, thorough: bool) -> str | None:
    """What is wrong with a generation's files, or None when they are as written.

    Every file's size is checked. A file whose mtime is the one the manifest recorded
    has not been written since its checksum was taken; any other's checksum is verified
    (`thorough`, as a build does before it trusts an index it updates: every file's).
    So opening costs a stat a file, and damage written into a file of any size is seen.
    A file whose mtime changed but whose bytes did not (a copy of the index, say) has
    its new mtime recorded, so that the next check is cheap again.
    """
    refreshed: dict[str, list[int]] = {}
    for name, recorded in manifest.files.items():
        size, checksum, stamp = recorded[0], recorded[1], recorded[2] if len(recorded) > 2 else 0
        path = generation / name
        try:
            info = path.stat()
        except OSError:
            return f"{name} is missing"
        if info.st_size != size:
            return f"{name} has {info.st_size} bytes, not {size}"
        if stamp and info.st_mtime_ns == stamp and not thorough:
            continue
        _, actual, seen = _fingerprint(path)
        if actual != checksum:
            return f"{name} does not match its checksum"
        if seen is not None and seen != stamp and seen < time.time_ns() - _SETTLED_NS:
            refreshed[name] = [size, checksum, seen]
    if refreshed:
        _record_mtimes(generation, manifest, refreshed)
    return None


def _record_mtimes(generation: Path, manifest: Manifest, files: dict[str, list[int]]) -> None:
    """Rewrite the manifest with files' new mtimes, where the index can be written."""
    manifest.files.update(files)
    # Beside the generation, not in it: a leftover is never linked into the next one.
    writer = f"{os.getpid()}.{threading.get_ident()}.{time.time_ns()}"
    temporary = generation.parent / f".{MANIFEST}.{writer}"
    try:
        temporary.write_text(manifest.to_json(), encoding="utf-8")
        temporary.replace(generation / MANIFEST)
    except OSError:  # a read-only index is checked the slow way each time
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
