"""`dwsearch serve`: the index over HTTP, as a JSON API and a search page.

Only `dwsearch serve` imports this package, so the web stack (Starlette, uvicorn,
Jinja2) costs a command-line search nothing.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

from dwsearch.app import api, remote
from dwsearch.index.children import die_with_parent

from .server import SEARCH_THREADS, create_app, host_name

__all__ = ["CannotListen", "create_app", "host_name", "listen", "serve"]

BACKLOG = 2048  # uvicorn's own
# How `serve` tells its worker processes which index to open ("" for the default one),
# the host names to answer to (a JSON list), and its own pid (they die with it).
WORKER_INDEX = "DWSEARCH_SERVE_INDEX"
WORKER_HOSTS = "DWSEARCH_SERVE_HOSTS"
WORKER_PARENT = "DWSEARCH_SERVE_PARENT"


class CannotListen(OSError):
    """The address cannot be listened on (taken, not this machine's, not allowed)."""


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port` (0: any free port); CannotListen if it cannot.

    Connections wait in its backlog until the server takes them, so the address can be
    announced as soon as this returns.
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        family, kind, proto, _, address = found
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise CannotListen(error.errno, error.strerror or str(error)) from error
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        raise CannotListen(error.errno, error.strerror or str(error)) from error
    return sock


def address_of(sock: socket.socket) -> str:
    """The address a browser opens for a listening socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _config(app: Starlette | str, **options: object) -> uvicorn.Config:
    return uvicorn.Config(
        app, log_level="warning", access_log=False, server_header=False, lifespan="on", **options
    )


def app_for_worker() -> Starlette:
    """The application in a worker process that `serve` started (uvicorn calls this).

    The worker dies with `serve`, however `serve` dies: one left behind would go on
    answering on the port, and hold it against the next `serve`.
    """
    parent = os.environ.get(WORKER_PARENT)
    if parent:
        die_with_parent(int(parent))
    hosts = json.loads(os.environ.get(WORKER_HOSTS) or "[]")
    return create_app(api.Service(os.environ.get(WORKER_INDEX) or None), SEARCH_THREADS, hosts)


def serve(
    index: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    workers: int = 2,
    on_ready: Callable[[str], None] | None = None,
    on_build: Callable[[str], None] | None = None,
    allow_hosts: Iterable[str] = (),
    on_unannounced: Callable[[Path, OSError], None] | None = None,
) -> None:
    """Serve the index until interrupted, from `workers` processes.

    It answers requests for a loopback name, `host` or one of `allow_hosts`. The index
    is opened (the default one built if need be) before the port is taken, so a problem
    with it is said at once. An index folder it cannot write is served all the same:
    `on_unannounced` is told the folder, and why the server could not say it is up there.
    """
    service = api.Service(index, on_build)
    service.check()
    sock = listen(host, port)
    # The address it listens on too: the one it says it serves at, where `host` is a name.
    names = [host, sock.getsockname()[0], *allow_hosts]
    hosts = sorted({name for name in map(host_name, names) if name})
    # `dwsearch search` on the same index asks this server while it runs.
    announced = None
    try:
        announced = remote.announce(service.directory, address_of(sock))
    except OSError as error:
        if on_unannounced:
            on_unannounced(service.directory, error)
    if on_ready:
        on_ready(address_of(sock))
    try:
        if workers == 1:
            server = uvicorn.Server(_config(create_app(service, SEARCH_THREADS, hosts)))
            server.run(sockets=[sock])
            if not server.started:
                return  # it could not start, and said why
        else:
            service.session().close()  # each worker opens its own
            os.environ[WORKER_INDEX] = "" if index is None else str(service.directory)
            os.environ[WORKER_HOSTS] = json.dumps(hosts)
            os.environ[WORKER_PARENT] = str(os.getpid())
            config = _config(f"{__name__}:app_for_worker", factory=True, workers=workers)
            Multiprocess(config, sockets=[sock]).run()
    finally:
        if announced:
            remote.withdraw(announced)
    # A server returns only once a signal has stopped it (uvicorn does not always raise
    # it again): say so as every dwsearch command does, "interrupted" and exit 130.
    raise KeyboardInterrupt
