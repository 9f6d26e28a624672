"""Opening an index: the default one builds itself; others are checked, never guessed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dwsearch.index.location import MANIFEST, current_generation, default_index_dir
from helpers import run_cli, write


def _set_manifest(index: Path, **changes) -> None:
    path = current_generation(index) / MANIFEST
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_first_search_builds_the_default_index_and_says_so():
    first = run_cli("search", "satellites")
    assert first.exit_code == 0
    assert first.stderr == (
        f"dwsearch: building the search index in {default_index_dir()} (there is no index yet)\n"
    )
    second = run_cli("search", "satellites")
    assert second.stderr == ""
    assert second.stdout == first.stdout


def test_upgrade_rebuilds_the_default_index():
    run_cli("search", "satellites")
    _set_manifest(default_index_dir(), schema_version="from-an-older-dwsearch")
    result = run_cli("search", "satellites")
    assert result.exit_code == 0
    assert "(it was built by another version of dwsearch)" in result.stderr


def test_new_corpus_version_rebuilds_the_default_index():
    run_cli("search", "satellites")
    _set_manifest(default_index_dir(), corpus_hash="0000")
    result = run_cli("search", "satellites")
    assert "(the bundled corpus has changed)" in result.stderr


def test_an_index_given_by_path_is_never_rebuilt_silently(tmp_path):
    index = tmp_path / "ix"
    assert run_cli("build", "--index", str(index)).exit_code == 0
    _set_manifest(index, schema_version="old")
    result = run_cli("search", "satellites", "--index", str(index))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"dwsearch: the index at {index} cannot be used: it was built by another version of "
        f"dwsearch; rebuild it with: dwsearch build --rebuild --index {index}"
    )
    assert result.stderr.count("\n") == 1


def test_missing_index_directory(tmp_path):
    result = run_cli("search", "x", "--index", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"dwsearch: no index at {tmp_path / 'nowhere'}; "
        f"build one with: dwsearch build PATH --index {tmp_path / 'nowhere'}\n"
    )


def test_corrupted_index(tmp_path):
    index = tmp_path / "ix"
    run_cli("build", "--index", str(index))
    for segment in current_generation(index).iterdir():
        if segment.name.endswith((".toc", ".seg")):
            segment.write_bytes(b"garbage")
    result = run_cli("search", "x", "--index", str(index))
    assert result.exit_code == 2
    assert (
        "is damaged" in result.stderr
        and "rebuild it with: dwsearch build --rebuild" in result.stderr
    )
    assert result.stderr.count("\n") == 1


def test_damaged_pointer_and_manifest(tmp_path):
    index = tmp_path / "ix"
    run_cli("build", "--index", str(index))
    (current_generation(index) / MANIFEST).write_text("{not json")
    result = run_cli("stats", "--index", str(index))
    assert result.exit_code == 2 and "damaged" in result.stderr
    write(index / "CURRENT", "../../etc")
    result = run_cli("search", "x", "--index", str(index))
    assert result.exit_code == 2 and "damaged" in result.stderr
    # a rebuild mends both
    assert run_cli("build", "--rebuild", "--index", str(index)).exit_code == 0
    assert run_cli("search", "satellites", "--index", str(index)).exit_code == 0


@pytest.mark.parametrize("default_index", [False, True])
def test_search_path_stays_light(seed_index, default_index):
    """No BeautifulSoup, no ingestion readers, no index writing, no asyncio, no HTTP
    client on a search; nor the data files' parser, nor the other commands' modules."""
    args = ["search", "satellites"] + ([] if default_index else ["--index", str(seed_index)])
    if default_index:
        assert run_cli("build").exit_code == 0  # the first search would build it
    code = (
        "import sys\n"
        "from dwsearch.app import startup; startup.install()\n"
        "from dwsearch.app.cli import cli\n"
        "try:\n"
        f"    cli.main({args!r})\n"
        "except SystemExit as done:\n"
        "    code = done.code\n"
        "heavy = ('bs4', 'lxml', 'multiprocessing', 'dwsearch.index.builder',\n"
        "         'dwsearch.ingest.layout', 'dwsearch.ingest.html', 'asyncio', 'zipfile',\n"
        "         'http', 'ssl', 'email', 'tomllib', 'difflib', 'csv', 'dwsearch.app.export',\n"
        "         'dwsearch.app.evaluate', 'dwsearch.ingest.web.store', 'rapidfuzz')\n"
        "found = sorted(m for m in sys.modules if m in heavy or m.split('.')[0] in heavy)\n"
        "found += [m for m in ('cached_property', 'whoosh.lang.morph_en', 'whoosh.lang.snowball',\n"
        "          'urllib.request')\n"
        "          if type(sys.modules[m]).__name__ != '_StandIn']\n"
        "found += [m for m in sys.modules if m.startswith('whoosh.lang.snowball.')\n"
        "          and m.rpartition('.')[2] not in ('english', 'bases')]\n"
        "print(code, found, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stderr.strip().splitlines()[-1] == "0 []"


def test_stand_ins_become_the_real_modules_when_used():
    """Code that uses the modules a search keeps out gets the real ones."""
    code = (
        "from dwsearch.app import startup; startup.install()\n"
        "import dwsearch.app.cli, whoosh.query\n"
        "from whoosh.lang.morph_en import variations\n"
        "words = sorted(variations('rendering'))\n"
        "import cached_property\n"
        "print(cached_property.threaded_cached_property.__name__, 'render' in words)\n"
        "print(type(sys.modules['whoosh.lang.morph_en']).__name__)\n"
        "from whoosh.lang import stemmer_for_language\n"
        "print(stemmer_for_language('fr')('nationales'), stemmer_for_language('en')('nations'))\n"
        "from whoosh.lang.snowball import GermanStemmer\n"
        "snowball = sys.modules['whoosh.lang.snowball']\n"
        "print(GermanStemmer().stem('häuser'), type(snowball).__name__)\n"
        "first = sys.modules['whoosh.lang.morph_en']\n"
        "variations('nations'), stemmer_for_language('fr'), cached_property.cached_property\n"
        "same = [sys.modules[m] is n for m, n in [('whoosh.lang.morph_en', first),\n"
        "        ('whoosh.lang.snowball', snowball)]]\n"
        "print(all(same))  # loaded once, not again on each use\n"
        "import urllib.request\n"
        "print(urllib.request.Request('http://example.org/a').host)\n"
        "from urllib.request import urlopen\n"
        "print(type(urllib.request).__name__, urllib.request is sys.modules['urllib.request'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [
        "threaded_cached_property", "True", "module", "national", "nation", "haus", "module",
        "True", "example.org", "module", "True",
    ]  # fmt: skip


@pytest.mark.parametrize("xdg", ["/srv/data", "", "   ", None])
def test_default_index_is_where_platformdirs_puts_user_data(xdg, monkeypatch):
    from platformdirs import user_data_dir

    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    expected = Path(user_data_dir("dwsearch", appauthor=False)) / "index"
    assert default_index_dir() == expected


@pytest.mark.slow
def test_a_change_to_an_analysis_filter_rebuilds_the_default_index(tmp_path):
    """No version number to remember: the analysis code itself is fingerprinted."""
    import dwsearch.index

    installed = Path(dwsearch.index.__file__).resolve().parent.parent
    package = tmp_path / "site" / "dwsearch"
    for part in ("lexicon", "ingest", "index", "search", "app", "corpus"):
        shutil.copytree(installed / part, package / part)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "XDG_DATA_HOME": str(tmp_path)}
    search = [sys.executable, "-m", "dwsearch.app", "search", "intelligence", "--json"]

    def run() -> tuple[str, int]:
        done = subprocess.run(search, env=env, capture_output=True, text=True, check=False)
        return done.stderr, json.loads(done.stdout)["total"]

    first_build, first_total = run()
    assert "there is no index yet" in first_build
    assert run()[0] == ""  # nothing changed, nothing rebuilt
    # Acronyms no longer bring their expansions: "AI" no longer matches "intelligence".
    analysis = package / "index" / "analysis.py"
    code = analysis.read_text(encoding="utf-8")
    changed = code.replace("self.table = acronyms()", "self.table = {}")
    assert changed != code
    analysis.write_text(changed, encoding="utf-8")
    rebuilt, total = run()
    assert "built by another version of dwsearch" in rebuilt
    assert total < first_total


def test_opening_a_session_reads_the_table_of_contents_once(seed_index, monkeypatch):
    """Whoosh reads an index's table of contents (and unpickles its schema) to open it
    and again for each reader; a session's first reader takes the one read to open it.
    Later readers read it afresh, as Whoosh's do."""
    from whoosh import index as whoosh_index

    from dwsearch.app.api import session
    from dwsearch.index.whoosh_internals import FAST

    reads = []
    real = whoosh_index.TOC.read

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(whoosh_index.TOC, "read", counted)
    with session(seed_index) as opened:
        assert opened.search("satellites").total > 0
        assert len(reads) == (1 if FAST else 2)
        opened.opened.whoosh_index.reader().close()
        assert len(reads) == (2 if FAST else 3)


def test_a_writer_reads_the_table_of_contents_afresh(tmp_path):
    """The table of contents kept from opening goes to a reader only: a writer reads the
    index as it stands once it holds the lock, so another writer's commit in between is
    kept, not overwritten."""
    from whoosh import index as whoosh_index
    from whoosh.fields import ID, Schema

    from dwsearch.index.whoosh_internals import open_index

    first = whoosh_index.create_in(str(tmp_path), Schema(id=ID(stored=True)))
    writer = first.writer()
    writer.add_document(id="a")
    writer.commit()
    opened = open_index(str(tmp_path))  # its table of contents read now
    writer = whoosh_index.open_dir(str(tmp_path)).writer()
    writer.add_document(id="b")
    writer.commit(merge=False)
    writer = opened.writer()
    writer.add_document(id="c")
    writer.commit(merge=False)
    with whoosh_index.open_dir(str(tmp_path)).reader() as reader:
        assert sorted(fields["id"] for fields in reader.all_stored_fields()) == ["a", "b", "c"]
        assert reader.generation() == 3
