"""Foundation fixtures: a store on the backend the test is parametrised with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from provhost.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path, database_url: str) -> Iterator[Store]:
    """A fresh, migrated store: SQLite in tmp_path or a new PostgreSQL database."""
    s = open_store(database_url, tmp_path / "db.sqlite")
    yield s
    s.close()
