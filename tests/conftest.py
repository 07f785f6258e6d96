"""Shared fixtures: a fresh data directory per test, and the real bundled modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from provhost.paths import SOURCE_ROOT, Paths

BUNDLED = SOURCE_ROOT / "modules"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    p = Paths(data_dir=tmp_path / "data", bundled_dir=BUNDLED)
    p.ensure()
    return p


@pytest.fixture
def empty_bundled_paths(tmp_path: Path) -> Paths:
    """A data dir whose bundled-module directory is empty (registry tests start clean)."""
    (tmp_path / "bundled").mkdir()
    p = Paths(data_dir=tmp_path / "data", bundled_dir=tmp_path / "bundled")
    p.ensure()
    return p
