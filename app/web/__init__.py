"""`dwsearch serve`: the index over HTTP, as a JSON API and a search page.

Only `dwsearch serve` imports this package, so the web stack (Starlette, uvicorn,
Jinja2) costs a command-line search nothing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

from dwsearch.app import api, remote

from .server import SEARCH_THREADS, create_app

__all__ = ["create_app", "listen", "serve"]

BACKLOG = 2048  # uvicorn's own
# How `serve` tells its worker processes which index to open ("" for the default one).
WORKER_INDEX = "DWSEARCH_SERVE_INDEX"


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port` (0: any free port); OSError if it cannot.

    Connections wait in its backlog until the server takes them, so the address can be
    announced as soon as this returns.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
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
    """The application in a worker process that `serve` started (uvicorn calls this)."""
    return create_app(api.Service(os.environ.get(WORKER_INDEX) or None), SEARCH_THREADS)


def serve(
    index: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    workers: int = 2,
    on_ready: Callable[[str], None] | None = None,
    on_build: Callable[[str], None] | None = None,
) -> None:
    """Serve the index until interrupted, from `workers` processes.

    The index is opened (the default one built if need be) before the port is taken, so
    a problem with it is said at once.
    """
    service = api.Service(index, on_build)
    service.check()
    sock = listen(host, port)
    # `dwsearch search` on the same index asks this server while it runs.
    announced = remote.announce(service.directory, address_of(sock))
    if on_ready:
        on_ready(address_of(sock))
    try:
        if workers == 1:
            server = uvicorn.Server(_config(create_app(service, SEARCH_THREADS)))
            server.run(sockets=[sock])
            if not server.started:
                return  # it could not start, and said why
        else:
            service.session().close()  # each worker opens its own
            os.environ[WORKER_INDEX] = "" if index is None else str(service.directory)
            config = _config(f"{__name__}:app_for_worker", factory=True, workers=workers)
            Multiprocess(config, sockets=[sock]).run()
    finally:
        remote.withdraw(announced)
    # A server returns only once a signal has stopped it (uvicorn does not always raise
    # it again): say so as every dwsearch command does, "interrupted" and exit 130.
    raise KeyboardInterrupt
