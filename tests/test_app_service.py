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
    asked_twice = []  # each thread's (first, second) session, checked here: an assert
    # inside a thread would only warn, and another thread's append could come between

    def work() -> None:
        first = service.session()
        asked_twice.append((first, service.session()))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(first is second for first, second in asked_twice)  # kept for the thread
    assert len({id(first) for first, _ in asked_twice}) == 3
