"""Finding, reading and decoding source files, so one bad file never stops the others.

Only regular files are read: a FIFO would block a build forever and a device such as
`/dev/zero` never ends. A link inside a folder is followed only to a file inside that
folder, and a file larger than `max_bytes` is refused, with a message naming it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dwsearch.lexicon.files import MIB, size_label

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
# Large enough for any observatory page (the largest extract seen is under 1 MB).
DEFAULT_MAX_BYTES = 20 * MIB

_FILE_TYPES = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


class IngestError(Exception):
    """A source that cannot be read as a page; the message names the file.

    `source` is the name chunks would have given it (`Source.relative`), where known, so
    that a build can keep what its index already had of the file; `folder` says it names
    a folder that could not be listed (every page in it is then unknown, not gone).
    """

    def __init__(self, message: str, source: str | None = None, folder: bool = False) -> None:
        super().__init__(message)
        self.source = source
        self.folder = folder

    def __reduce__(self) -> tuple[type[IngestError], tuple[str, str | None, bool]]:
        return (type(self), (str(self), self.source, self.folder))  # from a worker, whole


@dataclass(frozen=True)
class Source:
    """A page file, and the name chunks give it."""

    path: Path
    relative: str  # the path relative to the corpus root, as chunks report it (escaped)
    # The same path as the file system gave it (undecodable bytes as surrogates), for
    # addresses made from the file's name; empty when it equals `relative`.
    raw_relative: str = ""
    # What the file system said of the file when it was found (a link's target), for a
    # scan to compare with what it recorded without asking again.
    info: os.stat_result | None = field(default=None, compare=False, repr=False)

    @property
    def name_on_disk(self) -> str:
        return self.raw_relative or self.relative

    @property
    def key(self) -> str:
        """The name as a key: one text per file name, however its bytes read."""
        return key_name(self.name_on_disk)


def safe_name(name: str) -> str:
    """A file name as text that always encodes: bytes that are not UTF-8 as `\\xff`.

    Python decodes such bytes in names to lone surrogates, which no printer, JSON file
    or index can write in UTF-8.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def key_name(name: str) -> str:
    """A file name as text that no other name shares: like `safe_name`, but where any
    escape is needed a backslash is written twice, so the byte 0xFF (`\\xff`) and the
    four characters `\\xff` (`\\\\xff`) stay two names. A name in UTF-8 without a
    backslash is itself."""
    if name.isascii() and "\\" not in name:
        return name  # most names, at no cost
    data = name.encode("utf-8", "surrogateescape")
    if b"\\" not in data:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


def _source(path: Path, relative: str, info: os.stat_result | None = None) -> Source:
    named = safe_name(relative)
    return Source(path, named, relative if named != relative else "", info)


class Unchanged:
    """A page file in a folder that the caller recognised as unchanged (a regular file,
    its size and time as recorded): its key, and its `Source` made only when asked.

    A scan of a large folder meets mostly such files; making a `Source` of each (a path
    object and a record) cost more than asking the file system about it."""

    __slots__ = ("_info", "_name", "_place", "_relative", "key")

    def __init__(self, key: str, place: Path, name: str, relative: str, info: os.stat_result):
        self.key = key
        self._place, self._name, self._relative, self._info = place, name, relative, info

    @property
    def info(self) -> os.stat_result:
        return self._info

    def source(self) -> Source:
        return _source(self._place / self._name, self._relative, self._info)


# The files a scan recorded: by key, each one's size and modification time (ns).
Recorded = Mapping[str, tuple[int, int]]


