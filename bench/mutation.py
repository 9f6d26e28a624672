"""Mutation testing of the search's filters, facets, matching and query parsing.

    pip install -e ".[test,mutation]"
    python bench/mutation.py [--workers 2] [--workdir DIR] [--modules M ...] [--quick] [--json]
    python bench/mutation.py --workdir DIR --again   # survivors only, with today's tests

Cosmic Ray changes one thing at a time in the modules below (a comparison, a number, an
`and`, a loop that never runs...) and runs the tests that should notice. A mutant the
tests do not notice "survives": either a test is missing, or the change makes no
difference a user could see (the note of the issue that asked for this lists which).
Every mutant first meets the quick tests; the survivors then meet the slow ones too
(the differential suite against Whoosh's own search), unless `--quick`.

Cosmic Ray edits the source files in place, so each worker gets its own copy of the
working tree, importable as `dwsearch` through a folder of links, and the modules are
shared out among the workers. Every binary and comparison operator is replaced by its
natural counterpart only (`+` by `-`, `<` by `<=`, `==` by `!=`), as mutmut does; the
other eight replacements of each site add time and rarely a mutant the first would
not have caught.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

MODULES = [
    "search/facets.py",
    "search/matching.py",
    "search/query.py",
    "index/facetmap.py",
    "index/facetview.py",
]
# The tests that exercise those modules; the quick ones first, so a mutant dies early.
TESTS = [
    "tests/test_search_query.py",
    "tests/test_search_compounds.py",
    "tests/test_search_typos.py",
    "tests/test_search_query_rules.py",
    "tests/test_search_query_edges.py",
    "tests/test_search_filters.py",
    "tests/test_index_damage.py",
    "tests/test_index_facetmap.py",
    "tests/test_differential.py",
    "tests/test_search_bulk.py",
    "tests/test_search_seed.py",
    "tests/test_search_ranking.py",
]
PACKAGES = {  # dwsearch's subpackages and the folders that hold them (pyproject.toml)
    "lexicon": "lexicon",
    "ingest": "ingest",
    "index": "index",
    "search": "search",
    "app": "app",
    "corpus": "corpus",
}
KEPT_BINARY = (
    "Add_Sub Sub_Add Mul_Div Div_Mul FloorDiv_Mul Mod_Mul Pow_Mul"
    " BitAnd_BitOr BitOr_BitAnd BitXor_BitOr LShift_RShift RShift_LShift"
)
KEPT_COMPARISON = (
    "Eq_NotEq NotEq_Eq Lt_LtE LtE_Lt Gt_GtE GtE_Gt Is_IsNot IsNot_Is In_NotIn NotIn_In"
)
KEPT_UNARY = "Delete_Not Delete_USub Delete_Invert USub_UAdd"


def _only(family: str, kept: str) -> str:
    """A pattern for the operators of `family` other than the `kept` ones."""
    alternatives = "|".join(f"{pair}$" for pair in kept.split())
    return f"core/{family}_(?!{alternatives})"


def config_text(modules: list[str], timeout: float, slow: bool = False) -> str:
    """Cosmic Ray's settings; `slow`: the slow tests too (the differential suite against
    Whoosh's own search, a minute a mutant), which only survivors of the rest get."""
    tests = " ".join(TESTS)
    only_quick = "" if slow else '-m "not slow" '
    command = f"{sys.executable} -m pytest -x -q -p no:cacheprovider {only_quick}{tests}"
    excluded = [
        _only("ReplaceBinaryOperator", KEPT_BINARY),
        _only("ReplaceComparisonOperator", KEPT_COMPARISON),
        _only("ReplaceUnaryOperator", KEPT_UNARY),
    ]
    return (
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(modules)}\n"
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n\n"
        '[cosmic-ray.distributor]\nname = "local"\n\n'
        "[cosmic-ray.filters.operators-filter]\n"
        f"exclude-operators = {json.dumps(excluded)}\n"
    )


