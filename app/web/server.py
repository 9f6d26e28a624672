"""The web server: a JSON API and a search page over one `api.Service`.

Every route only reads. Searches run on a small pool of threads, each with its own
session on the index (a Whoosh searcher is never shared between threads), so the event
loop stays free to take requests while one is searched; a build published meanwhile
is picked up by the next request.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dwsearch.app import api
from dwsearch.app.bounds import FEED_ENTRIES, MAX_EXPORT_HITS
from dwsearch.app.export import results_csv, results_export_data
from dwsearch.app.printers import date_label, results_data
from dwsearch.app.wording import for_api, for_page
from dwsearch.index import IndexProblem
from dwsearch.ingest.chunk import Chunk
from dwsearch.search.errors import SearchError
from dwsearch.search.results import Results
from dwsearch.search.settings import SearchOptions

from .feed import atom_feed
from .params import SORTS, SearchRequest, read_search
from .views import (
    chips,
    clear_all,
    facet_groups,
    field_control,
    filtered_by,
    hit_views,
    label,
    pagination,
    web_link,
)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
log = logging.getLogger("dwsearch.web")

# Scripts and styles from this server's own files only: no inline script, no inline
# style, no other origin; nothing may frame the page or receive its forms.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]

# The names this machine answers to from itself, whatever address it serves on.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
FOREIGN_HOST = "this server answers only to the host names it was started with"

# One search thread a process: Python runs one thread at a time, and one session's caches
# then serve every request (each thread would need its own searcher, caches and all).
SEARCH_THREADS = 1
# Addresses a program reads, not a person: they answer errors in JSON, as the API does.
MACHINE_PATHS = frozenset({"/healthz", "/feed.atom", "/export.csv", "/export.json"})

Outcome = TypeVar("Outcome")
FacetNames = dict[str, dict[str, str]]


def answers_json(path: str) -> bool:
    """Whether the request at `path` is a program's, whose errors are JSON."""
    return path.startswith("/api/") or path in MACHINE_PATHS


class SecurityHeaders:
    """Adds the security headers to every response, errors and static files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def host_name(value: str) -> str | None:
    """The name in a Host header (or a name given to `serve`), lower-case, without its
    port or IPv6 brackets; None when it is no host[:port]."""
    value = value.strip().lower()
    if value.startswith("["):
        name, closed, rest = value[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            return None
        port = rest[1:]
    elif value.count(":") > 1:  # an IPv6 address without brackets, so without a port
        name, port = value, ""
    else:
        name, _, port = value.partition(":")
    if port and not (port.isascii() and port.isdigit()):
        return None
    name = name.removesuffix(".")
    return name if name and all(c.isalnum() or c in ".-_:" for c in name) else None


class HostCheck:
    """Answers 400 to a request whose Host is none of the server's names. A page on
    another site whose name is made to point at this machine (DNS rebinding) would
    otherwise read the index with the browser's help; its Host is that site's name."""

    def __init__(self, app: ASGIApp, names: Iterable[str] = ()) -> None:
        self.app = app
        self.names = LOOPBACK_NAMES | {n for n in map(host_name, names) if n}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if host_name(Headers(scope=scope).get("host", "")) in self.names:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response: Response
        if answers_json(scope["path"]):
            response = JSONResponse({"error": FOREIGN_HOST}, status_code=400)
        else:
            response = PlainTextResponse(FOREIGN_HOST, status_code=400)
        await response(scope, receive, send)


def _static_versions() -> dict[str, str]:
    """A digest of each static file, put in its address so a browser never runs an old
    script against a new page."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC.iterdir()
        if path.is_file()
    }


