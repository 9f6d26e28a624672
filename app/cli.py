"""The `dwsearch` command: a thin click layer over the application API.

Commands parse their arguments, call a function of `dwsearch.app.api`, and hand the
result to a printer (`printers`). Their options are declared once (`cli_options`), and
their problems said in one voice: the stages raise structured errors, and the group
words every one of them here (`wording.for_cli`), one line on stderr and exit 2. The
commands live by concern: searching (`cli_search`), the index's sources
(`cli_sources`), and serving, exporting and evaluating (`cli_tools`).
"""

from __future__ import annotations

import signal
import sys
from typing import Any

import click

from dwsearch.index.location import IndexProblem
from dwsearch.ingest.datafiles import DataFileError
from dwsearch.ingest.sources import IngestError
from dwsearch.search.errors import SearchError

from . import cli_search, cli_sources, cli_tools
from .cli_options import EXIT_ERROR, Terminated, warn, worded

# The errors of the stages, each worded for the command line.
STAGE_ERRORS = (SearchError, IndexProblem, IngestError, DataFileError)


class Interrupted(Exception):
    """Ctrl-C, carried past click (which would print a blank line for it)."""


class DwsearchGroup(click.Group):
    """Errors as one line on stderr and exit 2, as ripgrep reports them; the commands
    listed in the order of the work, not the alphabet's."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted from None
        except STAGE_ERRORS as error:
            raise worded(error) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as bare:  # `dwsearch` alone: its help
            click.echo(bare.ctx.get_help() if bare.ctx else "")
            code = 0
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
            message = " ".join(error.format_message().split())  # click's may take lines
            warn(f"{message.rstrip('.')}{hint}")
            code = EXIT_ERROR
        except click.ClickException as error:
            error.show()
            code = error.exit_code
        except (click.Abort, KeyboardInterrupt, Interrupted, Terminated) as error:
            # A second Ctrl-C while this one is reported would be a traceback.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            if sys.stderr.isatty():
                click.echo(err=True)  # past the terminal's own "^C"
            warn("terminated" if isinstance(error, Terminated) else "interrupted")
            code = 143 if isinstance(error, Terminated) else 130
        except OSError as error:  # the file system said no: a full disk, a locked folder
            where = f"{error.filename}: " if error.filename else ""
            warn(f"{where}{error.strerror or error}")
            code = EXIT_ERROR
        if not standalone:
            return code
        sys.exit(code)


@click.group(cls=DwsearchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dwsearch")
def cli() -> None:
    """Search the GIP Digital Watch observatory's pages."""


# In the order of the work: search (the bundled page needs no set-up), build your own
# pages in and look after them, serve them, and the tools beyond.
for command in (
    cli_search.search,
    cli_search.show,
    cli_search.facets,
    cli_sources.build,
    cli_sources.sources,
    cli_sources.remove,
    cli_search.stats,
    cli_tools.serve,
    cli_tools.export,
    cli_sources.chunks,
    cli_tools.evaluate,
):
    cli.add_command(command)
