"""Asking a web site for pages, politely: one request at a time, robots.txt obeyed.

Every request waits for the host's delay since its last answer (the delay given, or
robots.txt's Crawl-delay when longer), names dwsearch, its version and its address in
its User-Agent, follows at most five redirects and only to the hosts allowed, gives up
on a connection or an answer that takes too long, and tries again, later, when the site
says it is busy (429, 503: after its Retry-After). Only pages of the types read, under
the size cap, are taken. A page that cannot be had is a `FetchFailure` with its reason;
a site that cannot be reached at all is a `SiteDown`.
"""

from __future__ import annotations

import email.utils
import http.client
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from urllib.parse import urljoin, urlsplit

from protego import Protego

from ..sources import DEFAULT_MAX_BYTES, too_large

PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
LISTING_TYPES = ("application/xml", "text/xml", "application/rss+xml", "application/atom+xml")
MAX_REDIRECTS = 5
# Statuses that say "later", tried again after a pause; others are final.
RETRY_STATUSES = (429, 500, 502, 503, 504)
REDIRECTS = (301, 302, 303, 307, 308)
AGENT_NAME = "dwsearch"
PROJECT_ADDRESS = "https://dig.watch"  # where a site's keeper learns what asked
# robots.txt is small; one larger than this is read no further (as Google reads 500 KiB).
ROBOTS_BYTES = 512 * 1024


def user_agent() -> str:
    try:
        version = metadata.version("dwsearch")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"{AGENT_NAME}/{version} (+{PROJECT_ADDRESS})"


@dataclass(frozen=True)
class CrawlSettings:
    """How politely and how far a run fetches."""

    delay: float = 1.0  # seconds between two requests to one host, at least
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_bytes: int = DEFAULT_MAX_BYTES  # the largest page read
    max_pages: int | None = None  # pages asked for in one run, at most
    allow_hosts: tuple[str, ...] = ()  # hosts followed besides the source's own
    retries: int = 2  # further tries of an answer that says "later"
    longest_wait: float = 120.0  # a Retry-After longer than this gives the page up


class FetchFailure(Exception):
    """A page that could not be had, and why (the message names no address)."""


class SiteDown(FetchFailure):
    """A site that cannot be reached at all: every page of it is unknown, not gone."""


