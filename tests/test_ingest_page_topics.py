"""Topics from the page: on a page about one subject (an update, an event's report), the
topics its title names are every paragraph's; on a page about many (an actor's), a
paragraph's topics are its own. Through `dwsearch build` and `search --topic`."""

from __future__ import annotations

import json

from helpers import run_cli, write

FIRST = (
    "The UN General Assembly adopted the convention against cybercrime after three years "
    "of negotiation in an ad hoc committee of member states."
)
SECOND = (
    "Human rights groups warned that the treaty's broad surveillance powers could be "
    "abused by governments, and asked states to add safeguards before they ratify it."
)


def _page(address: str, title: str) -> str:
    return (
        f'<html><head><link rel="canonical" href="{address}"></head><body><main>'
        f"<h1>{title}</h1><p>{FIRST}</p><p>{SECOND}</p></main></body></html>"
    )


def _topic_hits(tmp_path, address: str, title: str) -> list[str]:
    pages, index = tmp_path / "pages", tmp_path / "ix"
    write(pages / "page.html", _page(address, title))
    assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0
    found = run_cli("search", "--topic", "cybercrime", "--json", "--index", str(index))
    return [hit["text"] for hit in json.loads(found.stdout)["hits"]] if found.stdout else []


def test_an_updates_title_topic_reaches_every_paragraph(tmp_path):
    texts = _topic_hits(
        tmp_path,
        "https://dig.watch/updates/un-adopts-cybercrime-convention",
        "UN adopts the cybercrime convention",
    )
    assert sorted(texts) == sorted([FIRST, SECOND])  # the second never says "cybercrime"


def test_an_actors_paragraph_keeps_its_own_topics(tmp_path):
    texts = _topic_hits(
        tmp_path,
        "https://dig.watch/actors/cybercrime-convention-committee",
        "Cybercrime Convention Committee",
    )
    assert texts == [FIRST]
