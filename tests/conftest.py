"""Fixtures shared by every test: the bundled seed page."""

from __future__ import annotations

from pathlib import Path

import pytest

from dwsearch.ingest import bundled_corpus
from helpers import SEED_NAME


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return bundled_corpus() / SEED_NAME


@pytest.fixture(scope="session")
def seed_text(seed_path: Path) -> str:
    return seed_path.read_text(encoding="utf-8")
