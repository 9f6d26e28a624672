"""Fixtures shared by every test: the seed page, a built index, and a clean environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwsearch.ingest import bundled_corpus
from helpers import SEED_NAME


@pytest.fixture(autouse=True)
def _own_data_dirs(tmp_path_factory, monkeypatch):
    """Tests never read or write the user's own index, nor follow their settings."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.delenv("DWSEARCH_INDEX", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return bundled_corpus() / SEED_NAME


@pytest.fixture(scope="session")
def seed_text(seed_path: Path) -> str:
    return seed_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """An index of the bundled corpus, built once; tests must not change it."""
    from dwsearch.app.api import build

    folder = tmp_path_factory.mktemp("seed-index")
    build(index=folder)
    return folder
