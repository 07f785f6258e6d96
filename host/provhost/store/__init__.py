"""Persistent state: one interface (`base.Store`), SQLite by default."""

from provhost.store.base import Line, PhoneRecord, Store, StoreError, User
from provhost.store.sqlite import SqliteStore

__all__ = ["Line", "PhoneRecord", "SqliteStore", "Store", "StoreError", "User"]
