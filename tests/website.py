"""A small web site served from 127.0.0.1 in a thread, which remembers every request.

Each address is a `Page` (a body, its type and status, its ETag and Last-Modified, a
pause before answering, statuses to give first) or a function of the request. Tests
change pages between builds and read `requests` to see what was asked, when, and how.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    body: bytes | str = b""
    type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str = ""
    last_modified: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    pause: float = 0.0  # seconds before answering
    first: list[int] = field(default_factory=list)  # statuses answered first, one a request

    @property
    def data(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived
    status: int = 0


Handler = Callable[[Request], Page]


class QuietServer(ThreadingHTTPServer):
    """A server that says nothing of a client that hung up (a fetch that timed out)."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class Site:
    """A site on 127.0.0.1; `url(path)` is a page's address on it."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.pages: dict[str, Page | Handler] = {}
        self.requests: list[Request] = []
        self.host = host
        self.lock = threading.Lock()
        site = self

        class Answer(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                request = Request(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
                )
                with site.lock:
                    site.requests.append(request)
                    page = site.pages.get(self.path)
                    if callable(page):
                        page = page(request)
                    if page is not None and page.first:
                        status = page.first.pop(0)
                        page = Page(b"later", "text/plain", status, headers=dict(page.headers))
                if page is None:
                    page = Page("<html><body>Not here</body></html>", status=404)
                if page.pause:
                    time.sleep(page.pause)
                status, body = page.status, page.data
                matches = page.etag and request.headers.get("if-none-match") == page.etag
                same_date = page.last_modified and (
                    request.headers.get("if-modified-since") == page.last_modified
                )
                if status == 200 and (matches or (same_date and not page.etag)):
                    status, body = 304, b""
                request.status = status
                try:
                    self.send_response(status)
                    if status != 304:
                        self.send_header("Content-Type", page.type)
                    self.send_header("Content-Length", str(len(body)))
                    if page.etag:
                        self.send_header("ETag", page.etag)
                    if page.last_modified:
                        self.send_header("Last-Modified", page.last_modified)
                    for name, value in page.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = QuietServer((host, 0), Answer)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def asked(self, path: str | None = None) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if path is None or r.path == path]

    def paths(self) -> list[str]:
        return [r.path for r in self.asked()]

    def forget(self) -> None:
        with self.lock:
            self.requests.clear()

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
