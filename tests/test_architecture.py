"""The pipeline's shape holds: layers import in one direction, Whoosh's private API is
touched in one module, imports sit at the top, and importing dwsearch changes nothing."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dwsearch.index.whoosh_internals import FAST

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lexicon", "ingest", "index", "search", "app")
INTERNALS = ROOT / "index" / "whoosh_internals"
# Whoosh's modules below its public API; only the internals module may import them.
WHOOSH_PRIVATE_MODULES = ("whoosh.codec", "whoosh.matching", "whoosh.filedb")
# Underscored names of the standard library's that are public by its own documentation.
PUBLIC_UNDERSCORED = {"os._exit"}


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _imported(node: ast.AST, path: Path) -> list[str]:
    """The modules an import statement loads, as absolute names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level == 0:
        base = node.module or ""
    else:
        package = ["dwsearch", *path.relative_to(ROOT).parent.parts]
        base = ".".join(package[: len(package) - node.level + 1])
        base = f"{base}.{node.module}" if node.module else base
    # `from a import b` loads a, and b when b is a module: name both as a.b.
    return [f"{base}.{alias.name}" for alias in node.names]


def test_import_contracts_hold():
    """The layers (app > search > index > ingest > lexicon) import downwards only;
    ingestion knows no Whoosh; a search loads neither the builder nor ingestion."""
    linter = Path(sys.executable).with_name("lint-imports")
    if not linter.exists():
        pytest.skip("import-linter is in the test extra")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_imports_inside_functions_are_only_the_declared_heavy_ones():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = config["tool"]["dwsearch"]["deferred-imports"]
    found = []
    for path in _modules():
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                for module in _imported(node, path):
                    if not any(module == d or module.startswith(f"{d}.") for d in declared):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} {module}")
    assert found == []


def test_whoosh_private_api_is_used_in_one_module_only():
    found = []
    for path in _modules():
        if path.is_relative_to(INTERNALS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            for module in _imported(node, path):
                if module.startswith(WHOOSH_PRIVATE_MODULES):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {module}")
            private = (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            )
            if private and ast.unparse(node) not in PUBLIC_UNDERSCORED:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert found == []


def test_importing_dwsearch_leaves_the_host_process_alone():
    """A host that uses the `cached_property` package (an async property here) after
    importing dwsearch gets the real package, and no module it had is replaced."""
    code = """
import asyncio, sys
before = dict(sys.modules)
import dwsearch.app.api, dwsearch.search.engine, dwsearch.index, dwsearch.ingest
import whoosh.reading, whoosh.query
from cached_property import cached_property

class Host:
    @cached_property
    async def answer(self):
        return 42

async def main():
    host = Host()
    return [await host.answer, await host.answer]

print(asyncio.run(main()))
replaced = [n for n, m in before.items() if sys.modules.get(n) is not m]
print(replaced, type(sys.modules["whoosh.lang.morph_en"]).__name__)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.split("\n")[:2] == ["[42, 42]", "[] module"], result.stderr


def test_the_public_path_is_taken_on_request():
    """DWSEARCH_WHOOSH_PUBLIC=1 turns every fast path off (CI runs the quick tests so)."""
    code = (
        "from dwsearch.index import whoosh_internals as w\n"
        "print(w.FAST, w.can_write_segments(), w.writing_codec())\n"
    )
    for value, said in (("1", "False False None"), ("", "True True <")):
        env = {**os.environ, "DWSEARCH_WHOOSH_PUBLIC": value}
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        assert result.stdout.startswith(said), result.stdout
        assert "WhooshVersionWarning" not in result.stderr


@pytest.mark.skipif(not FAST, reason="checks the fast path's own check")
def test_an_object_without_the_attributes_used_is_read_through_the_public_api(
    tmp_path, monkeypatch
):
    """The version check covers the attributes of Whoosh's objects, not only its
    methods: a posting list whose kind lacks one (as in a Whoosh that renamed it) is
    read publicly, said once, with the same postings."""
    import warnings

    from whoosh import index as whoosh_index
    from whoosh.codec.whoosh3 import W3LeafMatcher

    from dwsearch.index import whoosh_internals
    from dwsearch.index.schema import build_schema

    writer = whoosh_index.create_in(str(tmp_path), build_schema()).writer()
    for number in range(300):
        writer.add_document(id=str(number), text=f"spectrum auction number {number}")
    writer.commit()
    reader = whoosh_index.open_dir(str(tmp_path)).reader()
    expected = whoosh_internals.flat_postings(reader.postings("text", "spectrum"))
    assert len(expected[0]) == 300

    wanted = (*whoosh_internals.reading.MATCHER_ATTRIBUTES, "_renamed")
    monkeypatch.setattr(whoosh_internals.reading, "MATCHER_ATTRIBUTES", wanted)
    matcher = reader.postings("text", "spectrum")
    matcher.__class__ = type("LackingMatcher", (W3LeafMatcher,), {})
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        found = whoosh_internals.flat_postings(matcher)
    assert found == expected
    assert [str(w.message) for w in said] == [
        "Whoosh's LackingMatcher has no _renamed; searching and building use Whoosh's "
        "public API (slower)"
    ]


# Whoosh's public API, as its documentation gives it; any other Whoosh module is named
# only by the internals package.
WHOOSH_PUBLIC = {
    "whoosh", "whoosh.index", "whoosh.fields", "whoosh.analysis", "whoosh.query",
    "whoosh.qparser", "whoosh.searching", "whoosh.scoring", "whoosh.highlight",
    "whoosh.sorting",
}  # fmt: skip
# The start-up stand-ins must be in place before Whoosh is imported, so they cannot go
# through the internals package (which imports it): they name Whoosh's language modules.
STAND_INS = ROOT / "app" / "startup.py"


def _whoosh_module(name: str) -> str | None:
    """The Whoosh module an imported name is, or is in."""
    import importlib.util

    if not name.startswith("whoosh"):
        return None
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        try:
            if importlib.util.find_spec(candidate) is not None:
                return candidate
        except (ImportError, ValueError):
            continue
    return name


def test_whoosh_beyond_its_public_api_is_named_in_one_package_only():
    found = []
    for path in _modules():
        if path.is_relative_to(INTERNALS) or path == STAND_INS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for name in _imported(node, path):
                module = _whoosh_module(name)
                if module is not None and module not in WHOOSH_PUBLIC:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {module}")
    assert found == []
