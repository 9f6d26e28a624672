"""The `dwsearch` command: a thin click layer over the application API.

Commands parse their arguments, call a function of `dwsearch.app.api`, and hand the
result to a printer. The API loads the builder and ingestion only for the commands that
need them, so `dwsearch search` starts as fast as Whoosh's own reader allows.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import math
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from dwsearch.index import IndexProblem, resolve_index_dir
from dwsearch.ingest.sources import IngestError
from dwsearch.search.errors import SearchError
from dwsearch.search.filters import read_filters
from dwsearch.search.printers import (
    Style,
    date_label,
    render_chunk_text,
    render_facets_text,
    render_text,
    results_json,
    visible,
)

from . import remote

if TYPE_CHECKING:
    from types import ModuleType

    from dwsearch.index.builder import BuildReport

# What a search through a running server may ask (the API's own bounds).
REMOTE_LIMIT, REMOTE_QUERY_CHARS, REMOTE_QUERY_WORDS, REMOTE_OFFSET = 100, 500, 32, 10_000
# The bounds of the numeric options, declared with them (a test holds each to the module
# that enforces it, which the command does not import).
MAX_LIMIT = 10_000  # dwsearch.search.engine's
MAX_OFFSET = 1_000_000
MAX_FILE_MB = 1_000_000  # dwsearch.app.api's
MAX_BULK_FILE_MB = 1024  # dwsearch.app.export's


def _api() -> ModuleType:
    """The application API, loaded when a command needs it: a search that a running
    server answers never loads Whoosh, numpy or the index (see `remote`)."""
    from dwsearch.app import api

    return api


EXIT_FOUND, EXIT_NOT_FOUND, EXIT_ERROR = 0, 1, 2


class UsageFailure(click.ClickException):
    """A problem the user can fix; exits 2 with one line on stderr."""

    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(f"dwsearch: {visible(self.format_message())}", err=True)


def _warn(message: str) -> None:
    click.echo(f"dwsearch: {visible(message)}", err=True)


def _index_problem(error: Exception) -> UsageFailure:
    return UsageFailure(str(error))


class FloatBetween(click.FloatRange):
    """click's FloatRange, which refuses nan too (nan passes every comparison)."""

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number.", param, ctx)
        return number


def _index_folder(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    # An empty name would mean the current folder; say so rather than guess. (An empty
    # $DWSEARCH_INDEX is as good as none.)
    if value is not None and not value.strip():
        if ctx.get_parameter_source(param.name or "") == ParameterSource.ENVIRONMENT:
            return None
        raise click.BadParameter("needs a folder; an empty name would mean this one")
    return Path(value) if value is not None else None


index_option = click.option(
    "--index",
    type=str,
    callback=_index_folder,
    envvar="DWSEARCH_INDEX",
    help="Index folder (default: $DWSEARCH_INDEX, else a per-user data folder).",
)
color_option = click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour matches: auto means only on a terminal, and never with NO_COLOR set.",
)


def filter_options(command):  # type: ignore[no-untyped-def]
    """The filters, declared once for every command that filters; repeat one to OR values.

    The command receives them read and checked, as one `filters` argument.
    """
    options = [
        click.option("--type", "types", multiple=True, help="Only this type of chunk."),
        click.option(
            "--kind", "kinds", multiple=True, help="Only this kind of page, e.g. actor, event."
        ),
        click.option(
            "--sector", "sectors", multiple=True, help="Only this ITU sector, e.g. ITU-D."
        ),
        click.option("--topic", "topics", multiple=True, help="Only this topic, by slug or name."),
        click.option(
            "--basket", "baskets", multiple=True, help="Only this basket, by slug or name."
        ),
        click.option(
            "--year",
            "years",
            multiple=True,
            help="Only these years: 2018, 2015..2018, 2015.. or ..2018.",
        ),
        click.option("--since", default="", help="Only chunks dated on or after: 2017, 2017-04…"),
        click.option("--until", default="", help="Only chunks dated on or before this."),
    ]

    @functools.wraps(command)
    def with_filters(*args, **given):  # type: ignore[no-untyped-def]
        values = {name: given.pop(name) for name in FILTER_PARAMETERS}
        try:
            given["filters"] = read_filters(**values)
        except SearchError as error:
            raise UsageFailure(str(error)) from None
        return command(*args, **given)

    for option in reversed(options):
        with_filters = option(with_filters)
    return with_filters


