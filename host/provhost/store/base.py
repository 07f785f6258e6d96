"""The store interface: everything provhost persists, independent of the database engine.

Why an interface: a single node uses SQLite; multi-node deployments need a shared database
(PostgreSQL).  Every caller goes through these methods only, so a second backend implements
this Protocol and nothing else changes.  Every mutating method is one transaction: when it
returns, the change is durable (it survives a crash of the process).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class StoreError(Exception):
    """A request the data does not allow (unknown MAC, duplicate number, ...): a clear message."""


@dataclass
class User:
    id: int
    username: str
    fullname: str


@dataclass
class Line:
    """A SIP account with its extension number; optionally owned by a user, placed on a phone."""

    id: int
    telnum: str
    sip_username: str
    sip_password: str
    user_id: int | None = None
    phone_mac: str | None = None
    position: int = 0  # order of the line on its phone (0 = first)
    label: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PhoneRecord:
    mac: str  # 12 lowercase hex digits
    phone_type: str
    module_id: str
    last_ip: str
    first_seen: float
    last_seen: float
    admin_password: str
    last_config: dict[str, Any] | None = None  # what the phone last read (for $LAST_CONFIG)
    last_config_at: float | None = None
    config_fingerprint: str | None = None  # hash of the inputs of the last config read
    resync_target: str | None = None  # the fingerprint the last resync asked the phone to fetch
    resync_result: str | None = None  # what that resync reported
    resync_at: float | None = None
    # HTTP(S) provisioning credentials: "off", "pending" (to be delivered in the next
    # configuration) or "required" (delivered; digest authentication needed from now on)
    provision_auth: str = "off"
    provision_user: str = ""
    provision_password: str = ""
    last_server_ip: str = ""  # the server address the phone's last request arrived on


@dataclass(frozen=True)
class FirmwareSlotState:
    """The accepted content of one firmware/logo slot (absent: the slot is empty)."""

    module_id: str
    slot: str
    content_id: str  # random hex, new with every accepted upload
    filename: str  # the name the administrator uploaded
    size: int  # bytes uploaded
    uploaded_at: float
    verified: bool  # False when the administrator overrode the check (FW_VERIFY=0)


@dataclass(frozen=True)
class PackageInstall:
    """A firmware package an administrator installed into a slot."""

    module_id: str
    slot: str
    package_id: str
    content_id: str  # the slot content it produced (installed while the slot holds it)
    files: tuple[tuple[str, int, str], ...]  # (name, size, sha256) of what was installed
    verified: bool  # every file matched a hash the module pins (False: --unverified)
    installed_at: float


@dataclass
class ModuleState:
    """What the registry persists of one module (bundled or add-on)."""

    module_id: str
    kind: str  # "bundled" | "addon"
    version: str
    enabled: bool
    sequence: str | None  # administrator override; None means the module's own
    signed_by: str | None  # trusted key name, None if unsigned
    path: str  # where its files live
    installed_at: float
    quarantined: str | None = None  # reason, when the host quarantined it
    runtime: str | None = None  # "native" | "wasm" override
    dev_source: str | None = None  # `module dev`: the directory being edited (path: a snapshot)


class Store(Protocol):
    # settings
    def get_setting(self, key: str) -> str | None: ...
    def set_setting(self, key: str, value: str) -> None: ...
    def all_settings(self) -> dict[str, str]: ...

    # modules
    def list_modules(self) -> list[ModuleState]: ...
    def get_module(self, module_id: str) -> ModuleState | None: ...
    def put_module(self, state: ModuleState) -> None: ...
    def delete_module(self, module_id: str) -> None: ...

    # trusted signing keys
    def add_trusted_key(self, name: str, public_key: bytes) -> None: ...
    def trusted_keys(self) -> dict[str, bytes]: ...
    def remove_trusted_key(self, name: str) -> None: ...

    # phones
    def get_phone(self, mac: str) -> PhoneRecord | None: ...
    def list_phones(self) -> list[PhoneRecord]: ...
    def create_phone(
        self, mac: str, phone_type: str, module_id: str, ip: str, *, auto_line: bool,
        provision_auth: bool = False, server_ip: str = "",
    ) -> PhoneRecord: ...
    def touch_phone(self, mac: str, ip: str, phone_type: str, module_id: str,
                    server_ip: str = "") -> None: ...
    def record_config(self, mac: str, config: dict[str, Any], fingerprint: str) -> None: ...
    def record_resync(self, mac: str, target: str, result: str) -> None: ...
    def data_version(self) -> int: ...
    def change_key(self) -> tuple[int, int]: ...
    def firmware_slots(self, module_id: str | None = None) -> list[FirmwareSlotState]: ...
    def put_firmware_slot(self, state: FirmwareSlotState) -> None: ...
    def clear_firmware_slot(self, module_id: str, slot: str) -> None: ...
    def package_installs(self, module_id: str | None = None) -> list[PackageInstall]: ...
    def put_package_install(self, install: PackageInstall) -> None: ...
    def repository_serial(self, source: str) -> tuple[int, str] | None: ...
    def module_globals(self, module_id: str | None = None) -> dict[str, dict[str, bytes]]: ...
    def set_module_global(self, module_id: str, name: str, value: bytes | None,
                          max_count: int, max_total: int) -> None: ...
    def put_repository_serial(self, source: str, serial: int, digest: str) -> None: ...
    def set_admin_password(self, mac: str, password: str) -> None: ...
    def delete_phone(self, mac: str) -> None: ...
    def set_provision_auth(self, mac: str, state: str, user: str, password: str) -> None: ...
    def require_provision_auth(self, mac: str) -> bool: ...

    # users and lines
    def add_user(self, username: str, fullname: str) -> User: ...
    def get_user(self, user_id: int) -> User | None: ...
    def find_user(self, username: str) -> User | None: ...
    def list_users(self) -> list[User]: ...
    def update_user(self, user_id: int, fullname: str) -> None: ...
    def delete_user(self, user_id: int) -> None: ...
    def add_line(
        self, telnum: str, *, sip_username: str | None = None, sip_password: str | None = None,
        user_id: int | None = None, phone_mac: str | None = None, label: str = "",
    ) -> Line: ...
    def get_line(self, line_id: int) -> Line | None: ...
    def list_lines(self, phone_mac: str | None = None) -> list[Line]: ...
    def assign_line(self, line_id: int, phone_mac: str | None) -> None: ...
    def delete_line(self, line_id: int) -> None: ...

    # PBX numbering
    def add_outbound_prefix(self, prefix: str) -> None: ...
    def list_outbound_prefixes(self) -> list[str]: ...
    def remove_outbound_prefix(self, prefix: str) -> None: ...

    def close(self) -> None: ...
