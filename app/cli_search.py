"""The commands that read an index: search, show, facets and stats."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from dwsearch.index.location import resolve_index_dir
from dwsearch.search.results import MAX_LIMIT, MAX_OFFSET, SORTS, Filters

from . import remote
from .bounds import within_bounds
from .cli_options import (
    EXIT_FOUND,
    EXIT_NOT_FOUND,
    IntBetween,
    api,
    color_option,
    filter_options,
    index_option,
    json_option,
    use_color,
    warn,
    words_command,
)
from .printers import (
    Style,
    render_chunk_text,
    render_facets_text,
    render_text,
    results_json,
    visible,
)


@words_command("Search: ranked chunks, matches marked, and facet counts.")
@filter_options
@click.option(
    "--limit", type=IntBetween(0, MAX_LIMIT), default=10, show_default=True,
    help="Hits to show.",
)  # fmt: skip
@click.option(
    "--offset", type=IntBetween(0, MAX_OFFSET), default=0, help="Hits to skip, for paging."
)
@click.option(
    "--sort",
    type=click.Choice(SORTS),
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
@click.option(
    "--all-chunks",
    is_flag=True,
    help="Plain relevance order: a page's hits after its first two are not moved below "
    "other pages' hits.",
)
@color_option
@index_option
def search(
    query: tuple[str, ...],
    filters: Filters,
    limit: int,
    offset: int,
    sort: str,
    as_json: bool,
    explain: bool,
    no_correct: bool,
    feedback: bool,
    all_chunks: bool,
    color: str,
    index: Path | None,
) -> None:
    """Search for QUERY: ranked chunks, with matches highlighted and facet counts.
    With filters and no QUERY, every chunk the filters keep (by --sort).

    \b
    Words are all optional; chunks matching more of them rank higher.
      "exact phrase"   -exclude   a OR b   prefix*
      title:word  type:event_report  topic:cybersecurity  sector:itu-d  year:2018
    A word of 5 letters or more that is neither indexed nor English also matches the
    closest indexed word (--no-correct: never).
    Exit status: 0 with hits, 1 with none, 2 on an error.
    """
    if not query and filters == Filters():
        raise click.UsageError("give QUERY words, a filter, or both")
    text = " ".join(query)
    results = None
    if not (explain or no_correct) and within_bounds(text, limit, offset):
        url = remote.find_server(resolve_index_dir(index)[0])
        if url:
            wanted = remote.search_parameters(
                text, filters, limit, offset, sort, feedback, all_chunks
            )
            results = remote.search(url, wanted)
    if results is None:
        results = api().search(
            text, filters, limit=limit, offset=offset, index=index, explain=explain,
            on_build=warn, sort=sort, correct=not no_correct, feedback=feedback,
            all_chunks=all_chunks,
        )  # fmt: skip
    if as_json:
        click.echo(results_json(results))
    else:
        colored = use_color(color)
        # click strips styles off a pipe unless told: --color always means always.
        click.echo(render_text(results, Style(colored), explain=explain), color=colored)
    sys.exit(EXIT_FOUND if results.total else EXIT_NOT_FOUND)


@click.command(short_help="Show one whole chunk and its metadata.")
@click.argument("chunk_id")
@json_option
@color_option
@index_option
def show(chunk_id: str, as_json: bool, color: str, index: Path | None) -> None:
    """Show the whole chunk CHUNK_ID (or a unique start of it) and its metadata."""
    try:
        chunk = api().show(chunk_id, index=index, on_build=warn)
    except LookupError as error:
        warn(error.args[0])
        sys.exit(EXIT_NOT_FOUND)
    if as_json:
        click.echo(json.dumps(chunk.to_dict(), ensure_ascii=False))
    else:
        colored = use_color(color)
        click.echo(render_chunk_text(chunk, Style(colored)), color=colored)


@words_command("Count the chunks of each facet's values, for QUERY or all.")
@filter_options
@json_option
@index_option
def facets(query: tuple[str, ...], filters: Filters, as_json: bool, index: Path | None) -> None:
    """Facet counts (type, kind, sector, topic, basket, year) for QUERY, or for every
    chunk; the filters narrow them."""
    results = api().facets(" ".join(query), filters, index=index, on_build=warn)
    click.echo(results_json(results, with_hits=False) if as_json else render_facets_text(results))
    sys.exit(EXIT_FOUND if results.total else EXIT_NOT_FOUND)


@click.command(short_help="Say what the index holds and when it was built.")
@json_option
@index_option
def stats(as_json: bool, index: Path | None) -> None:
    """What the index holds: chunks by type, pages, terms, size, when built, corpus hash."""
    found = api().stats(index=index, on_build=warn)
    if as_json:
        click.echo(json.dumps(asdict(found), ensure_ascii=False))
        return
    click.echo(f"index          {visible(str(found.index))}")
    click.echo(f"chunks         {found.chunks}")
    for kind, count in found.chunks_by_type.items():
        click.echo(f"  {kind:<12} {count}")
    click.echo(f"pages          {found.pages}")
    click.echo(f"source files   {found.sources}")
    click.echo(f"distinct terms {found.distinct_terms}")
    click.echo(f"size on disk   {found.size_bytes / 1024:.0f} KiB")
    click.echo(f"built          {found.built_at}")
    click.echo(f"corpus hash    {found.corpus_hash}")
