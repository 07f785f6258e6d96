"""The SQLite backend of `Store`: the embedded default.

WAL journal with synchronous=NORMAL: a committed transaction survives a crash (or kill -9)
of the provhost process; only a power loss can roll back the last few commits.  Every
public mutating method is a single transaction (`with self._tx()`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import string
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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

_PASSWORD_ALPHABET = string.ascii_letters + string.digits
PROVISION_AUTH_STATES = ("off", "pending", "required")
PROVISION_PASSWORD_LENGTH = 24  # ~143 bits: no point guessing it online


def generate_password(length: int = 12) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


class SqliteStore:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:" and not Path(self.path).exists():
            # owner-only from the first byte: it holds SIP and admin passwords (SQLite gives
            # its -wal and -shm files the database's mode)
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")
        self.generation = 0
        self._counting = False  # the migrations run before the counter exists
        self.migrate()
        # the change counter (see change_key); outside the migrations, like user_version
        self._db.execute("CREATE TABLE IF NOT EXISTS provhost_changes ("
                         "one INTEGER PRIMARY KEY CHECK (one = 1), counter INTEGER NOT NULL)")
        self._db.execute("INSERT OR IGNORE INTO provhost_changes(one, counter) VALUES (1, 0)")
        self._counting = True

    # -- plumbing ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _tx(self, *, bookkeeping: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction.  Every write but `bookkeeping` ones (a phone was seen, fetched,
        resynced) bumps `generation`, so caches of derived data know when to rebuild."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
            if not bookkeeping and self._counting:
                self._db.execute("UPDATE provhost_changes SET counter = counter + 1")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        if not bookkeeping:
            self.generation += 1

    def change_key(self) -> tuple[int, int]:
        """Differs whenever settings, lines, users, prefixes or modules may have changed,
        here or in another process: the change counter that every non-bookkeeping
        transaction bumps.  Not SQLite's data_version, which also moves on every phone
        request another process records: with `serve --processes N` that rebuilt the
        snapshot on nearly every request (measured: docs/deployment.md)."""
        return self.data_version(), self.generation

    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> list[int]:
        """Apply every migration newer than the database; return the versions applied."""
        applied = []
        current = self.schema_version()
        if current > LATEST:
            raise StoreError(
                f"database {self.path} has schema version {current}, newer than this "
                f"provhost knows ({LATEST}); upgrade provhost"
            )
        for version, sql in MIGRATIONS:
            if version <= current:
                continue
            with self._tx() as db:
                for statement in sql.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {version}")
            applied.append(version)
        return applied

    def close(self) -> None:
        self._db.close()

    # -- settings ---------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO settings(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def all_settings(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._db.execute("SELECT key, value FROM settings")}

    # -- modules ----------------------------------------------------------------------
    @staticmethod
    def _module(row: sqlite3.Row) -> ModuleState:
        return ModuleState(
            module_id=row["module_id"], kind=row["kind"], version=row["version"],
            enabled=bool(row["enabled"]), sequence=row["sequence"], signed_by=row["signed_by"],
            path=row["path"], installed_at=row["installed_at"], quarantined=row["quarantined"],
            runtime=row["runtime"], dev_source=row["dev_source"],
        )

    def list_modules(self) -> list[ModuleState]:
        rows = self._db.execute("SELECT * FROM modules ORDER BY module_id")
        return [self._module(r) for r in rows]

    def get_module(self, module_id: str) -> ModuleState | None:
        row = self._db.execute("SELECT * FROM modules WHERE module_id=?", (module_id,)).fetchone()
        return None if row is None else self._module(row)

    def put_module(self, state: ModuleState) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO modules(module_id, kind, version, enabled, sequence, "
                "signed_by, path, installed_at, quarantined, runtime, dev_source) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (state.module_id, state.kind, state.version, int(state.enabled), state.sequence,
                 state.signed_by, state.path, state.installed_at, state.quarantined,
                 state.runtime, state.dev_source),
            )

    def delete_module(self, module_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM modules WHERE module_id=?", (module_id,))
            db.execute("DELETE FROM module_globals WHERE module_id=?", (module_id,))

    # -- trusted keys -----------------------------------------------------------------
    def add_trusted_key(self, name: str, public_key: bytes) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO trusted_keys(name, public_key) VALUES(?, ?)",
                (name, public_key),
            )

    def trusted_keys(self) -> dict[str, bytes]:
        return {r[0]: bytes(r[1]) for r in self._db.execute("SELECT name, public_key FROM trusted_keys")}

    def remove_trusted_key(self, name: str) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM trusted_keys WHERE name=?", (name,)).rowcount == 0:
                raise StoreError(f"no trusted key named {name!r}")

    # -- phones -----------------------------------------------------------------------
    @staticmethod
    def _phone(row: sqlite3.Row) -> PhoneRecord:
        return PhoneRecord(
            mac=row["mac"], phone_type=row["phone_type"], module_id=row["module_id"],
            last_ip=row["last_ip"], first_seen=row["first_seen"], last_seen=row["last_seen"],
            admin_password=row["admin_password"],
            last_config=None if row["last_config"] is None else json.loads(row["last_config"]),
            last_config_at=row["last_config_at"], config_fingerprint=row["config_fingerprint"],
            resync_target=row["resync_target"], resync_result=row["resync_result"],
            resync_at=row["resync_at"], provision_auth=row["provision_auth"],
            provision_user=row["provision_user"], provision_password=row["provision_password"],
            last_server_ip=row["last_server_ip"],
        )

    def get_phone(self, mac: str) -> PhoneRecord | None:
        row = self._db.execute("SELECT * FROM phones WHERE mac=?", (mac,)).fetchone()
        return None if row is None else self._phone(row)

    def list_phones(self) -> list[PhoneRecord]:
        return [self._phone(r) for r in self._db.execute("SELECT * FROM phones ORDER BY mac")]

    def create_phone(
        self, mac: str, phone_type: str, module_id: str, ip: str, *, auto_line: bool,
        provision_auth: bool = False, server_ip: str = "",
    ) -> PhoneRecord:
        """Create the phone and, with `auto_line`, its first line, in ONE transaction: a
        crash never leaves a phone without the extension it was promised.  With
        `provision_auth` it starts with fresh provisioning credentials, pending."""
        now = time.time()
        auth = (("pending", mac, generate_password(PROVISION_PASSWORD_LENGTH))
                if provision_auth else ("off", "", ""))
        with self._tx() as db:
            if db.execute("SELECT 1 FROM phones WHERE mac=?", (mac,)).fetchone():
                raise StoreError(f"phone {mac} already exists")
            db.execute(
                "INSERT INTO phones(mac, phone_type, module_id, last_ip, first_seen, last_seen, "
                "admin_password, provision_auth, provision_user, provision_password, "
                "last_server_ip) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (mac, phone_type, module_id, ip, now, now, generate_password(), *auth,
                 server_ip),
            )
            if auto_line:
                telnum = self._next_free_extension(db)
                db.execute(
                    "INSERT INTO lines(telnum, sip_username, sip_password, phone_mac, position) "
                    "VALUES(?,?,?,?,0)",
                    (telnum, self._unique_sip_username(db, telnum), generate_password(), mac),
                )
        phone = self.get_phone(mac)
        assert phone is not None
        return phone

    def _next_free_extension(self, db: sqlite3.Connection) -> str:
        spec = self.get_setting("AUTO_EXTENSION_RANGE") or "100-199"
        low, _, high = spec.partition("-")
        used = {r[0] for r in db.execute("SELECT telnum FROM lines")}
        voicemail = self.get_setting("VOICEMAIL_EXT") or "50"
        for n in range(int(low), int(high or low) + 1):
            if str(n) not in used and str(n) != voicemail:
                return str(n)
        raise StoreError(f"automatic extension creation: the range {spec} is full")

    @staticmethod
    def _unique_sip_username(db: sqlite3.Connection, telnum: str) -> str:
        base = f"{telnum}p1"
        candidate, n = base, 1
        while db.execute("SELECT 1 FROM lines WHERE sip_username=?", (candidate,)).fetchone():
            n += 1
            candidate = f"{telnum}p{n}"
        return candidate

    def touch_phone(self, mac: str, ip: str, phone_type: str, module_id: str,
                    server_ip: str = "") -> None:
        with self._tx(bookkeeping=True) as db:
            db.execute(
                "UPDATE phones SET last_ip=?, last_seen=?, phone_type=?, module_id=?, "
                "last_server_ip=CASE WHEN ?='' THEN last_server_ip ELSE ? END WHERE mac=?",
                (ip, time.time(), phone_type, module_id, server_ip, server_ip, mac),
            )

    def record_config(self, mac: str, config: dict[str, Any], fingerprint: str) -> None:
        with self._tx(bookkeeping=True) as db:
            db.execute(
                "UPDATE phones SET last_config=?, last_config_at=?, config_fingerprint=? "
                "WHERE mac=?",
                (json.dumps(config, sort_keys=True), time.time(), fingerprint, mac),
            )

    def data_version(self) -> int:
        """Changes whenever a connection (this or another process) commits a change that
        is not bookkeeping."""
        return int(self._db.execute("SELECT counter FROM provhost_changes").fetchone()[0])

    def mark_stale(self, mac: str, reason: str) -> bool:
        """Make a phone that fetched a configuration stale (its stored fingerprint can then
        match no expected one), so the resync watcher tells it to fetch again: for changes
        the fingerprint does not see, such as a bundled template edited by an upgrade."""
        with self._tx(bookkeeping=True) as db:
            cur = db.execute("UPDATE phones SET config_fingerprint=?, resync_target=NULL "
                             "WHERE mac=? AND config_fingerprint IS NOT NULL",
                             (f"stale:{reason}"[:200], mac))
        return cur.rowcount > 0

    def record_resync(self, mac: str, target: str, result: str) -> None:
        with self._tx(bookkeeping=True) as db:
            db.execute("UPDATE phones SET resync_target=?, resync_result=?, resync_at=? "
                       "WHERE mac=?", (target, result, time.time(), mac))

    # -- firmware slots ---------------------------------------------------------------
    def firmware_slots(self, module_id: str | None = None) -> list[FirmwareSlotState]:
        sql, args = "SELECT * FROM firmware_slots", ()
        if module_id is not None:
            sql, args = sql + " WHERE module_id=?", (module_id,)
        return [FirmwareSlotState(r["module_id"], r["slot"], r["content_id"], r["filename"],
                                  r["size"], r["uploaded_at"], bool(r["verified"]))
                for r in self._db.execute(sql + " ORDER BY module_id, slot", args)]

    def put_firmware_slot(self, state: FirmwareSlotState) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO firmware_slots(module_id, slot, content_id, "
                       "filename, size, uploaded_at, verified) VALUES(?,?,?,?,?,?,?)",
                       (state.module_id, state.slot, state.content_id, state.filename,
                        state.size, state.uploaded_at, int(state.verified)))

    def clear_firmware_slot(self, module_id: str, slot: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM firmware_slots WHERE module_id=? AND slot=?",
                       (module_id, slot))

    def package_installs(self, module_id: str | None = None) -> list[PackageInstall]:
        sql, args = "SELECT * FROM firmware_package_installs", ()
        if module_id is not None:
            sql, args = sql + " WHERE module_id=?", (module_id,)
        return [PackageInstall(r["module_id"], r["slot"], r["package_id"], r["content_id"],
                               tuple((f[0], f[1], f[2]) for f in json.loads(r["files"])),
                               bool(r["verified"]), r["installed_at"])
                for r in self._db.execute(sql + " ORDER BY module_id, slot", args)]

    def put_package_install(self, install: PackageInstall) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO firmware_package_installs(module_id, slot, "
                       "package_id, content_id, files, verified, installed_at) "
                       "VALUES(?,?,?,?,?,?,?)",
                       (install.module_id, install.slot, install.package_id,
                        install.content_id, json.dumps([list(f) for f in install.files]),
                        int(install.verified), install.installed_at))

    def module_globals(self, module_id: str | None = None) -> dict[str, dict[str, bytes]]:
        """module -> name -> packed value (msgpack) of the modules' persistent globals."""
        sql, args = "SELECT module_id, name, value FROM module_globals", ()
        if module_id is not None:
            sql, args = sql + " WHERE module_id=?", (module_id,)
        out: dict[str, dict[str, bytes]] = {}
        for r in self._db.execute(sql + " ORDER BY module_id, name", args):
            out.setdefault(r["module_id"], {})[r["name"]] = bytes(r["value"])
        return out

    def set_module_global(self, module_id: str, name: str, value: bytes | None,
                          max_count: int, max_total: int) -> None:
        """Set (None: delete) one global; StoreError past the module's bounds, checked in
        the same transaction as the write so concurrent writers cannot exceed them."""
        with self._tx() as db:
            if value is None:
                db.execute("DELETE FROM module_globals WHERE module_id=? AND name=?",
                           (module_id, name))
                return
            row = db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(value)), 0) FROM "
                             "module_globals WHERE module_id=? AND name<>?",
                             (module_id, name)).fetchone()
            if row[0] + 1 > max_count:
                raise StoreError(f"module {module_id} already keeps {row[0]} variables "
                                 f"(at most {max_count})")
            if row[1] + len(value) > max_total:
                raise StoreError(f"module {module_id}'s variables would take "
                                 f"{row[1] + len(value)} bytes (at most {max_total})")
            db.execute("INSERT OR REPLACE INTO module_globals(module_id, name, value, "
                       "updated_at) VALUES(?,?,?,?)", (module_id, name, value, time.time()))

    def repository_serial(self, source: str) -> tuple[int, str] | None:
        r = self._db.execute("SELECT serial, digest FROM repository_serials WHERE source=?",
                             (source,)).fetchone()
        return (int(r["serial"]), str(r["digest"])) if r else None

    def put_repository_serial(self, source: str, serial: int, digest: str) -> None:
        """Record the newest accepted serial; never lowers it (two servers may race)."""
        with self._tx() as db:
            db.execute("INSERT INTO repository_serials(source, serial, digest, seen_at) "
                       "VALUES(?,?,?,?) ON CONFLICT(source) DO UPDATE SET "
                       "serial=excluded.serial, digest=excluded.digest, "
                       "seen_at=excluded.seen_at WHERE excluded.serial >= serial",
                       (source, serial, digest, time.time()))

    def set_admin_password(self, mac: str, password: str) -> None:
        with self._tx() as db:
            cur = db.execute("UPDATE phones SET admin_password=? WHERE mac=?", (password, mac))
            if cur.rowcount == 0:
                raise StoreError(f"no phone with MAC {mac}")

    def set_provision_auth(self, mac: str, state: str, user: str, password: str) -> None:
        """Set (or, with "off" and empty strings, clear) a phone's provisioning credentials."""
        if state not in PROVISION_AUTH_STATES:
            raise StoreError(f"provisioning auth state must be one of "
                             f"{', '.join(PROVISION_AUTH_STATES)}, not {state!r}")
        with self._tx() as db:
            cur = db.execute("UPDATE phones SET provision_auth=?, provision_user=?, "
                             "provision_password=? WHERE mac=?", (state, user, password, mac))
            if cur.rowcount == 0:
                raise StoreError(f"no phone with MAC {mac}")

    def require_provision_auth(self, mac: str) -> bool:
        """pending -> required (the phone has its credentials now); True if it changed."""
        with self._tx(bookkeeping=True) as db:
            cur = db.execute("UPDATE phones SET provision_auth='required' "
                             "WHERE mac=? AND provision_auth='pending'", (mac,))
            return cur.rowcount == 1

    def delete_phone(self, mac: str) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM phones WHERE mac=?", (mac,)).rowcount == 0:
                raise StoreError(f"no phone with MAC {mac}")

    # -- users ------------------------------------------------------------------------
    def add_user(self, username: str, fullname: str) -> User:
        with self._tx() as db:
            try:
                cur = db.execute(
                    "INSERT INTO users(username, fullname) VALUES(?, ?)", (username, fullname)
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"a user named {username!r} already exists") from None
            user_id = int(cur.lastrowid or 0)
        return User(user_id, username, fullname)

    def get_user(self, user_id: int) -> User | None:
        row = self._db.execute("SELECT * FROM users WHERE id=?", (user_id,)).fetchone()
        return None if row is None else User(row["id"], row["username"], row["fullname"])

    def find_user(self, username: str) -> User | None:
        row = self._db.execute("SELECT * FROM users WHERE username=?", (username,)).fetchone()
        return None if row is None else User(row["id"], row["username"], row["fullname"])

    def list_users(self) -> list[User]:
        rows = self._db.execute("SELECT * FROM users ORDER BY username")
        return [User(r["id"], r["username"], r["fullname"]) for r in rows]

    def update_user(self, user_id: int, fullname: str) -> None:
        with self._tx() as db:
            cur = db.execute("UPDATE users SET fullname=? WHERE id=?", (fullname, user_id))
            if cur.rowcount == 0:
                raise StoreError(f"no user with id {user_id}")

    def delete_user(self, user_id: int) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM users WHERE id=?", (user_id,)).rowcount == 0:
                raise StoreError(f"no user with id {user_id}")

    # -- lines ------------------------------------------------------------------------
    @staticmethod
    def _line(row: sqlite3.Row) -> Line:
        return Line(
            id=row["id"], telnum=row["telnum"], sip_username=row["sip_username"],
            sip_password=row["sip_password"], user_id=row["user_id"], phone_mac=row["phone_mac"],
            position=row["position"], label=row["label"], extra=json.loads(row["extra"]),
        )

    def add_line(
        self, telnum: str, *, sip_username: str | None = None, sip_password: str | None = None,
        user_id: int | None = None, phone_mac: str | None = None, label: str = "",
    ) -> Line:
        with self._tx() as db:
            if db.execute("SELECT 1 FROM lines WHERE telnum=?", (telnum,)).fetchone():
                raise StoreError(f"extension {telnum} already exists")
            if phone_mac is not None and not db.execute(
                "SELECT 1 FROM phones WHERE mac=?", (phone_mac,)
            ).fetchone():
                raise StoreError(f"no phone with MAC {phone_mac}")
            if user_id is not None and not db.execute(
                "SELECT 1 FROM users WHERE id=?", (user_id,)
            ).fetchone():
                raise StoreError(f"no user with id {user_id}")
            username = sip_username or self._unique_sip_username(db, telnum)
            if db.execute("SELECT 1 FROM lines WHERE sip_username=?", (username,)).fetchone():
                raise StoreError(f"SIP username {username!r} is already used")
            position = self._next_position(db, phone_mac)
            cur = db.execute(
                "INSERT INTO lines(telnum, sip_username, sip_password, user_id, phone_mac, "
                "position, label) VALUES(?,?,?,?,?,?,?)",
                (telnum, username, sip_password or generate_password(), user_id, phone_mac,
                 position, label),
            )
            line_id = int(cur.lastrowid or 0)
        line = self.get_line(line_id)
        assert line is not None
        return line

    @staticmethod
    def _next_position(db: sqlite3.Connection, phone_mac: str | None) -> int:
        if phone_mac is None:
            return 0
        row = db.execute(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM lines WHERE phone_mac=?", (phone_mac,)
        ).fetchone()
        return int(row[0])

    def get_line(self, line_id: int) -> Line | None:
        row = self._db.execute("SELECT * FROM lines WHERE id=?", (line_id,)).fetchone()
        return None if row is None else self._line(row)

    def list_lines(self, phone_mac: str | None = None) -> list[Line]:
        if phone_mac is None:
            rows = self._db.execute("SELECT * FROM lines ORDER BY CAST(telnum AS INTEGER), telnum")
        else:
            rows = self._db.execute(
                "SELECT * FROM lines WHERE phone_mac=? ORDER BY position, id", (phone_mac,)
            )
        return [self._line(r) for r in rows]

    def assign_line(self, line_id: int, phone_mac: str | None) -> None:
        with self._tx() as db:
            if phone_mac is not None and not db.execute(
                "SELECT 1 FROM phones WHERE mac=?", (phone_mac,)
            ).fetchone():
                raise StoreError(f"no phone with MAC {phone_mac}")
            position = self._next_position(db, phone_mac)
            cur = db.execute(
                "UPDATE lines SET phone_mac=?, position=? WHERE id=?", (phone_mac, position, line_id)
            )
            if cur.rowcount == 0:
                raise StoreError(f"no line with id {line_id}")

    def delete_line(self, line_id: int) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM lines WHERE id=?", (line_id,)).rowcount == 0:
                raise StoreError(f"no line with id {line_id}")

    # -- numbering --------------------------------------------------------------------
    def add_outbound_prefix(self, prefix: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO outbound_prefixes(prefix) VALUES(?)", (prefix,))

    def list_outbound_prefixes(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT prefix FROM outbound_prefixes ORDER BY prefix")]

    def remove_outbound_prefix(self, prefix: str) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM outbound_prefixes WHERE prefix=?", (prefix,)).rowcount == 0:
                raise StoreError(f"no outbound prefix {prefix!r}")
