"""Reading the data files that ship inside the package."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

from dwsearch.lexicon.files import read_bounded

# Beside this module, as installed (importlib.resources would cost a search 3 ms of imports).
DATA_DIR = Path(__file__).resolve().parent / "data"
# A taxonomy is a few hundred lines: a data file past this is something else (a log, a
# device), which would be read for minutes into gigabytes of memory.
MAX_DATA_FILE_BYTES = 16 * 2**20


class DataFileError(ValueError):
    """A data file (a taxonomy, say) that cannot be read or is not in the shape wanted;
    the message names the file."""


def package_data(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


def load_toml(text: str, origin: str) -> dict[str, Any]:
    # Declared deferred: a search reads no TOML (its taxonomy check hashes the text).
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DataFileError(f"{origin}: not valid TOML ({error})") from None
    except RecursionError:
        raise DataFileError(f"{origin}: not valid TOML (nested too deeply)") from None


def read_toml(path: Path | None, default_name: str) -> tuple[dict[str, Any], str]:
    """A user's file if given, else the packaged default; returns the data and its text."""
    if path is None:
        text = package_data(default_name)
        return load_toml(text, default_name), text
    text = read_data_file(Path(path))
    return load_toml(text, str(path)), text


def read_data_file(path: Path) -> str:
    """A user's data file (a taxonomy), as text; DataFileError in one line otherwise."""
    try:
        return read_bounded(path, MAX_DATA_FILE_BYTES).decode("utf-8")
    except OSError as error:
        raise DataFileError(f"{path}: cannot read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise DataFileError(f"{path}: not UTF-8 text") from None
    except ValueError as error:
        raise DataFileError(f"{path}: {error}; not a data file") from None


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def taxonomy_digest(path: Path | None = None) -> str:
    """The digest a loaded taxonomy reports, without parsing the file (for start-up)."""
    text = read_data_file(Path(path)) if path else package_data("taxonomy.toml")
    return text_digest(text)
