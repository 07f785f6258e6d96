"""Fetching and verifying the release index and one release zip (dir or http(s) URL).

The index must pass repo/index.verify (signature, expiry, serial never going back against
the serial recorded in the store); the zip must match its entry's size and SHA-256.  The
store is read here with plain SQL, never through SqliteStore: opening the store would
migrate it, and the migration is a later, snapshotted step of the upgrade.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

from provhost.download import DownloadError, fetch_file, fetch_url, is_url
from provhost.release.artifact import MAX_RELEASE_ZIP
from provhost.repo.index import (
    INDEX_FILE,
    MAX_INDEX_SIZE,
    SIGNATURE_SUFFIX,
    IndexEntry,
    IndexRefused,
    RepoIndex,
    Seen,
    verify,
)


class FetchError(Exception):
    """The release could not be fetched or is not trusted; one line says why."""


def serial_source(location: str) -> str:
    return f"release:{location.rstrip('/')}"


def seen_serial(db: Path, location: str) -> Seen | None:
    """The newest release index serial accepted so far (plain SQL, read-only)."""
    if not db.is_file():
        return None
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT serial, digest FROM repository_serials WHERE source=?",
                          (serial_source(location),)).fetchone()
    except sqlite3.OperationalError:  # a store older than the table
        return None
    finally:
        con.close()
    return Seen(int(row[0]), str(row[1])) if row else None


async def _get(location: str, name: str, work: Path, *, size: int | None,
               max_size: int) -> Path:
    try:
        if is_url(location):
            got = await fetch_url(f"{location.rstrip('/')}/{name}", work, size=size,
                                  max_size=max_size)
        else:
            got = await fetch_file(Path(location) / name, work, size=size, max_size=max_size)
    except DownloadError as e:
        raise FetchError(f"{location}: {name}: {e}") from None
    return got.path


async def fetch_index(location: str, work: Path, public_key: bytes, db: Path, *,
                      channel: str, now: float | None = None) -> tuple[RepoIndex, str]:
    """The verified index and the SHA-256 of its bytes."""
    data_path = await _get(location, INDEX_FILE, work, size=None, max_size=MAX_INDEX_SIZE)
    sig_path = await _get(location, INDEX_FILE + SIGNATURE_SUFFIX, work, size=None,
                          max_size=4096)
    try:
        data, sig = data_path.read_bytes(), sig_path.read_bytes()
    finally:
        data_path.unlink(missing_ok=True)
        sig_path.unlink(missing_ok=True)
    try:
        index = verify(data, sig, public_key, where=location, channel=channel,
                       now=time.time() if now is None else now,
                       seen=seen_serial(db, location))
    except IndexRefused as e:
        raise FetchError(str(e)) from None
    return index, hashlib.sha256(data).hexdigest()


async def fetch_release(location: str, entry: IndexEntry, work: Path) -> Path:
    """The release zip, checked against the index entry's size and SHA-256."""
    path = await _get(location, entry.file, work, size=entry.size, max_size=MAX_RELEASE_ZIP)
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            digest.update(chunk)
    if digest.hexdigest() != entry.sha256:
        path.unlink(missing_ok=True)
        raise FetchError(f"{location}: {entry.file}: SHA-256 {digest.hexdigest()} does not "
                         f"match the signed index ({entry.sha256}): tampered release refused")
    return path
