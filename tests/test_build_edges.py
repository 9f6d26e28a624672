"""Builds at the edges: folders that cannot be listed, names that are not UTF-8, an index
left with no page, removals of what is not there. Each through the real command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import run_cli, write

NOBODY = 65534


def _can_drop_privileges() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder that an unprivileged user may work in (pytest's own is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="dwsearch-edges-"))
    folder.chmod(0o777)
    yield folder
    subprocess.run(["chmod", "-R", "u+rwx", str(folder)], check=False)
    shutil.rmtree(folder, ignore_errors=True)


def as_nobody(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`dwsearch ARGS` as an unprivileged user (as root, a folder's mode keeps nobody
    out), everything under `folder` handed to that user first."""
    if not _can_drop_privileges():
        pytest.skip("needs root and setpriv to run as an unprivileged user")
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(folder)], check=True)
    command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "xdg")}
    return subprocess.run(
        [*command, sys.executable, "-m", "dwsearch.app", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        check=False,
    )


def _pages(folder: Path) -> Path:
    pages = folder / "pages"
    write(pages / "top.txt", "Top page\n\nA paragraph about spectrum auctions.\n")
    write(pages / "sub" / "inner.txt", "Inner page\n\nA paragraph about satellites.\n")
    return pages


def _hits(folder: Path, query: str) -> int:
    found = as_nobody(folder, "search", query, "--index", "ix", "--json")
    assert found.returncode in (0, 1), found.stderr
    return json.loads(found.stdout)["total"]


@pytest.mark.slow
def test_a_folder_that_cannot_be_listed_keeps_its_pages(shared_folder):
    """The pages of an unreadable subfolder are unknown, not gone: kept, named, exit 2."""
    pages = _pages(shared_folder)
    assert as_nobody(shared_folder, "build", str(pages), "--index", "ix").returncode == 0
    (pages / "sub").chmod(0)
    refreshed = as_nobody(shared_folder, "build", "--index", "ix")
    assert refreshed.returncode == 2
    assert refreshed.stderr.splitlines() == ["dwsearch: sub: cannot list this folder "
                                             "(Permission denied)"]  # fmt: skip
    assert "removed" not in refreshed.stdout or " 0 removed" in refreshed.stdout
    assert _hits(shared_folder, "satellites") == 1
    (pages / "sub").chmod(0o755)
    again = as_nobody(shared_folder, "build", "--index", "ix")
    assert again.returncode == 0 and _hits(shared_folder, "satellites") == 1


@pytest.mark.slow
def test_a_source_folder_that_cannot_be_listed_keeps_its_pages(shared_folder):
    pages = _pages(shared_folder)
    assert as_nobody(shared_folder, "build", str(pages), "--index", "ix").returncode == 0
    pages.chmod(0)
    refreshed = as_nobody(shared_folder, "build", "--rebuild", "--index", "ix")
    assert refreshed.returncode == 2 and "cannot list this folder" in refreshed.stderr
    assert refreshed.stderr.count("\n") == 1
    pages.chmod(0o755)
    assert _hits(shared_folder, "satellites") == 1 and _hits(shared_folder, "spectrum") == 1


def _byte_named(pages: Path) -> Path:
    """A page whose name is the byte 0xFF (not UTF-8), and one named by the four
    characters that show that byte."""
    raw = Path(os.fsdecode(bytes(pages) + b"/\xff.txt"))
    write(raw, "Byte page\n\nAbout bytewords.\n")
    write(pages / "\\xff.txt", "Literal page\n\nAbout literalwords.\n")
    write(pages / "plain.txt", "Plain page\n\nAbout plainwords.\n")
    return raw


def _total(index: Path, query: str) -> int:
    found = run_cli("search", query, "--index", str(index), "--json")
    assert found.exit_code in (0, 1), found.stderr
    return json.loads(found.stdout)["total"]


def test_a_byte_name_and_the_characters_that_show_it_are_two_pages(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    raw = _byte_named(pages)
    built = run_cli("build", str(pages), "--index", str(index))
    assert built.exit_code == 0 and "3 added" in built.stdout
    assert _total(index, "bytewords") == 1 and _total(index, "literalwords") == 1
    write(raw, "Byte page\n\nAbout bytewords, edited.\n")
    edited = run_cli("build", "--index", str(index))
    assert "1 updated" in edited.stdout and "2 unchanged" in edited.stdout


def test_a_page_whose_name_is_not_utf8_is_removed_and_stays_removed(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    raw = _byte_named(pages)
    assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0
    removed = run_cli("remove", str(raw), "--index", str(index))
    assert removed.exit_code == 0 and "1 removed" in removed.stdout
    assert _total(index, "bytewords") == 0 and _total(index, "literalwords") == 1
    for refresh in (["build"], ["build", "--rebuild"]):
        assert run_cli(*refresh, "--index", str(index)).exit_code == 0
        assert _total(index, "bytewords") == 0 and _total(index, "literalwords") == 1
    assert run_cli("build", str(raw), "--index", str(index)).exit_code == 0  # brought back
    assert _total(index, "bytewords") == 1


def test_an_index_may_hold_no_page(tmp_path):
    """Deleting every page, removing the last source, or building an empty folder
    leaves a valid empty index, and the deleted pages are no longer found."""
    pages, index = tmp_path / "pages", tmp_path / "ix"
    page = write(pages / "only.txt", "Only page\n\nAbout spectrum.\n")
    assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0
    page.unlink()
    emptied = run_cli("build", "--index", str(index))
    assert emptied.exit_code == 0, emptied.stderr
    assert "0 page(s), 0 chunks" in emptied.stdout and _total(index, "spectrum") == 0
    assert run_cli("search", "", "--index", str(index)).exit_code == 1
    assert run_cli("stats", "--index", str(index)).exit_code == 0
    write(pages / "again.txt", "Again page\n\nAbout spectrum again.\n")
    assert run_cli("build", "--index", str(index)).exit_code == 0
    assert _total(index, "spectrum") == 1
    gone = run_cli("remove", str(pages), "--index", str(index))
    assert gone.exit_code == 0 and _total(index, "spectrum") == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    fresh = run_cli("build", str(empty), "--index", str(tmp_path / "fresh"))
    assert fresh.exit_code == 0, fresh.stderr
    assert _total(tmp_path / "fresh", '"a b" c* d') == 0


def test_removing_a_name_that_is_nowhere_is_refused_and_records_nothing(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    write(pages / "one.txt", "One page\n\nAbout spectrum.\n")
    assert run_cli("build", str(pages), "--index", str(index)).exit_code == 0
    before = (index / "CURRENT").read_text()
    typo = run_cli("remove", str(pages / "typo-not-there.txt"), "--index", str(index))
    assert typo.exit_code == 2 and typo.stderr.count("\n") == 1
    assert "is not a source" in typo.stderr and str(pages) in typo.stderr
    assert (index / "CURRENT").read_text() == before
    write(pages / "typo-not-there.txt", "Later page\n\nAbout satellites.\n")
    assert run_cli("build", "--index", str(index)).exit_code == 0
    assert _total(index, "satellites") == 1  # a page of that name, made later, is indexed


def test_a_removal_keeps_the_taxonomy_the_index_was_built_with(tmp_path):
    pages, index = tmp_path / "pages", tmp_path / "ix"
    write(pages / "one.txt", "One page\n\nAbout zebras and spectrum.\n")
    write(pages / "two.txt", "Two page\n\nAbout zebras.\n")
    taxonomy = write(
        tmp_path / "tax.toml", '[topics.zebra-watch]\nname = "Zebra watch"\nterms = ["zebras"]\n'
    )
    built = run_cli("build", str(pages), "--index", str(index), "--taxonomy", str(taxonomy))
    assert built.exit_code == 0
    assert run_cli("remove", str(pages / "two.txt"), "--index", str(index)).exit_code == 0
    refreshed = run_cli("build", "--index", str(index))
    assert "up to date" in refreshed.stdout  # not rebuilt with the default taxonomy
    found = run_cli("search", "zebras", "--topic", "zebra-watch", "--index", str(index), "--json")
    assert json.loads(found.stdout)["total"] == 1
