"""Indexing: chunks into a Whoosh index, rebuilt or updated safely.

This package is the one place that knows how Whoosh writes. `open_index` is the reading
side's way in: it finds the live generation and makes sure it can be trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import imports

imports.install()  # before anything imports Whoosh's reader

from .location import (  # noqa: E402
    IndexProblem,
    Manifest,
    current_generation,
    read_manifest,
    resolve_index_dir,
)

if TYPE_CHECKING:
    from .builder import BuildReport, Progress

# Written in the manifest for an index of the corpus that ships with dwsearch.
BUNDLED = "<bundled corpus>"

__all__ = [
    "BuildReport",
    "IndexBusy",
    "IndexProblem",
    "Manifest",
    "OpenIndex",
    "build",
    "open_index",
]


def build(
    paths: list[str | Path] | None = None,
    index: str | Path | None = None,
    rebuild: bool = False,
    taxonomy: str | Path | None = None,
    progress: Progress | None = None,
    on_wait: Callable[[], None] | None = None,
) -> BuildReport:
    """Index `paths` (default: the bundled corpus) into `index` (default: the user's)."""
    from .builder import build_index

    index_dir, _ = resolve_index_dir(index)
    roots = [Path(p) for p in paths] if paths else None
    return build_index(
        index_dir,
        roots,
        rebuild=rebuild,
        taxonomy_path=Path(taxonomy) if taxonomy else None,
        progress=progress,
        on_wait=on_wait,
    )


@dataclass
class OpenIndex:
    """A live generation opened for reading, with what it was built from."""

    whoosh_index: Any
    directory: Path
    generation: Path
    manifest: Manifest


def _staleness(manifest: Manifest, is_default: bool) -> str | None:
    """Why an index cannot be trusted as it is, or None."""
    from dwsearch.ingest.datafiles import taxonomy_digest

    from .location import bundled_corpus_hash
    from .schema import schema_version

    if manifest.schema_version != schema_version():
        return "it was built by another version of dwsearch"
    if is_default and manifest.roots == [BUNDLED]:
        if manifest.taxonomy_digest != taxonomy_digest():
            return "dwsearch's taxonomy has changed"
        if manifest.corpus_hash != bundled_corpus_hash():
            return "the bundled corpus has changed"
    return None


def open_index(index: str | Path | None = None, on_build: Callable[[str], None] | None = None):
    """The live index, ready to search.

    The per-user default index is built from the bundled corpus on first use, and rebuilt
    when it is out of date. An index given by path is never rebuilt behind the user's
    back: an out-of-date one is an error that says how to rebuild it.
    """
    from whoosh import index as whoosh_index

    directory, is_default = resolve_index_dir(index)
    generation = current_generation(directory)
    reason = None
    manifest = None
    if generation is None:
        reason = "there is no index yet"
    else:
        manifest = read_manifest(generation)
        reason = _staleness(manifest, is_default)
    if reason is not None:
        roots = manifest.roots if manifest else [BUNDLED]
        if not is_default:
            if generation is None:
                raise IndexProblem(
                    f"no index at {directory}; "
                    f"build one with: dwsearch build PATH --index {directory}"
                )
            raise IndexProblem(
                f"the index at {directory} cannot be used: {reason}; rebuild it with: "
                f"dwsearch build --rebuild --index {directory} {_roots_hint(roots)}".rstrip()
            )
        if roots != [BUNDLED] and not all(Path(r).exists() for r in roots):
            raise IndexProblem(
                f"the index at {directory} cannot be used: {reason}; rebuild it with: "
                f"dwsearch build --rebuild PATH"
            )
        from .builder import build_index

        if on_build:
            on_build(f"building the search index in {directory} ({reason})")
        build_index(directory, None if roots == [BUNDLED] else [Path(r) for r in roots])
        generation = current_generation(directory)
        assert generation is not None
        manifest = read_manifest(generation)
    assert manifest is not None
    try:
        ix = whoosh_index.open_dir(str(generation))
    except Exception as error:  # Whoosh raises many kinds on a damaged folder
        raise IndexProblem(
            f"the index at {directory} is damaged ({type(error).__name__}); rebuild it with: "
            f"dwsearch build --rebuild{'' if is_default else f' --index {directory}'} PATH"
        ) from None
    return OpenIndex(ix, directory, generation, manifest)


def _roots_hint(roots: list[str]) -> str:
    return " ".join(r for r in roots if r != BUNDLED)


def __getattr__(name: str) -> object:
    # Only a build needs the builder, and with it all of ingestion.
    if name in ("BuildReport", "IndexBusy"):
        from . import builder

        return getattr(builder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
