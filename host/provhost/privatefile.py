"""Secrets on disk (the API token, signing keys, the nonce key): created owner-only in one
step.

Why O_EXCL with mode 0600 instead of write-then-chmod: between the write and the chmod the
file is readable by anyone the umask allows, and two processes starting together would
each write their own secret.  With O_EXCL exactly one creator wins and the file is never
wider than 0600; the loser reads the winner's secret.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def create_private(path: Path, data: bytes) -> bool:
    """Write `data` to a new owner-only file; False (nothing written) if it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return True


def read_or_create_private(path: Path, make: bytes) -> bytes:
    """The file's content, creating it with `make` first if it does not exist."""
    if create_private(path, make):
        return make
    return path.read_bytes()


def ensure_private_dir(path: Path, *, traverse_gid: int | None = None) -> None:
    """A directory only its owner may enter (0700).  With `traverse_gid`, that group may
    also pass through it (0710: no listing, no reading of anything not readable to it)."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    mode = PRIVATE_DIR_MODE
    if traverse_gid is not None:
        os.chown(path, -1, traverse_gid)
        mode = 0o710
    if path.stat().st_mode & 0o777 != mode:
        path.chmod(mode)
