"""The PostgreSQL backend of `Store`: one database shared by every process and node.

Driver: psycopg 3, synchronous, with a small connection pool.  The store is called
synchronously from the trio loop and from worker threads; psycopg's sync API fits that as
is, where asyncpg would need an asyncio loop beside trio (measured in bench/pg_drivers.py;
the numbers are in docs/deployment.md).  Each call borrows a connection for one statement
or one transaction, so threads never share a transaction.

Change key: every mutating transaction that is not bookkeeping bumps the single row of
`provhost_changes` in the same transaction.  Reading it is one indexed row; it notices
other processes' and other nodes' writes, and, being transactional, it can never miss one
(a LISTEN/NOTIFY message can be lost while a connection is re-established).

Durability: PostgreSQL acknowledges a COMMIT once it is in its write-ahead log, so a write
that returned survives a SIGKILL of provhost (and, with the server's default fsync, of
PostgreSQL itself).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from provhost.store import dialect
from provhost.store.base import (
    FirmwareSlotState,
    Line,
    ModuleState,
    PackageInstall,
    PhoneRecord,
    StoreError,
    User,
)
from provhost.store.migrations import LATEST, MIGRATIONS
from provhost.store.sqlite import (
    PROVISION_AUTH_STATES,
    PROVISION_PASSWORD_LENGTH,
    SqliteStore,
    generate_password,
)

_MIGRATION_LOCK = 0x70726F76  # advisory lock key: one process migrates at a time
_EXTENSION_LOCK = 0x70726F77  # automatic extensions are allocated one at a time

_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS provhost_schema (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    version INTEGER NOT NULL
);
INSERT INTO provhost_schema(one, version) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS provhost_changes (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    counter BIGINT NOT NULL
);
INSERT INTO provhost_changes(one, counter) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS provhost_markers (
    ip         TEXT NOT NULL,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ip, name)
)
"""

# Text ordered as SQLite orders it (bytewise), whatever the database's collation
_C = 'COLLATE "C"'


def is_postgresql_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL without its password, for logs and messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    host = info.get("host", "")
    return f"postgresql://{info.get('user', '')}@{host}/{info.get('dbname', '')}"


