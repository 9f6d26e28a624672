"""The commands that read pages and change an index: chunks, build, remove, sources."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dwsearch.ingest.sources import IngestError
from dwsearch.ingest.web import is_url
from dwsearch.lexicon.files import MIB, size_label

from .cli_options import (
    EXIT_ERROR,
    api,
    color_option,
    crawl_options,
    index_option,
    json_option,
    max_file_option,
    taxonomy_option,
    terminated_as_interrupt,
    use_color,
    wait_notice,
    warn,
)
from .printers import Style, render_chunk_listing, visible
from .wording import CLI_NAMES

if TYPE_CHECKING:
    from dwsearch.index.builder import BuildReport
    from dwsearch.ingest.web.crawl import FetchProgress


@click.command(short_help="List the chunks pages make, without indexing them.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@json_option
@color_option
@taxonomy_option
@max_file_option
def chunks(
    paths: tuple[Path, ...],
    as_json: bool,
    color: str,
    taxonomy: Path | None,
    max_file_mb: float | None,
) -> None:
    """List the chunks of PATHS (files or folders), or of the bundled corpus: each
    one's title and type, its place as a search hit names it (page title › section) and
    address, the start of its text, its dates and facets.

    With --json, one JSON object per line, with the file and line (source, lines). A
    file that cannot be read is reported on stderr and the others go on; the exit code
    is then 2.
    """
    failed = False
    colored = use_color(color)
    style = Style(colored)
    for item in api().chunks(paths, taxonomy, max_file_mb):
        if isinstance(item, IngestError):
            warn(str(item))
            failed = True
        elif as_json:
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
        else:
            click.echo(render_chunk_listing(item, style), color=colored)
    if failed:
        sys.exit(EXIT_ERROR)


@click.command(short_help="Add or refresh pages (files, folders, sites) in the index.")
@click.argument("paths", nargs=-1)
@index_option
@click.option("--rebuild", is_flag=True, help="Re-index every page, not only changed ones.")
@taxonomy_option
@click.option(
    "--url-pattern",
    help="Address for pages of PATHS that name none, e.g. https://dig.watch/actors/{stem}.",
)
@max_file_option
@crawl_options
def build(
    paths: tuple[str, ...],
    index: Path | None,
    rebuild: bool,
    taxonomy: Path | None,
    url_pattern: str | None,
    max_file_mb: float | None,
    delay: float | None,
    timeout: float | None,
    max_pages: int | None,
    allow_hosts: tuple[str, ...],
) -> None:
    """Add or refresh PATHS in the index, keeping its other sources; with no PATHS,
    refresh every source it remembers. A PATH is a file or folder of pages, or a web
    address: a sitemap, a sitemap index, an RSS or Atom feed, or one page.

    Only new, changed or removed pages are re-indexed, and a page is removed only when
    it is gone from a folder or sitemap being refreshed (see `dwsearch remove`). A site
    is read politely: robots.txt obeyed, one request at a time, --delay seconds apart,
    conditional requests on a refresh; --rebuild asks nothing of it and re-indexes the
    copies kept beside the index. The new index is written beside the live one and
    swapped in whole, so searches never see a half-built index. A full build of 200
    files or more uses up to four cores; a second build of the same index waits for the
    first. Ctrl-C stops it and leaves the index as it was.
    """
    bar: Any = None
    fetching = FetchLine() if sys.stderr.isatty() else None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if fetching is not None:
            fetching.end()
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
                delay=delay,
                timeout=timeout,
                max_pages=max_pages,
                allow_hosts=list(allow_hosts) if allow_hosts else None,
                on_fetch=fetching.show if fetching is not None else None,
            )
    finally:
        if fetching is not None:
            fetching.end()
        if bar is not None:
            bar.__exit__(None, None, None)
    _report_build(report, max_pages)


class FetchLine:
    """One line on the terminal that says how a fetch stands, rewritten in place."""

    def __init__(self) -> None:
        self.shown = False
        self.last = 0.0

    def show(self, where: FetchProgress) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and where.to_go:
            return
        self.last = now
        failed = f", {where.failed} failed" if where.failed else ""
        line = (
            f"fetching {where.source}: {where.done} done, {where.to_go} to go{failed}, "
            f"{where.rate:.1f} pages/s"
        )
        click.echo("\r\x1b[K" + visible(line), nl=False, err=True)
        self.shown = True

    def end(self) -> None:
        if self.shown:
            click.echo("\r\x1b[K", nl=False, err=True)
            self.shown = False


@click.command(short_help="Drop a source, or a page or subfolder of one, from the index.")
@click.argument("paths", nargs=-1, required=True)
@index_option
def remove(paths: tuple[str, ...], index: Path | None) -> None:
    """Drop PATHS from the index: a file, folder or web address it was built from, or
    one page of such a folder or site (later refreshes then leave it out)."""
    with terminated_as_interrupt():
        report = api().remove(list(paths), index=index, on_wait=wait_notice)
    _report_build(report)


@click.command(short_help="List the files, folders and sites the index was built from.")
@json_option
@index_option
def sources(as_json: bool, index: Path | None) -> None:
    """The files, folders and sites the index was built from, with its pages and chunks
    of each, and when each site was last fetched."""
    found = api().sources(index=index, on_build=warn)
    if as_json:
        click.echo(json.dumps([asdict(each) for each in found], ensure_ascii=False))
        return
    for each in found:
        line = f"{each.path}  {each.pages} page(s), {each.chunks} chunks"
        if each.url_pattern:
            line += f"  addresses: {each.url_pattern}"
        if each.max_file_mb is not None:
            line += f"  files up to {size_label(round(each.max_file_mb * MIB))}"
        if each.allow_hosts:
            line += f"  also on {', '.join(each.allow_hosts)}"
        if each.fetched is not None:
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(each.fetched))
            line += f"  last fetched {when}"
        if each.left:
            line += f"  {_pages(each.left)} left for the next build"
        click.echo(visible(line))
        if each.excluded:
            click.echo(f"  removed on purpose ({len(each.excluded)}; bring one back with: "
                       "dwsearch build PATH):")  # fmt: skip
            web = is_url(each.path)  # a site's pages are named by their own addresses
            for name in each.excluded:
                click.echo(visible(f"    {name}" if web else f"    {each.path}/{name}"))


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def _report_build(report: BuildReport, max_pages: int | None = None) -> None:
    """One line per source that changed, failed or was left unfinished, then the whole;
    exit 2 on a failure."""
    for failure in report.failed:
        warn(failure)
    for each in report.sources.values():
        if each.changed or each.failed or each.left:
            bound = f" (--max-pages {max_pages})" if max_pages is not None else ""
            resettled = ", ".join(CLI_NAMES.get(name, name) for name in each.resettled)
            click.echo(
                visible(
                    f"{each.root}: {len(each.added)} added, {len(each.updated)} updated, "
                    f"{len(each.removed)} removed, {each.unchanged} unchanged"
                    + (f", {len(each.failed)} failed" if each.failed else "")
                    + (f" (new {resettled}: every page read again)" if resettled else "")
                    + (f"; {_pages(each.left)} left for the next build{bound}" if each.left else "")
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
