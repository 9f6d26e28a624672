"""A build's generations: the live one read and checked, a new one written beside it,
finished (facets, postings, vocabulary, checksums) and swapped in, or thrown away.

A failed, killed or interrupted build leaves the live generation as it was: nothing
is written into it, and the new one is removed unless it was published whole.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dwsearch.ingest.pages import Taxonomy
from dwsearch.ingest.vocabulary import facet_vocabulary

from . import faults, whoosh_internals
from .checksums import file_checksums, verify_generation
from .facetmap import FACETMAP, write_facetmap
from .location import (
    GENERATION_MARKER,
    MANIFEST,
    SOURCES,
    VOCABULARY,
    IndexDamaged,
    Manifest,
    Root,
    corpus_hash,
    current_generation,
    new_building_dir,
    publish,
    read_manifest,
    read_sources,
    write_new,
    write_sources,
    write_vocabulary,
)
from .postings import write_missing_postings
from .report import BuildReport
from .schema import schema_version
from .stored import drop_stale_stored


@dataclass
class Live:
    """The generation a build starts from, and whether it can be trusted."""

    generation: Path | None
    manifest: Manifest | None
    sources: dict[str, dict[str, Any]]
    damaged: str | None = None  # why it cannot be updated, if so
    # The files and folders it was built from, where the manifest that lists them is
    # lost: read from its sources, or an earlier generation's manifest.
    recovered_roots: list[Root] = field(default_factory=list)

    @property
    def roots(self) -> list[Root]:
        return self.manifest.roots if self.manifest else self.recovered_roots

    @property
    def usable(self) -> bool:
        """Whether a build may start from it, rather than from nothing."""
        return self.generation is not None and self.manifest is not None and not self.damaged


def read_live(index_dir: Path, thorough: bool = False) -> Live:
    """The live generation, its manifest and sources; damage is noted, not raised.

    Every file's size is checked, and small files' checksums (`thorough`: all of them)."""
    try:
        generation = current_generation(index_dir)
    except IndexDamaged as error:
        return Live(None, None, {}, str(error), _recover_roots(index_dir, None))
    if generation is None:
        return Live(None, None, {})
    try:
        manifest = read_manifest(generation)
        sources = read_sources(generation)
    except IndexDamaged as error:
        return Live(generation, None, {}, str(error), _recover_roots(index_dir, generation))
    problem = verify_generation(generation, manifest, thorough)
    if problem:
        return Live(generation, manifest, sources, damaged=problem)
    return Live(generation, manifest, sources)


def _recover_roots(index_dir: Path, generation: Path | None) -> list[Root]:
    """What a damaged index was built from: its manifest's roots, else its sources'
    roots, else the roots of the newest earlier generation that still says."""
    folders = [generation] if generation else []
    folders += sorted((g for g in index_dir.glob("gen-*") if g != generation), reverse=True)
    for folder in folders:
        try:
            return read_manifest(folder).roots
        except IndexDamaged:
            pass
        try:
            named = {entry.get("root") for entry in read_sources(folder).values()}
        except IndexDamaged:
            continue
        if named and all(isinstance(root, str) for root in named):
            return [Root(root) for root in sorted(named)]  # type: ignore[arg-type]
    return []


@contextmanager
def new_generation(index_dir: Path) -> Iterator[Path]:
    """A folder for a new generation, removed if anything stops it before it is published."""
    building = new_building_dir(index_dir)
    try:
        yield building
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


def link_generation(live: Path, building: Path) -> None:
    """Start the new generation from the live one's files.

    Whoosh never changes a segment file once written (new segments and tables of
    contents are new files), so hard links share them safely and make an update cost
    nothing per unchanged byte; copies stand in where links cannot be made.
    """
    for path in live.iterdir():
        # What every generation writes anew is not linked; Whoosh makes its own lock.
        skip = (MANIFEST, FACETMAP, SOURCES, VOCABULARY, GENERATION_MARKER)
        if path.name in skip or "LOCK" in path.name or not path.is_file():
            continue
        target = building / path.name
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def finish_generation(
    building: Path,
    entries: dict[str, dict[str, Any]],
    roots: list[Root],
    taxonomy: Taxonomy,
    live: Live,
    report: BuildReport,
) -> Manifest:
    """The facet bitmaps, postings arrays, vocabulary and sources of a written
    generation, and its manifest with every file's checksum."""
    written = whoosh_internals.open_index(str(building))
    # An update's facets file extends the live generation's; a full build's is new.
    extends = live.generation if live.usable and not report.rebuilt else None
    write_facetmap(written, building, extends)
    write_missing_postings(written, building)
    segment_ids = {segment.segment_id() for segment, _ in whoosh_internals.index_segments(written)}
    drop_stale_stored(segment_ids, building)
    write_vocabulary(building, facet_vocabulary(taxonomy))
    write_sources(building, entries)
    report.pages = len(entries)
    report.chunks = sum(int(entry.get("chunks", 0)) for entry in entries.values())
    known = live.manifest.files if live.manifest and not live.damaged else {}
    return Manifest(
        schema_version=schema_version(),
        taxonomy_digest=taxonomy.digest,
        corpus_hash=corpus_hash({key: str(e.get("hash", "")) for key, e in entries.items()}),
        built_at=time.time(),
        roots=roots,
        pages=report.pages,
        chunks=report.chunks,
        files=checksums(building, known),
    )


def checksums(building: Path, known: dict[str, list[int]]) -> dict[str, list[int]]:
    """Each file's size and checksum; a file linked from the live generation keeps the
    checksum it had there (segment files never change once written), and only the new
    files are read."""
    found = {}
    fresh = []
    for path in sorted(building.iterdir()):
        if not path.is_file() or path.name in (MANIFEST, GENERATION_MARKER) or "LOCK" in path.name:
            continue
        info = path.stat()
        if path.name in known and info.st_nlink > 1 and known[path.name][0] == info.st_size:
            found[path.name] = known[path.name]
        else:
            fresh.append(path.name)
    if fresh:
        found.update(file_checksums(building, only=set(fresh)))
    return dict(sorted(found.items()))


def publish_generation(
    index_dir: Path, building: Path, manifest: Manifest, report: BuildReport
) -> None:
    """Write the manifest and make the generation live, atomically."""
    write_new(building / MANIFEST, manifest.to_json())
    publish(index_dir, building, faults.reached)
    report.published = True
