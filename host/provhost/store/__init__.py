"""Persistent state: one interface (`base.Store`), SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from provhost.store.base import Line, PhoneRecord, Store, StoreError, User
from provhost.store.sqlite import SqliteStore

__all__ = ["Line", "PhoneRecord", "SqliteStore", "Store", "StoreError", "User", "open_store",
           "thread_store"]


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


@contextlib.contextmanager
def thread_store(store: Store, sqlite_path: Path) -> Iterator[Store]:
    """A store for a worker thread: SQLite gets a connection of the thread's own (the
    loop's connection stays the loop's); PostgreSQL's pooled store is thread-safe as is."""
    if not isinstance(store, SqliteStore):
        yield store
        return
    own = SqliteStore(sqlite_path)
    try:
        yield own
    finally:
        own.close()