def copy_tree(target: Path) -> None:
    """The working tree as it is (changes included), importable as `dwsearch`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            destination = target / os.fsdecode(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    links = target / ".pkg" / "dwsearch"
    links.mkdir(parents=True, exist_ok=True)
    for package, folder in PACKAGES.items():
        if not (links / package).is_symlink():
            (links / package).symlink_to(target / folder, target_is_directory=True)


def tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def share_out(modules: list[str], workers: int) -> list[list[str]]:
    """Modules among workers, the biggest first to the least loaded."""
    shares: list[list[str]] = [[] for _ in range(min(workers, len(modules)))]
    loads = [0] * len(shares)
    for module in sorted(modules, key=lambda m: -(ROOT / m).stat().st_size):
        least = loads.index(min(loads))
        shares[least].append(module)
        loads[least] += (ROOT / module).stat().st_size
    return shares


def start_worker(
    folder: Path, modules: list[str], timeout: float, again: bool = False, slow: bool = False
) -> subprocess.Popen[bytes]:
    """A worker's copy and Cosmic Ray session, running; `again`: the copy refreshed, and
    only the mutants that survived its last run are tried; `slow`: with the slow tests."""
    copy_tree(folder)
    settings = config_text(modules, timeout, slow=slow)
    (folder / "mutation.toml").write_text(settings, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(folder / ".pkg"))
    steps = [
        [tool("cosmic-ray"), "init", "mutation.toml", "session.sqlite"],
        [tool("cr-filter-operators"), "session.sqlite", "mutation.toml"],
        [tool("cosmic-ray"), "exec", "mutation.toml", "session.sqlite"],
    ]
    if again:
        with sqlite3.connect(folder / "session.sqlite") as db:
            db.execute("DELETE FROM work_results WHERE lower(test_outcome) = 'survived'")
        steps = steps[2:]
    script = " && ".join(" ".join(f"'{part}'" for part in step) for step in steps)
    log = (folder / "worker.log").open("wb")
    return subprocess.Popen(["sh", "-c", script], cwd=folder, env=env, stdout=log, stderr=log)


def _wait_for(folders: list[Path], processes: list[subprocess.Popen[bytes]]) -> None:
    failed = [folder for folder, p in zip(folders, processes, strict=True) if p.wait() != 0]
    if failed:
        sys.exit(f"a worker failed; see {failed[0] / 'worker.log'}")


def _setting(config: Path, name: str) -> str:
    """A value as `config_text` wrote it (JSON after `name = `)."""
    for line in config.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{name} = "):
            return line.partition(" = ")[2]
    raise SystemExit(f"{config}: no {name}")


def read_session(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT s.module_path, s.operator_name, s.start_pos_row, s.definition_name,"
            " r.worker_outcome, r.test_outcome, r.diff"
            " FROM mutation_specs s LEFT JOIN work_results r ON r.job_id = s.job_id"
        ).fetchall()
    keys = ("module", "operator", "line", "definition", "worker", "outcome", "diff")
    found = [dict(zip(keys, row, strict=True)) for row in rows]
    for mutant in found:  # Cosmic Ray stores the outcomes' names: SURVIVED, KILLED...
        mutant["worker"] = (mutant["worker"] or "").lower()
        mutant["outcome"] = (mutant["outcome"] or "").lower() or None
    return found


def summarise(mutants: list[dict[str, Any]]) -> dict[str, Any]:
    by_module: dict[str, dict[str, int]] = {}
    for mutant in mutants:
        if mutant["worker"] == "skipped":
            continue
        counts = by_module.setdefault(mutant["module"], {})
        outcome = mutant["outcome"] or "not run"
        counts[outcome] = counts.get(outcome, 0) + 1
    survivors = [
        {k: m[k] for k in ("module", "line", "definition", "operator", "diff")}
        for m in mutants
        if m["outcome"] == "survived"
    ]
    survivors.sort(key=lambda m: (m["module"], m["line"]))
    return {"by_module": by_module, "survivors": survivors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--workdir", type=Path, help="keep the copies and sessions here")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant")
    parser.add_argument("--modules", nargs="+", default=MODULES, help="a part of them")
    parser.add_argument(
        "--again",
        action="store_true",
        help="in --workdir's sessions, try again only the mutants that survived, slow tests too",
    )
    parser.add_argument("--quick", action="store_true", help="leave out the slow tests")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.again and not args.workdir:
        sys.exit("--again needs the --workdir of an earlier run")
    if not Path(tool("cosmic-ray")).exists():
        sys.exit('Cosmic Ray is not installed: pip install -e ".[test,mutation]"')

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dwsearch-mutation-"))
    started = time.monotonic()
    folders, processes = [], []
    if args.again:
        for folder in sorted(workdir.glob("worker-*")):
            modules = json.loads(_setting(folder / "mutation.toml", "module-path"))
            folders.append(folder)
            processes.append(
                start_worker(folder, modules, args.timeout, again=True, slow=not args.quick)
            )
    for number, modules in enumerate([] if args.again else share_out(args.modules, args.workers)):
        folder = workdir / f"worker-{number}"
        shutil.rmtree(folder, ignore_errors=True)
        folders.append(folder)
        processes.append(start_worker(folder, modules, args.timeout))
    _wait_for(folders, processes)
    if not (args.again or args.quick):  # the survivors meet the slow tests too
        processes = [
            start_worker(folder, json.loads(_setting(folder / "mutation.toml", "module-path")),
                         args.timeout, again=True, slow=True)
            for folder in folders
        ]  # fmt: skip
        _wait_for(folders, processes)

    mutants = [m for folder in folders for m in read_session(folder / "session.sqlite")]
    report = summarise(mutants) | {"minutes": (time.monotonic() - started) / 60}
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"mutation testing, {report['minutes']:.0f} min, sessions in {workdir}\n")
    print("| module | mutants | killed | survived | other |\n|---|---|---|---|---|")
    for module, counts in sorted(report["by_module"].items()):
        total = sum(counts.values())
        killed, survived = counts.get("killed", 0), counts.get("survived", 0)
        print(f"| {module} | {total} | {killed} | {survived} | {total - killed - survived} |")
    for survivor in report["survivors"]:
        print(f"\nsurvived: {survivor['module']}:{survivor['line']} ({survivor['operator']})")
        print(survivor["diff"].rstrip())


if __name__ == "__main__":
    main()