FILTER_PARAMETERS = ("types", "kinds", "sectors", "topics", "baskets", "years", "since", "until")


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


taxonomy_option = click.option(
    "--taxonomy",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A TOML taxonomy to tag chunks with, instead of the bundled one.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
max_file_option = click.option(
    "--max-file-mb",
    type=FloatBetween(0, MAX_FILE_MB, min_open=True),
    help="Skip page files larger than this many MiB (default 20), naming each.",
)


class Interrupted(Exception):
    """Ctrl-C, carried past click (which would print a blank line for it)."""


class DwsearchGroup(click.Group):
    """Errors as one line on stderr and exit 2, as ripgrep reports them."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted from None

    def main(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        standalone = kwargs.pop("standalone_mode", True)
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            message = " ".join(error.format_message().split())  # click's may take lines
            _warn(f"{message.rstrip('.')}{hint}")
            code = EXIT_ERROR
        except click.ClickException as error:
            error.show()
            code = error.exit_code
        except (click.Abort, KeyboardInterrupt, Interrupted, Terminated) as error:
            # A second Ctrl-C while this one is reported would be a traceback.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            if sys.stderr.isatty():
                click.echo(err=True)  # past the terminal's own "^C"
            _warn("terminated" if isinstance(error, Terminated) else "interrupted")
            code = 143 if isinstance(error, Terminated) else 130
        except OSError as error:  # the file system said no: a full disk, a locked folder
            where = f"{error.filename}: " if error.filename else ""
            _warn(f"{where}{error.strerror or error}")
            code = EXIT_ERROR
        if not standalone:
            return code
        sys.exit(code)


@click.group(cls=DwsearchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dwsearch")
def cli() -> None:
    """Search the GIP Digital Watch observatory's pages."""


@cli.command()
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
    try:
        found = _api().chunks(paths, taxonomy, max_file_mb)
    except ValueError as error:
        raise UsageFailure(str(error)) from None
    failed = False
    for item in found:
        if isinstance(item, IngestError):
            _warn(str(item))
            failed = True
        elif as_json:
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
        else:
            click.echo(_format_chunk(item))
    if failed:
        sys.exit(EXIT_ERROR)


@cli.command()
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
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="indexing", file=sys.stderr)
            bar.__enter__()
        bar.update(1)

    show_progress = sys.stderr.isatty()
    try:
        with _terminated_as_interrupt():
            report = _api().build(
                list(paths),
                index=index,
                rebuild=rebuild,
                taxonomy=taxonomy,
                url_pattern=url_pattern,
                max_file_mb=max_file_mb,
                progress=progress if show_progress else None,
                on_wait=lambda: _warn("another build is running on this index; waiting for it"),
            )
    except (IndexProblem, ValueError) as error:
        raise _index_problem(error) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    _report_build(report)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
def remove(paths: tuple[Path, ...], index: Path | None) -> None:
    """Drop PATHS from the index: a file or folder it was built from, or one page of
    such a folder (later refreshes of the folder then leave it out)."""
    try:
        with _terminated_as_interrupt():
            report = _api().remove(
                list(paths),
                index=index,
                on_wait=lambda: _warn("another build is running on this index; waiting for it"),
            )
    except IndexProblem as error:
        raise _index_problem(error) from None
    _report_build(report)


@cli.command()
@json_option
@index_option
def sources(as_json: bool, index: Path | None) -> None:
    """The files and folders the index was built from, with its pages and chunks of each."""
    try:
        found = _api().sources(index=index, on_build=_warn)
    except IndexProblem as error:
        raise _index_problem(error) from None
    if as_json:
        click.echo(json.dumps([asdict(each) for each in found], ensure_ascii=False))
        return
    for each in found:
        line = f"{each.path}  {each.pages} page(s), {each.chunks} chunks"
        if each.url_pattern:
            line += f"  addresses: {each.url_pattern}"
        if each.max_file_mb is not None:
            line += f"  files up to {each.max_file_mb:.3g} MiB"
        if each.excluded:
            line += f"  ({len(each.excluded)} removed on purpose)"
        click.echo(visible(line))


