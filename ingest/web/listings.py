"""Sitemaps, sitemap indexes and feeds: the addresses a site lists, with their dates.

A sitemap (`<urlset>`) lists pages with an optional `<lastmod>`; a sitemap index
(`<sitemapindex>`) lists sitemaps; an RSS feed lists items with a `<link>`, an Atom feed
entries with `<link href>` and `<updated>`. XML from the network is parsed without
entities or network access, so a hostile file cannot expand or reach out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree


class NotAListing(ValueError):
    """XML that is no sitemap, sitemap index or feed, or no XML at all."""


@dataclass
class Listing:
    """What one sitemap or feed lists: pages (address -> lastmod, "" if none) or, for a
    sitemap index, other sitemaps."""

    pages: dict[str, str] = field(default_factory=dict)
    sitemaps: list[str] = field(default_factory=list)


def looks_like_xml(body: bytes) -> bool:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml"):
        return b"<html" not in body[:2048].lower()
    return head.startswith((b"<urlset", b"<sitemapindex", b"<rss", b"<feed", b"<rdf"))


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _text(element: Any, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def read_listing(body: bytes) -> Listing:
    """The addresses a sitemap, sitemap index or feed lists, in its order."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise NotAListing(f"not a sitemap or feed (XML: {error.msg})") from None
    kind = _local(root.tag)
    listing = Listing()
    if kind == "sitemapindex":
        listing.sitemaps = [loc for s in root if (loc := _text(s, "loc"))]
    elif kind == "urlset":
        for entry in root:
            if _local(entry.tag) == "url" and (loc := _text(entry, "loc")):
                listing.pages.setdefault(_page(loc), _text(entry, "lastmod"))
    elif kind in ("rss", "rdf"):
        for item in root.iter():
            if _local(item.tag) == "item" and (link := _text(item, "link")):
                listing.pages.setdefault(_page(link), "")
    elif kind == "feed":
        for entry in root:
            if _local(entry.tag) == "entry" and (link := _atom_link(entry)):
                listing.pages.setdefault(_page(link), _text(entry, "updated"))
    else:
        raise NotAListing(f"not a sitemap or feed (its root element is <{kind}>)")
    return listing


def _atom_link(entry: Any) -> str:
    for child in entry:
        if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
            return (child.get("href") or "").strip()
    return ""


def _page(address: str) -> str:
    """A listed address as a page's key: without its fragment."""
    return address.split("#")[0]