class SearchSite:
    """The routes, and the thread pool their searches run on."""

    def __init__(self, service: api.Service, threads: int) -> None:
        self.service = service
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="dwsearch-search")
        versions = _static_versions()
        environment = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # the templates are the package's: no stat() per render
        )
        environment.globals["static"] = lambda name: f"/static/{name}?v={versions.get(name, '')}"
        environment.globals["sorts"] = SORTS
        environment.globals["max_export"] = MAX_EXPORT_HITS
        environment.filters["date_label"] = date_label
        environment.filters["web_link"] = web_link
        self.templates = Jinja2Templates(env=environment)

    async def run(self, work: Callable[..., Outcome], *args: Any) -> Outcome:
        """`work(*args)` on a search thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(work, *args))

    # ----------------------------------------------------------------- the API
    async def api_search(self, request: Request) -> Response:
        wanted = read_search(request.query_params)
        results = await self.run(self._search, wanted)
        return JSONResponse(results_data(results))

    async def api_facets(self, request: Request) -> Response:
        wanted = read_search(request.query_params)
        results = await self.run(self.service.facets, wanted.query, wanted.filters)
        return JSONResponse(results_data(results, with_hits=False))

    async def api_chunk(self, request: Request) -> Response:
        try:
            chunk = await self._chunk(request.path_params["chunk_id"])
        except LookupError as error:  # no such id: only `show` says so this way
            return JSONResponse({"error": str(error.args[0])}, status_code=404)
        return JSONResponse(chunk.to_dict())

    async def api_stats(self, request: Request) -> Response:
        return JSONResponse(asdict(await self.run(self.service.stats)))

    async def healthz(self, request: Request) -> Response:
        session = await self.run(self.service.session)
        return JSONResponse({"status": "ok", "generation": session.opened.generation.name})

    # ----------------------------------------------------- feed and export
    async def feed(self, request: Request) -> Response:
        """The search's newest passages as Atom: the page's parameters, newest first."""
        wanted = read_search(request.query_params)
        newest = SearchOptions(limit=FEED_ENTRIES, sort="newest", feedback=wanted.feedback)
        results, built_at, names = await self.run(self._feed_search, wanted, newest)
        query = wanted.query_string(sort="relevance", limit=10, offset=0)
        base = str(request.base_url)
        about = " ".join(
            part for part in (f"“{wanted.query}”" if wanted.query.strip() else "",
                              filtered_by(wanted, names)) if part
        )  # fmt: skip
        body = atom_feed(
            results,
            title=f"dwsearch: {about}" if about else "dwsearch: the newest passages",
            self_url=str(request.url),
            page_url=f"{base}?{query}" if query else base,
            base_url=base,
            built_at=built_at,
        )
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    def _feed_search(
        self, wanted: SearchRequest, options: SearchOptions
    ) -> tuple[Results, str, FacetNames]:
        results = self.service.search(wanted.query, wanted.filters, options)
        return results, self.service.stats().built_at, self.service.facet_names()

    async def export(self, request: Request) -> Response:
        """All the search's results (up to MAX_EXPORT_HITS), as CSV or JSON, to save."""
        form = request.path_params["form"]
        if form not in ("csv", "json"):
            raise HTTPException(404)
        wanted = read_search(request.query_params)
        options = SearchOptions(
            limit=MAX_EXPORT_HITS,
            offset=0,
            sort=wanted.sort,
            feedback=wanted.feedback,
            all_chunks=wanted.all_chunks,  # in the page's order
        )
        results = await self.run(self.service.search, wanted.query, wanted.filters, options)
        name = "dwsearch-results"
        if form == "csv":
            body, media = results_csv(results), "text/csv; charset=utf-8"
        else:
            body = json.dumps(results_export_data(results), ensure_ascii=False, indent=1)
            media = "application/json"
        disposition = f'attachment; filename="{name}.{form}"'
        return Response(body, media_type=media, headers={"content-disposition": disposition})

    # --------------------------------------------------------------- the page
    async def page(self, request: Request) -> Response:
        return await self._render(request, "search.html")

    async def results_fragment(self, request: Request) -> Response:
        """The part of the page a search changes, for the page's script to swap in."""
        return await self._render(request, "results.html")

    async def chunk_page(self, request: Request) -> Response:
        chunk_id = request.path_params["chunk_id"]
        try:
            chunk = await self._chunk(chunk_id)
        except LookupError:
            message = "No passage has this address; it may have gone when the index was rebuilt"
            return self._error_page(request, 404, "No such passage", message)
        except SearchError as error:
            return self._error_page(request, 400, "Which passage?", for_page(error))
        names = await self.run(self.service.facet_names)
        context = {
            "chunk": chunk,
            "type": label(chunk.type, names.get("type", {})),
            "kind": label(chunk.kind, names.get("kind", {})),
            "topics": [label(t, names.get("topic", {})) for t in chunk.topics],
            "baskets": [label(b, names.get("basket", {})) for b in chunk.baskets],
            "sectors": [label(s, names.get("sector", {})) for s in chunk.sectors],
        }
        return self.templates.TemplateResponse(request, "chunk.html", context)

    async def _render(self, request: Request, template: str) -> Response:
        try:
            wanted = read_search(request.query_params)
        except SearchError as error:
            wanted = _as_typed(request)
            return self._page_with_error(request, template, wanted, error)
        try:
            results, unfiltered, names = await self.run(self._page_search, wanted)
        except SearchError as error:
            return self._page_with_error(request, template, wanted, error)
        context = {
            "wanted": wanted,
            "results": results,
            "unfiltered": unfiltered,
            "error": "",
            "error_field": "",
            "facets": facet_groups(results, wanted, names),
            "hits": hit_views(results, names, wanted),
            "pages": pagination(results, wanted),
            "topics": list(results.facets.get("topic", {}))[:5],
            "topic_names": names.get("topic", {}),
            "chips": chips(wanted, names),
            "clear_all": clear_all(wanted),
            "filtered_by": filtered_by(wanted, names),
        }
        return self.templates.TemplateResponse(request, template, context)

    def _page_with_error(
        self, request: Request, template: str, wanted: SearchRequest, error: SearchError
    ) -> Response:
        """The page with the search as typed, its error said beside the field at fault
        (or above the results, for a field the page has no control for)."""
        context = {
            "wanted": wanted,
            "results": None,
            "error": for_page(error),
            "error_field": field_control(error.field),
            "facets": [],
            "hits": [],
            "chips": [],
        }
        return self.templates.TemplateResponse(request, template, context, status_code=400)

    def _page_search(self, wanted: SearchRequest) -> tuple[Results, int | None, FacetNames]:
        """The page's search; when filters leave nothing, how many the words alone would
        find (so the empty page can offer to drop the filters); the values' names."""
        names = self.service.facet_names()
        if wanted.is_blank:
            return self.service.facets(), None, names
        results = self._search(wanted)
        unfiltered = None
        if results.total == 0 and wanted.filters != api.Filters():
            unfiltered = self.service.facets(wanted.query).total
        return results, unfiltered, names

    def _search(self, wanted: SearchRequest) -> Results:
        return self.service.search(
            wanted.query,
            wanted.filters,
            SearchOptions(
                limit=wanted.limit,
                offset=wanted.offset,
                sort=wanted.sort,
                feedback=wanted.feedback,
                all_chunks=wanted.all_chunks,
            ),
        )

    async def _chunk(self, chunk_id: str) -> Chunk:
        return await self.run(self.service.show, chunk_id)

    def _error_page(self, request: Request, status: int, title: str, message: str) -> Response:
        context = {"title": title, "message": message}
        return self.templates.TemplateResponse(request, "error.html", context, status_code=status)

    # ------------------------------------------------------------ errors
    async def on_search_error(self, request: Request, error: Exception) -> Response:
        return self._error(request, 400, for_page(error), body=for_api(error))

    async def on_index_problem(self, request: Request, error: Exception) -> Response:
        return self._error(request, 503, for_page(error), body=for_api(error))

    async def on_http_error(self, request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        messages = {404: "no such page", 405: "this server only reads: use GET"}
        message = messages.get(error.status_code, str(error.detail))
        return self._error(request, error.status_code, message, error.headers)

    async def on_bug(self, request: Request, error: Exception) -> Response:
        log.exception("dwsearch: a request failed: %s", request.url.path, exc_info=error)
        return self._error(request, 500, "the server failed on this request; it is logged")

    def _error(
        self,
        request: Request,
        status: int,
        message: str,
        headers: Any = None,
        body: dict[str, Any] | None = None,
    ) -> Response:
        """The API's JSON (`body`, else the message alone), or the page's error page."""
        if answers_json(request.url.path):
            answer = body or {"error": message}
            return JSONResponse(answer, status_code=status, headers=headers)
        title = {404: "Not found", 405: "Not allowed", 503: "The index cannot be read"}
        context = {"title": title.get(status, "Something went wrong"), "message": message}
        if request.method == "HEAD":
            return HTMLResponse(status_code=status, headers=headers)
        return self.templates.TemplateResponse(
            request, "error.html", context, status_code=status, headers=headers
        )


def _as_typed(request: Request) -> SearchRequest:
    """The search as typed, unchecked, to show back in the form beside its error."""
    params = request.query_params
    return SearchRequest(
        query=params.get("q", "")[:1000],
        year_from=params.get("year_from", "")[:100],
        year_to=params.get("year_to", "")[:100],
        since=params.get("since", "")[:100],
        until=params.get("until", "")[:100],
    )


def create_app(
    service: api.Service, threads: int = SEARCH_THREADS, hosts: Iterable[str] = ()
) -> Starlette:
    """The ASGI application serving `service`'s index, searching on `threads` threads,
    to requests for a loopback name or one of `hosts`."""
    site = SearchSite(service, threads)

    @asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        yield
        site.pool.shutdown(wait=False, cancel_futures=True)

    routes = [
        Route("/", site.page, methods=["GET"]),
        Route("/results", site.results_fragment, methods=["GET"]),
        Route("/chunks/{chunk_id}", site.chunk_page, methods=["GET"]),
        Route("/feed.atom", site.feed, methods=["GET"]),
        Route("/export.{form:str}", site.export, methods=["GET"]),
        Route("/api/search", site.api_search, methods=["GET"]),
        Route("/api/facets", site.api_facets, methods=["GET"]),
        Route("/api/chunks/{chunk_id}", site.api_chunk, methods=["GET"]),
        Route("/api/stats", site.api_stats, methods=["GET"]),
        Route("/healthz", site.healthz, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            SearchError: site.on_search_error,
            IndexProblem: site.on_index_problem,
            HTTPException: site.on_http_error,
            Exception: site.on_bug,
        },
    )
    app.add_middleware(HostCheck, names=list(hosts))
    app.add_middleware(SecurityHeaders)  # the last added is the outermost: on every answer
    return app
