"""Shared fixtures: a fresh data directory per test, and the real bundled modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from provhost.paths import SOURCE_ROOT, Paths

from tests.pgcluster import PgCluster, running_cluster

BUNDLED = SOURCE_ROOT / "modules"
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_backends: run on the SQLite and the PostgreSQL "
                            "store (the `database_url` fixture)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `both_backends` run once per store backend."""
    if ("database_url" in metafunc.fixturenames
            and metafunc.definition.get_closest_marker("both_backends")):
        metafunc.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A private PostgreSQL cluster for this test session (started on first use)."""
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """The store of this test: "" (the data directory's SQLite) or a fresh PostgreSQL
    database's URL."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return ""
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


@pytest.fixture
def paths(tmp_path: Path, database_url: str) -> Paths:
    tmp_path.chmod(0o755)  # firmware sandboxes (user nobody) bind files from the data dir
    p = Paths(data_dir=tmp_path / "data", bundled_dir=BUNDLED, database_url=database_url)
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
