"""A consistent snapshot of the SQLite store, and putting it back.

The snapshot uses SQLite's online backup API, so it is consistent while the old server is
still running (and writing).  Restoring happens only with every server stopped: the
snapshot's pages are copied back over the database with the same API, in one go, and the
schema version (PRAGMA user_version) comes back with them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def schema_version(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute("PRAGMA user_version").fetchone()[0])
    finally:
        con.close()


def _copy(src: Path, dst: Path) -> None:
    source = sqlite3.connect(src)
    try:
        target = sqlite3.connect(dst)
        try:
            source.backup(target)
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            target.close()
    finally:
        source.close()


def take(db: Path, snapshot: Path) -> int:
    """Back `db` up into the new file `snapshot`; return the schema version it holds."""
    snapshot.unlink(missing_ok=True)
    snapshot.touch(mode=0o600)  # it holds SIP and admin passwords
    _copy(db, snapshot)
    return schema_version(snapshot)


def restore(snapshot: Path, db: Path) -> int:
    """Put the snapshot back into `db` (servers stopped); return the schema version."""
    if not snapshot.is_file():
        raise FileNotFoundError(f"snapshot {snapshot} is missing")
    _copy(snapshot, db)
    return schema_version(db)


def dump(db: Path) -> str:
    """The store's content as SQL text plus its schema version: what "the same store"
    means (tests compare it before and after a rollback)."""
    con = sqlite3.connect(db)
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        return f"-- user_version {version}\n" + "\n".join(con.iterdump())
    finally:
        con.close()