def _report_build(report: BuildReport) -> None:
    """One line per source that changed or failed, then the whole; exit 2 on a failure."""
    for failure in report.failed:
        _warn(failure)
    for each in report.sources.values():
        if each.changed or each.failed:
            click.echo(
                visible(
                    f"{each.root}: {len(each.added)} added, {len(each.updated)} updated, "
                    f"{len(each.removed)} removed, {each.unchanged} unchanged"
                    + (f", {len(each.failed)} failed" if each.failed else "")
                )
            )
    if report.published:
        verb = "rebuilt" if report.rebuilt else "updated"
        click.echo(
            f"{verb} {report.index_dir}: {report.pages} page(s), {report.chunks} chunks "
            f"in {report.seconds:.2f} s"
        )
    else:
        click.echo(f"{report.index_dir} is up to date ({report.chunks} chunks)")
    if report.failed:
        sys.exit(EXIT_ERROR)


class Terminated(Exception):
    """SIGTERM, turned into an exception so that a build cleans up as for Ctrl-C."""


@contextmanager
def _terminated_as_interrupt() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGTERM)

    def stop(signum: int, frame: object) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True, type=click.UNPROCESSED)
@filter_options
@click.option(
    "--limit", type=click.IntRange(0, MAX_LIMIT), default=10, show_default=True,
    help="Hits to show.",
)  # fmt: skip
@click.option(
    "--offset", type=click.IntRange(0, MAX_OFFSET), default=0, help="Hits to skip, for paging."
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "newest", "oldest"]),
    default="relevance",
    show_default=True,
    help="Order of hits; by date, undated chunks come last.",
)
@json_option
@click.option("--explain", is_flag=True, help="Show how each hit's score was made.")
@click.option(
    "--no-correct", is_flag=True, help="Search the words as typed, without typo tolerance."
)
@click.option(
    "--feedback",
    is_flag=True,
    help="Also find chunks that share the best hits' commonest words (RM3); about 2x "
    "slower; queries with -, +, field: or only phrases and prefix* are searched as typed.",
)
@color_option
@index_option
def search(
    query, filters, limit, offset, sort, as_json, explain, no_correct, feedback, color, index
):  # type: ignore[no-untyped-def]
    """Search for QUERY: ranked chunks, with matches highlighted and facet counts.

    \b
    Words are all optional; chunks matching more of them rank higher.
      "exact phrase"   -exclude   a OR b   prefix*
      title:word  type:event_report  topic:cybersecurity  sector:itu-d  year:2018
    A word of 5 letters or more that is neither indexed nor English also matches the
    closest indexed word (--no-correct: never).
    Exit status: 0 with hits, 1 with none, 2 on an error.
    """
    text = " ".join(query)
    try:
        results = None
        if not (explain or no_correct) and _within_remote_bounds(text, limit, offset):
            url = remote.find_server(resolve_index_dir(index)[0])
            if url:
                wanted = remote.search_parameters(text, filters, limit, offset, sort, feedback)
                results = remote.search(url, wanted)
        if results is None:
            results = _api().search(
                text, filters, limit=limit, offset=offset, index=index, explain=explain,
                on_build=_warn, sort=sort, correct=not no_correct, feedback=feedback,
            )  # fmt: skip
    except (IndexProblem, SearchError) as error:
        raise _index_problem(error) from None
    if as_json:
        click.echo(results_json(results))
    else:
        use_color = _use_color(color)
        # click strips styles off a pipe unless told: --color always means always.
        click.echo(render_text(results, Style(use_color), explain=explain), color=use_color)
    sys.exit(EXIT_FOUND if results.total else EXIT_NOT_FOUND)


def _within_remote_bounds(text: str, limit: int, offset: int) -> bool:
    return (
        0 < limit <= REMOTE_LIMIT
        and offset <= REMOTE_OFFSET
        and len(text) <= REMOTE_QUERY_CHARS
        and len(text.split()) <= REMOTE_QUERY_WORDS
    )