@dataclass
class Answer:
    """A page's answer: 200 with its body, or 304 (not modified) without one."""

    url: str  # where it was found, after redirects
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class Fetcher:
    """One run's requests: robots.txt read once a host, the delay kept per host."""

    def __init__(
        self,
        settings: CrawlSettings,
        hosts: set[str],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.hosts = {h.lower() for h in hosts} | {h.lower() for h in settings.allow_hosts}
        self.agent = user_agent()
        self._sleep = sleep
        self._robots: dict[str, Protego | None] = {}  # origin -> rules (None: all allowed)
        self._last: dict[str, float] = {}  # host and port -> when its last answer ended
        self.requests = 0

    # ---------------------------------------------------------------- what may be asked
    def allowed_host(self, url: str) -> bool:
        return host_of(url) in self.hosts

    def check(self, url: str) -> None:
        """Refuse an address on a host not followed, or that robots.txt disallows."""
        if not self.allowed_host(url):
            raise FetchFailure(f"on another host ({host_of(url)}), not followed")
        rules = self._rules(url)
        if rules is not None and not rules.can_fetch(url, AGENT_NAME):
            raise FetchFailure("disallowed by the site's robots.txt; not fetched")

    def _rules(self, url: str) -> Protego | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = None  # while it is read: robots.txt itself is asked freely
            try:
                answer = self._follow(f"{origin}/robots.txt", {}, ROBOTS_BYTES, robots=True)
            except FetchFailure:
                del self._robots[origin]  # not read: asked again before the next page
                raise
            if answer.status == 200:
                text = answer.body.decode("utf-8", "replace")
                self._robots[origin] = Protego.parse(text)
        return self._robots[origin]

    def _delay(self, url: str) -> float:
        rules = self._robots.get(_origin(url))
        crawl_delay = rules.crawl_delay(AGENT_NAME) if rules is not None else None
        return max(self.settings.delay, float(crawl_delay or 0))

    # ---------------------------------------------------------------- asking
    def get(
        self, url: str, validators: dict[str, str] | None = None, listing: bool = False
    ) -> Answer:
        """A page (or a sitemap or feed, with `listing`), asked conditionally when
        `validators` (its last ETag and Last-Modified) are given: 304 says unchanged."""
        self.check(url)
        headers = {}
        if validators:
            if validators.get("etag"):
                headers["If-None-Match"] = validators["etag"]
            if validators.get("last-modified"):
                headers["If-Modified-Since"] = validators["last-modified"]
        answer = self._follow(url, headers, self.settings.max_bytes, listing=listing)
        if answer.status == 304:
            return answer
        if answer.status != 200:
            raise FetchFailure(_status_reason(answer.status))
        kind = answer.content_type
        allowed = PAGE_TYPES + LISTING_TYPES if listing else PAGE_TYPES
        if kind and kind not in allowed and not (listing and kind.endswith("+xml")):
            raise FetchFailure(f"of type {kind}, not a page read; skipped")
        return answer

    def _follow(
        self,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        listing: bool = False,
        robots: bool = False,
    ) -> Answer:
        """Ask for `url`, following redirects (at most MAX_REDIRECTS, to hosts followed,
        each allowed by its robots.txt) and trying again when the site says later."""
        for _ in range(MAX_REDIRECTS + 1):
            answer = self._with_retries(url, headers, max_bytes, robots)
            if answer.status not in REDIRECTS or "location" not in answer.headers:
                return answer
            url = urljoin(url, answer.headers["location"]).split("#")[0]
            if robots:
                if urlsplit(url).path != "/robots.txt" or not self.allowed_host(url):
                    return Answer(url, 404)  # robots.txt elsewhere: none for this host
            else:
                self.check(url)
        raise FetchFailure(f"more than {MAX_REDIRECTS} redirects")

    def _with_retries(
        self, url: str, headers: dict[str, str], max_bytes: int, robots: bool
    ) -> Answer:
        for attempt in range(self.settings.retries + 1):
            answer = self._once(url, headers, max_bytes, robots)
            if answer.status not in RETRY_STATUSES or attempt == self.settings.retries:
                if robots and answer.status >= 500:
                    raise SiteDown(f"its robots.txt answered {_status_reason(answer.status)}")
                return answer
            wait = _retry_after(answer.headers.get("retry-after", ""))
            if wait is None:
                wait = max(self.settings.delay, 0.05) * 2 ** (attempt + 1)
            if wait > self.settings.longest_wait:
                raise FetchFailure(f"busy ({answer.status}), asked to wait {wait:.0f} s")
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _once(self, url: str, headers: dict[str, str], max_bytes: int, robots: bool) -> Answer:
        """One request, after the host's delay; the body read up to `max_bytes`."""
        parts = urlsplit(url)
        host_key = parts.netloc.lower()
        last = self._last.get(host_key)
        if last is not None:
            wait = last + self._delay(url) - time.monotonic()
            if wait > 0:
                self._sleep(wait)
        settings = self.settings
        secure = parts.scheme == "https"
        kind = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        connection = kind(parts.hostname or "", parts.port, timeout=settings.connect_timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            try:
                connection.connect()
            except (OSError, ssl.SSLError) as error:
                raise SiteDown(_connect_reason(error, settings.connect_timeout)) from None
            assert connection.sock is not None
            connection.sock.settimeout(settings.read_timeout)
            self.requests += 1
            connection.request(
                "GET",
                target,
                headers={"User-Agent": self.agent, "Accept-Encoding": "identity", **headers},
            )
            response = connection.getresponse()
            answer = Answer(url, response.status, {k.lower(): v for k, v in response.getheaders()})
            if response.status == 200:
                answer.body = _read_body(response, max_bytes, robots)
        except TimeoutError:
            raise FetchFailure(
                f"no answer within {settings.read_timeout:g} s (timed out)"
            ) from None
        except (OSError, http.client.HTTPException) as error:
            if isinstance(error, SiteDown):
                raise
            raise FetchFailure(f"the connection failed ({_error_text(error)})") from None
        finally:
            connection.close()
            self._last[host_key] = time.monotonic()
        return answer


def _read_body(response: http.client.HTTPResponse, max_bytes: int, robots: bool) -> bytes:
    length = response.getheader("content-length", "")
    if length.isdigit() and int(length) > max_bytes and not robots:
        raise FetchFailure(too_large(int(length), max_bytes))
    body = response.read(max_bytes + 1)
    if len(body) > max_bytes:
        if robots:
            return body[:max_bytes]
        raise FetchFailure(too_large(len(body), max_bytes))
    return body


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _retry_after(value: str) -> float | None:
    """Retry-After's seconds, from a number or an HTTP date; None if it says neither."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _status_reason(status: int) -> str:
    names = {404: "not found", 410: "gone", 401: "needs a login", 403: "forbidden"}
    if status in names:
        return f"{names[status]} ({status})"
    if status >= 500:
        return f"a server error ({status})"
    return f"answered {status}"


def _connect_reason(error: BaseException, timeout: float) -> str:
    if isinstance(error, TimeoutError):
        return f"no connection within {timeout:g} s"
    if isinstance(error, socket.gaierror):
        return "no such host"
    return f"cannot connect ({_error_text(error)})"


def _error_text(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__
