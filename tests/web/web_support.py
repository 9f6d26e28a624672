"""What the web tests share: a small observatory with a hostile page, the server on a
real socket, and a plain HTTP client."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import threading
import time
from pathlib import Path

import uvicorn

from dwsearch.app.api import Service
from dwsearch.app.web import address_of, create_app, listen
from dwsearch.ingest import Chunk

CHROMIUM = Path(os.environ.get("DWSEARCH_CHROMIUM", "/usr/bin/chromium"))
# As the machine's notes give them: headless, and no calls home (the network is closed).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# What a hostile page tries: each would set window.pwned if it ran.
SCRIPT = "<script>window.pwned = 'script'</script>"
IMG = "<img src=x onerror=\"window.pwned = 'img'\">"
JS_LINK = "<a href=\"javascript:window.pwned = 'link'\">click me</a>"
HOSTILE_URLS = (
    "javascript:window.pwned = 'url'",
    " JaVaScRiPt:window.pwned = 'url2'",
    "data:text/html,<script>window.pwned = 'data'</script>",
    "//evil.example/steal",
    "vbscript:msgbox(1)",
)


def _chunk(page: str, number: int, **fields: object) -> Chunk:
    digest = hashlib.sha256(f"{page}/{number}/{fields}".encode()).hexdigest()[:16]
    defaults: dict[str, object] = {
        "id": digest,
        "page": page,
        "page_title": page.replace("-", " ").title(),
        "type": "overview",
        "section": "",
        "title": "",
        "text": "",
        "source": f"{page}.txt",
        "lines": (number + 1, number + 1),
        "kind": "page",
    }
    defaults.update(fields)
    return Chunk(**defaults)  # type: ignore[arg-type]


def observatory_chunks() -> list[Chunk]:
    """Three pages: an actor with many dated event reports, an issue, and a hostile page."""
    itu = "international-telecommunication-union"
    itu_url = f"https://dig.watch/actors/{itu}"
    chunks = [
        _chunk(
            itu,
            0,
            type="profile",
            kind="actor",
            url=itu_url,
            text="The ITU allocates the radio spectrum and satellite orbits, and develops "
            "technical standards for networks.",
            sectors=("ITU-R", "ITU-T"),
            topics=("telecommunications-infrastructure",),
            baskets=("infrastructure",),
        )
    ]
    for number in range(1, 15):
        year = 2010 + number % 9
        sector = ("ITU-R", "ITU-D")[number % 2]
        topics = ("telecommunications-infrastructure",) + (
            ("cybersecurity",) if number % 3 == 0 else ()
        )
        chunks.append(
            _chunk(
                itu,
                number,
                type="event_report",
                kind="event",
                section="GIP event reports",
                title=f"Spectrum management workshop {number} ({year})",
                text=f"Regulators met to discuss spectrum allocation and satellite "
                f"coordination in {year}, session {number}.",
                years=(year,),
                date=f"{year}-{number % 12 + 1:02d}-1{number % 9}",
                url=itu_url,
                sectors=(sector,),
                topics=topics,
                baskets=("infrastructure",),
            )
        )
    chunks += [
        _chunk(
            "cybersecurity",
            0,
            kind="issue",
            url="https://dig.watch/topics/cybersecurity",
            text="Cybersecurity covers the protection of networks and critical "
            "infrastructure from attacks, and the norms states agree on.",
            topics=("cybersecurity",),
            baskets=("cybersecurity",),
            years=(2017,),
        ),
        _chunk(
            "cybersecurity",
            1,
            type="resolution",
            kind="issue",
            title="Resolution on building confidence in the use of ICTs (2018)",
            text="States recall the role of the ITU in cybersecurity capacity building.",
            topics=("cybersecurity",),
            baskets=("cybersecurity",),
            sectors=("ITU-D",),
            years=(2018,),
            date="2018-10-29",
        ),
    ]
    hostile = "hostile-page"
    chunks += [
        _chunk(
            hostile,
            0,
            type=f"report{SCRIPT}",
            kind="update",
            page_title=f"Quokka {SCRIPT} page",
            section=f"Section {IMG}",
            title=f"Quokka headline {SCRIPT}",
            text=f"Quokka text with {IMG} and {JS_LINK} inside.",
            url=HOSTILE_URLS[0],
            topics=(f"topic{IMG}",),
        ),
        *(
            _chunk(hostile, n, text=f"Quokka address number {n}.", url=url, kind="update")
            for n, url in enumerate(HOSTILE_URLS[1:], start=1)
        ),
    ]
    return chunks


class LiveServer:
    """The web application on a real loopback socket, served by uvicorn in a thread."""

    def __init__(self, index: Path, hosts: tuple[str, ...] = ()) -> None:
        self.service = Service(index)
        sock = listen("127.0.0.1", 0)
        self.url = address_of(sock).rstrip("/")
        app = create_app(self.service, hosts=hosts)
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


class Answer:
    """One HTTP response, read whole."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status_code = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.text = response.read().decode("utf-8", errors="replace")

    def json(self) -> dict:
        return json.loads(self.text)


class Client:
    """Plain HTTP/1.1 requests to a server on loopback, as any program would send them."""

    def __init__(self, url: str) -> None:
        self.host, _, port = url.removeprefix("http://").partition(":")
        self.port = int(port)

    def request(self, method: str, path: str, host: str | None = None) -> Answer:
        """`host`: the Host header to send instead of the server's address."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, headers={"Host": host} if host is not None else {})
            return Answer(connection.getresponse())
        finally:
            connection.close()

    def get(self, path: str, host: str | None = None) -> Answer:
        return self.request("GET", path, host)
