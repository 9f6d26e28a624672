"""The small file by which `dwsearch serve` says it is up: one whose process is gone, or
that names no process there could be, is never trusted, and the next server removes
what dead ones left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dwsearch.app import remote
from helpers import write


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def _announce_as(folder: Path, pid: int | str, name: str | None = None) -> Path:
    announced = {"url": "http://127.0.0.1:9", "pid": pid, "api": remote.API_LEVEL}
    return write(folder / (name or f".serve-{pid}.json"), json.dumps(announced))


def test_the_next_server_removes_what_servers_that_are_gone_left(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    _announce_as(tmp_path, dead)
    _announce_as(tmp_path, dead, f".serve-{dead}.json.tmp")  # killed while writing it
    _announce_as(tmp_path, alive)  # another server of the index, still up
    write(tmp_path / ".serve-notes.json", "not a server's")
    mine = remote.announce(tmp_path, "http://127.0.0.1:8765/")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [mine.name, f".serve-{alive}.json", ".serve-notes.json"]
    )
    assert remote.find_server(tmp_path) in ("http://127.0.0.1:8765/", "http://127.0.0.1:9")


@pytest.mark.parametrize("pid", [0, -1, 2**31, 10**30])
def test_a_pid_no_server_can_have_is_not_trusted(tmp_path, pid):
    """0 and -1 name groups of processes to kill(), and a number too large for one is
    an OverflowError: none of them is a server that is up."""
    _announce_as(tmp_path, pid, ".serve-1.json")
    assert remote.find_server(tmp_path) is None
