"""Schema migrations, applied in order; `PRAGMA user_version` records the last one applied.

Rules: never edit a migration that has shipped; add a new one.  Each runs in one
transaction together with the version bump, so a crash mid-migration leaves the previous
version intact.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE modules (
            module_id    TEXT PRIMARY KEY,
            kind         TEXT NOT NULL CHECK (kind IN ('bundled', 'addon')),
            version      TEXT NOT NULL,
            enabled      INTEGER NOT NULL,
            sequence     TEXT,
            signed_by    TEXT,
            path         TEXT NOT NULL,
            installed_at REAL NOT NULL,
            quarantined  TEXT
        );
        CREATE TABLE trusted_keys (
            name       TEXT PRIMARY KEY,
            public_key BLOB NOT NULL
        );
        CREATE TABLE phones (
            mac            TEXT PRIMARY KEY,
            phone_type     TEXT NOT NULL,
            module_id      TEXT NOT NULL,
            last_ip        TEXT NOT NULL,
            first_seen     REAL NOT NULL,
            last_seen      REAL NOT NULL,
            admin_password TEXT NOT NULL,
            last_config    TEXT,
            last_config_at REAL
        );
        CREATE TABLE users (
            id       INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            fullname TEXT NOT NULL
        );
        CREATE TABLE lines (
            id           INTEGER PRIMARY KEY,
            telnum       TEXT NOT NULL UNIQUE,
            sip_username TEXT NOT NULL UNIQUE,
            sip_password TEXT NOT NULL,
            user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
            phone_mac    TEXT REFERENCES phones(mac) ON DELETE SET NULL,
            position     INTEGER NOT NULL DEFAULT 0,
            label        TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX lines_by_phone ON lines(phone_mac, position);
        CREATE TABLE outbound_prefixes (
            prefix TEXT PRIMARY KEY
        );
        """,
    ),
    (
        2,
        """
        ALTER TABLE modules ADD COLUMN runtime TEXT;
        ALTER TABLE phones ADD COLUMN config_fingerprint TEXT;
        ALTER TABLE lines ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
        """,
    ),
    (
        3,
        """
        CREATE TABLE firmware_slots (
            module_id   TEXT NOT NULL,
            slot        TEXT NOT NULL,
            content_id  TEXT NOT NULL,
            filename    TEXT NOT NULL,
            size        INTEGER NOT NULL,
            uploaded_at REAL NOT NULL,
            verified    INTEGER NOT NULL,
            PRIMARY KEY (module_id, slot)
        );
        ALTER TABLE phones ADD COLUMN resync_target TEXT;
        ALTER TABLE phones ADD COLUMN resync_result TEXT;
        ALTER TABLE phones ADD COLUMN resync_at REAL;
        """,
    ),
    (
        4,
        # per-phone HTTP(S) provisioning credentials (auth/digest.py): off, pending
        # (delivered in the phone's next configuration) or required
        """
        ALTER TABLE phones ADD COLUMN provision_auth TEXT NOT NULL DEFAULT 'off'
            CHECK (provision_auth IN ('off', 'pending', 'required'));
        ALTER TABLE phones ADD COLUMN provision_user TEXT NOT NULL DEFAULT '';
        ALTER TABLE phones ADD COLUMN provision_password TEXT NOT NULL DEFAULT '';
        """,
    ),
    (
        5,
        # firmware packages (fwpackages/): which package filled a slot, with the hashes of
        # what was installed; it is "installed" while the slot still holds that content_id
        """
        CREATE TABLE firmware_package_installs (
            module_id    TEXT NOT NULL,
            slot         TEXT NOT NULL,
            package_id   TEXT NOT NULL,
            content_id   TEXT NOT NULL,
            files        TEXT NOT NULL,
            verified     INTEGER NOT NULL,
            installed_at REAL NOT NULL,
            PRIMARY KEY (module_id, slot)
        );
        """,
    ),
    (
        6,
        # module repositories (repo/client.py): the newest index serial accepted per
        # repository channel, so that an older (replayed) index is refused
        """
        CREATE TABLE repository_serials (
            source   TEXT PRIMARY KEY,
            serial   INTEGER NOT NULL,
            digest   TEXT NOT NULL,
            seen_at  REAL NOT NULL
        );
        """,
    ),
    (
        7,
        # the server address a phone last reached ($OPERATOR_IP for its resync and review
        # when the administrator set none: the address the phone can reach)
        """
        ALTER TABLE phones ADD COLUMN last_server_ip TEXT NOT NULL DEFAULT '';
        """,
    ),
    (
        8,
        # Kerio's module persistent globals (setModuleVar): per module, kept across module
        # upgrades, removed with the module (moduleapi/module_globals.py bounds them)
        """
        CREATE TABLE module_globals (
            module_id  TEXT NOT NULL,
            name       TEXT NOT NULL,
            value      BLOB NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (module_id, name)
        );
        """,
    ),
    (
        9,
        # a module in development (`provhost module dev PATH`): the directory its author
        # edits; `path` is the last validated snapshot of it that the sandbox runs
        """
        ALTER TABLE modules ADD COLUMN dev_source TEXT;
        """,
    ),
]

LATEST = MIGRATIONS[-1][0]
