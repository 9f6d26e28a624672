"""Searching through a running `dwsearch serve` of the same index, when one is up.

A search from the shell spends most of its time starting: importing Whoosh and numpy,
opening the index, decoding posting lists cold. A server has all of that done already.
So `dwsearch search` asks a server of the same index first, and prints what it answers:
the same Results, made by the same search session code, read back from the JSON API.
When no server answers, or the search asks for what the API does not offer, the
command searches itself.

A server says it is up with a small file in the index folder, `.serve-PID.json`, which
it removes when it stops. A file whose process is gone (a server killed with SIGKILL
removes nothing) is ignored, and removed by the next server of the index.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from dwsearch.app.bounds import API_LEVEL
from dwsearch.app.printers import results_from_data
from dwsearch.app.wording import search_error_from_api
from dwsearch.index.location import process_alive
from dwsearch.lexicon.files import read_bounded
from dwsearch.search.results import Filters, Results

SERVER_FILE = ".serve-{pid}.json"
ANNOUNCEMENT_BYTES = 64 * 1024  # a URL, a process number and a level
# A server answers within this, or the command searches itself.
TIMEOUT_SECONDS = 5.0


def announce(index_dir: Path, url: str) -> Path:
    """Say that this process serves the index at `index_dir`, at `url`, after removing
    what servers that are gone left there; an OSError if the folder cannot be written."""
    _remove_stale(index_dir)
    path = index_dir / SERVER_FILE.format(pid=os.getpid())
    temporary = path.with_name(f"{path.name}.tmp")
    announcement = {"url": url, "pid": os.getpid(), "api": API_LEVEL}
    temporary.write_text(json.dumps(announcement), encoding="utf-8")
    temporary.replace(path)
    return path


def withdraw(path: Path) -> None:
    path.unlink(missing_ok=True)


def _remove_stale(index_dir: Path) -> None:
    """Remove the announcements (and half-written ones) of processes that are gone."""
    try:
        found = list(index_dir.glob(SERVER_FILE.format(pid="*") + "*"))
    except OSError:
        return
    for path in found:
        pid = path.name.removeprefix(".serve-").split(".")[0]
        if pid.isascii() and pid.isdigit() and not process_alive(int(pid)):
            # Not ours to remove, perhaps: readers ignore it all the same.
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)


def find_server(index_dir: Path) -> str | None:
    """The address of a live server of this index, or None."""
    try:
        candidates = sorted(index_dir.glob(SERVER_FILE.format(pid="*")))
    except OSError:
        return None
    for path in candidates:
        try:
            data = json.loads(read_bounded(path, ANNOUNCEMENT_BYTES))
            pid, url = int(data["pid"]), str(data["url"])
            level = data.get("api")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if level == API_LEVEL and process_alive(pid) and url.startswith("http://"):
            return url
    return None


def search_parameters(
    query: str,
    filters: Filters,
    limit: int,
    offset: int,
    sort: str,
    feedback: bool = False,
    all_chunks: bool = False,
) -> str:
    """The API's query string for a search."""
    pairs: list[tuple[str, str]] = [("q", query)]
    for facet, values in filters.by_facet().items():
        pairs += [(facet, value) for value in values]
    for low, high in filters.years:
        pairs.append(("year", str(low) if low == high else f"{low or ''}..{high or ''}"))
    if filters.since:
        pairs.append(("since", filters.since))
    if filters.until:
        pairs.append(("until", filters.until))
    pairs += [("from_page", page) for page in filters.pages]
    if all_chunks:
        pairs.append(("all_chunks", "1"))
    pairs += [("sort", sort), ("limit", str(limit)), ("offset", str(offset))]
    if feedback:
        pairs.append(("feedback", "1"))
    return urlencode(pairs)


def search(url: str, parameters: str) -> Results | None:
    """The server's answer, as Results; None when it does not answer as a server should.

    A request it refuses (HTTP 400) is the SearchError the server raised for it.
    """
    import http.client  # declared deferred: only when a server says it is up

    where = urlsplit(url)
    host = where.hostname or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # listening everywhere: this machine is one of them
        host = "127.0.0.1"
    connection = http.client.HTTPConnection(host, where.port or 80, timeout=TIMEOUT_SECONDS)
    try:
        accept = {"Accept": "application/json"}
        connection.request("GET", f"/api/search?{parameters}", headers=accept)
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if response.status == 400 and isinstance(data, dict) and "error" in data:
        raise search_error_from_api(data)
    if response.status != 200:
        return None
    try:
        return results_from_data(data)
    except (KeyError, TypeError, ValueError):
        return None
