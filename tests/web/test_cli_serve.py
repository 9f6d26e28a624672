"""`dwsearch serve` as a user runs it: it says where it serves, on loopback unless told,
says in one line why it cannot, and a build while it serves fails no request."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from web_support import Client, LiveServer

from dwsearch.app import remote
from dwsearch.app.api import build
from dwsearch.app.web import listen
from helpers import seed_variants, write

pytestmark = pytest.mark.slow


class Served:
    """`dwsearch serve ARGS` in a child process, until stopped."""

    def __init__(self, *args: str, run_as: tuple[list[str], dict[str, Any]] = ([], {})) -> None:
        """`run_as`: a command to run it under (setpriv) and Popen's arguments."""
        prefix, popen = run_as
        command = [*prefix, sys.executable, "-m", "dwsearch.app", "serve", "--port", "0", *args]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ,
            **popen,
        )
        assert self.process.stderr is not None
        # What it says up to the line that says where it serves (or until it stops).
        self.said = [self.process.stderr.readline()]
        while self.said[-1] and not self.said[-1].startswith("dwsearch: serving "):
            self.said.append(self.process.stderr.readline())
        self.first_line = self.said[0]
        found = re.search(r"serving http://([^/]+)/", self.said[-1])
        self.url = f"http://{found.group(1)}" if found else ""

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        _, rest = self.process.communicate(timeout=30)
        return self.process.returncode, rest


def test_serve_listens_on_loopback_and_answers(seed_index):
    served = Served("--index", str(seed_index), "--workers", "1")
    try:
        assert re.fullmatch(r"dwsearch: serving http://127\.0\.0\.1:\d+/ \(Ctrl-C stops\)\n",
                            served.first_line)  # fmt: skip
        client = Client(served.url)
        assert client.get("/api/search?q=satellites").json()["total"] > 0
        assert "<form" in client.get("/").text
    finally:
        code, rest = served.stop()
    assert (code, rest) == (130, "dwsearch: interrupted\n")  # Ctrl-C, as for every command


def test_serve_from_two_worker_processes_by_default(seed_index):
    served = Served("--index", str(seed_index))
    try:
        client = Client(served.url)
        totals = {client.get("/api/search?q=satellites").json()["total"] for _ in range(20)}
        assert len(totals) == 1 and totals.pop() > 0
        children = subprocess.run(
            ["ps", "-ww", "--ppid", str(served.process.pid), "-o", "args="],
            capture_output=True, text=True, check=False,
        ).stdout.splitlines()  # fmt: skip
        assert sum("spawn_main" in child for child in children) == 2
    finally:
        code, rest = served.stop()
    assert code == 130 and rest.endswith("dwsearch: interrupted\n")  # as with one worker


