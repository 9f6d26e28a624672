"""Reading what a site sends without trusting it: hostile XML, and the copies kept."""

from __future__ import annotations

import gzip

import pytest

from dwsearch.ingest.web.listings import NotAListing, read_listing
from dwsearch.ingest.web.store import PageStore, Record, StoreError

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [
 <!ENTITY a "ha">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://example.org/&d;</loc></url>
<url><loc>https://example.org/plain/</loc><lastmod>2024-01-02</lastmod></url>
</urlset>"""


def test_a_sitemap_s_entities_are_never_expanded():
    listing = read_listing(LAUGHS)
    assert all("haha" not in url for url in listing.pages)
    assert listing.pages["https://example.org/plain/"] == "2024-01-02"


@pytest.mark.parametrize(
    "body",
    [b"<html><body>a page</body></html>", b"not xml at all", b"<?xml version='1.0'?><other/>"],
)
def test_what_is_no_sitemap_or_feed_is_refused(body):
    with pytest.raises(NotAListing, match="not a sitemap or feed"):
        read_listing(body)


def test_a_kept_copy_is_read_back_whole_or_refused(tmp_path):
    store = PageStore(tmp_path)
    url = "https://example.org/page/"
    record = Record(url, url, {"content-type": "text/html", "etag": '"x"', "set-cookie": "s"})
    path = store.write(record, b"<html>body</html>")

    kept, body = store.read(url, 1000)

    assert body == b"<html>body</html>"
    assert kept.validators == {"etag": '"x"'}
    assert "set-cookie" not in kept.headers  # only what describes the page is kept
    assert list(tmp_path.rglob("*.tmp")) == []
    with pytest.raises(StoreError, match="larger than the size limit"):
        store.read(url, 10)
    with gzip.open(path, "rb") as packed:
        meta = packed.readline()
    path.write_bytes(gzip.compress(meta + b"<html>other</html>"))
    with pytest.raises(StoreError, match="damaged"):
        store.read(url, 1000)
    with pytest.raises(StoreError, match="no stored copy"):
        store.read("https://example.org/never/", 1000)