@cli.command()
@click.argument("chunk_id")
@json_option
@color_option
@index_option
def show(chunk_id: str, as_json: bool, color: str, index: Path | None) -> None:
    """Show the whole chunk CHUNK_ID (or a unique start of it) and its metadata."""
    try:
        chunk = _api().show(chunk_id, index=index, on_build=_warn)
    except (IndexProblem, SearchError) as error:
        raise _index_problem(error) from None
    except LookupError as error:
        _warn(error.args[0])
        sys.exit(EXIT_NOT_FOUND)
    if as_json:
        click.echo(json.dumps(chunk.to_dict(), ensure_ascii=False))
    else:
        use_color = _use_color(color)
        click.echo(render_chunk_text(chunk, Style(use_color)), color=use_color)


@cli.command()
@click.argument("query", nargs=-1)
@filter_options
@json_option
@index_option
def facets(query, filters, as_json, index):  # type: ignore[no-untyped-def]
    """Facet counts (type, sector, topic, year) for QUERY, or for every chunk."""
    try:
        results = _api().facets(" ".join(query), filters, index=index, on_build=_warn)
    except (IndexProblem, SearchError) as error:
        raise _index_problem(error) from None
    click.echo(results_json(results, with_hits=False) if as_json else render_facets_text(results))
    sys.exit(EXIT_FOUND if results.total else EXIT_NOT_FOUND)


@cli.command()
@index_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any other than 127.0.0.1 lets other machines search.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests made to this host name (repeatable), as a proxy in front "
    "forwards them; loopback names and --host's are always answered.",
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Processes to serve from: one searches on one core at a time.",
)
def serve(
    index: Path | None, host: str, allow_hosts: tuple[str, ...], port: int, workers: int
) -> None:
    """Serve the index read-only: a search page at http://HOST:PORT/ and a JSON API
    (/api/search, /api/facets, /api/chunks/ID, /api/stats). A build of the same index
    while it serves is picked up by the next request. Ctrl-C stops it.

    It answers only requests made to a loopback name, HOST or an --allow-host NAME
    (others get 400), so that no web page can point its own name at it and read it."""
    from dwsearch.app.web import CannotListen, host_name
    from dwsearch.app.web import serve as run_server

    for name in allow_hosts:
        if host_name(name) is None:
            raise click.BadParameter(f"{name!r} is no host name", param_hint="'--allow-host'")
    try:
        everywhere = ipaddress.ip_address(host).is_unspecified
    except ValueError:
        everywhere = False
    if everywhere:
        _warn(
            f"listening on every address (--host {host}): "
            "anyone on the network can search the index"
        )

    def unannounced(folder: Path, error: OSError) -> None:
        _warn(
            f"cannot write in {folder} ({error.strerror or error}): serving all the same, "
            "but 'dwsearch search' will not ask this server"
        )

    try:
        with _terminated_as_interrupt():  # SIGTERM too withdraws the announcement
            run_server(
                index,
                host,
                port,
                workers,
                on_ready=lambda url: _warn(f"serving {url} (Ctrl-C stops)"),
                on_build=_warn,
                allow_hosts=allow_hosts,
                on_unannounced=unannounced,
            )
    except IndexProblem as error:
        raise _index_problem(error) from None
    except CannotListen as error:
        raise UsageFailure(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


@cli.command()
@json_option
@index_option
def stats(as_json: bool, index: Path | None) -> None:
    """What the index holds: chunks by type, pages, terms, size, when built, corpus hash."""
    try:
        found = _api().stats(index=index, on_build=_warn)
    except IndexProblem as error:
        raise _index_problem(error) from None
    if as_json:
        click.echo(json.dumps(asdict(found), ensure_ascii=False))
        return
    click.echo(f"index          {found.index}")
    click.echo(f"chunks         {found.chunks}")
    for kind, count in found.chunks_by_type.items():
        click.echo(f"  {kind:<12} {count}")
    click.echo(f"pages          {found.pages}")
    click.echo(f"source files   {found.sources}")
    click.echo(f"distinct terms {found.distinct_terms}")
    click.echo(f"size on disk   {found.size_bytes / 1024:.0f} KiB")
    click.echo(f"built          {found.built_at}")
    click.echo(f"corpus hash    {found.corpus_hash}")


@cli.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["opensearch"]),  # dwsearch.app.export's, which loads Whoosh
    required=True,
    help="The engine to load the export into.",
)
@click.option("--name", default="dwsearch", show_default=True, help="The index to create and fill.")
@click.option(
    "--file-mb",
    type=FloatBetween(0, MAX_BULK_FILE_MB, min_open=True),
    default=5.0,
    show_default=True,
    help="The largest bulk file, in MiB.",
)
@json_option
@index_option
def export(
    out: Path, export_format: str, name: str, file_mb: float, as_json: bool, index: Path | None
) -> None:
    """Write the index's chunks into the folder OUT, for an OpenSearch cluster to search.

    \b
    OUT gets mapping.json (the index's analysis, BM25 and fields), bulk-0001.ndjson…
    (documents for the _bulk API) and load.sh, which loads them with one curl per file:
      HOST=http://localhost:9200 sh OUT/load.sh
    OUT must be new, empty, or an earlier export (which is replaced).
    """
    try:
        report = _api().export(
            out, index=index, format=export_format, name=name, file_mb=file_mb, on_build=_warn
        )
    except (IndexProblem, ValueError) as error:  # an ExportError is a ValueError
        raise UsageFailure(str(error)) from None
    if as_json:
        click.echo(json.dumps(asdict(report), ensure_ascii=False))
        return
    files = len(report.bulk_files)
    size = report.bytes / 1024
    click.echo(
        visible(
            f"exported {report.chunks} chunks to {out}: {report.files[0]}, {files} bulk "
            f"file{'s' if files != 1 else ''} "
            f"({f'{size / 1024:.1f} MiB' if size >= 1024 else f'{size:.0f} KiB'}), "
            f"{report.files[-1]}"
        )
    )
    click.echo(visible(f"load them with: HOST=http://localhost:9200 sh {out / report.files[-1]}"))


