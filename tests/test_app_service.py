"""The application API for long-running programs: a rebuild is picked up by the next
request, without a restart, and threads never share a searcher."""

from __future__ import annotations

import threading

from dwsearch.app.api import Service, build
from helpers import write


def test_a_rebuild_is_seen_by_the_next_search(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    write(pages / "a.txt", "Actor A\n\nA paragraph on zebras.\n")
    build([pages], index=index)
    service = Service(index)
    assert service.search("zebras").total == 1
    assert service.search("quartz").total == 0
    write(pages / "b.txt", "Actor B\n\nA paragraph on quartz.\n")
    build(index=index)
    assert service.search("quartz").total == 1
    assert service.stats().sources == 2


def test_each_thread_has_its_own_session(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    write(pages / "a.txt", "Actor A\n\nA paragraph on zebras.\n")
    build([pages], index=index)
    service = Service(index)
    seen = []

    def work() -> None:
        seen.append(service.session())
        assert service.session() is seen[-1]  # kept for the thread

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(s) for s in seen}) == 3
