"""Pages dated by a day, a month or a year alone, searched through the real CLI with
`--since`, `--until` and `--sort` (issue 22, item 1).

The oracle is the calendar, written out by hand: the first and last day each page's
date line covers. A hit is kept when that span overlaps the range asked for; `newest`
orders by the last day, `oldest` by the first, undated pages last.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import run_cli, write

WORD = "quokka"
# File, the date line under its title (None: undated), and the days it covers.
PAGES = [
    ("month.txt", "November 2015", "2015-11-01", "2015-11-30"),
    ("month-iso.txt", "2016-02", "2016-02-01", "2016-02-29"),
    ("month-labelled.html", "Published: May 2018", "2018-05-01", "2018-05-31"),
    ("day.txt", "20 Nov 2015", "2015-11-20", "2015-11-20"),
    ("day-later.txt", "3 Dec 2015", "2015-12-03", "2015-12-03"),
    ("year.txt", "2015", "2015-01-01", "2015-12-31"),
    ("year-labelled.txt", "Posted on: 2014", "2014-01-01", "2014-12-31"),
    ("undated.txt", None, "", ""),
]


def _page(name: str, line: str | None) -> str:
    title = f"Field notes {name.split('.')[0]}"
    paragraph = f"Rangers on the island counted every {WORD} they met on the {name} walk."
    if name.endswith(".html"):
        time = f"<time>{line}</time>" if line else ""
        return f"<html><body><h1>{title}</h1>{time}<p>{paragraph}</p></body></html>"
    return "\n\n".join(part for part in (title, line, paragraph) if part) + "\n"


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dated")
    for name, line, _, _ in PAGES:
        write(folder / "pages" / name, _page(name, line))
    built = run_cli("build", str(folder / "pages"), "--index", str(folder / "ix"))
    assert built.exit_code == 0, built.stderr
    return folder / "ix"


def _found(index: Path, *options: str) -> list[str]:
    searched = run_cli("search", WORD, "--json", "--limit", "50", "--index", str(index), *options)
    assert searched.exit_code in (0, 1), searched.stderr
    return [Path(hit["source"]).name for hit in json.loads(searched.stdout)["hits"]]


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("2015-11-20", ""),
        ("", "2015-11-01"),
        ("2015-12-01", ""),
        ("", "2015-10-31"),
        ("2015-11-05", "2015-11-10"),
        ("2016-02-29", "2016-03-31"),
        ("2018-05-31", ""),
        ("", "2014-06-30"),
        ("2015-12-04", "2015-12-31"),
    ],
)
def test_a_page_dated_by_a_month_or_a_year_covers_all_of_it(index, since, until):
    """The month-dated page is found by --since 2015-11-20 and --until 2015-11-01, not by
    --since 2015-12-01 nor --until 2015-10-31; so for every page and range."""
    expected = {
        name
        for name, _, first, last in PAGES
        if first and (not since or last >= since) and (not until or first <= until)
    }
    options = [*(["--since", since] if since else []), *(["--until", until] if until else [])]
    assert set(_found(index, *options)) == expected


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sorting_by_date_takes_the_last_or_first_day_a_page_covers(index, sort):
    """Newest: the latest day a page is about first (a year's 31 December, a month's last
    day); oldest: the earliest first; undated last."""
    newest = sort == "newest"
    dated = [(last if newest else first, name) for name, _, first, last in PAGES if first]
    expected = [name for _, name in sorted(dated, reverse=newest)]
    expected += [name for name, _, first, _ in PAGES if not first]
    assert _found(index, "--sort", sort) == expected
