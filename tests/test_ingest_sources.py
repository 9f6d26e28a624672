"""Source files a hostile or careless corpus holds: special files, links out of the folder,
huge files, names that are not UTF-8, UTF-16 without a byte-order mark."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dwsearch.ingest.pages import (
    DEFAULT_MAX_BYTES,
    Chunk,
    IngestError,
    Source,
    Unchanged,
    chunk_paths,
    chunk_source,
    find_sources,
)
from helpers import write

PAGE = "An Actor\n\nProse about cybersecurity in 2018.\n"


def _finishing(work):
    """`work()`'s result, from a thread that must finish: a FIFO used to block forever."""
    results: list = []
    reader = threading.Thread(target=lambda: results.append(_outcome(work)), daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert not reader.is_alive(), "ingestion hung"
    if isinstance(results[0], BaseException):
        raise results[0]
    return results[0]


def _outcome(work):
    try:
        return work()
    except Exception as error:
        return error


def _read_all(paths, **options) -> list[Chunk | IngestError]:
    return _finishing(lambda: list(chunk_paths(paths, **options)))


def _errors(results) -> list[str]:
    return [str(r) for r in results if isinstance(r, IngestError)]


def _sources(results) -> set[str]:
    return {r.source for r in results if isinstance(r, Chunk)}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_is_skipped_with_one_message(tmp_path):
    write(tmp_path / "a.txt", PAGE)
    os.mkfifo(tmp_path / "x.txt")
    results = _read_all([tmp_path])
    assert _errors(results) == ["x.txt: a FIFO, not a page file; skipped"]
    assert _sources(results) == {"a.txt"}
    assert results[-1].source == "x.txt"  # the error names the file for the builder


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_put_in_place_of_a_found_file_never_blocks_the_reader(tmp_path):
    os.mkfifo(tmp_path / "x.txt")
    with pytest.raises(IngestError, match=r"^x\.txt: a FIFO, not a page file; skipped$"):
        _finishing(lambda: chunk_source(Source(tmp_path / "x.txt", "x.txt")))


def test_links_out_of_the_folder_are_refused(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "a.txt", PAGE)
    secret = write(tmp_path / "outside" / "secret.txt", "Secret Actor\n\nNot for the index.\n")
    (corpus / "secret.txt").symlink_to(secret)
    (corpus / "zero.txt").symlink_to("/dev/zero")
    (corpus / "alias.txt").symlink_to("a.txt")  # inside the folder: read
    results = _read_all([corpus])
    assert _errors(results) == [
        "secret.txt: a link to outside the folder; skipped",
        "zero.txt: a link to outside the folder; skipped",
    ]
    assert _sources(results) == {"a.txt", "alias.txt"}


def test_a_device_named_directly_is_refused(tmp_path):
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    results = _read_all([tmp_path / "zero.txt"])
    assert _errors(results) == ["zero.txt: a character device, not a page file; skipped"]


def test_files_over_the_size_limit_are_refused(tmp_path):
    write(tmp_path / "big.txt", "Big Actor\n\n" + "word " * 400)
    write(tmp_path / "small.txt", PAGE)
    results = _read_all([tmp_path], max_bytes=1000)
    assert _errors(results) == ["big.txt: 2 KiB, larger than the 1000 bytes limit; skipped"]
    assert _sources(results) == {"small.txt"}
    assert DEFAULT_MAX_BYTES == 20 * 1024 * 1024
    assert _errors(_read_all([tmp_path])) == []


def test_bytes_handed_in_are_held_to_the_limit_too(tmp_path):
    page = write(tmp_path / "big.txt", "Big Actor\n\n" + "word " * 400)
    with pytest.raises(IngestError, match="larger than the 1000 bytes limit"):
        chunk_source(Source(page, "big.txt"), data=page.read_bytes(), max_bytes=1000)


NOT_UTF8 = b"b\xff\xfe.txt"


def _not_utf8_name(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    raw = os.path.join(os.fsencode(folder), NOT_UTF8)
    with open(raw, "wb") as handle:
        handle.write(PAGE.encode())
    return Path(os.fsdecode(raw))


def test_a_name_that_is_not_utf8_is_read_and_named_escaped(tmp_path):
    _not_utf8_name(tmp_path)
    write(tmp_path / "a.txt", PAGE)
    results = _read_all([tmp_path])
    assert _errors(results) == []
    assert _sources(results) == {"a.txt", "b\\xff\\xfe.txt"}
    for chunk in results:
        json.dumps(chunk.to_dict(), ensure_ascii=False).encode("utf-8")  # never raises


def test_a_bad_file_with_such_a_name_is_named_escaped(tmp_path):
    raw = os.path.join(os.fsencode(tmp_path), b"c\xff.txt")
    open(raw, "wb").close()
    assert _errors(_read_all([tmp_path])) == ["c\\xff.txt: empty file"]
    assert [s.relative for s in find_sources([Path(os.fsdecode(raw))])] == ["c\\xff.txt"]


def test_chunks_command_under_a_strict_utf8_locale(tmp_path):
    _not_utf8_name(tmp_path)
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8", PYTHONIOENCODING="utf-8:strict")
    for extra in ([], ["--json"]):
        result = subprocess.run(
            [sys.executable, "-m", "dwsearch.app", "chunks", str(tmp_path), *extra],
            capture_output=True,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
        assert b"Traceback" not in result.stderr
        if extra:  # the JSON names the file; the text, the page by its title
            assert b"b\\\\xff\\\\xfe.txt" in result.stdout
        else:
            assert b"An Actor  [overview]" in result.stdout


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark(tmp_path, encoding):
    page = write(tmp_path / "u16.txt", "Genève Actor\n\nProse about privacy.\n".encode(encoding))
    chunks = chunk_source(Source(page, page.name))
    assert [(c.title, c.text) for c in chunks] == [("Genève Actor", "Prose about privacy.")]


def test_binary_with_zero_bytes_is_still_refused(tmp_path):
    page = write(tmp_path / "bin.txt", bytes(range(256)) * 8)
    with pytest.raises(IngestError, match="binary file"):
        chunk_source(Source(page, page.name))


def test_an_error_crosses_processes_whole():
    error = pickle.loads(pickle.dumps(IngestError("x.txt: empty file", "x.txt")))
    assert (str(error), error.source) == ("x.txt: empty file", "x.txt")


def test_files_taken_as_recorded_are_the_files_a_full_look_finds(tmp_path):
    """A scan that gives the size and time it recorded of each file gets the files that
    still have them as cheap stand-ins, each the same file, key and name a full look
    finds; links, oversized and special files still get the full look, and so does a
    file whose size or time differ."""
    _not_utf8_name(tmp_path)
    write(tmp_path / "a.txt", PAGE)
    write(tmp_path / "sub" / "c.txt", PAGE)
    write(tmp_path / "d.txt", PAGE)
    write(tmp_path / "big.txt", PAGE * 50)
    os.symlink(tmp_path / "a.txt", tmp_path / "link.txt")
    os.mkfifo(tmp_path / "fifo.txt")
    limit = len(PAGE) * 10
    full = list(find_sources([tmp_path], limit))
    recorded = {}
    for name in ("a.txt", NOT_UTF8.decode("utf-8", "surrogateescape"), "sub/c.txt", "d.txt",
                 "big.txt", "link.txt", "fifo.txt"):  # fmt: skip
        info = os.stat(os.path.join(os.fsencode(tmp_path), os.fsencode(name)))
        key = Source(tmp_path / name, "", name).key
        recorded[key] = (info.st_size, info.st_mtime_ns + (name == "d.txt"))
    quick = list(find_sources([tmp_path], limit, recorded))
    assert len(quick) == len(full)
    taken = []
    for plain, fast in zip(full, quick, strict=True):
        if isinstance(fast, Unchanged):
            assert isinstance(plain, Source)
            assert (fast.key, fast.source(), fast.info.st_size) == (
                plain.key, plain, plain.path.stat().st_size,
            )  # fmt: skip
            taken.append(plain.relative)
        else:
            assert str(fast) == str(plain)  # the full look's Source or error
    assert taken == ["a.txt", "b\\xff\\xfe.txt", "sub/c.txt"]
    refused = find_sources([tmp_path], limit, {})
    assert [str(found) for found in refused] == [str(found) for found in full]