class PostgresStore:
    def __init__(self, url: str, *, max_connections: int = 8) -> None:
        self.url = url
        self.path = redact(url)
        self._pool = ConnectionPool(
            url, min_size=1, max_size=max_connections, open=False, name="provhost-store",
            kwargs={"autocommit": True, "row_factory": dict_row}, timeout=30.0,
        )
        try:
            self._pool.open(wait=True, timeout=30.0)
        except Exception as e:
            self._pool.close()
            raise StoreError(f"cannot connect to {self.path}: {e}") from None
        self.generation = 0
        self._leaders: dict[str, psycopg.Connection[Any]] = {}
        self._marker_sets = 0
        self.migrate()

    # -- plumbing ---------------------------------------------------------------------
    def _q(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """One read, autocommit."""
        with self._pool.connection() as conn:
            return conn.execute(sql, args).fetchall()

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> dict[str, Any] | None:
        rows = self._q(sql, args)
        return rows[0] if rows else None

    @contextlib.contextmanager
    def _tx(self, *, bookkeeping: bool = False) -> Iterator[psycopg.Connection[Any]]:
        """One transaction on one pooled connection; every write but `bookkeeping` ones
        bumps the shared change counter inside it."""
        with self._pool.connection() as conn, conn.transaction():
            yield conn
            if not bookkeeping:
                conn.execute("UPDATE provhost_changes SET counter = counter + 1")
        if not bookkeeping:
            self.generation += 1

    def change_key(self) -> tuple[int, int]:
        """Differs whenever anything but bookkeeping changed, in any process or node."""
        return self.data_version(), 0

    def data_version(self) -> int:
        row = self._one("SELECT counter FROM provhost_changes")
        return int(row["counter"]) if row else 0

    def schema_version(self) -> int:
        row = self._one("SELECT version FROM provhost_schema")
        return int(row["version"]) if row else 0

    def migrate(self) -> list[int]:
        """Apply every migration newer than the database (the shared list, rewritten by
        `dialect`); concurrent starters wait on an advisory lock."""
        applied: list[int] = []
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            for statement in dialect.statements(_BOOTSTRAP):
                conn.execute(statement)
            row = conn.execute("SELECT version FROM provhost_schema").fetchone()
            current = int(row["version"]) if row else 0
            if current > LATEST:
                raise StoreError(
                    f"database {self.path} has schema version {current}, newer than this "
                    f"provhost knows ({LATEST}); upgrade provhost")
            for version, sql in MIGRATIONS:
                if version <= current:
                    continue
                for statement in dialect.statements(dialect.postgresql(sql)):
                    conn.execute(statement)  # type: ignore[arg-type]
                conn.execute("UPDATE provhost_schema SET version=%s", (version,))
                applied.append(version)
            if applied:
                conn.execute("UPDATE provhost_changes SET counter = counter + 1")
        return applied

    # -- markers shared by every node (chain/shared_markers.py) ----------------------------
    def set_marker(self, ip: str, name: str, value: str, lifetime: float, max_per_ip: int
                   ) -> bool:
        """Set or renew one marker of `ip` for `lifetime` seconds of the database's clock
        (nodes' clocks may differ); False when `ip` already has `max_per_ip` others."""
        with self._tx(bookkeeping=True) as db:
            db.execute("DELETE FROM provhost_markers WHERE ip=%s AND expires_at <= now()",
                       (ip,))
            row = db.execute("SELECT COUNT(*) AS n FROM provhost_markers WHERE ip=%s "
                             "AND name<>%s", (ip, name)).fetchone()
            if int(row["n"]) >= max_per_ip:  # type: ignore[index,call-overload]
                return False
            db.execute("INSERT INTO provhost_markers(ip, name, value, expires_at) "
                       "VALUES(%s, %s, %s, now() + make_interval(secs => %s)) "
                       "ON CONFLICT(ip, name) DO UPDATE SET value=excluded.value, "
                       "expires_at=excluded.expires_at", (ip, name, value, lifetime))
            self._marker_sets += 1
            if self._marker_sets % 256 == 0:  # now and then, everyone's expired ones
                db.execute("DELETE FROM provhost_markers WHERE expires_at <= now()")
        return True

    def markers(self, ip: str) -> dict[str, str]:
        """The live markers of `ip`, whichever node set them."""
        return {r["name"]: r["value"] for r in self._q(
            "SELECT name, value FROM provhost_markers WHERE ip=%s AND expires_at > now()",
            (ip,))}

    def try_lead(self, job: str) -> bool:
        """Whether this process leads `job` among every process and node on this database
        (e.g. the resync watcher: a change resyncs each phone once, not once per node).
        A session advisory lock on a connection of its own: held until this store closes
        or the process dies, then the next caller elsewhere takes over."""
        key = int.from_bytes(hashlib.sha256(f"provhost:{job}".encode()).digest()[:8], "big",
                             signed=True)
        conn = self._leaders.get(job)
        if conn is not None and not conn.closed:
            try:
                conn.execute("SELECT 1")
                return True
            except psycopg.Error:
                conn.close()
        try:
            conn = psycopg.connect(self.url, autocommit=True)
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        except psycopg.Error:
            return False
        if row and row[0]:
            self._leaders[job] = conn
            return True
        conn.close()
        return False

    def close(self) -> None:
        for conn in self._leaders.values():
            conn.close()
        self._pool.close()

    # -- settings ---------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        row = self._one("SELECT value FROM settings WHERE key=%s", (key,))
        return None if row is None else str(row["value"])

    def set_setting(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO settings(key, value) VALUES(%s, %s) "
                       "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    def all_settings(self) -> dict[str, str]:
        return {r["key"]: r["value"] for r in self._q("SELECT key, value FROM settings")}

    # -- modules ----------------------------------------------------------------------
    def list_modules(self) -> list[ModuleState]:
        rows = self._q(f"SELECT * FROM modules ORDER BY module_id {_C}")
        return [SqliteStore._module(r) for r in rows]  # type: ignore[arg-type]

    def get_module(self, module_id: str) -> ModuleState | None:
        row = self._one("SELECT * FROM modules WHERE module_id=%s", (module_id,))
        return None if row is None else SqliteStore._module(row)  # type: ignore[arg-type]

    def put_module(self, state: ModuleState) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO modules(module_id, kind, version, enabled, sequence, signed_by, "
                "path, installed_at, quarantined, runtime, dev_source) "
                "VALUES(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT(module_id) DO UPDATE SET "
                "kind=excluded.kind, version=excluded.version, enabled=excluded.enabled, "
                "sequence=excluded.sequence, signed_by=excluded.signed_by, "
                "path=excluded.path, installed_at=excluded.installed_at, "
                "quarantined=excluded.quarantined, runtime=excluded.runtime, "
                "dev_source=excluded.dev_source",
                (state.module_id, state.kind, state.version, int(state.enabled),
                 state.sequence, state.signed_by, state.path, state.installed_at,
                 state.quarantined, state.runtime, state.dev_source))

    def delete_module(self, module_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM modules WHERE module_id=%s", (module_id,))
            db.execute("DELETE FROM module_globals WHERE module_id=%s", (module_id,))

    def module_globals(self, module_id: str | None = None) -> dict[str, dict[str, bytes]]:
        """module -> name -> packed value (msgpack) of the modules' persistent globals."""
        sql, args = "SELECT module_id, name, value FROM module_globals", ()
        if module_id is not None:
            sql, args = sql + " WHERE module_id=%s", (module_id,)
        out: dict[str, dict[str, bytes]] = {}
        for r in self._q(sql + f" ORDER BY module_id {_C}, name {_C}", args):
            out.setdefault(r["module_id"], {})[r["name"]] = bytes(r["value"])
        return out

    def set_module_global(self, module_id: str, name: str, value: bytes | None,
                          max_count: int, max_total: int) -> None:
        """Set (None: delete) one global; StoreError past the module's bounds.  The bounds
        are checked under a per-module advisory lock, so concurrent writers in other
        processes or nodes cannot exceed them together."""
        with self._tx() as db:
            if value is None:
                db.execute("DELETE FROM module_globals WHERE module_id=%s AND name=%s",
                           (module_id, name))
                return
            db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                       (f"provhost:module_globals:{module_id}",))
            row = db.execute("SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(value)), 0) AS size "
                             "FROM module_globals WHERE module_id=%s AND name<>%s",
                             (module_id, name)).fetchone()
            count, total = int(row["n"]), int(row["size"])  # type: ignore[index,call-overload]
            if count + 1 > max_count:
                raise StoreError(f"module {module_id} already keeps {count} variables "
                                 f"(at most {max_count})")
            if total + len(value) > max_total:
                raise StoreError(f"module {module_id}'s variables would take "
                                 f"{total + len(value)} bytes (at most {max_total})")
            db.execute("INSERT INTO module_globals(module_id, name, value, updated_at) "
                       "VALUES(%s,%s,%s,%s) ON CONFLICT(module_id, name) DO UPDATE SET "
                       "value=excluded.value, updated_at=excluded.updated_at",
                       (module_id, name, value, time.time()))

    # -- trusted keys -----------------------------------------------------------------
    def add_trusted_key(self, name: str, public_key: bytes) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO trusted_keys(name, public_key) VALUES(%s, %s) "
                       "ON CONFLICT(name) DO UPDATE SET public_key=excluded.public_key",
                       (name, public_key))

    def trusted_keys(self) -> dict[str, bytes]:
        return {r["name"]: bytes(r["public_key"])
                for r in self._q("SELECT name, public_key FROM trusted_keys")}

    def remove_trusted_key(self, name: str) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM trusted_keys WHERE name=%s", (name,)).rowcount == 0:
                raise StoreError(f"no trusted key named {name!r}")

    # -- phones -----------------------------------------------------------------------
    def get_phone(self, mac: str) -> PhoneRecord | None:
        row = self._one("SELECT * FROM phones WHERE mac=%s", (mac,))
        return None if row is None else SqliteStore._phone(row)  # type: ignore[arg-type]

    def list_phones(self) -> list[PhoneRecord]:
        rows = self._q(f"SELECT * FROM phones ORDER BY mac {_C}")
        return [SqliteStore._phone(r) for r in rows]  # type: ignore[arg-type]

    def create_phone(
        self, mac: str, phone_type: str, module_id: str, ip: str, *, auto_line: bool,
        provision_auth: bool = False, server_ip: str = "",
    ) -> PhoneRecord:
        """Phone and first line in ONE transaction (see SqliteStore.create_phone);
        automatic extensions are handed out under an advisory lock, so two processes
        creating phones at once never pick the same number."""
        now = time.time()
        auth = (("pending", mac, generate_password(PROVISION_PASSWORD_LENGTH))
                if provision_auth else ("off", "", ""))
        with self._tx() as db:
            if auto_line:
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_EXTENSION_LOCK,))
            if db.execute("SELECT 1 FROM phones WHERE mac=%s", (mac,)).fetchone():
                raise StoreError(f"phone {mac} already exists")
            try:
                db.execute(
                    "INSERT INTO phones(mac, phone_type, module_id, last_ip, first_seen, "
                    "last_seen, admin_password, provision_auth, provision_user, "
                    "provision_password, last_server_ip) VALUES(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    (mac, phone_type, module_id, ip, now, now, generate_password(), *auth,
                     server_ip))
            except errors.UniqueViolation:
                raise StoreError(f"phone {mac} already exists") from None
            if auto_line:
                telnum = self._next_free_extension(db)
                db.execute(
                    "INSERT INTO lines(telnum, sip_username, sip_password, phone_mac, position) "
                    "VALUES(%s,%s,%s,%s,0)",
                    (telnum, self._unique_sip_username(db, telnum), generate_password(), mac))
        phone = self.get_phone(mac)
        assert phone is not None
        return phone

    def _next_free_extension(self, db: psycopg.Connection[Any]) -> str:
        def setting(key: str) -> str | None:
            row = db.execute("SELECT value FROM settings WHERE key=%s", (key,)).fetchone()
            return None if row is None else str(row["value"])  # type: ignore[call-overload]

        spec = setting("AUTO_EXTENSION_RANGE") or "100-199"
        low, _, high = spec.partition("-")
        used = {r["telnum"] for r in db.execute("SELECT telnum FROM lines")}  # type: ignore[call-overload]
        voicemail = setting("VOICEMAIL_EXT") or "50"
        for n in range(int(low), int(high or low) + 1):
            if str(n) not in used and str(n) != voicemail:
                return str(n)
        raise StoreError(f"automatic extension creation: the range {spec} is full")

    @staticmethod
    def _unique_sip_username(db: psycopg.Connection[Any], telnum: str) -> str:
        base = f"{telnum}p1"
        candidate, n = base, 1
        while db.execute("SELECT 1 FROM lines WHERE sip_username=%s", (candidate,)).fetchone():
            n += 1
            candidate = f"{telnum}p{n}"
        return candidate

    def touch_phone(self, mac: str, ip: str, phone_type: str, module_id: str,
                    server_ip: str = "") -> None:
        with self._tx(bookkeeping=True) as db:
            db.execute(
                "UPDATE phones SET last_ip=%s, last_seen=%s, phone_type=%s, module_id=%s, "
                "last_server_ip=CASE WHEN %s='' THEN last_server_ip ELSE %s END WHERE mac=%s",
                (ip, time.time(), phone_type, module_id, server_ip, server_ip, mac))

    def record_config(self, mac: str, config: dict[str, Any], fingerprint: str) -> None:
        with self._tx(bookkeeping=True) as db:
            db.execute("UPDATE phones SET last_config=%s, last_config_at=%s, "
                       "config_fingerprint=%s WHERE mac=%s",
                       (json.dumps(config, sort_keys=True), time.time(), fingerprint, mac))

    def record_resync(self, mac: str, target: str, result: str) -> None:
        with self._tx(bookkeeping=True) as db:
            db.execute("UPDATE phones SET resync_target=%s, resync_result=%s, resync_at=%s "
                       "WHERE mac=%s", (target, result, time.time(), mac))

    # -- firmware slots ---------------------------------------------------------------
    def firmware_slots(self, module_id: str | None = None) -> list[FirmwareSlotState]:
        sql, args = "SELECT * FROM firmware_slots", ()
        if module_id is not None:
            sql, args = sql + " WHERE module_id=%s", (module_id,)
        return [FirmwareSlotState(r["module_id"], r["slot"], r["content_id"], r["filename"],
                                  r["size"], r["uploaded_at"], bool(r["verified"]))
                for r in self._q(sql + f" ORDER BY module_id {_C}, slot {_C}", args)]

    def put_firmware_slot(self, state: FirmwareSlotState) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO firmware_slots(module_id, slot, content_id, filename, "
                       "size, uploaded_at, verified) VALUES(%s,%s,%s,%s,%s,%s,%s) "
                       "ON CONFLICT(module_id, slot) DO UPDATE SET "
                       "content_id=excluded.content_id, filename=excluded.filename, "
                       "size=excluded.size, uploaded_at=excluded.uploaded_at, "
                       "verified=excluded.verified",
                       (state.module_id, state.slot, state.content_id, state.filename,
                        state.size, state.uploaded_at, int(state.verified)))

    def clear_firmware_slot(self, module_id: str, slot: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM firmware_slots WHERE module_id=%s AND slot=%s",
                       (module_id, slot))

    def package_installs(self, module_id: str | None = None) -> list[PackageInstall]:
        sql, args = "SELECT * FROM firmware_package_installs", ()
        if module_id is not None:
            sql, args = sql + " WHERE module_id=%s", (module_id,)
        return [PackageInstall(r["module_id"], r["slot"], r["package_id"], r["content_id"],
                               tuple((f[0], f[1], f[2]) for f in json.loads(r["files"])),
                               bool(r["verified"]), r["installed_at"])
                for r in self._q(sql + f" ORDER BY module_id {_C}, slot {_C}", args)]

    def put_package_install(self, install: PackageInstall) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO firmware_package_installs(module_id, slot, package_id, "
                       "content_id, files, verified, installed_at) "
                       "VALUES(%s,%s,%s,%s,%s,%s,%s) ON CONFLICT(module_id, slot) DO UPDATE "
                       "SET package_id=excluded.package_id, content_id=excluded.content_id, "
                       "files=excluded.files, verified=excluded.verified, "
                       "installed_at=excluded.installed_at",
                       (install.module_id, install.slot, install.package_id,
                        install.content_id, json.dumps([list(f) for f in install.files]),
                        int(install.verified), install.installed_at))

    def repository_serial(self, source: str) -> tuple[int, str] | None:
        r = self._one("SELECT serial, digest FROM repository_serials WHERE source=%s",
                      (source,))
        return (int(r["serial"]), str(r["digest"])) if r else None

    def put_repository_serial(self, source: str, serial: int, digest: str) -> None:
        """Record the newest accepted serial; never lowers it (two servers may race)."""
        with self._tx() as db:
            db.execute("INSERT INTO repository_serials(source, serial, digest, seen_at) "
                       "VALUES(%s,%s,%s,%s) ON CONFLICT(source) DO UPDATE SET "
                       "serial=excluded.serial, digest=excluded.digest, "
                       "seen_at=excluded.seen_at "
                       "WHERE excluded.serial >= repository_serials.serial",
                       (source, serial, digest, time.time()))

    def set_admin_password(self, mac: str, password: str) -> None:
        with self._tx() as db:
            cur = db.execute("UPDATE phones SET admin_password=%s WHERE mac=%s", (password, mac))
            if cur.rowcount == 0:
                raise StoreError(f"no phone with MAC {mac}")

    def set_provision_auth(self, mac: str, state: str, user: str, password: str) -> None:
        if state not in PROVISION_AUTH_STATES:
            raise StoreError(f"provisioning auth state must be one of "
                             f"{', '.join(PROVISION_AUTH_STATES)}, not {state!r}")
        with self._tx() as db:
            cur = db.execute("UPDATE phones SET provision_auth=%s, provision_user=%s, "
                             "provision_password=%s WHERE mac=%s", (state, user, password, mac))
            if cur.rowcount == 0:
                raise StoreError(f"no phone with MAC {mac}")

    def require_provision_auth(self, mac: str) -> bool:
        with self._tx(bookkeeping=True) as db:
            cur = db.execute("UPDATE phones SET provision_auth='required' "
                             "WHERE mac=%s AND provision_auth='pending'", (mac,))
            return cur.rowcount == 1

    def delete_phone(self, mac: str) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM phones WHERE mac=%s", (mac,)).rowcount == 0:
                raise StoreError(f"no phone with MAC {mac}")

    # -- users ------------------------------------------------------------------------
    def add_user(self, username: str, fullname: str) -> User:
        try:
            with self._tx() as db:
                row = db.execute("INSERT INTO users(username, fullname) VALUES(%s, %s) "
                                 "RETURNING id", (username, fullname)).fetchone()
        except errors.UniqueViolation:
            raise StoreError(f"a user named {username!r} already exists") from None
        assert row is not None
        return User(int(row["id"]), username, fullname)  # type: ignore[call-overload]

    def get_user(self, user_id: int) -> User | None:
        row = self._one("SELECT * FROM users WHERE id=%s", (user_id,))
        return None if row is None else User(row["id"], row["username"], row["fullname"])

    def find_user(self, username: str) -> User | None:
        row = self._one("SELECT * FROM users WHERE username=%s", (username,))
        return None if row is None else User(row["id"], row["username"], row["fullname"])

    def list_users(self) -> list[User]:
        rows = self._q(f"SELECT * FROM users ORDER BY username {_C}")
        return [User(r["id"], r["username"], r["fullname"]) for r in rows]

    def update_user(self, user_id: int, fullname: str) -> None:
        with self._tx() as db:
            cur = db.execute("UPDATE users SET fullname=%s WHERE id=%s", (fullname, user_id))
            if cur.rowcount == 0:
                raise StoreError(f"no user with id {user_id}")

    def delete_user(self, user_id: int) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM users WHERE id=%s", (user_id,)).rowcount == 0:
                raise StoreError(f"no user with id {user_id}")

    # -- lines ------------------------------------------------------------------------
    def add_line(
        self, telnum: str, *, sip_username: str | None = None, sip_password: str | None = None,
        user_id: int | None = None, phone_mac: str | None = None, label: str = "",
    ) -> Line:
        try:
            with self._tx() as db:
                if db.execute("SELECT 1 FROM lines WHERE telnum=%s", (telnum,)).fetchone():
                    raise StoreError(f"extension {telnum} already exists")
                if phone_mac is not None and not db.execute(
                        "SELECT 1 FROM phones WHERE mac=%s", (phone_mac,)).fetchone():
                    raise StoreError(f"no phone with MAC {phone_mac}")
                if user_id is not None and not db.execute(
                        "SELECT 1 FROM users WHERE id=%s", (user_id,)).fetchone():
                    raise StoreError(f"no user with id {user_id}")
                username = sip_username or self._unique_sip_username(db, telnum)
                if db.execute("SELECT 1 FROM lines WHERE sip_username=%s",
                              (username,)).fetchone():
                    raise StoreError(f"SIP username {username!r} is already used")
                position = self._next_position(db, phone_mac)
                row = db.execute(
                    "INSERT INTO lines(telnum, sip_username, sip_password, user_id, phone_mac, "
                    "position, label) VALUES(%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                    (telnum, username, sip_password or generate_password(), user_id,
                     phone_mac, position, label)).fetchone()
        except errors.UniqueViolation:  # another process took the number meanwhile
            raise StoreError(f"extension {telnum} already exists") from None
        assert row is not None
        line = self.get_line(int(row["id"]))  # type: ignore[call-overload]
        assert line is not None
        return line

    @staticmethod
    def _next_position(db: psycopg.Connection[Any], phone_mac: str | None) -> int:
        if phone_mac is None:
            return 0
        row = db.execute("SELECT COALESCE(MAX(position) + 1, 0) AS n FROM lines "
                         "WHERE phone_mac=%s", (phone_mac,)).fetchone()
        return int(row["n"])  # type: ignore[index,call-overload]

    def get_line(self, line_id: int) -> Line | None:
        row = self._one("SELECT * FROM lines WHERE id=%s", (line_id,))
        return None if row is None else SqliteStore._line(row)  # type: ignore[arg-type]

    def list_lines(self, phone_mac: str | None = None) -> list[Line]:
        if phone_mac is None:
            # SQLite's CAST(telnum AS INTEGER): the leading integer, 0 when there is none
            rows = self._q(
                "SELECT * FROM lines ORDER BY "
                "COALESCE(CAST(substring(telnum from '^\\s*[-+]?[0-9]+') AS NUMERIC), 0), "
                f"telnum {_C}")
        else:
            rows = self._q("SELECT * FROM lines WHERE phone_mac=%s ORDER BY position, id",
                           (phone_mac,))
        return [SqliteStore._line(r) for r in rows]  # type: ignore[arg-type]

    def assign_line(self, line_id: int, phone_mac: str | None) -> None:
        with self._tx() as db:
            if phone_mac is not None and not db.execute(
                    "SELECT 1 FROM phones WHERE mac=%s", (phone_mac,)).fetchone():
                raise StoreError(f"no phone with MAC {phone_mac}")
            position = self._next_position(db, phone_mac)
            cur = db.execute("UPDATE lines SET phone_mac=%s, position=%s WHERE id=%s",
                             (phone_mac, position, line_id))
            if cur.rowcount == 0:
                raise StoreError(f"no line with id {line_id}")

    def delete_line(self, line_id: int) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM lines WHERE id=%s", (line_id,)).rowcount == 0:
                raise StoreError(f"no line with id {line_id}")

    # -- numbering --------------------------------------------------------------------
    def add_outbound_prefix(self, prefix: str) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO outbound_prefixes(prefix) VALUES(%s) "
                       "ON CONFLICT DO NOTHING", (prefix,))

    def list_outbound_prefixes(self) -> list[str]:
        return [r["prefix"] for r in
                self._q(f"SELECT prefix FROM outbound_prefixes ORDER BY prefix {_C}")]

    def remove_outbound_prefix(self, prefix: str) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM outbound_prefixes WHERE prefix=%s",
                          (prefix,)).rowcount == 0:
                raise StoreError(f"no outbound prefix {prefix!r}")
