"""The `dwsearch` command's entry point.

It puts the start-up stand-ins in place (see `dwsearch.app.startup`) before the CLI
imports Whoosh, and only here: the process is dwsearch's alone, so nothing else can
be surprised by them. A program that imports dwsearch gets the real modules.
"""

from __future__ import annotations

import sys

from dwsearch.app import startup


def main() -> None:
    startup.install()
    from dwsearch.app.cli import cli  # after the stand-ins, by design

    sys.exit(cli.main(prog_name="dwsearch") or 0)
