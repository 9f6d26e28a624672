"""Which main-content extractor finds the content of pages that do not mark it.

    pip install readability-lxml   # trafilatura is a dependency already
    python bench/extractors.py [--runs 20]

Each test page in `tests/fixtures/pages` (and the bundled page's HTML rendering) is read
with its <main> and <article> turned into plain <div>s, so that only the extractor can
tell where its content is. For each extractor the table gives, first for the extractor's
own text, the share of the expected chunks' text it holds (whole titles and texts found
in it) and the chrome strings in it; then, for the chunks
dwsearch makes with it (the element holding that text, read by BeautifulSoup, less the
chrome rules of html.toml), the expected chunks found (title and text equal), the
chunks that should not be there and the chrome strings that leaked into one; and the
extractor's time per page (median of the runs). "none" reads the whole <body>: the
baseline an extractor has to beat.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from dwsearch.ingest import extract
from dwsearch.ingest.pages import chunk_html

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
_MARKED = re.compile(r"<(/?)(main|article)\b", re.IGNORECASE)


def _readability_lines(markup: str) -> set[str]:
    from lxml import html as lxml_html
    from readability import Document

    summary = Document(markup).summary(html_partial=True)
    text = lxml_html.fromstring(summary).text_content() if summary.strip() else ""
    return extract._lines(text)


def _none_lines(markup: str) -> set[str]:
    return set()  # nothing extracted: the reader falls back to the whole <body>


EXTRACTORS: dict[str, Callable[[str], set[str]]] = {
    "trafilatura": extract.extracted_lines,
    "readability-lxml": _readability_lines,
    "none": _none_lines,
}


def _cases() -> list[tuple[str, str, list[tuple[str, str]], list[str]]]:
    """(name, markup without <main>, expected (title, text) pairs, chrome strings)."""
    cases = []
    for page in sorted((FIXTURES / "pages").glob("*.html")):
        expected = json.loads(page.with_suffix(".expected.json").read_text(encoding="utf-8"))
        pairs = [(c["title"], c["text"]) for c in expected["chunks"]]
        markup = _MARKED.sub(r"<\1div", page.read_text(encoding="utf-8"))
        cases.append((page.stem, markup, pairs, expected["absent"]))
    seed = FIXTURES / "international-telecommunication-union.html"
    markup = seed.read_text(encoding="utf-8")
    pairs = [(c.title, c.text) for c in chunk_html(markup, seed.name)]
    chrome = ["Actors", "DiploFoundation", "Scroll to Top", "observatory"]
    cases.append(("itu-seed-rendering", _MARKED.sub(r"<\1div", markup), pairs, chrome))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    cases = _cases()
    print(
        "| extractor | page | its text: expected text held | its text: chrome "
        "| chunks: expected found | chunks: extra | chunks: chrome | ms/page |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, lines_of in EXTRACTORS.items():
        try:
            lines_of(cases[0][1])  # load it once: import time is not per-page time
        except ImportError:
            print(f"| {name} | not installed | | | | |")
            continue
        found_all = expected_all = extra_all = leaked_all = held_all = raw_chrome_all = 0
        text_all = 0
        times_all: list[float] = []
        for page, markup, pairs, chrome in cases:
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                lines = lines_of(markup)
                times.append(time.perf_counter() - started)
            original = extract.extracted_lines
            extract.extracted_lines = lambda _markup, lines=lines: lines
            try:
                chunks = chunk_html(markup, f"{page}.html")
            finally:
                extract.extracted_lines = original
            extracted = " ".join(sorted(lines))
            texts = [t for pair in pairs for t in pair if t]
            held = sum(1 for t in texts if t in extracted)
            raw_chrome = sum(1 for c in chrome if c in extracted)
            got = [(c.title, c.text) for c in chunks]
            found = sum(1 for pair in pairs if pair in got)
            extra = sum(1 for pair in got if pair not in pairs)
            leaked = sum(1 for s in chrome if any(s in f"{t} {x}" for t, x in got))
            ms = statistics.median(times) * 1000
            print(
                f"| {name} | {page} | {held}/{len(texts)} | {raw_chrome} | "
                f"{found}/{len(pairs)} | {extra} | {leaked} | {ms:.1f} |"
            )
            held_all += held
            text_all += len(texts)
            raw_chrome_all += raw_chrome
            found_all += found
            expected_all += len(pairs)
            extra_all += extra
            leaked_all += leaked
            times_all.append(ms)
        mean = statistics.mean(times_all)
        print(
            f"| **{name}** | **all {len(cases)} pages** | **{held_all}/{text_all}** | "
            f"**{raw_chrome_all}** | **{found_all}/{expected_all}** | **{extra_all}** | "
            f"**{leaked_all}** | **{mean:.1f}** |"
        )


if __name__ == "__main__":
    main()
