"""HostState: what the phone-facing half of provhost reads and writes, below the engine.

Why one object: the engine, the provisioner and the phone-facing servers need the store,
the module registry, the paths, the settings and the phone-auth key, and nothing of the
administrator's façade (`provhost.service.Service`, which sits above and uses this).

The `Snapshot` is everything requests derive from the store (settings, the dialplan
input, firmware content ids, each module's shared globals), built once per store change
key (SQLite's data_version plus this process's write generation; PostgreSQL's shared
change counter) and shared by every
request until the store changes, here or in another process.  It is the one cache of
derived data; nothing else keeps its own copy keyed by the change key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from provhost import settings as settings_mod
from provhost.auth.digest import ReplayGuard
from provhost.auth.nonce_key import PHONE_AUTH_KEY_FILE, load_or_create_key
from provhost.mac import MacError, normalize_mac, pretty_mac
from provhost.moduleapi.dialplan_data import build_dialplan_data
from provhost.moduleapi.module_globals import unpack_all
from provhost.paths import Paths
from provhost.registry import Registry
from provhost.store import Store, open_store
from provhost.uploads import PhoneUploads, UploadLimits, UploadRefused

T = TypeVar("T")


@dataclass(frozen=True)
class DialplanInput:
    """$DIALPLAN_DATA, its digest (dialplans are regenerated when it changes) and the
    settings it was built with."""

    data: list[list[str | int]]
    digest: str
    settings: dict[str, str]


@dataclass
class PhoneAuthContext:
    """What checking phones' digest credentials needs across requests of one process."""

    key: bytes
    replays: ReplayGuard


class Snapshot:
    """Derived data for one change key.  Callers must not mutate what it returns."""

    def __init__(self, store: Store, key: tuple[int, int]) -> None:
        self._store = store
        self.key = key
        self.settings: dict[str, str] = settings_mod.effective(store.all_settings())
        slots: dict[str, dict[str, str]] = {}
        for s in store.firmware_slots():
            slots.setdefault(s.module_id, {})[s.slot] = s.content_id
        self._content_ids = slots
        self._derived: dict[Any, Any] = {}

    def content_ids(self, module_id: str) -> dict[str, str]:
        """slot -> FW_CONTENT_ID of the module's filled slots."""
        return self._content_ids.get(module_id, {})

    @cached_property
    def dialplan(self) -> DialplanInput:
        """$DIALPLAN_DATA from every line and prefix (read once per change: reading every
        line per request made a 10,000-phone boot storm crawl)."""
        extensions = [x.telnum for x in self._store.list_lines()]
        extensions.append(self.settings["VOICEMAIL_EXT"])
        data = build_dialplan_data(extensions, self._store.list_outbound_prefixes())
        digest = hashlib.sha256(json.dumps(data).encode()).hexdigest()
        return DialplanInput(data, digest, self.settings)

    @cached_property
    def _module_globals(self) -> dict[str, dict[str, bytes]]:
        return self._store.module_globals()

    def module_globals(self, module_id: str) -> dict[str, Any]:
        """The module's persistent globals (setModuleVar), unpacked once per change."""
        return self.derived(("module_globals", module_id), lambda: unpack_all(
            self._module_globals.get(module_id, {})))

    def derived(self, key: Any, build: Callable[[], T]) -> T:
        """A value derived from this snapshot (a module's shared globals), built once."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]  # type: ignore[no-any-return]


class HostState:
    """The store, the registry, the paths, the snapshot and the phone-auth key."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        paths.ensure()
        self.store: Store = open_store(paths.database_url, paths.database)
        self.registry = Registry(self.store, paths)
        self.registry.load()
        self._snapshot: Snapshot | None = None
        self._phone_auth: PhoneAuthContext | None = None

    def close(self) -> None:
        self.store.close()

    def snapshot(self) -> Snapshot:
        key = self.store.change_key()
        if self._snapshot is None or self._snapshot.key != key:
            self._snapshot = Snapshot(self.store, key)
        return self._snapshot

    def settings(self) -> dict[str, str]:
        """Every setting's effective value (a copy the caller may keep)."""
        return dict(self.snapshot().settings)

    def phone_auth(self) -> PhoneAuthContext:
        """The nonce key (data directory, 0600) and the replay guard, made on first use."""
        if self._phone_auth is None:
            key = load_or_create_key(self.paths.data_dir / PHONE_AUTH_KEY_FILE)
            self._phone_auth = PhoneAuthContext(key, ReplayGuard())
        return self._phone_auth

    def uploads(self) -> PhoneUploads:
        limit = int(self.snapshot().settings["UPLOAD_MAX_SIZE"])
        return PhoneUploads(self.paths.uploads_dir, UploadLimits(max_size=max(limit, 0)))

    def accept_upload(self, mac_text: str, name: str, data: bytes, client_ip: str) -> str:
        """Store what a phone uploaded after a module accepted it; the stored name.
        UploadRefused says why not."""
        try:
            mac = normalize_mac(mac_text)
        except MacError as e:
            raise UploadRefused(f"acceptUpload: {e}") from None
        phone = self.store.get_phone(mac)
        if phone is None:
            raise UploadRefused(f"no phone with MAC {pretty_mac(mac)}: uploads are kept only "
                                "for known phones")
        if (self.snapshot().settings["UPLOAD_SAME_IP"] == "1" and phone.last_ip
                and phone.last_ip != client_ip):
            raise UploadRefused(f"phone {pretty_mac(mac)} was last seen at {phone.last_ip}, "
                                f"not {client_ip}")
        return self.uploads().store(mac, name, data).name

