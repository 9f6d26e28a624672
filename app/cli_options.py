"""What the `dwsearch` commands share: exit codes, one voice for problems, and the
options several commands take, each declared once (as sqlite-utils declares its output
options)."""

from __future__ import annotations

import functools
import math
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from dwsearch.search.filters import read_filters

from .bounds import MAX_DELAY, MAX_FILE_MB, MAX_PAGES, MAX_TIMEOUT
from .printers import visible
from .wording import for_cli

if TYPE_CHECKING:
    from types import ModuleType

EXIT_FOUND, EXIT_NOT_FOUND, EXIT_ERROR = 0, 1, 2


def api() -> ModuleType:
    """The application API, loaded when a command needs it: a search that a running
    server answers never loads Whoosh, numpy or the index (see `remote`)."""
    from dwsearch.app import api as application

    return application


class UsageFailure(click.ClickException):
    """A problem the user can fix; exits 2 with one line on stderr."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"dwsearch: {visible(self.format_message())}", err=True)


def warn(message: str) -> None:
    click.echo(f"dwsearch: {visible(message)}", err=True)


def wait_notice() -> None:
    warn("another build is running on this index; waiting for it")


class Terminated(BaseException):
    """SIGTERM, turned into an exception so that a build cleans up as for Ctrl-C; not an
    Exception, as KeyboardInterrupt is not, so that no `except Exception` swallows it."""


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGTERM)

    def stop(signum: int, frame: object) -> None:
        raise Terminated

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class WordsCommand(click.Command):
    """A command whose arguments are the words of a query, where a word that starts with
    `-` excludes it. An option the command does not have (`--yaer`, or a lone letter
    such as `-n`) is a mistake, refused with the nearest option, never searched as a
    word; after `--`, everything is words."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = [p for p in self.get_params(ctx) if isinstance(p, click.Option)]
        known = {name for p in options for name in (*p.opts, *p.secondary_opts)}
        with_value = {name for p in options if not (p.is_flag or p.count) for name in p.opts}
        value_next = False
        for arg in args:
            if arg == "--":
                break
            if value_next:
                value_next = False
                continue
            name = arg.split("=", 1)[0]
            if name in known:
                value_next = name in with_value and "=" not in arg
            elif name.startswith("--") or re.fullmatch(r"-[^\W\d_]", name):
                longs = sorted(n for n in known if n.startswith("--"))
                import difflib  # declared deferred: only a mistyped option

                nearest = difflib.get_close_matches(name, longs, n=1, cutoff=0.6)
                hint = f"; did you mean {nearest[0]}?" if nearest else ""
                raise click.UsageError(f"no such option {name}{hint}", ctx)
        return super().parse_args(ctx, args)


def words_command(short_help: str) -> Callable[[Callable[..., Any]], click.Command]:
    """A command whose arguments are QUERY's words (see `WordsCommand`)."""

    def declare(function: Callable[..., Any]) -> click.Command:
        words = click.argument("query", nargs=-1, type=click.UNPROCESSED)(function)
        return click.command(
            cls=WordsCommand,
            context_settings={"ignore_unknown_options": True},
            short_help=short_help,
        )(words)

    return declare


def use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


class FloatBetween(click.FloatRange):
    """click's FloatRange, which refuses nan too (nan passes every comparison)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number.", param, ctx)
        return number


class IntBetween(click.IntRange):
    """click's IntRange, whose refusal of a word says "not a whole number" (IntRange's
    own reads "not a valid integer range", as if a range were asked for)."""

    name = "integer"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and not value.strip().lstrip("+-").isdigit():
            self.fail(f"{value!r} is not a whole number.", param, ctx)
        return super().convert(value, param, ctx)


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


def crawl_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """How politely and how far a build fetches its web sources."""
    options = [
        click.option(
            "--delay",
            type=FloatBetween(0, MAX_DELAY),
            metavar="SECONDS",
            help="Wait this long between two requests to a site (default 1; robots.txt's "
            "Crawl-delay wins when longer).",
        ),
        click.option(
            "--timeout",
            type=FloatBetween(0, MAX_TIMEOUT, min_open=True),
            metavar="SECONDS",
            help="Give up on a page whose answer takes longer (default 30).",
        ),
        click.option(
            "--max-pages",
            type=IntBetween(1, MAX_PAGES),
            metavar="N",
            help="Ask a site for at most N pages this run; the others wait for the next.",
        ),
        click.option(
            "--allow-host",
            "allow_hosts",
            multiple=True,
            metavar="HOST",
            help="Also follow pages and redirects on HOST (remembered with the site).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _facet_option(flag: str, name: str, metavar: str, which: str) -> Any:
    return click.option(
        flag,
        name,
        multiple=True,
        metavar=metavar,
        help=f"Only chunks {which}; repeat for any of several (every value: dwsearch facets).",
    )


FILTER_PARAMETERS = (
    "types", "kinds", "sectors", "topics", "baskets", "years", "since", "until", "pages",
)  # fmt: skip


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The filters, declared once for every command that filters; repeat one to OR values.

    The command receives them read and checked, as one `filters` argument.
    """
    options = [
        _facet_option("--type", "types", "TYPE", "of this type (profile, event_report…)"),
        _facet_option("--kind", "kinds", "KIND", "of this kind of page (actor, event…)"),
        _facet_option("--sector", "sectors", "SECTOR", "about this ITU sector (ITU-D…)"),
        _facet_option("--topic", "topics", "TOPIC", "on this topic, by slug or name"),
        _facet_option("--basket", "baskets", "BASKET", "in this basket, by slug or name"),
        click.option(
            "--year",
            "years",
            multiple=True,
            metavar="YEARS",
            help="Only chunks about these years: 2018, 2015..2018, 2015.. or ..2018; "
            "repeat for any of several.",
        ),
        click.option(
            "--since",
            default="",
            metavar="DATE",
            help="Only chunks dated on or after DATE: 2017, 2017-04 or 2017-04-24 (a year or "
            "month counts from its first day).",
        ),
        click.option(
            "--until",
            default="",
            metavar="DATE",
            help="Only chunks dated on or before DATE (a year or month counts to its last day).",
        ),
        click.option(
            "--from-page",
            "pages",
            multiple=True,
            metavar="SOURCE",
            help="Only chunks of this page, named by its source as JSON's `source` says "
            "(its file; for a page fetched from a site, its address); repeat for any of "
            "several.",
        ),
    ]

    @functools.wraps(command)
    def with_filters(*args: Any, **given: Any) -> Any:
        values = {name: given.pop(name) for name in FILTER_PARAMETERS}
        given["filters"] = read_filters(**values)
        return command(*args, **given)

    for option in reversed(options):
        with_filters = option(with_filters)
    return with_filters


def worded(error: BaseException) -> UsageFailure:
    """A stage's error as the command says it."""
    return UsageFailure(for_cli(error))
