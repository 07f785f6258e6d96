"""Shared fixtures: a fresh data directory per test, and the real bundled modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from provhost.paths import SOURCE_ROOT, Paths

BUNDLED = SOURCE_ROOT / "modules"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    tmp_path.chmod(0o755)  # firmware sandboxes (user nobody) bind files from the data dir
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


@pytest.fixture(scope="session", autouse=True)
def _sandbox_user_can_reach_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Firmware sandboxes run as `nobody`; bwrap must reach their bind sources.

    pytest makes its base temp directory 0700; the data directories of a real
    installation are world-traversable (their secrets are 0600 files).
    """
    base = tmp_path_factory.getbasetemp()
    for directory in (base.parent, base):
        directory.chmod(0o755)
