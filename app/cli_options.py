"""What the `dwsearch` commands share: exit codes, one voice for problems, and the
options several commands take, each declared once (as sqlite-utils declares its output
options)."""

from __future__ import annotations

import functools
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from dwsearch.search.filters import read_filters

from .bounds import MAX_FILE_MB
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


class Terminated(Exception):
    """SIGTERM, turned into an exception so that a build cleans up as for Ctrl-C."""


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

FILTER_PARAMETERS = ("types", "kinds", "sectors", "topics", "baskets", "years", "since", "until")


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
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
