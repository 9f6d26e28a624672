"""Each face's words for the stages' errors, as SQLite's shell words its library's codes.

The stages raise structured errors: a `SearchError` (or the application's `BadValue`)
names the field at fault by its name in the Python API, the value given, what is wrong,
what is allowed and the nearest allowed value; an `IndexProblem` says what is wrong and
what would mend it. Here the command line words them with its options and commands,
the HTTP API with its parameters, and the search page with the labels its reader sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dwsearch.index.location import (
    BUILD,
    REBUILD,
    REBUILD_FROM_PATHS,
    IndexProblem,
    resolve_index_dir,
)
from dwsearch.search.errors import SearchError

# The Python API's names for what a user gives, and each face's name for them.
CLI_NAMES = {
    "query": "QUERY",
    "chunk_id": "CHUNK_ID",
    "limit": "--limit",
    "offset": "--offset",
    "sort": "--sort",
    "year": "--year",
    "since": "--since",
    "until": "--until",
    "type": "--type",
    "kind": "--kind",
    "sector": "--sector",
    "topic": "--topic",
    "basket": "--basket",
    "feedback": "--feedback",
    "page": "--from-page",
    "all_chunks": "--all-chunks",
    "url_pattern": "--url-pattern",
    "max_file_mb": "--max-file-mb",
    "delay": "--delay",
    "timeout": "--timeout",
    "max_pages": "--max-pages",
    "allow_hosts": "--allow-host",
    "paths": "PATH",
    "taxonomy": "--taxonomy",
    "index": "--index",
    "format": "--format",
    "name": "--name",
    "file_mb": "--file-mb",
}
API_NAMES = {
    "query": "q",
    "chunk_id": "id",
    "page": "from_page",
}  # the others are the API's own names
PAGE_NAMES = {
    "query": "The search",
    "chunk_id": "The passage asked for",
    "limit": "Results per page",
    "offset": "The page of results",
    "sort": "Order",
    "year": "Years",
    "since": "Dated from",
    "until": "Dated to",
    "type": "Type of passage",
    "kind": "Kind of page",
    "sector": "Sector",
    "topic": "Topic",
    "basket": "Basket",
    "feedback": "Also find related passages",
    "page": "From the page",
}
# Facets whose every value `dwsearch facets` lists, for an unknown value to point at.
LISTED_FACETS = ("type", "kind", "sector", "topic", "basket", "year")


class BadValue(SearchError, ValueError):
    """A bad value given to the application API outside a search: a build's size cap,
    an export's name. Worded as a search's errors are."""


def _value_sentence(error: SearchError, name: str) -> str:
    """`NAME 'value': what is wrong; did you mean 'nearest'?`"""
    given = "" if error.value is None else f" {error.value!r}"
    sentence = f"{name}{given}: {error.problem}" if name else error.problem
    if error.suggestion:
        sentence += f"; did you mean {error.suggestion!r}?"
    return sentence


def _remedy_for_cli(problem: IndexProblem) -> str:
    directory = problem.index_dir
    given = ""
    if directory is not None and Path(directory) != resolve_index_dir(None)[0]:
        given = f" --index {directory}"
    if problem.remedy == BUILD:
        return f"; build one with: dwsearch build PATH{given}"
    if problem.remedy == REBUILD:
        return f"; rebuild it with: dwsearch build --rebuild{given}"
    if problem.remedy == REBUILD_FROM_PATHS:
        return f"; rebuild it with: dwsearch build --rebuild{given} PATH"
    return ""


def for_cli(error: BaseException) -> str:
    """The one line the command prints for a stage's error (after `dwsearch: `)."""
    if isinstance(error, SearchError):
        sentence = _value_sentence(error, CLI_NAMES.get(error.field, error.field))
        if error.field in LISTED_FACETS and error.allowed:
            sentence += " (see them all with: dwsearch facets)"
        return sentence
    if isinstance(error, IndexProblem):
        return error.worded(lambda field: CLI_NAMES.get(field, field)) + _remedy_for_cli(error)
    return str(error)


def for_api(error: BaseException) -> dict[str, Any]:
    """The JSON body of the HTTP API's answer to a request it refuses."""
    if isinstance(error, SearchError):
        name = API_NAMES.get(error.field, error.field)
        body: dict[str, Any] = {"error": _value_sentence(error, name)}
        if error.field:
            body.update(field=name, value=error.value, problem=error.problem)
        if error.allowed:
            body["allowed"] = list(error.allowed)
        if error.suggestion:
            body["suggestion"] = error.suggestion
        return body
    if isinstance(error, IndexProblem):
        body = {"error": str(error)}
        if error.remedy:
            body["remedy"] = error.remedy
        return body
    return {"error": str(error)}


def for_page(error: BaseException) -> str:
    """The sentence the search page shows a reader, next to the field at fault."""
    if isinstance(error, SearchError):
        return _value_sentence(error, PAGE_NAMES.get(error.field, error.field))
    if isinstance(error, IndexProblem):
        needs = {BUILD: "built", REBUILD: "rebuilt", REBUILD_FROM_PATHS: "rebuilt"}
        if error.remedy in needs:
            return f"{error}; whoever keeps this index needs to have it {needs[error.remedy]}"
        return str(error)
    return str(error)


def search_error_from_api(body: dict[str, Any]) -> SearchError:
    """A refusal read back from a server's JSON, as the SearchError the server raised
    (so that the command words it with its own options)."""
    field = str(body.get("field") or "")
    names = {api: ours for ours, api in API_NAMES.items()}
    if not field:
        return SearchError(str(body.get("error", "")))
    return SearchError(
        str(body.get("problem", body.get("error", ""))),
        field=names.get(field, field),
        value=body.get("value"),
        allowed=[str(v) for v in body.get("allowed", [])],
        suggestion=str(body.get("suggestion") or ""),
    )
