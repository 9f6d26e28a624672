"""Every numeric option is range-checked where it is declared: a value out of range,
infinite, not a number or too large for any machine is one line on stderr and exit 2,
never a traceback; and a size cap means the same to `build` and to `chunks`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import run_cli, write

MiB = 1024 * 1024
HUGE = str(10**30)
NOT_FINITE = ("inf", "-inf", "nan", "1e308", "-1e308")


def _commands(index: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Each command as a user would run it, before its numeric option."""
    pages = tmp_path / "pages"
    write(pages / "one.txt", "Actor alpha\n\nA paragraph about alpha.\n")
    return {
        "export": ["export", str(tmp_path / "out"), "--format", "opensearch",
                   "--index", str(index)],
        "build": ["build", str(pages), "--index", str(tmp_path / "ix")],
        "chunks": ["chunks", str(pages)],
        "search": ["search", "satellites", "--index", str(index)],
        "evaluate": ["evaluate", str(tmp_path / "collection")],
        "serve": ["serve", "--index", str(tmp_path / "no-index")],
    }  # fmt: skip


# (command, option, values refused); every one also refuses NOT_FINITE and HUGE.
REFUSED = [
    ("export", "--file-mb", ("-1", "0", "-0", "1025")),
    ("build", "--max-file-mb", ("-1", "0", "1000001")),
    ("chunks", "--max-file-mb", ("-1", "0", "1000001")),
    ("search", "--limit", ("-1", "10001", "1.5")),
    ("search", "--offset", ("-1", "1000001")),
    ("evaluate", "--limit", ("-1", "0", "10001")),
    ("serve", "--port", ("-1", "65536")),
    ("serve", "--workers", ("-1", "0", "65")),
]


@pytest.mark.parametrize(("command", "option", "values"), REFUSED)
def test_a_number_out_of_range_is_one_line_and_exit_2(
    seed_index, tmp_path, command, option, values
):
    before = _commands(seed_index, tmp_path)[command]
    for value in (*values, *NOT_FINITE, HUGE):
        result = run_cli(*before, option, value)
        shown = f"{command} {option} {value}: {result.exit_code} {result.stderr!r}"
        assert result.exit_code == 2, shown
        assert result.stderr.startswith("dwsearch: ") and result.stderr.count("\n") == 1, shown
        assert option in result.stderr and "Traceback" not in result.stderr, shown
        assert result.stdout == "", shown
    assert not (tmp_path / "out").exists() and not (tmp_path / "ix").exists()


@pytest.mark.parametrize(("command", "option"), [("search", "--limit"), ("serve", "--port")])
@pytest.mark.parametrize("value", ["abc", "1.5", "ten"])
def test_a_count_that_is_no_whole_number_is_said_so(seed_index, tmp_path, command, option, value):
    """A word where a count goes is "not a whole number", not "not a valid integer
    range" (click's words for its range type, which read as if a range were asked)."""
    result = run_cli(*_commands(seed_index, tmp_path)[command], option, value)
    assert result.exit_code == 2
    assert f"{option}': '{value}' is not a whole number" in result.stderr, result.stderr
    assert "range" not in result.stderr


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        ("search", "--limit", "0"),  # the facets alone
        ("search", "--limit", "10000"),
        ("search", "--offset", "0"),
        ("search", "--offset", "1000000"),
        ("chunks", "--max-file-mb", "1e-12"),
        ("chunks", "--max-file-mb", "1000000"),
        ("export", "--file-mb", "1e-12"),
        ("export", "--file-mb", "1024"),
    ],
)
def test_the_bounds_themselves_are_accepted(seed_index, tmp_path, command, option, value):
    result = run_cli(*_commands(seed_index, tmp_path)[command], option, value)
    assert "Traceback" not in result.stderr and option not in result.stderr
    assert result.exit_code in (0, 1) or "larger than" in result.stderr, result.stderr


def test_each_bound_is_the_one_its_module_enforces():
    """The command declares the bounds that the code it calls enforces, read from the
    one place each is defined (a module light enough for the command to import)."""
    from dwsearch.app import bounds
    from dwsearch.app.cli import cli
    from dwsearch.search import results

    def declared(command: str, name: str):  # type: ignore[no-untyped-def]
        return next(p for p in cli.commands[command].params if p.name == name).type

    assert declared("search", "limit").max == results.MAX_LIMIT
    assert declared("search", "offset").max == results.MAX_OFFSET
    assert declared("evaluate", "limit").max == results.MAX_LIMIT
    assert declared("build", "max_file_mb").max == bounds.MAX_FILE_MB
    assert declared("chunks", "max_file_mb").max == bounds.MAX_FILE_MB
    assert declared("export", "file_mb").max == bounds.MAX_BULK_FILE_MB


def _skipped(stderr: str, names: list[str]) -> set[str]:
    return {name for name in names if f"{name}: " in stderr and "skipped" in stderr}


@pytest.mark.parametrize("value", ["1e-12", "0.000001", "0.002", "0.0039", "1"])
def test_a_size_cap_means_the_same_to_build_and_to_chunks(tmp_path, value):
    """A file is skipped when it is larger than the cap, by both commands: their two
    readings of the same number once differed (1e-12 was 20 MiB to one, 0 to the other)."""
    pages, other, index = tmp_path / "pages", tmp_path / "other", tmp_path / "ix"
    sizes = {"tiny.txt": 1, "small.txt": 40, "mid.txt": 2_000, "big.txt": 8_000}
    for name, words in sizes.items():
        stem = name.removesuffix(".txt")
        write(pages / name, f"Actor {stem}\n\n" + f"{stem}word " * (words // 10) + "\n")
    write(other / "kept.txt", "Actor kept\n\nA page the index keeps.\n")
    names = sorted(sizes)
    # The oracle: each file's size on disk against the cap, in bytes.
    larger = {n for n in names if (pages / n).stat().st_size > float(value) * MiB}

    listed = run_cli("chunks", str(pages), "--max-file-mb", value, "--json")
    chunked = {json.loads(line)["source"] for line in listed.stdout.splitlines()}
    assert _skipped(listed.stderr, names) == larger
    assert chunked == set(names) - larger

    assert run_cli("build", str(other), "--index", str(index)).exit_code == 0
    built = run_cli("build", str(pages), "--index", str(index), "--max-file-mb", value)
    assert built.exit_code == (2 if larger else 0), built.stderr
    assert _skipped(built.stderr, names) == larger
    searched = run_cli("search", "", "--index", str(index), "--json", "--limit", "100")
    indexed = {hit["source"] for hit in json.loads(searched.stdout)["hits"]}
    assert indexed == (set(names) - larger) | {"kept.txt"}
