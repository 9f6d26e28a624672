"""The `dwsearch` command: a thin click layer over the Python API.

Commands parse their arguments, call a library function, and hand the result to a
printer. Heavy modules are imported inside the commands that need them, so
`dwsearch search` starts as fast as Whoosh's own reader allows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

EXIT_FOUND, EXIT_NOT_FOUND, EXIT_ERROR = 0, 1, 2


class UsageFailure(click.ClickException):
    """A problem the user can fix; exits 2 with one line on stderr."""

    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(f"dwsearch: {self.format_message()}", err=True)


def _warn(message: str) -> None:
    click.echo(f"dwsearch: {message}", err=True)


taxonomy_option = click.option(
    "--taxonomy",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A TOML taxonomy to tag chunks with, instead of the bundled one.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


class DwsearchGroup(click.Group):
    """Errors as one line on stderr and exit 2, as ripgrep reports them."""

    def main(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        standalone = kwargs.pop("standalone_mode", True)
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            _warn(f"{error.format_message().rstrip('.')}{hint}")
            code = EXIT_ERROR
        except click.ClickException as error:
            error.show()
            code = error.exit_code
        except (click.Abort, KeyboardInterrupt):
            _warn("interrupted")
            code = 130
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
def chunks(paths: tuple[Path, ...], as_json: bool, taxonomy: Path | None) -> None:
    """List the chunks of PATHS (files or folders), or of the bundled corpus.

    With --json, one JSON object per line. A file that cannot be read is reported
    on stderr and the others go on; the exit code is then 2.
    """
    from dwsearch.ingest import IngestError, bundled_corpus, chunk_paths, load_taxonomy

    try:
        vocabulary = load_taxonomy(taxonomy)
    except ValueError as error:
        raise UsageFailure(str(error)) from None
    failed = False
    for item in chunk_paths(paths or [bundled_corpus()], vocabulary):
        if isinstance(item, IngestError):
            _warn(str(item))
            failed = True
        elif as_json:
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
        else:
            click.echo(_format_chunk(item))
    if failed:
        sys.exit(EXIT_ERROR)


def _format_chunk(chunk) -> str:  # type: ignore[no-untyped-def]
    facets = []
    if chunk.years:
        facets.append("years " + ", ".join(map(str, chunk.years)))
    if chunk.sectors:
        facets.append("sectors " + ", ".join(chunk.sectors))
    if chunk.topics:
        facets.append("topics " + ", ".join(chunk.topics))
    head = f"{chunk.location}  [{chunk.type}]  {chunk.display_title}"
    lines = [head]
    if chunk.text and chunk.title:
        lines.append(f"    {chunk.text}")
    elif chunk.text:
        lines.append(f"    {chunk.text[:300]}{'…' if len(chunk.text) > 300 else ''}")
    if facets:
        lines.append("    " + "; ".join(facets))
    return "\n".join(lines) + "\n"


def main() -> None:
    code = cli.main(prog_name="dwsearch")
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
