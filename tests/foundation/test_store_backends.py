"""Both store backends: the same schema, the same answers, the shared change key,
durability under SIGKILL, and `provhost db migrate-to` from SQLite into PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import psycopg
import pytest
from provhost.paths import SOURCE_ROOT
from provhost.store import Store, open_store
from provhost.store.base import FirmwareSlotState, ModuleState, PackageInstall, StoreError
from provhost.store.copy import TABLES
from provhost.store.dialect import TYPE_EQUIVALENTS
from provhost.store.postgres import PostgresStore

from tests.pgcluster import PgCluster

PROVHOST = str(SOURCE_ROOT / ".venv" / "bin" / "provhost")


# -- one schema ---------------------------------------------------------------------------
def _sqlite_schema(path: Path) -> dict[str, Any]:
    db = sqlite3.connect(path)
    tables = sorted(r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' AND name NOT LIKE 'provhost\\_%' ESCAPE '\\'"))
    out: dict[str, Any] = {}
    for t in tables:
        info = db.execute(f"PRAGMA table_info({t})").fetchall()
        cols = [(name, TYPE_EQUIVALENTS[ctype], bool(notnull or pk),
                 None if dflt is None else str(dflt).strip("'"))
                for _, name, ctype, notnull, dflt, pk in info]
        pk = tuple(name for _, name in sorted((r[5], r[1]) for r in info if r[5]))
        indexes = {(pk, True)} if pk else set()
        for _, name, unique, _origin, _partial in db.execute(f"PRAGMA index_list({t})"):
            icols = tuple(r[2] for r in db.execute(f"PRAGMA index_info({name})"))
            indexes.add((icols, bool(unique)))
        fks = {(r[3], r[2], r[4], r[6]) for r in db.execute(f"PRAGMA foreign_key_list({t})")}
        out[t] = {"columns": cols, "indexes": indexes, "fks": fks}
    db.close()
    return out


def _pg_schema(url: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with psycopg.connect(url) as conn:
        tables = sorted(r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='public' "
            "AND table_name NOT LIKE 'provhost\\_%'"))
        for t in tables:
            cols = [(name, dtype, nullable == "NO",
                     None if dflt is None else re.sub(r"::\w+( \w+)?$", "", dflt).strip("'"))
                    for name, dtype, nullable, dflt in conn.execute(
                        "SELECT column_name, data_type, is_nullable, column_default FROM "
                        "information_schema.columns WHERE table_name=%s "
                        "ORDER BY ordinal_position", (t,))]
            indexes = {(tuple(c), u) for c, u in conn.execute(
                "SELECT array_agg(a.attname ORDER BY k.ord), ix.indisunique FROM pg_index ix "
                "JOIN pg_class c ON c.oid = ix.indrelid "
                "JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) ON true "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
                "WHERE c.relname=%s GROUP BY ix.indexrelid, ix.indisunique", (t,))}
            fks = set()
            for (definition,) in conn.execute(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid=%s::regclass AND contype='f'", (t,)):
                m = re.match(r"FOREIGN KEY \((\w+)\) REFERENCES (\w+)\((\w+)\)"
                             r"(?: ON DELETE (SET NULL|CASCADE))?", definition)
                assert m, definition
                fks.add((m[1], m[2], m[3], m[4] or "NO ACTION"))
            out[t] = {"columns": cols, "indexes": indexes, "fks": fks}
    return out


def test_one_set_of_migrations_gives_the_same_schema(tmp_path: Path, pg_cluster: PgCluster
                                                     ) -> None:
    open_store("", tmp_path / "db.sqlite").close()
    url = pg_cluster.new_database()
    PostgresStore(url).close()
    lite, pg = _sqlite_schema(tmp_path / "db.sqlite"), _pg_schema(url)
    assert sorted(lite) == sorted(pg) == sorted(TABLES)  # migrate-to copies every table
    for table in lite:
        assert lite[table] == pg[table], table


# -- the same answers ---------------------------------------------------------------------
def _exercise(store: Store) -> list[Any]:
    """A script of every kind of call; what each returned, minus random passwords/times."""
    out: list[Any] = []

    def rec(x: Any) -> None:
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            x = {k: v for k, v in dataclasses.asdict(x).items()
                 if k not in ("sip_password", "admin_password", "provision_password",
                              "first_seen", "last_seen", "last_config_at", "resync_at")}
        elif isinstance(x, list):
            for item in x:
                rec(item)
            return
        out.append(x)

    def err(fn: Any, *a: Any, **kw: Any) -> None:
        with pytest.raises(StoreError) as e:
            fn(*a, **kw)
        out.append(str(e.value))

    store.set_setting("AUTO_EXTENSION_RANGE", "100-102")
    store.set_setting("VOICEMAIL_EXT", "101")
    rec(sorted(store.all_settings().items()))
    bob, alice = store.add_user("bob", "Bob"), store.add_user("alice", "Alice")
    rec([bob, alice])
    err(store.add_user, "bob", "again")
    store.update_user(bob.id, "Bob B")
    rec(store.list_users())
    rec(store.create_phone("0004f2000001", "t46", "yealink", "127.0.0.5", auto_line=True,
                           provision_auth=True, server_ip="127.0.0.1"))
    rec(store.create_phone("0004f2000002", "t46", "yealink", "127.0.0.6", auto_line=True))
    err(store.create_phone, "0004f2000003", "t46", "yealink", "", auto_line=True)
    err(store.create_phone, "0004f2000001", "t46", "yealink", "", auto_line=False)
    for telnum in ("9", "10", "x7", "007", "2a"):
        rec(store.add_line(telnum, user_id=alice.id, phone_mac="0004f2000002", label="L"))
    err(store.add_line, "10")
    err(store.add_line, "11", sip_username="10p1")
    err(store.add_line, "12", user_id=999)
    rec(store.list_lines())
    rec(store.list_lines("0004f2000002"))
    store.assign_line(store.list_lines()[0].id, "0004f2000001")
    err(store.assign_line, 999, None)
    store.touch_phone("0004f2000001", "127.0.0.9", "t48", "yealink", "")
    store.record_config("0004f2000001", {"b": [1, 2], "a": "x"}, "fp1")
    store.record_resync("0004f2000001", "fp1", "ok")
    out.append(store.require_provision_auth("0004f2000001"))
    out.append(store.require_provision_auth("0004f2000001"))
    rec(store.list_phones())
    store.delete_user(alice.id)
    store.delete_phone("0004f2000002")
    rec(store.list_lines())
    err(store.delete_phone, "0004f2000002")
    for m in ("zeta", "Alpha", "beta"):
        store.put_module(ModuleState(m, "addon", "1.0", True, None, None, f"/m/{m}", 1.5))
    store.put_module(ModuleState("beta", "addon", "2.0", False, "4", "k", "/m/b2", 2.5,
                                 quarantined="why", runtime="wasm"))
    store.delete_module("zeta")
    rec(store.list_modules())
    out.append(store.get_module("nope"))
    store.add_trusted_key("k", b"\x00\xffkey")
    store.add_trusted_key("k", b"\x01key")
    out.append(store.trusted_keys())
    err(store.remove_trusted_key, "none")
    store.put_firmware_slot(FirmwareSlotState("yealink", "fw", "c1", "f.rom", 9, 1.0, True))
    store.put_firmware_slot(FirmwareSlotState("yealink", "fw", "c2", "g.rom", 8, 2.0, False))
    store.put_firmware_slot(FirmwareSlotState("snom", "logo", "c3", "l.png", 7, 3.0, True))
    rec(store.firmware_slots())
    store.clear_firmware_slot("snom", "logo")
    rec(store.firmware_slots("snom"))
    store.put_package_install(PackageInstall("yealink", "fw", "p", "c2",
                                             (("a.rom", 8, "ab"),), True, 4.0))
    rec(store.package_installs())
    store.set_module_global("beta", "n", b"\x01", 2, 10)
    store.set_module_global("beta", "m", b"\x02\x03", 2, 10)
    err(store.set_module_global, "beta", "o", b"\x04", 2, 10)
    err(store.set_module_global, "beta", "n", b"0123456789", 2, 10)
    store.set_module_global("Alpha", "a", b"", 2, 10)
    out.append(store.module_globals())
    store.set_module_global("beta", "n", None, 2, 10)
    out.append(store.module_globals("beta"))
    store.put_repository_serial("main/stable", 5, "d5")
    store.put_repository_serial("main/stable", 4, "d4")  # never lowered
    out.append(store.repository_serial("main/stable"))
    for prefix in ("9", "0", "00"):
        store.add_outbound_prefix(prefix)
    store.add_outbound_prefix("9")
    out.append(store.list_outbound_prefixes())
    err(store.remove_outbound_prefix, "7")
    err(store.set_provision_auth, "0004f2000001", "maybe", "", "")
    return out


def test_both_backends_give_the_same_answers(tmp_path: Path, pg_cluster: PgCluster) -> None:
    lite = open_store("", tmp_path / "db.sqlite")
    pg = open_store(pg_cluster.new_database(), tmp_path / "unused.sqlite")
    try:
        expected = _exercise(lite)
        assert _exercise(pg) == expected
        assert len(expected) > 40
    finally:
        lite.close()
        pg.close()


# -- the change key sees other processes' writes ------------------------------------------
@pytest.mark.both_backends
def test_change_key_notices_another_connections_write(tmp_path: Path, database_url: str
                                                      ) -> None:
    mine = open_store(database_url, tmp_path / "db.sqlite")
    other = open_store(database_url, tmp_path / "db.sqlite")  # as another process would
    try:
        mine.create_phone("0004f2000001", "t", "m", "", auto_line=False)
        key = mine.change_key()
        assert mine.change_key() == key  # stable while nothing changes
        other.set_setting("VOICEMAIL_EXT", "77")
        changed = mine.change_key()
        assert changed != key
        other.touch_phone("0004f2000001", "127.0.0.2", "t", "m")  # bookkeeping
        assert mine.change_key() == changed  # only real changes count
        mine.add_outbound_prefix("0")
        assert mine.change_key() != changed
    finally:
        mine.close()
        other.close()


# -- durability ---------------------------------------------------------------------------
@pytest.mark.both_backends
def test_committed_write_survives_sigkill_mid_transaction(tmp_path: Path, database_url: str
                                                          ) -> None:
    """The writer is SIGKILLed with a transaction open right after a commit returned."""
    sqlite_path = tmp_path / "db.sqlite"
    open_store(database_url, sqlite_path).close()
    code = textwrap.dedent(f"""
        import os, signal
        from provhost.store import open_store
        s = open_store({database_url!r}, {str(sqlite_path)!r})
        for i in range(20):
            s.add_user(f"u{{i}}", "U")
        print("committed", flush=True)
        if hasattr(s, "_pool"):
            conn = s._pool.getconn()
            conn.execute("BEGIN")
            conn.execute("INSERT INTO users(username, fullname) VALUES('half', 'Half')")
        else:
            s._db.execute("BEGIN IMMEDIATE")
            s._db.execute("INSERT INTO users(username, fullname) VALUES('half', 'Half')")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert "committed" in out.stdout and out.returncode == -9, out.stderr
    store = open_store(database_url, sqlite_path)
    try:
        assert [u.username for u in store.list_users()] == sorted(f"u{i}" for i in range(20))
        assert store.find_user("half") is None
        store.add_user("after", "A")  # the killed transaction holds no lock
    finally:
        store.close()


