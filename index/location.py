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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_VAR = "DWSEARCH_INDEX"
# Written in the manifest for an index of the corpus that ships with dwsearch.
BUNDLED = "<bundled corpus>"
POINTER = "CURRENT"
MANIFEST = "dwsearch.json"
VOCABULARY = "vocabulary.json"
LOCK = ".build.lock"
_BUILDING_PREFIX = "building-"
_GENERATION_PREFIX = "gen-"


class IndexProblem(Exception):
    """An index that cannot be used as it is; the message says what to do."""


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
    if index:
        return Path(index).expanduser(), False
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser(), False
    return default_index_dir(), True


@dataclass
class Manifest:
    """What a generation was built from: enough to update it, or to know it is stale."""

    schema_version: str
    taxonomy_digest: str
    corpus_hash: str
    built_at: float
    roots: list[str]
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # relative -> hash, chunks

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        return cls(
            schema_version=data["schema_version"],
            taxonomy_digest=data.get("taxonomy_digest", ""),
            corpus_hash=data["corpus_hash"],
            built_at=float(data["built_at"]),
            roots=list(data.get("roots", [])),
            sources=dict(data.get("sources", {})),
        )


def corpus_hash(hashes: dict[str, str]) -> str:
    """One digest for a set of source files, from their names and content hashes."""
    digest = hashlib.sha256()
    for name in sorted(hashes):
        digest.update(f"{name}\x00{hashes[name]}\n".encode())
    return digest.hexdigest()[:16]


def current_generation(index_dir: Path) -> Path | None:
    """The live generation's folder, or None if there is no index here yet."""
    try:
        name = (index_dir / POINTER).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise IndexProblem(f"cannot read the index at {index_dir}: {error.strerror}") from None
    if not name.startswith(_GENERATION_PREFIX) or "/" in name:
        raise IndexProblem(f"the index at {index_dir} is damaged ({POINTER} names {name!r})")
    return index_dir / name


def read_manifest(generation: Path) -> Manifest:
    try:
        return Manifest.from_json((generation / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexProblem(f"the index at {generation.parent} is damaged (no manifest)") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise IndexProblem(f"the index at {generation.parent} is damaged ({error})") from None


def write_vocabulary(generation: Path, vocabulary: dict[str, dict[str, str]]) -> None:
    """Each facet's values and display names, for a search to check filters against."""
    text = json.dumps(vocabulary, ensure_ascii=False, indent=1, sort_keys=True)
    (generation / VOCABULARY).write_text(text, encoding="utf-8")


def read_vocabulary(generation: Path) -> dict[str, dict[str, str]]:
    """The vocabulary a generation was built with ({} for an index without one)."""
    try:
        data = json.loads((generation / VOCABULARY).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as error:
        raise IndexProblem(f"the index at {generation.parent} is damaged ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise IndexProblem(f"the index at {generation.parent} is damaged ({VOCABULARY})")
    return {
        str(facet): {str(k): str(v) for k, v in values.items()} for facet, values in data.items()
    }


def new_building_dir(index_dir: Path) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / f"{_BUILDING_PREFIX}{os.getpid()}-{time.time_ns()}"
    path.mkdir()
    return path


def publish(index_dir: Path, building: Path) -> Path:
    """Make a finished build the live generation, atomically; then tidy old ones."""
    generation = index_dir / f"{_GENERATION_PREFIX}{time.time_ns()}"
    building.rename(generation)
    _fsync_dir(generation)
    pointer_tmp = index_dir / f".{POINTER}.{os.getpid()}"
    with open(pointer_tmp, "w", encoding="utf-8") as handle:
        handle.write(generation.name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer_tmp, index_dir / POINTER)
    _fsync_dir(index_dir)
    remove_stale(index_dir, keep=generation)
    return generation


def remove_stale(index_dir: Path, keep: Path | None) -> None:
    """Delete abandoned builds and old generations, but the one before `keep`.

    The previous generation stays: a search that read `CURRENT` just before the swap may
    still be opening it.
    """
    generations = sorted(p for p in index_dir.glob(f"{_GENERATION_PREFIX}*") if p.is_dir())
    keep_names = {keep.name} if keep else set()
    older = [g for g in generations if keep is None or g.name < keep.name]
    if older:
        keep_names.add(older[-1].name)
    for path in generations:
        if path.name not in keep_names:
            shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(f"{_BUILDING_PREFIX}*"):
        pid = path.name[len(_BUILDING_PREFIX) :].split("-")[0]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a leftover of ours from an earlier build in this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
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
