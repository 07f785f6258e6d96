"""The store: migrations (SQLite), transactions, phones, lines, durability; the tests that
take the `store` fixture run on both backends."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from provhost.store import Store
from provhost.store.base import StoreError
from provhost.store.migrations import LATEST, MIGRATIONS
from provhost.store.sqlite import SqliteStore


def test_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    assert store.schema_version() == LATEST
    cols = {r[1] for r in store._db.execute("PRAGMA table_info(phones)")}
    assert "config_fingerprint" in cols  # from migration 2


def test_existing_database_is_upgraded_keeping_its_data(tmp_path: Path) -> None:
    db_path = tmp_path / "old.sqlite"
    db = sqlite3.connect(db_path)
    version1 = dict(MIGRATIONS)[1]
    db.executescript(version1)
    db.execute("INSERT INTO users(username, fullname) VALUES('alice', 'Alice A')")
    db.execute("INSERT INTO settings(key, value) VALUES('VOICEMAIL_EXT', '70')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()

    store = SqliteStore(db_path)
    assert store.schema_version() == LATEST
    assert store.find_user("alice").fullname == "Alice A"
    assert store.get_setting("VOICEMAIL_EXT") == "70"
    assert store.migrate() == []  # idempotent


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db_path = tmp_path / "new.sqlite"
    SqliteStore(db_path).close()
    db = sqlite3.connect(db_path)
    db.execute(f"PRAGMA user_version = {LATEST + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this provhost knows"):
        SqliteStore(db_path)


@pytest.mark.both_backends
def test_phone_with_automatic_extension_in_range(store: Store) -> None:
    store.set_setting("AUTO_EXTENSION_RANGE", "20-22")
    store.add_line("20")
    phone = store.create_phone("112233445566", "spa504g", "cisco-spa", "10.0.0.5", auto_line=True)
    lines = store.list_lines(phone.mac)
    assert [x.telnum for x in lines] == ["21"]
    assert lines[0].sip_username == "21p1" and len(lines[0].sip_password) >= 12
    assert len(phone.admin_password) >= 12
    store.create_phone("112233445567", "spa504g", "cisco-spa", "10.0.0.6", auto_line=True)
    with pytest.raises(StoreError, match="range 20-22 is full"):
        store.create_phone("112233445568", "spa504g", "cisco-spa", "10.0.0.7", auto_line=True)
    # the failed creation left no half-created phone behind
    assert store.get_phone("112233445568") is None


@pytest.mark.both_backends
def test_lines_users_and_errors(store: Store) -> None:
    alice = store.add_user("alice", "Alice Example")
    store.create_phone("aabbccddeeff", "t", "m", "", auto_line=False)
    a = store.add_line("10", user_id=alice.id, phone_mac="aabbccddeeff")
    b = store.add_line("11", phone_mac="aabbccddeeff")
    assert (a.position, b.position) == (0, 1)
    with pytest.raises(StoreError, match="extension 10 already exists"):
        store.add_line("10")
    with pytest.raises(StoreError, match="no phone with MAC 000000000001"):
        store.add_line("12", phone_mac="000000000001")
    store.delete_phone("aabbccddeeff")
    assert store.get_line(a.id).phone_mac is None  # the line survives its phone


def test_committed_write_survives_a_killed_process(tmp_path: Path) -> None:
    """A writer is SIGKILLed right after its commit returned: the data is there."""
    db_path = tmp_path / "db.sqlite"
    SqliteStore(db_path).close()
    code = textwrap.dedent(f"""
        import os, signal
        from provhost.store.sqlite import SqliteStore
        s = SqliteStore({str(db_path)!r})
        s.add_user("bob", "Bob")
        print("committed", flush=True)
        s._db.execute("BEGIN IMMEDIATE")
        s._db.execute("INSERT INTO users(username, fullname) VALUES('half', 'Half')")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "committed" in out.stdout and out.returncode == -9
    store = SqliteStore(db_path)
    assert store.find_user("bob") is not None
    assert store.find_user("half") is None  # the uncommitted transaction is gone