# -- migrate-to ---------------------------------------------------------------------------
def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PROVHOST_DATABASE"}
    return subprocess.run([PROVHOST, "--data-dir", str(data), *args], capture_output=True,
                          text=True, env=env, timeout=120)


def _dump(store: Store) -> list[Any]:
    return [store.all_settings(), store.list_users(), store.list_lines(), store.list_phones(),
            store.list_modules(), store.trusted_keys(), store.list_outbound_prefixes(),
            store.firmware_slots(), store.package_installs(), store.module_globals()]


def test_migrate_to_copies_verifies_and_refuses_a_non_empty_target(
        tmp_path: Path, pg_cluster: PgCluster) -> None:
    data = tmp_path / "data"
    for args in (("user", "add", "alice", "Alice Example"),
                 ("phone", "add", "001565000001", "yealink_t46"),
                 ("line", "add", "10", "--user", "alice", "--phone", "001565000001"),
                 ("prefix", "add", "0"),
                 ("settings", "set", "VOICEMAIL_EXT", "50")):
        r = _cli(data, *args)
        assert r.returncode == 0, r.stderr
    url = pg_cluster.new_database()
    r = _cli(data, "--json", "db", "migrate-to", url)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["verified"] is True and report["copied"]["lines"] == 1
    assert report["copied"]["modules"] >= 3  # the bundled modules' state came along

    lite = open_store("", data / "provhost.sqlite")
    pg = open_store(url, tmp_path / "unused.sqlite")
    try:
        assert _dump(pg) == _dump(lite)  # passwords included: the phones keep working
        new = pg.add_user("bob", "Bob")  # numbering continues after the copied ids
        assert new.id > max(u.id for u in lite.list_users())
    finally:
        lite.close()
        pg.close()

    again = _cli(data, "db", "migrate-to", url)
    assert again.returncode == 1
    assert "not empty" in again.stderr and "\n" not in again.stderr.strip()
    # the server then runs on PostgreSQL: the CLI sees the copied phone through --database
    r = _cli(data, "--database", url, "--json", "phone", "list")
    assert r.returncode == 0 and "001565000001" in r.stdout, r.stderr


def test_one_leader_per_job_across_processes_and_nodes(pg_cluster: PgCluster,
                                                       tmp_path: Path) -> None:
    """The resync watcher's lock: one holder, and the next takes over when it goes away."""
    url = pg_cluster.new_database()
    a, b = PostgresStore(url), PostgresStore(url)
    try:
        assert a.try_lead("resync") and a.try_lead("resync")  # held, re-entrant
        assert not b.try_lead("resync")
        assert b.try_lead("collector")  # another job, another lock
        a.close()  # the leading node stops (or dies: its session ends the same way)
        assert b.try_lead("resync")
    finally:
        b.close()
