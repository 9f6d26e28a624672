"""A search as an Atom feed (RFC 4287): its newest matching passages, for a feed reader.

Only passages dated by a day or a year are entries: a feed reader shows items by date, and
an undated passage (an actor's profile) has no day to be new on; dated by anything else
(the index's build time, say), it would stand as the newest item of all. The search page
lists them.

Built with ElementTree, which escapes every text; characters XML cannot hold at all
(control characters a page may carry) are dropped first.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from xml.etree import ElementTree as ET

from dwsearch.app.export import snippet_plain
from dwsearch.app.printers import date_label
from dwsearch.index.documents import chunk_days
from dwsearch.ingest.chunk import Chunk
from dwsearch.search.results import Results

from .views import passage_link

ATOM = "http://www.w3.org/2005/Atom"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _moment(day: str) -> str:
    """An ISO day (or year, or month) as an Atom date-time."""
    parts = [*day.split("-"), "01", "01"][:3]
    return f"{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z"


def _last_day(chunk: Chunk, now: str) -> str:
    """The last day `chunk` is about, as the newest-first order takes it (a year alone
    is about its whole year, so 31 December), as an Atom date-time; never later than
    `now` (a year not over yet); "" when undated."""
    last = chunk_days(chunk)[1]
    if not last:
        return ""
    return min(f"{date.fromordinal(last).isoformat()}T00:00:00Z", now)


def atom_feed(results: Results, *, title: str, self_url: str, page_url: str,
              base_url: str, built_at: str, made_at: str = "") -> bytes:  # fmt: skip
    """The feed of `results`' dated hits (sorted newest first by the caller, which puts
    the undated last). `built_at` (when the index was built, an ISO date-time) dates a
    feed with no entry, whose content last changed then; `made_at` (now, by default) is
    the latest date an entry may have."""
    built = _moment_from(built_at)
    now = _moment_from(made_at or datetime.now(UTC).isoformat())
    feed = ET.Element("feed", {"xmlns": ATOM})  # its own default namespace, written out

    def add(parent: ET.Element, tag: str, text: str = "", **attributes: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attributes)
        if text:
            element.text = _text(text)
        return element

    add(feed, "id", self_url)
    add(feed, "title", title)
    add(
        feed,
        "subtitle",
        "The newest dated passages of the GIP Digital Watch observatory this search finds",
    )
    add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    add(feed, "link", rel="alternate", type="text/html", href=page_url)
    add(feed, "generator", "dwsearch")
    entries = []
    for hit in results.hits:
        moment = _last_day(hit.chunk, now)
        if moment:
            entries.append((moment, hit, f"{base_url}chunks/{hit.chunk.id}"))
    add(feed, "updated", max((moment for moment, _, _ in entries), default=built))
    for moment, hit, chunk_page in entries:
        chunk = hit.chunk
        entry = add(feed, "entry")
        add(entry, "id", chunk_page)
        add(entry, "title", chunk.display_title)
        add(entry, "updated", moment)
        if chunk.date:
            add(entry, "published", min(_moment(chunk.date), now))
        add(entry, "link", rel="alternate", type="text/html",
            href=passage_link(chunk.url, chunk.text) or chunk_page)  # fmt: skip
        add(entry, "link", rel="related", type="text/html", href=chunk_page)
        when = date_label(chunk) or ", ".join(str(y) for y in chunk.years)
        summary = " — ".join(part for part in (chunk.breadcrumb, when) if part)
        body = snippet_plain(hit)
        add(entry, "summary", f"{summary}: {body}" if body else summary, type="text")
        for topic in chunk.topics:
            add(entry, "category", term=_text(topic))
    xml = ET.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + xml).encode()


def _moment_from(built_at: str) -> str:
    """An index's build time as Atom's UTC date-time."""
    return (built_at[:19] + "Z") if len(built_at) >= 19 else "1970-01-01T00:00:00Z"
