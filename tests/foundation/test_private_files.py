"""Secrets and the data directory are owner-only from the first byte (O_EXCL + 0600;
0700 data directory, 0600 database), and two creators agree on one secret."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from provhost.auth.nonce_key import load_or_create_key
from provhost.hoststate import HostState
from provhost.paths import SANDBOX_GID, Paths
from provhost.privatefile import create_private
from provhost.server.api_app import load_or_create_token
from provhost.service import Service, ServiceError


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def wide_umask():
    """The umask a careless service manager might leave: files would be world-readable."""
    old = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(old)


def test_api_token_is_created_0600_and_kept(tmp_path: Path, wide_umask: None) -> None:
    token = load_or_create_token(tmp_path)
    assert _mode(tmp_path / "api-token") == 0o600
    assert load_or_create_token(tmp_path) == token  # a second process reads the first's


def test_token_is_never_written_over_an_existing_file(tmp_path: Path) -> None:
    """O_EXCL: a file someone else made first is not overwritten; its token is used."""
    (tmp_path / "api-token").write_text("planted\n")
    assert load_or_create_token(tmp_path) == "planted"


def test_create_private_refuses_a_planted_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    (tmp_path / "key").symlink_to(target)
    assert not create_private(tmp_path / "key", b"secret")
    assert not target.exists()


def test_signing_key_is_created_0600_and_not_overwritten(tmp_path: Path,
                                                         wide_umask: None) -> None:
    out = tmp_path / "signing.pem"
    Service.key_generate(out)
    assert _mode(out) == 0o600
    first = out.read_bytes()
    with pytest.raises(ServiceError, match="already exists"):
        Service.key_generate(out)
    assert out.read_bytes() == first


def test_nonce_key_is_0600(tmp_path: Path, wide_umask: None) -> None:
    key = load_or_create_key(tmp_path / "k")
    assert _mode(tmp_path / "k") == 0o600 and len(key) == 32
    assert load_or_create_key(tmp_path / "k") == key


def test_data_directory_and_database_are_owner_only(tmp_path: Path, wide_umask: None) -> None:
    tmp_path.chmod(0o755)
    (tmp_path / "none").mkdir()
    paths = Paths(data_dir=tmp_path / "data", bundled_dir=tmp_path / "none")
    state = HostState(paths)
    try:
        state.store.set_setting("OPERATOR_IP", "192.0.2.1")  # a write: -wal exists now
        if os.geteuid() == 0:
            # firmware sandboxes run as nobody: their group may pass through, no more
            assert _mode(paths.data_dir) == 0o710
            assert paths.data_dir.stat().st_gid == SANDBOX_GID
        else:
            assert _mode(paths.data_dir) == 0o700
        assert _mode(paths.database) == 0o600
        for extra in ("-wal", "-shm"):
            side = Path(str(paths.database) + extra)
            if side.exists():
                assert _mode(side) & 0o077 == 0, side
    finally:
        state.close()


def test_an_existing_wide_data_directory_is_tightened(tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)
    Paths(data_dir=data, bundled_dir=tmp_path / "none").ensure()
    assert _mode(data) & 0o007 == 0
