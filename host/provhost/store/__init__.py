"""Persistent state: one interface (`base.Store`), SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path

from provhost.store.base import Line, PhoneRecord, Store, StoreError, User
from provhost.store.sqlite import SqliteStore

__all__ = ["Line", "PhoneRecord", "SqliteStore", "Store", "StoreError", "User", "open_store"]


def open_store(database: str, sqlite_path: Path) -> Store:
    """The store a database URL names: `postgresql://...` (or `postgres://`), or, when empty
    or `sqlite:`, the embedded SQLite file `sqlite_path` (`sqlite:///PATH` names another)."""
    if database.startswith(("postgresql://", "postgres://")):
        from provhost.store.postgres import PostgresStore  # the driver only when used

        return PostgresStore(database)
    if database in ("", "sqlite:", "sqlite://"):
        return SqliteStore(sqlite_path)
    if database.startswith("sqlite:///"):
        return SqliteStore(database.removeprefix("sqlite://"))
    raise StoreError(f"unsupported database URL {database.split('://')[0]}://...: "
                     "use postgresql://USER@HOST/DB or sqlite:///PATH")
