"""The commands around an index: serve it, export it, measure its ranking."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict
from pathlib import Path

import click

from dwsearch.lexicon.files import size_label
from dwsearch.search.results import MAX_LIMIT

from .bounds import (
    DEFAULT_EXPORT_FILE_MB,
    DEFAULT_EXPORT_NAME,
    EXPORT_FORMATS,
    MAX_BULK_FILE_MB,
)
from .cli_options import (
    FloatBetween,
    IntBetween,
    UsageFailure,
    api,
    index_option,
    json_option,
    terminated_as_interrupt,
    warn,
)
from .printers import visible


@click.command(short_help="Serve a search page and a JSON API over the index.")
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
@click.option("--port", type=IntBetween(0, 65535), default=8765, show_default=True, help="Port.")
@click.option(
    "--workers",
    type=IntBetween(1, 64),
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
        warn(
            f"listening on every address (--host {host}): "
            "anyone on the network can search the index"
        )

    def unannounced(folder: Path, error: OSError) -> None:
        warn(
            f"cannot write in {folder} ({error.strerror or error}): serving all the same, "
            "but 'dwsearch search' will not ask this server"
        )

    try:
        with terminated_as_interrupt():  # SIGTERM too withdraws the announcement
            run_server(
                index,
                host,
                port,
                workers,
                on_ready=lambda url: warn(f"serving {url} (Ctrl-C stops)"),
                on_build=warn,
                allow_hosts=allow_hosts,
                on_unannounced=unannounced,
            )
    except CannotListen as error:
        raise UsageFailure(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


@click.command(short_help="Write the index's chunks for OpenSearch to load.")
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "export_format",
    type=click.Choice(EXPORT_FORMATS),
    required=True,
    help="The engine to load the export into.",
)
@click.option(
    "--name", default=DEFAULT_EXPORT_NAME, show_default=True, help="The index to create and fill."
)
@click.option(
    "--file-mb",
    type=FloatBetween(0, MAX_BULK_FILE_MB, min_open=True),
    default=DEFAULT_EXPORT_FILE_MB,
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
    report = api().export(
        out, index=index, format=export_format, name=name, file_mb=file_mb, on_build=warn
    )
    if as_json:
        click.echo(json.dumps(asdict(report), ensure_ascii=False))
        return
    files = len(report.bulk_files)
    click.echo(
        visible(
            f"exported {report.chunks} chunks to {out}: {report.files[0]}, {files} bulk "
            f"file{'s' if files != 1 else ''} ({size_label(report.bytes)}), "
            f"{report.files[-1]}"
        )
    )
    click.echo(visible(f"load them with: HOST=http://localhost:9200 sh {out / report.files[-1]}"))


@click.command(short_help="Measure ranking on a judged collection (BEIR layout).")
@click.argument("collection", type=click.Path(path_type=Path))
@json_option
@click.option(
    "--limit", type=IntBetween(1, MAX_LIMIT), default=100, show_default=True,
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
    found = api().evaluate(collection, limit=limit, feedback=feedback)
    if as_json:
        click.echo(json.dumps(asdict(found), ensure_ascii=False))
        return
    click.echo(
        f"{visible(str(found.collection))}: {found.documents} documents, "
        f"{found.queries} judged queries"
    )
    for name, value in found.measures.items():
        click.echo(f"  {name:<11} {value:.4f}")
