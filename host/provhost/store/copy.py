"""`provhost db migrate-to`: copy a SQLite installation into an empty PostgreSQL database.

Why one transaction: a copy that fails half-way leaves the target as empty as it was, so
the administrator can simply run it again.  Why refuse a non-empty target: copying over
another installation's phones would silently merge two sets of credentials.  The copy is
verified row by row (every table, every column) before it commits.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from psycopg.rows import tuple_row

from provhost.store.base import StoreError
from provhost.store.migrations import LATEST
from provhost.store.postgres import PostgresStore

# parents before children (lines reference users and phones)
TABLES = ("settings", "modules", "trusted_keys", "phones", "users", "lines",
          "outbound_prefixes", "firmware_slots", "firmware_package_installs",
          "repository_serials", "module_globals")
_IDENTITY = ("users", "lines")  # tables with an automatically numbered `id`


def _normal(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview | bytearray) else value


def _sqlite_rows(db: sqlite3.Connection, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = db.execute(f"SELECT * FROM {table}")
    columns = [d[0] for d in cur.description]
    return columns, sorted((tuple(_normal(v) for v in r) for r in cur), key=repr)


def copy_sqlite_to_postgresql(sqlite_path: str, url: str) -> dict[str, int]:
    """Copy every table; rows copied per table.  StoreError on a non-empty target, a
    source at another schema version, or a copy that does not read back identical."""
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        version = int(source.execute("PRAGMA user_version").fetchone()[0])
        if version != LATEST:
            raise StoreError(f"{sqlite_path} has schema version {version}, not {LATEST}: "
                             "open it once with this provhost (any command) to upgrade it")
        target = PostgresStore(url)
        try:
            return _copy(source, target)
        finally:
            target.close()
    finally:
        source.close()


def _copy(source: sqlite3.Connection, target: PostgresStore) -> dict[str, int]:
    counts: dict[str, int] = {}
    with target._pool.connection() as conn, conn.transaction():
        conn.execute("LOCK TABLE " + ", ".join(TABLES) + " IN EXCLUSIVE MODE")
        for table in TABLES:
            row = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
            if row and row["n"]:  # type: ignore[call-overload]
                raise StoreError(f"the target database is not empty ({table} has "
                                 f"{row['n']} row(s)): migrate-to only fills an empty "  # type: ignore[call-overload]
                                 "provhost database")
        for table in TABLES:
            columns, rows = _sqlite_rows(source, table)
            if rows:
                marks = ", ".join(["%s"] * len(columns))
                with conn.cursor() as cur:
                    cur.executemany(f"INSERT INTO {table}({', '.join(columns)}) "
                                    f"VALUES({marks})", rows)
            counts[table] = len(rows)
        for table in _IDENTITY:
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
        # verify: what PostgreSQL now holds reads back exactly as the source
        for table in TABLES:
            columns, expected = _sqlite_rows(source, table)
            with conn.cursor(row_factory=tuple_row) as cur:
                cur.execute(f"SELECT {', '.join(columns)} FROM {table}")
                got = sorted((tuple(_normal(v) for v in r) for r in cur.fetchall()), key=repr)
            if got != expected:
                raise StoreError(f"verification failed for table {table}: the copy differs "
                                 "from the source; nothing was committed")
        conn.execute("UPDATE provhost_changes SET counter = counter + 1")
    return counts
