"""How fast ingestion is: N copies of a seed-sized page, each with its own title.

    python bench/ingest.py [--pages 1000] [--page PATH]

PATH defaults to the bundled corpus page; an HTML page is copied as HTML (its first
"Union" numbered, so titles differ). Prints pages/s and chunks/s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dwsearch.ingest import bundled_corpus
from dwsearch.ingest.pages import chunk_paths, load_taxonomy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--page", type=Path, default=None)
    args = parser.parse_args()
    page = args.page or next(bundled_corpus().glob("*.txt"))
    text = page.read_text(encoding="utf-8")
    title, _, rest = text.partition("\n")
    with tempfile.TemporaryDirectory() as folder:
        for number in range(args.pages):
            if page.suffix == ".txt":
                copy = f"{title} {number}\n{rest}"
            else:
                copy = text.replace("Union", f"Union {number}", 1)
            Path(folder, f"page-{number:05}{page.suffix}").write_text(copy, encoding="utf-8")
        load_taxonomy()  # loading data files is start-up, not per-page work
        started = time.perf_counter()
        chunks = sum(1 for _ in chunk_paths([folder]))
        seconds = time.perf_counter() - started
    print(f"pages      {args.pages}")
    print(f"chunks     {chunks}")
    print(f"seconds    {seconds:.2f}")
    print(f"pages/s    {args.pages / seconds:,.0f}")
    print(f"chunks/s   {chunks / seconds:,.0f}")


if __name__ == "__main__":
    main()