def find_sources(
    paths: Iterable[str | Path],
    max_bytes: int = DEFAULT_MAX_BYTES,
    unchanged: Recorded | None = None,
) -> Iterator[Source | IngestError | Unchanged]:
    """Every page file under the given files and folders, in a stable order.

    A file that is not a regular file, is larger than `max_bytes`, or is a link out of
    the folder it was found in yields an IngestError naming it, in its place; so does a
    folder that cannot be listed (its `source` is the folder's name, "" for the one given).
    A regular file in a folder whose size and time are those `unchanged` records for its
    key is an `Unchanged`.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            root = path.resolve()
            unlisted: list[OSError] = []
            found = _page_files(os.fspath(path), unlisted)
            for error in unlisted:
                yield _unlisted(path, error)
            for _, relative, place, entry in found:
                if unchanged is not None:
                    quick = _as_recorded(relative, place, entry, max_bytes, unchanged)
                    if quick is not None:
                        yield quick
                        continue
                yield _checked(place / entry.name, relative, max_bytes, root, entry)
        elif path.exists() or path.is_symlink():
            yield _checked(path, path.name, max_bytes, None)  # named: links followed
        else:
            yield IngestError(f"{safe_name(str(given))}: no such file or folder")


def _page_files(top: str, unlisted: list[OSError]) -> list[tuple[str, str, Path, os.DirEntry[str]]]:
    """The page files under `top`, as `os.walk` finds them (links to folders are not
    walked, hidden folders are skipped, a folder that cannot be listed goes to
    `unlisted`), sorted as their paths sort: each with a key that sorts so, its path
    relative to `top`, its folder, and its entry (which knows, without asking, whether
    it is a link)."""
    found = []
    folders = [(top, "", "")]
    while folders:
        folder, inside, key = folders.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError as error:
            unlisted.append(error)
            continue
        place = Path(folder)
        below = []
        for entry in listed:
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            name = entry.name
            if is_folder:
                if not name.startswith(".") and not entry.is_symlink():
                    below.append((entry.path, f"{inside}{name}/", f"{key}{name}\0"))
            elif name.lower().endswith(SUFFIXES):
                # Paths sort by their parts: as text, with a separator below any letter.
                found.append((f"{key}{name}", f"{inside}{name}", place, entry))
        folders += sorted(below, reverse=True)  # walked in order, as os.walk walks
    found.sort(key=lambda item: item[0])
    return found


def _as_recorded(
    relative: str, place: Path, entry: os.DirEntry[str], max_bytes: int, unchanged: Recorded
) -> Unchanged | None:
    """The file as an `Unchanged` if it is a regular file (no link) within `max_bytes`
    whose size and time `unchanged` records; None sends it through the full check."""
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        return None
    key = key_name(relative)
    if unchanged.get(key) != (info.st_size, info.st_mtime_ns):
        return None
    return Unchanged(key, place, entry.name, relative, info)


def _unlisted(given: Path, error: OSError) -> IngestError:
    """The error of a folder under `given` that cannot be listed."""
    where = Path(error.filename or given)
    relative = where.relative_to(given).as_posix() if where != given else ""
    named = safe_name(relative) if relative else safe_name(str(given))
    why = error.strerror or str(error)
    return IngestError(f"{named}: cannot list this folder ({why})", key_name(relative), True)


def _checked(
    path: Path,
    relative: str,
    max_bytes: int,
    root: Path | None,
    entry: os.DirEntry[str] | None = None,
) -> Source | IngestError:
    """The source at `path` (`entry`: its entry in its folder, if found in one), or why
    it is not read; `root` is the folder it was found in."""
    problem = _problem(path, max_bytes, root, entry)
    if isinstance(problem, str):
        source = _source(path, relative)
        return IngestError(f"{source.relative}: {problem}", source.key)
    return _source(path, relative, problem)


def _problem(
    path: Path, max_bytes: int, root: Path | None, entry: os.DirEntry[str] | None = None
) -> str | os.stat_result:
    """Why a file found is not read, or what the file system says of it (a link's
    target); `root` is the folder it was found in."""
    try:
        if root is None:
            info = os.stat(path)
        else:
            # A file that is no link is stat'ed once.
            info = entry.stat(follow_symlinks=False) if entry else os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                target = path.resolve()
                if not target.is_relative_to(root):
                    return "a link to outside the folder; skipped"
                info = os.stat(path)
    except OSError as error:
        return f"cannot read ({error.strerror or error})"
    except RuntimeError:  # a loop of links, on Python < 3.13
        return "cannot read (a loop of links)"
    return _not_a_page_file(info, max_bytes) or info


def _not_a_page_file(info: os.stat_result, max_bytes: int) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        kind = _FILE_TYPES.get(stat.S_IFMT(info.st_mode), "not a regular file")
        return f"{kind}, not a page file; skipped"
    if info.st_size > max_bytes:
        return too_large(info.st_size, max_bytes)
    return None


def too_large(size: int, max_bytes: int) -> str:
    return f"{size_label(size)}, larger than the {size_label(max_bytes)} limit; skipped"


def read_source(source: Source, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A file's bytes, checked again as they are read: a regular file, at most `max_bytes`.

    The file is opened without blocking, so a FIFO put in its place since it was found
    never hangs the reader; the size is checked on the open file, and reading stops one
    byte past the limit.
    """
    name = source.relative
    try:
        descriptor = os.open(source.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise IngestError(f"{name}: cannot read ({error.strerror or error})", name) from None
    with os.fdopen(descriptor, "rb") as handle:
        problem = _not_a_page_file(os.fstat(descriptor), max_bytes)
        if problem:
            raise IngestError(f"{name}: {problem}", name)
        try:
            data = handle.read(max_bytes + 1)
        except OSError as error:
            raise IngestError(f"{name}: cannot read ({error.strerror or error})", name) from None
    if len(data) > max_bytes:  # it grew since it was found
        raise IngestError(f"{name}: {too_large(len(data), max_bytes)}", name)
    return data


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 (with or without), else Windows-1252, else
    Latin-1; binary is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(
                f"{name}: not valid UTF-16 despite its byte-order mark", name
            ) from None
    if not data.strip():
        raise IngestError(f"{name}: empty file", name)
    if b"\x00" in data[:8192]:
        text = _utf16_without_bom(data)
        if text is None or _mostly_control(text):
            raise IngestError(f"{name}: binary file (not a text or HTML page)", name)
        if not text.strip():
            raise IngestError(f"{name}: empty file", name)
        return text
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if _mostly_control(text):
        raise IngestError(f"{name}: binary file (not a text or HTML page)", name)
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """Text in UTF-16 without a byte-order mark, told by its zero bytes, else None.

    Text in a Latin script has a zero in every other byte, high bytes of its code units:
    at odd offsets in little-endian, at even ones in big-endian. Binary files have zeros
    at both, or at neither in step.
    """
    sample = data[:8192]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd >= 0.3 and zeros_even <= 0.02:
        encoding = "utf-16-le"
    elif zeros_even >= 0.3 and zeros_odd <= 0.02:
        encoding = "utf-16-be"
    else:
        return None
    try:
        return data[: len(data) - len(data) % 2].decode(encoding)
    except UnicodeDecodeError:
        return None


def _mostly_control(text: str) -> bool:
    sample = text[:8192]
    control = sum(1 for c in sample if ord(c) < 32 and c not in "\r\n\t\f")
    return control > len(sample) * 0.1
