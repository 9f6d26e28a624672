"""The raw pages fetched, kept beside the index so it can be rebuilt without the network.

Each page is one gzip file named by a hash of its address, holding a line of JSON (its
address, where it was found after redirects, its headers, when it was fetched, its
sitemap's lastmod, its body's hash) and then the body as it came. A file is written
whole under another name and renamed into place, so a crash mid-fetch leaves the
previous copy; reads stop at the size cap. `sites.json` says when each source was last
fetched, and `left.json` which pages each listed that a bounded run did not ask for yet.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STORE = "fetched"
SITES = "sites.json"
LEFT = "left.json"
_META_BYTES = 64 * 1024
_SITES_BYTES = 16 * 1024 * 1024
KEPT_HEADERS = ("content-type", "etag", "last-modified", "date", "content-language")


class StoreError(Exception):
    """A stored page that cannot be read back (missing, damaged, too large)."""


@dataclass
class Record:
    """A stored page's description (its body is read apart)."""

    url: str  # the address it is known by (as listed)
    final_url: str  # where it was found, after redirects
    headers: dict[str, str] = field(default_factory=dict)
    fetched: float = 0.0
    lastmod: str = ""  # its sitemap's <lastmod> when fetched
    digest: str = ""  # sha256 of the body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def validators(self) -> dict[str, str]:
        return {k: self.headers[k] for k in ("etag", "last-modified") if self.headers.get(k)}


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class PageStore:
    """The folder of stored pages of one index."""

    def __init__(self, index_dir: Path) -> None:
        self.folder = Path(index_dir) / STORE

    def path_for(self, url: str) -> Path:
        return self.folder / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()[:40]}.gz"

    def write(self, record: Record, body: bytes) -> Path:
        """Keep a page's body and description, replacing its earlier copy atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        record.digest = body_digest(body)
        record.headers = {k: v for k, v in record.headers.items() if k in KEPT_HEADERS}
        path = self.path_for(record.url)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        meta = json.dumps(record.__dict__, ensure_ascii=True, sort_keys=True).encode()
        try:
            with open(temporary, "wb") as raw:
                with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as packed:
                    packed.write(meta + b"\n")
                    packed.write(body)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        return path

    def record(self, url: str) -> Record | None:
        """A stored page's description, or None if there is no readable copy."""
        try:
            with gzip.open(self.path_for(url), "rb") as packed:
                return _record(packed.readline(_META_BYTES), url)
        except (OSError, EOFError, zlib.error, StoreError):
            return None

    def read(self, url: str, max_bytes: int) -> tuple[Record, bytes]:
        """A stored page and its body, read no further than `max_bytes`."""
        return read_stored(self.path_for(url), url, max_bytes)

    def keep_only(self, urls: set[str]) -> None:
        """Delete the stored pages of every address but these (pages no longer held)."""
        wanted = {self.path_for(url).name for url in urls}
        try:
            names = [p for p in self.folder.iterdir() if p.suffix == ".gz"]
        except OSError:
            return
        for path in names:
            if path.name not in wanted:
                path.unlink(missing_ok=True)

    def fetched_at(self) -> dict[str, float]:
        """When each source was last fetched (by its address)."""
        data = self._read(SITES)
        return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))}

    def mark_fetched(self, sources: list[str], when: float | None = None) -> None:
        if not sources:
            return
        known = self.fetched_at()
        known.update(dict.fromkeys(sources, when or time.time()))
        self._write(SITES, known)

    def forget_sources(self, keep: set[str]) -> None:
        known = self.fetched_at()
        if set(known) - keep:
            self._write(SITES, {k: v for k, v in known.items() if k in keep})
        left = self.left()
        if set(left) - keep:
            self._write(LEFT, {k: sorted(v) for k, v in left.items() if k in keep})

    def left(self) -> dict[str, set[str]]:
        """The pages each source listed that a bounded run left for a later one."""
        data = self._read(LEFT)
        return {str(k): {str(u) for u in v} for k, v in data.items() if isinstance(v, list)}

    def mark_left(self, left: dict[str, set[str]]) -> None:
        """Record, for these sources, the pages left for a later run (the others kept)."""
        if not left:
            return
        known = self.left()
        known.update(left)
        self._write(LEFT, {k: sorted(v) for k, v in known.items() if v})

    def _read(self, name: str) -> dict[str, Any]:
        """A small JSON file of the store, read bounded; empty when missing or unreadable."""
        try:
            with open(self.folder / name, "rb") as handle:
                data = json.loads(handle.read(_SITES_BYTES))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, name: str, data: dict[str, Any]) -> None:
        """A small JSON file of the store, replaced whole."""
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{name}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.folder / name)


def read_stored(path: Path, url: str, max_bytes: int) -> tuple[Record, bytes]:
    try:
        with gzip.open(path, "rb") as packed:
            record = _record(packed.readline(_META_BYTES), url)
            body = packed.read(max_bytes + 1)
    except FileNotFoundError:
        raise StoreError("no stored copy (a build that fetches the site would make one)") from None
    except (OSError, EOFError, zlib.error) as error:
        raise StoreError(f"its stored copy is damaged ({error})") from None
    if len(body) > max_bytes:
        raise StoreError("its stored copy is larger than the size limit")
    if body_digest(body) != record.digest:
        raise StoreError("its stored copy is damaged (its hash differs)")
    return record, body


def _record(line: bytes, url: str) -> Record:
    try:
        data: Any = json.loads(line)
        record = Record(
            url=str(data["url"]),
            final_url=str(data.get("final_url") or data["url"]),
            headers={str(k): str(v) for k, v in dict(data.get("headers", {})).items()},
            fetched=float(data.get("fetched", 0)),
            lastmod=str(data.get("lastmod", "")),
            digest=str(data.get("digest", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise StoreError(f"its stored copy is damaged ({error})") from None
    if record.url != url:
        raise StoreError("its stored copy is of another address")
    return record