@cli.command()
@click.argument("collection", type=click.Path(path_type=Path))
@json_option
@click.option(
    "--limit", type=click.IntRange(1, MAX_LIMIT), default=100, show_default=True,
    help="Results per query.",
)  # fmt: skip
@click.option("--feedback", is_flag=True, help="Search as `search --feedback` does.")
def evaluate(collection: Path, as_json: bool, limit: int, feedback: bool) -> None:
    """Measure ranking on COLLECTION, a folder of judged queries in BEIR layout.

    \b
    COLLECTION holds corpus.jsonl (_id, title, text), queries.jsonl (_id, text) and
    qrels/test.tsv (query-id, corpus-id, score). Prints nDCG@10, MAP@100, MRR@10 and
    Recall@100; --json adds each query's figures. Needs the eval extra.
    """
    try:
        found = _api().evaluate(collection, limit=limit, feedback=feedback)
    except (IngestError, SearchError) as error:
        raise UsageFailure(str(error)) from None
    if as_json:
        click.echo(json.dumps(asdict(found), ensure_ascii=False))
        return
    click.echo(f"{found.collection}: {found.documents} documents, {found.queries} judged queries")
    for name, value in found.measures.items():
        click.echo(f"  {name:<11} {value:.4f}")


def _format_chunk(chunk) -> str:  # type: ignore[no-untyped-def]
    facets = []
    if chunk.date:
        facets.append("date " + date_label(chunk))
    if chunk.years:
        facets.append("years " + ", ".join(map(str, chunk.years)))
    if chunk.sectors:
        facets.append("sectors " + ", ".join(chunk.sectors))
    if chunk.topics:
        facets.append("topics " + ", ".join(chunk.topics))
    head = f"{chunk.location}  [{chunk.type}]  {chunk.display_title}"
    lines = [head]
    if chunk.url:
        lines.append(f"    {chunk.url}")
    if chunk.text and chunk.title:
        lines.append(f"    {chunk.text}")
    elif chunk.text:
        lines.append(f"    {chunk.text[:300]}{'…' if len(chunk.text) > 300 else ''}")
    if facets:
        lines.append("    " + "; ".join(facets))
    return visible("\n".join(lines)) + "\n"