def test_a_taken_port_is_one_line_and_exit_2(seed_index):
    taken = listen("127.0.0.1", 0)
    port = str(taken.getsockname()[1])
    try:
        result = subprocess.run(
            [sys.executable, "-m", "dwsearch.app", "serve", "--index", str(seed_index),
             "--port", port],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        taken.close()
    assert result.returncode == 2
    assert result.stderr.startswith(f"dwsearch: cannot listen on 127.0.0.1:{port}: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_index_is_one_line_and_exit_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dwsearch.app", "serve", "--index", str(tmp_path / "none")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("dwsearch: no index at ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_build_while_serving_is_seen_by_the_next_request_and_fails_none(tmp_path, seed_text):
    pages, index = tmp_path / "pages", tmp_path / "index"
    seed_variants(pages, 12, seed_text)
    build([pages], index=index)
    server = LiveServer(index)
    client = Client(server.url)
    failures: list[str] = []
    answered = [0]
    stop = threading.Event()

    def keep_searching(query: str) -> None:
        while not stop.is_set():
            for path in (f"/api/search?q={query}", f"/?q={query}", "/api/facets?q=itu"):
                try:
                    response = client.get(path)
                except OSError as error:
                    failures.append(f"{path}: {error}")
                    continue
                if response.status_code != 200:
                    failures.append(f"{path}: {response.status_code} {response.text[:300]}")
                answered[0] += 1

    clients = [
        threading.Thread(target=keep_searching, args=(query,))
        for query in ("satellites", "artificial+intelligence", "standardisation", "spectrum")
    ]
    try:
        for thread in clients:
            thread.start()
        time.sleep(0.3)
        for round_ in range(3):
            build(index=index, rebuild=True)
            write(
                pages / f"new-{round_}.txt", f"Quokka Council {round_}\n\nQuokkas{round_} meet.\n"
            )
            build(index=index)
            # The very next request sees what the build published.
            assert client.get(f"/api/search?q=quokkas{round_}").json()["total"] == 1
        time.sleep(0.3)
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=60)
        server.stop()
    assert failures == []
    assert answered[0] > 50


def test_the_search_command_still_loads_no_web_stack(seed_index):
    code = (
        "import sys\n"
        "from dwsearch.app import startup; startup.install()\n"
        "from dwsearch.app.cli import cli\n"
        "try:\n"
        f"    cli.main(['search', 'satellites', '--index', {str(seed_index)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('starlette', 'uvicorn', 'jinja2', 'httptools', 'uvloop', 'anyio')"
        " or m.startswith('dwsearch.app.web')), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path.cwd()
    )
    assert result.stderr.strip().splitlines()[-1] == "[]"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dwsearch.app", *args], capture_output=True, text=True, check=False
    )


def _comparable(stdout: str) -> str:
    return re.sub(r'"took_ms": [0-9.]+', "", stdout)


@pytest.mark.parametrize(
    "args",
    [
        ["satellites"],
        ["AI satellites", "--json"],
        ["cybersecurty", "--json"],  # a typo: the server corrects as the command would
        ["", "--kind", "actor", "--year", "2015..2018", "--json"],
        ["telecom*", "--sort", "newest", "--limit", "3", "--offset", "2", "--color", "always"],
        ["privacy", "--basket", "nonsense"],  # refused: the same sentence either way
        ["spectrum allocation", "--feedback", "--json"],
        ["satellites", "--offset", "20000"],  # past the API's bound: the command searches
    ],
)
def test_the_search_command_asks_a_running_server_and_prints_the_same(seed_index, tmp_path, args):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    alone = _cli("search", *args, "--index", str(index))
    served = Served("--index", str(index), "--workers", "1")
    try:
        assert list(index.glob(".serve-*.json"))  # it says it is up
        asked = _cli("search", *args, "--index", str(index))
    finally:
        served.stop()
    assert not list(index.glob(".serve-*.json"))  # and withdraws when it stops
    assert (asked.returncode, asked.stderr) == (alone.returncode, alone.stderr)
    assert _comparable(asked.stdout) == _comparable(alone.stdout)


def test_a_search_answered_by_a_server_loads_no_whoosh(seed_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    code = (
        "import sys\n"
        "from dwsearch.app.cli import cli\n"
        "try:\n"
        f"    cli.main(['search', 'satellites', '--index', {str(index)!r}])\n"
        "except SystemExit as done:\n"
        "    code = done.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'whoosh', 'numpy', 'bs4'})\n"
        "print(code, heavy, file=sys.stderr)\n"
    )
    served = Served("--index", str(index), "--workers", "1")
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    finally:
        served.stop()
    assert result.stderr.strip().splitlines()[-1] == "0 []"


def test_a_server_that_is_gone_is_ignored(seed_index, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    pid = int(dead.stdout)
    announced = {"url": "http://127.0.0.1:9", "pid": pid, "api": remote.API_LEVEL}
    write(index / f".serve-{pid}.json", json.dumps(announced))
    result = _cli("search", "satellites", "--index", str(index))
    assert result.returncode == 0 and "Satellites" in result.stdout and result.stderr == ""


def test_a_server_of_an_older_api_is_never_asked(tmp_path):
    """A server started before an upgrade would ignore the parameters it does not know
    (feedback=1) and answer as if they were not given."""
    alive = {"url": "http://127.0.0.1:8765", "pid": os.getpid()}
    for level, found in (
        (None, None),
        (remote.API_LEVEL - 1, None),
        (remote.API_LEVEL, alive["url"]),
    ):
        announced = alive if level is None else {**alive, "api": level}
        write(tmp_path / f".serve-{os.getpid()}.json", json.dumps(announced))
        assert remote.find_server(tmp_path) == found


def _answers(url: str) -> bool:
    """Whether anything answers HTTP at `url` (the Host header a loopback name)."""
    host, _, port = url.removeprefix("http://").rpartition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _children(pid: int) -> list[int]:
    listed = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="],
                            capture_output=True, text=True, check=False)  # fmt: skip
    return [int(line) for line in listed.stdout.split()]


def test_a_killed_serve_takes_its_workers_with_it_and_the_next_one_cleans_up(seed_index, tmp_path):
    """kill -9 of `serve` runs none of its clean-up: its workers must still die (not go
    on answering on the port, holding it against the next `serve`), and what it left in
    the index folder is neither trusted nor kept."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    served = Served("--index", str(index), "--workers", "2")
    workers = []
    try:
        assert _answers(served.url)
        workers = _children(served.process.pid)
        served.process.kill()
        served.process.wait()
        deadline = time.monotonic() + 10
        while _answers(served.url) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _answers(served.url), "a worker of the killed serve still answers"

        left = [path.name for path in index.glob(".serve-*")]
        assert left == [f".serve-{served.process.pid}.json"]  # SIGKILL removed nothing
        alone = _cli("search", "satellites", "--index", str(index))  # not asked: it is gone
        assert alone.returncode == 0 and "Satellites" in alone.stdout and alone.stderr == ""

        port = served.url.rpartition(":")[2]
        again = Served("--index", str(index), "--workers", "2", "--port", port)
        try:
            assert again.url == served.url, again.said
            assert _answers(again.url)
            left = [path.name for path in index.glob(".serve-*")]
            assert left == [f".serve-{again.process.pid}.json"]
        finally:
            again.stop()
    finally:
        for pid in workers:  # where the test fails, what it started goes all the same
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        served.process.stderr.close()  # type: ignore[union-attr]
        served.process.stdout.close()  # type: ignore[union-attr]


NOBODY = 65534


def _as_nobody() -> tuple[list[str], dict[str, Any]]:
    """How to run a child as an unprivileged user (root writes anywhere): setpriv, or
    Popen's own switch; the test is skipped only where neither runs this Python."""
    if os.geteuid() != 0:
        return [], {}
    ways: list[tuple[list[str], dict[str, Any]]] = [
        ([], {"user": NOBODY, "group": NOBODY, "extra_groups": []})
    ]
    if shutil.which("setpriv"):
        drop = [f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        ways.insert(0, (["setpriv", *drop], {}))
    for prefix, popen in ways:
        with contextlib.suppress(OSError):
            probe = subprocess.run([*prefix, sys.executable, "-c", "import dwsearch.app.cli"],
                                   capture_output=True, check=False, **popen)  # fmt: skip
            if probe.returncode == 0:
                return prefix, popen
    pytest.skip(f"neither setpriv nor Popen(user=) runs {sys.executable} as uid {NOBODY}")


def test_an_index_it_cannot_write_is_served_all_the_same(seed_index):
    """Searching only reads: a read-only index folder is served, with one line saying
    the command line will not find the server (it cannot say it is up there)."""
    nobody = _as_nobody()
    folder = Path(tempfile.mkdtemp(prefix="dwsearch-read-only-"))
    index = folder / "index"
    try:
        folder.chmod(0o755)
        shutil.copytree(seed_index, index)
        for path in [index, *index.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        probe = subprocess.run([*nobody[0], "touch", str(index / "probe")],
                               capture_output=True, check=False, **nobody[1])  # fmt: skip
        assert probe.returncode != 0, "the index folder is writable after all"

        # One process: where setpriv runs it, a worker started by Python may not be able to
        # run Python itself (its file under a folder that user cannot open).
        served = Served("--index", str(index), "--workers", "1", run_as=nobody)
        try:
            assert len(served.said) == 2, served.said
            assert served.said[0] == (
                f"dwsearch: cannot write in {index} (Permission denied): serving all the "
                "same, but 'dwsearch search' will not ask this server\n"
            )
            assert served.url
            answer = Client(served.url).get("/api/search?q=satellites")
            assert answer.status_code == 200 and answer.json()["total"] > 0
            assert not list(index.glob(".serve-*"))
        finally:
            code, rest = served.stop()
        assert (code, rest) == (130, "dwsearch: interrupted\n")
    finally:
        for path in [folder, index, *index.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def test_listening_on_every_address_is_said_and_foreign_hosts_are_refused(seed_index):
    served = Served("--index", str(seed_index), "--host", "0.0.0.0", "--allow-host", "dw.example")
    try:
        assert served.said[0] == (
            "dwsearch: listening on every address (--host 0.0.0.0): anyone on the network "
            "can search the index\n"
        )
        port = int(served.url.rpartition(":")[2])
        client = Client(f"http://127.0.0.1:{port}")
        # The workers (two by default) answer the names serve was given, and no other.
        for _ in range(6):
            for name in ("127.0.0.1", "localhost", f"0.0.0.0:{port}", f"dw.example:{port}"):
                assert client.get("/api/search?q=itu", host=name).status_code == 200, name
            assert client.get("/api/search?q=itu", host="attacker.example").status_code == 400
    finally:
        served.stop()


def test_a_bad_host_name_to_allow_is_one_line_and_exit_2(seed_index):
    result = _cli("serve", "--index", str(seed_index), "--allow-host", "a b/c")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "--allow-host" in result.stderr and "Traceback" not in result.stderr


def test_a_host_given_by_another_name_is_answered_at_the_address_it_says(seed_index, tmp_path):
    """`--host 127.2` is 127.0.0.2 (any name may stand for an address): the address it
    says it serves at is answered, and `dwsearch search` asks it there."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    alone = _cli("search", "satellites", "--json", "--index", str(index))
    served = Served("--index", str(index), "--host", "127.2")
    try:
        assert served.url.startswith("http://127.0.0.2:"), served.said
        assert Client(served.url).get("/api/search?q=satellites").status_code == 200
        asked = _cli("search", "satellites", "--json", "--index", str(index))
    finally:
        served.stop()
    assert (asked.returncode, asked.stderr) == (alone.returncode, alone.stderr)
    assert _comparable(asked.stdout) == _comparable(alone.stdout)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_stops_it_as_ctrl_c_does_and_withdraws_the_announcement(
    seed_index, tmp_path, workers
):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    served = Served("--index", str(index), "--workers", workers)
    assert _answers(served.url) and list(index.glob(".serve-*"))
    served.process.terminate()
    _, rest = served.process.communicate(timeout=30)
    assert served.process.returncode in (130, 143)
    assert rest.endswith(("dwsearch: terminated\n", "dwsearch: interrupted\n"))
    assert not list(index.glob(".serve-*"))
