"""The commands that read pages and change an index: chunks, build, remove, sources."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dwsearch.ingest.chunk import Chunk
from dwsearch.ingest.sources import IngestError

from .cli_options import (
    EXIT_ERROR,
    api,
    index_option,
    json_option,
    max_file_option,
    taxonomy_option,
    terminated_as_interrupt,
    wait_notice,
    warn,
)
from .printers import date_label, visible, visible_text
from .wording import CLI_NAMES

if TYPE_CHECKING:
    from dwsearch.index.builder import BuildReport


@click.command(short_help="List the chunks pages make, without indexing them.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@json_option
@taxonomy_option
@max_file_option
def chunks(
    paths: tuple[Path, ...], as_json: bool, taxonomy: Path | None, max_file_mb: float | None
) -> None:
    """List the chunks of PATHS (files or folders), or of the bundled corpus.

    With --json, one JSON object per line. A file that cannot be read is reported
    on stderr and the others go on; the exit code is then 2.
    """
    failed = False
    for item in api().chunks(paths, taxonomy, max_file_mb):
        if isinstance(item, IngestError):
            warn(str(item))
            failed = True
        elif as_json:
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
        else:
            click.echo(_format_chunk(item))
    if failed:
        sys.exit(EXIT_ERROR)


@click.command(short_help="Add or refresh pages (files, folders) in the index.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Re-index every page, not only changed ones.")
@taxonomy_option
@click.option(
    "--url-pattern",
    help="Address for pages of PATHS that name none, e.g. https://dig.watch/actors/{stem}.",
)
@max_file_option
def build(
    paths: tuple[Path, ...],
    index: Path | None,
    rebuild: bool,
    taxonomy: Path | None,
    url_pattern: str | None,
    max_file_mb: float | None,
) -> None:
    """Add or refresh PATHS (files or folders of pages) in the index, keeping its other
    sources; with no PATHS, refresh every source it remembers.

    Only new, changed or removed pages are re-indexed, and a page is removed only when
    it is gone from a folder being refreshed (see `dwsearch remove`). The new index is
    written beside the live one and swapped in whole, so searches never see a half-built
    index. A full build of 200 files or more uses up to four cores; a second build of
    the same index waits for the first. Ctrl-C stops it and leaves the index as it was.
    """
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="indexing", file=sys.stderr)
            bar.__enter__()
        bar.update(1)

    try:
        with terminated_as_interrupt():
            report = api().build(
                list(paths),
                index=index,
                rebuild=rebuild,
                taxonomy=taxonomy,
                url_pattern=url_pattern,
                max_file_mb=max_file_mb,
                progress=progress if sys.stderr.isatty() else None,
                on_wait=wait_notice,
            )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    _report_build(report)


@click.command(short_help="Drop a source, or a page or subfolder of one, from the index.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
def remove(paths: tuple[Path, ...], index: Path | None) -> None:
    """Drop PATHS from the index: a file or folder it was built from, or one page of
    such a folder (later refreshes of the folder then leave it out)."""
    with terminated_as_interrupt():
        report = api().remove(list(paths), index=index, on_wait=wait_notice)
    _report_build(report)


@click.command(short_help="List the files and folders the index was built from.")
@json_option
@index_option
def sources(as_json: bool, index: Path | None) -> None:
    """The files and folders the index was built from, with its pages and chunks of each."""
    found = api().sources(index=index, on_build=warn)
    if as_json:
        click.echo(json.dumps([asdict(each) for each in found], ensure_ascii=False))
        return
    for each in found:
        line = f"{each.path}  {each.pages} page(s), {each.chunks} chunks"
        if each.url_pattern:
            line += f"  addresses: {each.url_pattern}"
        if each.max_file_mb is not None:
            line += f"  files up to {each.max_file_mb:.3g} MiB"
        click.echo(visible(line))
        if each.excluded:
            click.echo(f"  removed on purpose ({len(each.excluded)}; bring one back with: "
                       "dwsearch build PATH):")  # fmt: skip
            for name in each.excluded:
                click.echo(visible(f"    {each.path}/{name}"))


def _report_build(report: BuildReport) -> None:
    """One line per source that changed or failed, then the whole; exit 2 on a failure."""
    for failure in report.failed:
        warn(failure)
    for each in report.sources.values():
        if each.changed or each.failed:
            resettled = ", ".join(CLI_NAMES.get(name, name) for name in each.resettled)
            click.echo(
                visible(
                    f"{each.root}: {len(each.added)} added, {len(each.updated)} updated, "
                    f"{len(each.removed)} removed, {each.unchanged} unchanged"
                    + (f", {len(each.failed)} failed" if each.failed else "")
                    + (f" (new {resettled}: every page read again)" if resettled else "")
                )
            )
    if report.published:
        verb = "rebuilt" if report.rebuilt else "updated"
        click.echo(
            f"{verb} {visible(str(report.index_dir))}: {report.pages} page(s), "
            f"{report.chunks} chunks in {report.seconds:.2f} s"
        )
    else:
        click.echo(f"{visible(str(report.index_dir))} is up to date ({report.chunks} chunks)")
    if report.failed:
        sys.exit(EXIT_ERROR)


def _format_chunk(chunk: Chunk) -> str:
    facets = []
    if chunk.date:
        facets.append("date " + date_label(chunk))
    if chunk.years:
        facets.append("years " + ", ".join(map(str, chunk.years)))
    if chunk.sectors:
        facets.append("sectors " + ", ".join(chunk.sectors))
    if chunk.topics:
        facets.append("topics " + ", ".join(chunk.topics))
    head = f"{visible(chunk.location)}  [{chunk.type}]  {chunk.display_title}"
    lines = [head]
    if chunk.url:
        lines.append(f"    {chunk.url}")
    if chunk.text and chunk.title:
        lines.append(f"    {chunk.text}")
    elif chunk.text:
        lines.append(f"    {chunk.text[:300]}{'…' if len(chunk.text) > 300 else ''}")
    if facets:
        lines.append("    " + "; ".join(facets))
    return visible_text("\n".join(lines)) + "\n"
