"""Fault injection from outside, as SQLite's test hooks do: a crash test names a phase
of a build, and the build stops there as told."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

# Where a build stands, in order; a crash test stops a build at each.
PHASES = ("scanned", "written", "finished", "renamed", "published")
# `DWSEARCH_FAULT_AT=written` kills the build with SIGKILL when it reaches that phase;
# `written:raise` raises there instead; `written:pause=FILE` creates FILE and waits there
# until it is deleted.
FAULT_VARIABLE = "DWSEARCH_FAULT_AT"
PAUSE_LIMIT = 120.0


def reached(name: str) -> None:
    """Mark that a build reached phase `name`; a crash test may stop it here."""
    wanted = os.environ.get(FAULT_VARIABLE, "")
    phase, _, action = wanted.partition(":")
    if phase != name:
        return
    if action == "raise":
        raise RuntimeError(f"fault injected at {name}")
    if action.startswith("pause="):
        flag = Path(action[len("pause=") :])
        flag.touch()
        deadline = time.monotonic() + PAUSE_LIMIT
        while flag.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return
    os.kill(os.getpid(), signal.SIGKILL)
