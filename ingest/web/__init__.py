"""Pages read from a web site: its sitemap or feed, fetched politely, kept on disk.

`fetch.py` asks a site for one address at a time (robots.txt, a delay between requests,
redirects, retries, conditional requests); `listings.py` reads sitemaps, sitemap indexes
and RSS or Atom feeds; `store.py` keeps each page's raw body, compressed, with its
address, headers and fetch time; `crawl.py` puts them together for one source. Nothing
here imports Whoosh, nor any other stage.
"""

from __future__ import annotations

__all__ = ["is_url"]


def is_url(name: object) -> bool:
    """Whether a source given is a web address (http or https) rather than a path."""
    text = str(name)
    return text[:8].lower() == "https://" or text[:7].lower() == "http://"
