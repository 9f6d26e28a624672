"""Where an index lives, and its generations on disk.

An index folder holds whole generations of the Whoosh index side by side, and a small
`CURRENT` file naming the live one. A build writes a new generation and then replaces
`CURRENT` in one atomic rename, so a reader sees the old index or the new one, never a
half-written one, and a killed build leaves the old one untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dwsearch.lexicon.files import read_bounded

ENV_VAR = "DWSEARCH_INDEX"
# The index's own files read whole are far smaller than these: a manifest lists a few
# hundred files, and the sources of a million pages take a few hundred MB.
POINTER_BYTES = 4096
MAX_INDEX_FILE = 2**30
# Written in the manifest for an index of the corpus that ships with dwsearch.
BUNDLED = "<bundled corpus>"
POINTER = "CURRENT"
MANIFEST = "dwsearch.json"
SOURCES = "sources.json"
VOCABULARY = "vocabulary.json"
LOCK = ".build.lock"
# Marker files: an index folder, and each generation folder, say that dwsearch made them.
# Only folders that carry the marker are ever deleted.
INDEX_MARKER = ".dwsearch-index"
GENERATION_MARKER = ".dwsearch-generation"
MANIFEST_FORMAT = 2
_BUILDING_PREFIX = "building-"
_GENERATION_PREFIX = "gen-"


# What mends an index, for each face to word: build one (there is none), rebuild it
# from its sources, or rebuild it from paths given (what it was built from is lost).
BUILD, REBUILD, REBUILD_FROM_PATHS = "build", "rebuild", "rebuild_from_paths"


class IndexProblem(Exception):
    """An index that cannot be used as it is, said without naming any command: the
    message says what is wrong, `remedy` (one of BUILD, REBUILD, REBUILD_FROM_PATHS, or
    empty) what would mend it, and `index_dir` which index."""

    def __init__(self, message: str, index_dir: Path | None = None, remedy: str = "") -> None:
        super().__init__(message)
        self.index_dir = index_dir
        self.remedy = remedy

    def worded(self, name: Callable[[str], str]) -> str:
        """The message, with any setting it names called by `name` (a face's own name
        for a setting of the Python API: `max_file_mb` is `--max-file-mb` on the CLI)."""
        return str(self)


class IndexDamaged(IndexProblem):
    """An index whose files are not what its build wrote: a rebuild mends it. `what` is
    the damage found ("its manifest is missing"), for a face to word as it likes."""

    def __init__(self, index_dir: Path, what: str) -> None:
        super().__init__(f"the index at {index_dir} is damaged ({what})", index_dir, REBUILD)
        self.what = what

    def __reduce__(self) -> tuple[type[IndexDamaged], tuple[Path, str]]:
        return (IndexDamaged, (self.index_dir or Path(), self.what))  # from a worker, whole


class NotAnIndexFolder(IndexProblem):
    """A folder given as an index that is something else (a file, a folder of the
    user's own), which a build must never write into."""

    def __init__(self, index_dir: Path, why: str) -> None:
        super().__init__(f"{index_dir} is not a dwsearch index ({why})", index_dir)
        self.why = why


def default_index_dir() -> Path:
    """The per-user data folder's `dwsearch/index`, as platformdirs places it.

    On Linux that is the XDG rule, read here directly: importing platformdirs costs a
    search a few milliseconds of start-up (it imports tempfile and random).
    """
    if sys.platform.startswith("linux"):
        data = os.environ.get("XDG_DATA_HOME", "").strip() or os.path.expanduser("~/.local/share")
        return Path(data) / "dwsearch" / "index"
    from platformdirs import user_data_dir

    return Path(user_data_dir("dwsearch", appauthor=False)) / "index"


def resolve_index_dir(index: str | Path | None) -> tuple[Path, bool]:
    """The index folder to use, and whether it is the per-user default."""
    if index is not None:
        if not str(index).strip():
            raise NotAnIndexFolder(Path(), "an empty name, which would mean this folder")
        return Path(index).expanduser(), False
    if os.environ.get(ENV_VAR, "").strip():
        return Path(os.environ[ENV_VAR]).expanduser(), False
    return default_index_dir(), True


def claim_index_dir(index_dir: Path) -> None:
    """Make `index_dir` an index folder, or refuse one that holds anything else.

    A build deletes old generations inside its folder, so it must never take a folder
    of the user's own for an index (say, `--index ~`).
    """
    if (index_dir / INDEX_MARKER).exists():
        return
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        others = [p.name for p in index_dir.iterdir() if p.name not in (LOCK, POINTER)]
    except NotADirectoryError:
        raise NotAnIndexFolder(index_dir, "it is a file") from None
    pointer = index_dir / POINTER
    # Before markers, an index was known by its pointer naming a generation of dwsearch's;
    # a file of the user's own that happens to be called CURRENT is no such thing.
    legacy = _names_a_generation(pointer) and all(
        _made_by_dwsearch(index_dir / name) for name in others
    )
    if (others or pointer.exists() or pointer.is_symlink()) and not legacy:
        raise NotAnIndexFolder(index_dir, "it holds other files")
    (index_dir / INDEX_MARKER).write_text("A dwsearch index. See `dwsearch stats`.\n")


def _names_a_generation(pointer: Path) -> bool:
    """Whether `pointer` is a pointer file naming a generation folder of dwsearch's."""
    if pointer.is_symlink() or not pointer.is_file():
        return False
    try:
        with pointer.open("rb") as handle:
            name = handle.read(256).decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return False
    return (
        name.startswith(_GENERATION_PREFIX)
        and "/" not in name
        and "\\" not in name
        and _made_by_dwsearch(pointer.parent / name)
    )


def _made_by_dwsearch(folder: Path) -> bool:
    """A generation or build folder of dwsearch's (by its marker, or, before markers,
    by the manifest and table of contents every generation had)."""
    if not folder.is_dir() or not folder.name.startswith((_GENERATION_PREFIX, _BUILDING_PREFIX)):
        return False
    if (folder / GENERATION_MARKER).exists():
        return True
    return (folder / MANIFEST).exists() and any(folder.glob("_MAIN_*.toc"))


@dataclass
class Root:
    """A file or folder an index was built from, and how its pages are addressed."""

    path: str  # absolute, or BUNDLED
    url_pattern: str = ""  # e.g. https://dig.watch/actors/{stem}, for pages without one
    exclude: list[str] = field(default_factory=list)  # pages of a folder removed on purpose
    max_bytes: int = 0  # the largest page file read; 0: ingestion's default
    allow_hosts: list[str] = field(default_factory=list)  # a web source's other hosts

    @classmethod
    def from_json(cls, data: Any) -> Root:
        if isinstance(data, str):  # the first manifest format kept paths alone
            return cls(data)
        return cls(
            str(data["path"]),
            str(data.get("url_pattern", "")),
            list(data.get("exclude", [])),
            int(data.get("max_bytes", 0)),
            [str(host) for host in data.get("allow_hosts", [])],
        )

    def copy(self) -> Root:
        return Root(
            self.path, self.url_pattern, list(self.exclude), self.max_bytes, list(self.allow_hosts)
        )


@dataclass
class Manifest:
    """What a generation was built from and holds: enough to update it, to know it is
    stale, and to know it is whole (each file's size and checksum)."""

    schema_version: str
    taxonomy_digest: str
    corpus_hash: str
    built_at: float
    roots: list[Root] = field(default_factory=list)
    taxonomy_path: str = ""
    pages: int = 0
    chunks: int = 0
    # name -> [size, crc32, mtime_ns]; the mtime is 0 where it vouches for nothing
    files: dict[str, list[int]] = field(default_factory=dict)

    @property
    def root_paths(self) -> list[str]:
        return [root.path for root in self.roots]

    def to_json(self) -> str:
        data = dict(self.__dict__, format=MANIFEST_FORMAT)
        data["roots"] = [
            {k: v for k, v in root.__dict__.items() if v or k != "allow_hosts"}
            for root in self.roots
        ]
        # Sizes and checksums where every dwsearch reads them, mtimes apart: a dwsearch
        # from before them reads the manifest as it always did.
        data["files"] = {name: entry[:2] for name, entry in self.files.items()}
        data["mtimes"] = {name: e[2] for name, e in self.files.items() if len(e) > 2 and e[2]}
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        return cls(
            schema_version=str(data["schema_version"]),
            taxonomy_digest=str(data.get("taxonomy_digest", "")),
            corpus_hash=str(data["corpus_hash"]),
            built_at=float(data["built_at"]),
            roots=[Root.from_json(root) for root in data.get("roots", [])],
            taxonomy_path=str(data.get("taxonomy_path", "")),
            pages=int(data.get("pages", 0)),
            chunks=int(data.get("chunks", 0)),
            files=_files(data.get("files", {}), data.get("mtimes", {})),
        )


def _files(files: dict[str, Any], mtimes: dict[str, Any]) -> dict[str, list[int]]:
    """A manifest's files, each `[size, crc32, mtime_ns]` (0: no mtime recorded)."""
    found = {}
    for name, entry in files.items():
        size, checksum = (int(n) for n in entry)  # a ValueError unless there are two
        found[str(name)] = [size, checksum, int(mtimes.get(name, 0))]
    return found


def corpus_hash(hashes: dict[str, str]) -> str:
    """One digest for a set of source files, from their names and content hashes."""
    digest = hashlib.sha256()
    for name in sorted(hashes):
        digest.update(f"{name}\x00{hashes[name]}\n".encode())
    return digest.hexdigest()[:16]


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder, or None if there is no index here yet."""
    try:
        name = read_bounded(index_dir / POINTER, POINTER_BYTES).decode("utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (UnicodeDecodeError, ValueError):
        raise IndexDamaged(index_dir, f"{POINTER} is not a generation's name") from None
    except OSError as error:
        raise IndexProblem(
            f"cannot read the index at {index_dir}: {error.strerror}", index_dir
        ) from None
    if not name.startswith(_GENERATION_PREFIX) or "/" in name or "\\" in name:
        raise IndexDamaged(index_dir, f"{POINTER} names {name!r}")
    if not (index_dir / name).is_dir():
        raise IndexDamaged(index_dir, f"{name} is missing")
    return index_dir / name


def read_manifest(generation: Path) -> Manifest:
    where = generation.parent
    try:
        return Manifest.from_json(read_bounded(generation / MANIFEST, MAX_INDEX_FILE).decode())
    except FileNotFoundError:
        raise IndexDamaged(where, "its manifest is missing") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        problem = "too deeply nested" if isinstance(error, RecursionError) else error
        raise IndexDamaged(where, f"manifest: {problem}") from None


def write_sources(generation: Path, sources: dict[str, dict[str, Any]]) -> None:
    """Each page file's entry: its root, name, content hash and chunk count."""
    import msgspec.json  # declared deferred: a build's, not a search's

    write_new_bytes(generation / SOURCES, [msgspec.json.Encoder(order="sorted").encode(sources)])


def read_sources(generation: Path) -> dict[str, dict[str, Any]]:
    """The page files a generation holds, by key (read by builds, not by searches)."""
    import msgspec.json  # declared deferred: a build's, not a search's

    try:
        data = msgspec.json.decode(read_bounded(generation / SOURCES, MAX_INDEX_FILE))
    except (OSError, msgspec.DecodeError, RecursionError) as error:
        raise IndexDamaged(generation.parent, f"{SOURCES}: {error}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise IndexDamaged(generation.parent, SOURCES)
    return data


def write_new(path: Path, text: str) -> None:
    """Write a file as a new one renamed into place: never through a name that another
    generation may share by a hard link."""
    write_new_bytes(path, [text.encode("utf-8")])


def write_new_bytes(path: Path, pieces: Iterable[bytes]) -> None:
    """Write these bytes as a new file renamed into place (as `write_new`): a file half
    written is never read under its name."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        for piece in pieces:
            handle.write(piece)
    temporary.replace(path)


def write_vocabulary(generation: Path, vocabulary: dict[str, dict[str, str]]) -> None:
    """Each facet's values and display names, for a search to check filters against."""
    write_new(generation / VOCABULARY, json.dumps(vocabulary, ensure_ascii=False, sort_keys=True))


def read_vocabulary(generation: Path) -> dict[str, dict[str, str]]:
    """The vocabulary a generation was built with ({} for an index without one)."""
    try:
        data = json.loads(read_bounded(generation / VOCABULARY, MAX_INDEX_FILE))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as error:
        raise IndexDamaged(generation.parent, str(error)) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise IndexDamaged(generation.parent, VOCABULARY)
    return {
        str(facet): {str(k): str(v) for k, v in values.items()} for facet, values in data.items()
    }


def new_building_dir(index_dir: Path) -> Path:
    claim_index_dir(index_dir)
    path = index_dir / f"{_BUILDING_PREFIX}{os.getpid()}-{time.time_ns()}"
    path.mkdir()
    (path / GENERATION_MARKER).write_text("A generation of a dwsearch index.\n")
    return path


def publish(
    index_dir: Path, building: Path, phase: Callable[[str], None] = lambda name: None
) -> Path:
    """Make a finished build the live generation, atomically; then tidy old ones.

    `phase` is told where publishing stands ("renamed", "published"), for crash tests.
    """
    generation = index_dir / f"{_GENERATION_PREFIX}{time.time_ns()}"
    building.rename(generation)
    _fsync_dir(generation)
    phase("renamed")
    pointer_tmp = index_dir / f".{POINTER}.{os.getpid()}"
    with open(pointer_tmp, "w", encoding="utf-8") as handle:
        handle.write(generation.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer_tmp, index_dir / POINTER)
    _fsync_dir(index_dir)
    phase("published")
    remove_stale(index_dir, keep=generation)
    return generation


def remove_stale(index_dir: Path, keep: Path | None) -> None:
    """Delete abandoned builds and old generations, but the one before `keep`.

    The previous generation stays: a search that read `CURRENT` just before the swap may
    still be opening it.
    """
    generations = sorted(
        p for p in index_dir.glob(f"{_GENERATION_PREFIX}*") if _made_by_dwsearch(p)
    )
    keep_names = {keep.name} if keep else set()
    older = [g for g in generations if keep is None or g.name < keep.name]
    if older:
        keep_names.add(older[-1].name)
    for path in generations:
        if path.name not in keep_names:
            shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(f"{_BUILDING_PREFIX}*"):
        if not _made_by_dwsearch(path):
            continue
        pid = path.name[len(_BUILDING_PREFIX) :].split("-")[0]
        # A leftover of this process (an earlier build in it) is abandoned too.
        if not pid.isdigit() or int(pid) == os.getpid() or not process_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def process_alive(pid: int) -> bool:
    """Whether a process of this number is running (another user's counts); never for a
    number no process has (0 and -1 would ask about groups of processes)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
