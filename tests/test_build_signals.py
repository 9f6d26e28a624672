"""Ctrl-C, SIGTERM and SIGKILL on a real `dwsearch build` of a few hundred pages, with
its output piped: it ends within 2 s, says one line, leaves no worker running and no
half-built generation, and the live index stays as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dwsearch.app.api import build, search
from helpers import needs_parallel_builds, seed_variants

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
try:
    from stress import descendants as _descendants  # the stress suite's orphan check
finally:
    sys.path.pop(0)

pytestmark = [pytest.mark.slow, needs_parallel_builds]
# The parallel build's workers are forked, so they carry this in their command line.
COMMAND = [sys.executable, "-m", "dwsearch.app", "build", "--rebuild"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_text):
    folder = tmp_path_factory.mktemp("signals")
    seed_variants(folder / "pages", 300, seed_text)
    return folder / "pages"


def _start(pages: Path, index: Path) -> subprocess.Popen:
    """A real build in its own process group, output piped and never read (as `| tee`
    that has stopped reading would leave it)."""
    return subprocess.Popen(
        [*COMMAND, str(pages), "--index", str(index)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_until_workers_run(process: subprocess.Popen, index: Path) -> None:
    deadline = time.time() + 60
    while not list(index.glob("building-*/part-*")):
        assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
        assert time.time() < deadline
        time.sleep(0.01)
    time.sleep(0.3)  # a few pages into the work


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGINT, 130, "dwsearch: interrupted\n"),
        (signal.SIGTERM, 143, "dwsearch: terminated\n"),
    ],
)
def test_a_stopped_build_ends_cleanly_within_two_seconds(tmp_path, corpus, signum, code, said):
    index = tmp_path / "index"
    build([corpus / "page-0000.txt"], index=index)
    before = [h.id for h in search("AI satellites", index=index).hits]
    process = _start(corpus, index)
    _wait_until_workers_run(process, index)
    assert _descendants(process.pid), "the build runs worker processes"

    stopped = time.monotonic()
    os.killpg(process.pid, signum) if signum == signal.SIGINT else process.send_signal(signum)
    _, stderr = process.communicate(timeout=10)
    assert time.monotonic() - stopped < 2.0
    assert process.returncode == code
    assert stderr.decode() == said
    time.sleep(0.2)
    assert _descendants(process.pid) == []
    assert not list(index.glob("building-*"))
    assert [h.id for h in search("AI satellites", index=index).hits] == before


def test_workers_die_with_a_killed_build(tmp_path, corpus):
    """M1: SIGKILL gives the build no chance to clean up; its workers still end."""
    index = tmp_path / "index"
    process = _start(corpus, index)
    _wait_until_workers_run(process, index)
    workers = _descendants(process.pid)
    assert workers
    process.kill()
    process.wait(timeout=10)
    deadline = time.time() + 5
    while _descendants(process.pid) and time.time() < deadline:
        time.sleep(0.05)
    assert _descendants(process.pid) == []
    # the next build removes what the killed one left, and completes
    report = build([corpus], index=index)
    assert report.published and not list(index.glob("building-*"))
