"""The service layer: every administrative operation, shared by the CLI and the REST API.

Methods take and return plain data (dicts, lists, strings) so both front ends render them
the same way; a refused operation raises ServiceError with a one-line message.
"""

from __future__ import annotations

import base64
import dataclasses
import tempfile
import zipfile
from functools import partial
from pathlib import Path
from typing import Any

import trio

from provhost import settings as settings_mod
from provhost import signing
from provhost.auth.nonce_key import PHONE_AUTH_KEY_FILE, KeyFileError
from provhost.hoststate import HostState, PhoneAuthContext
from provhost.mac import MacError, normalize_mac, pretty_mac
from provhost.moduleapi.module_globals import unpack_all
from provhost.moduleformat.archive import extract_module
from provhost.moduleformat.loader import check_module
from provhost.moduleformat.model import FormatError
from provhost.paths import Paths
from provhost.privatefile import create_private
from provhost.registry import ModuleEntry, Registry, RegistryError
from provhost.runtime.select import runtime_name_for
from provhost.store import Store
from provhost.store.base import Line, PhoneRecord, StoreError
from provhost.store.sqlite import PROVISION_PASSWORD_LENGTH, generate_password
from provhost.uploads import PhoneUploads, UploadRefused

__all__ = ["PHONE_AUTH_KEY_FILE", "PhoneAuthContext", "Service", "ServiceError"]


class ServiceError(Exception):
    pass


_ERRORS = (KeyFileError, RegistryError, StoreError, MacError, settings_mod.SettingError,
           FormatError,
           signing.SignatureError, UploadRefused)


def module_view(e: ModuleEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.module.info.name,
        "version": e.state.version,
        "kind": e.state.kind,
        "enabled": e.state.enabled,
        "sequence": e.sequence,
        "signed": e.state.signed_by is not None,
        "signed_by": e.state.signed_by,
        "quarantined": e.state.quarantined,
        "runtime": e.state.runtime or "",  # pinned runtime; "" = the default for its kind
        "phone_types": [t.ident for t in e.module.phone_types],
        "dev": e.state.dev_source,  # `module dev`: the directory being edited
    }


def phone_view(p: PhoneRecord, lines: list[Line]) -> dict[str, Any]:
    return {
        "mac": p.mac,
        "mac_pretty": pretty_mac(p.mac),
        "phone_type": p.phone_type,
        "module": p.module_id,
        "last_ip": p.last_ip,
        "first_seen": p.first_seen,
        "last_seen": p.last_seen,
        "admin_password": p.admin_password,
        "lines": [line_view(x) for x in lines],
        "last_config_at": p.last_config_at,
        "provision_auth": p.provision_auth,
    }


def line_view(x: Line) -> dict[str, Any]:
    return {
        "id": x.id, "telnum": x.telnum, "sip_username": x.sip_username,
        "sip_password": x.sip_password, "user_id": x.user_id, "phone": x.phone_mac,
        "position": x.position, "label": x.label,
    }


def phone_auth_view(p: PhoneRecord, *, reveal: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"mac": p.mac, "mac_pretty": pretty_mac(p.mac),
                            "state": p.provision_auth, "user": p.provision_user}
    if reveal:
        view["password"] = p.provision_password
    return view


def _choices_of(name: str) -> list[str]:
    """The values a setting accepts when they are few: found by asking its own check."""
    candidates = ("1", "0", "native", "wasm", "off", "new")
    accepted = []
    for value in candidates:
        try:
            if settings_mod.validate(name, value) == value:
                accepted.append(value)
        except settings_mod.SettingError:
            pass
    try:  # a free-form setting (text, numbers) accepts something outside the list too
        settings_mod.validate(name, "2")
        return []
    except settings_mod.SettingError:
        return accepted if len(accepted) >= 2 else []


class Service:
    """The administrator's façade over a HostState: views, validation, ServiceError."""

    def __init__(self, paths: Paths | None = None, *, state: HostState | None = None) -> None:
        if state is None:
            if paths is None:
                raise TypeError("Service needs paths or a HostState")
            state = HostState(paths)
        self.state = state

    @property
    def paths(self) -> Paths:
        return self.state.paths

    @property
    def store(self) -> Store:
        return self.state.store

    @property
    def registry(self) -> Registry:
        return self.state.registry

    def close(self) -> None:
        self.state.close()

    def _guard(self, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except _ERRORS as e:
            raise ServiceError(str(e)) from None

    # -- settings ---------------------------------------------------------------------
    def settings(self) -> dict[str, str]:
        """Every setting's effective value (from the state's snapshot)."""
        return self.state.settings()

    def setting_get(self, name: str) -> str:
        values = self.settings()
        if name not in values:
            raise ServiceError(f"unknown setting {name!r}; known: {', '.join(sorted(values))}")
        return values[name]

    def setting_list(self) -> list[dict[str, Any]]:
        """Every setting with its description, default, current value and, for a setting
        with a fixed set of values, those values (for forms)."""
        values = self.settings()
        return [{"name": s.name, "value": values[s.name], "default": s.default,
                 "help": s.help, "module_visible": s.module_visible,
                 "choices": _choices_of(s.name)}
                for s in settings_mod.SETTINGS.values()]

    def setting_set(self, name: str, value: str) -> str:
        normalised = self._guard(settings_mod.validate, name, value)
        self.store.set_setting(name, normalised)
        return normalised

    # -- modules ----------------------------------------------------------------------
    def module_list(self) -> list[dict[str, Any]]:
        default = self.settings()["ADDON_RUNTIME"]
        return [{**module_view(e), "runs_on": runtime_name_for(e.state.kind, e.state.runtime,
                                                               default)}
                for e in self.registry.entries()]

    def module_install(self, source: Path, *, allow_unsigned: bool = False,
                       force: bool = False) -> dict[str, Any]:
        allow = allow_unsigned or self.setting_get("ALLOW_UNSIGNED_MODULES") == "1"
        entry = self._guard(self.registry.install, source, allow_unsigned=allow, force=force)
        return module_view(entry)

    def module_dev(self, source: Path, *, allow_unsigned: bool = False) -> dict[str, Any]:
        """Run a module from its author's directory (a validated snapshot, renewed by
        module_reload); only where unsigned modules are allowed."""
        if not (allow_unsigned or self.setting_get("ALLOW_UNSIGNED_MODULES") == "1"):
            raise ServiceError("a module in development is unsigned: allow it explicitly "
                               "(--allow-unsigned, or the setting ALLOW_UNSIGNED_MODULES)")
        return module_view(self._guard(self.registry.install_dev, source))

    def module_reload(self, module_id: str) -> dict[str, Any]:
        """Re-read a module in development; the previous snapshot stays on any error."""
        return module_view(self._guard(self.registry.reload, module_id))

    async def module_install_off_loop(self, source: Path, *, allow_unsigned: bool = False,
                                      force: bool = False) -> dict[str, Any]:
        """module_install for a server: unpacking and signature checking run in a thread,
        so the loop keeps answering phones; the store is written on the loop."""
        allow = allow_unsigned or self.setting_get("ALLOW_UNSIGNED_MODULES") == "1"
        trusted = self.store.trusted_keys()
        staged = await trio.to_thread.run_sync(partial(
            self._guard, self.registry.stage, source, allow_unsigned=allow, trusted=trusted))
        return module_view(self._guard(self.registry.commit, staged, force=force))

    def module_remove(self, module_id: str) -> None:
        self._guard(self.registry.remove, module_id)

    def module_enable(self, module_id: str) -> dict[str, Any]:
        return module_view(self._guard(self.registry.enable, module_id))

    def module_disable(self, module_id: str) -> dict[str, Any]:
        return module_view(self._guard(self.registry.disable, module_id))

    def module_sequence(self, module_id: str, sequence: str | None) -> dict[str, Any]:
        return module_view(self._guard(self.registry.set_sequence, module_id, sequence))

    def module_runtime(self, module_id: str, runtime: str | None) -> dict[str, Any]:
        return module_view(self._guard(self.registry.set_runtime, module_id, runtime))

    def module_vars(self, module_id: str) -> dict[str, Any]:
        """A module's persistent globals (setModuleVar), for administrators."""
        self._guard(self.registry.get, module_id)
        return unpack_all(self.store.module_globals(module_id).get(module_id, {}))

    def module_check(self, source: Path) -> list[dict[str, Any]]:
        return [{**dataclasses.asdict(p), "text": str(p)} for p in check_module(source)]

    def module_verify(self, source: Path) -> dict[str, Any]:
        module, verdict = self._guard(self.registry.verify, source)
        return {"id": module.info.id, "version": module.info.version,
                "signed": verdict.signed, "signed_by": verdict.key_name}

    def module_sign(self, source: Path, key_file: Path, output: Path, signer: str) -> dict[str, Any]:
        """Sign a module directory or zip with a private key; write a signed zip."""
        pem = key_file.read_bytes()
        with tempfile.TemporaryDirectory() as scratch:
            root = self._guard(extract_module, source, Path(scratch) / "m")
            self._guard(signing.sign_tree, root, pem, signer)
            tmp_out = output.with_suffix(output.suffix + ".part")
            with zipfile.ZipFile(tmp_out, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(p for p in root.rglob("*") if p.is_file()):
                    zf.write(path, path.relative_to(root).as_posix())
            tmp_out.replace(output)
        return {"output": str(output), "signer": signer}

    @staticmethod
    def key_generate(private_out: Path) -> dict[str, Any]:
        """A new key pair; the private key is created owner-only, never over an existing file."""
        pem, public = signing.generate_key()
        if not create_private(private_out, pem):
            raise ServiceError(f"{private_out} already exists; not overwriting a key")
        return {"private_key": str(private_out), "public_key": base64.b64encode(public).decode(),
                "key_id": signing.key_id(public)}

    def key_trust(self, name: str, public_key: str) -> dict[str, Any]:
        raw = self._guard(signing.parse_public_key, public_key)
        self.store.add_trusted_key(name, raw)
        return {"name": name, "key_id": signing.key_id(raw)}

    def key_list(self) -> list[dict[str, Any]]:
        return [{"name": n, "key_id": signing.key_id(k)} for n, k in
                sorted(self.store.trusted_keys().items())]

    def key_remove(self, name: str) -> None:
        self._guard(self.store.remove_trusted_key, name)

    # -- phones -----------------------------------------------------------------------
    def _mac(self, text: str) -> str:
        return self._guard(normalize_mac, text)

    def module_for_type(self, phone_type: str) -> str:
        for e in self.registry.chain():
            if any(t.ident == phone_type for t in e.module.phone_types):
                return e.id
        raise ServiceError(f"no enabled module has a phone type {phone_type!r}")

    def phone_list(self) -> list[dict[str, Any]]:
        return [phone_view(p, self.store.list_lines(p.mac)) for p in self.store.list_phones()]

    def phone_show(self, mac: str) -> dict[str, Any]:
        m = self._mac(mac)
        phone = self.store.get_phone(m)
        if phone is None:
            raise ServiceError(f"no phone with MAC {pretty_mac(m)}")
        return phone_view(phone, self.store.list_lines(m))

    def phone_add(self, mac: str, phone_type: str, module_id: str | None = None) -> dict[str, Any]:
        m = self._mac(mac)
        mid = module_id or self.module_for_type(phone_type)
        entry = self._guard(self.registry.get, mid)
        if not any(t.ident == phone_type for t in entry.module.phone_types):
            raise ServiceError(f"module {mid} has no phone type {phone_type!r}")
        self._guard(self.store.create_phone, m, phone_type, mid, "", auto_line=False,
                    provision_auth=self.settings()["PROVISION_AUTH"] == "new")
        return self.phone_show(m)

    def phone_set_password(self, mac: str, password: str | None = None) -> dict[str, Any]:
        """A new web-administration password (generated when not given)."""
        m = self._mac(mac)
        self._guard(self.store.set_admin_password, m, password or generate_password())
        return self.phone_show(m)

    def phone_remove(self, mac: str) -> None:
        m = self._mac(mac)
        self._guard(self.store.delete_phone, m)
        self.uploads().remove_phone(m)

    # -- per-phone provisioning credentials (HTTP digest) --------------------------------
    def phone_auth(self) -> PhoneAuthContext:
        """The nonce key (data directory, 0600) and the replay guard, made on first use."""
        return self._guard(self.state.phone_auth)

    def _phone(self, mac: str) -> PhoneRecord:
        m = self._mac(mac)
        phone = self.store.get_phone(m)
        if phone is None:
            raise ServiceError(f"no phone with MAC {pretty_mac(m)}")
        return phone

    def phone_auth_on(self, mac: str) -> dict[str, Any]:
        """Fresh credentials, pending: the phone's next configuration carries them, and
        from the fetch after that on, HTTP(S) requests for it must authenticate."""
        phone = self._phone(mac)
        self._guard(self.store.set_provision_auth, phone.mac, "pending", phone.mac,
                    generate_password(PROVISION_PASSWORD_LENGTH))
        return self.phone_auth_show(phone.mac)

    def phone_auth_off(self, mac: str) -> dict[str, Any]:
        phone = self._phone(mac)
        self._guard(self.store.set_provision_auth, phone.mac, "off", "", "")
        return self.phone_auth_show(phone.mac)

    def phone_auth_show(self, mac: str, *, reveal: bool = False) -> dict[str, Any]:
        return phone_auth_view(self._phone(mac), reveal=reveal)

    # -- files phones uploaded ----------------------------------------------------------
    def uploads(self) -> PhoneUploads:
        return self.state.uploads()

    def phone_uploads(self, mac: str) -> list[dict[str, Any]]:
        m = self._mac(mac)
        self.phone_show(m)
        return [u.view() for u in self.uploads().list(m)]

    def phone_upload_read(self, mac: str, name: str) -> bytes:
        m = self._mac(mac)
        self.phone_show(m)
        return self._guard(self.uploads().read, m, name)

    def accept_upload(self, mac_text: str, name: str, data: bytes, client_ip: str) -> str:
        """Store what a phone uploaded after a module accepted it; the stored name."""
        return self._guard(self.state.accept_upload, mac_text, name, data, client_ip)

    # -- users and lines --------------------------------------------------------------
    def user_add(self, username: str, fullname: str) -> dict[str, Any]:
        u = self._guard(self.store.add_user, username, fullname)
        return {"id": u.id, "username": u.username, "fullname": u.fullname}

    def user_list(self) -> list[dict[str, Any]]:
        return [{"id": u.id, "username": u.username, "fullname": u.fullname}
                for u in self.store.list_users()]

    def _user_id(self, username: str) -> int:
        u = self.store.find_user(username)
        if u is None:
            raise ServiceError(f"no user named {username!r}")
        return u.id

    def user_rename(self, username: str, fullname: str) -> dict[str, Any]:
        uid = self._user_id(username)
        self._guard(self.store.update_user, uid, fullname)
        return {"id": uid, "username": username, "fullname": fullname}

    def user_remove(self, username: str) -> None:
        self._guard(self.store.delete_user, self._user_id(username))

    def line_add(self, telnum: str, *, user: str | None = None, phone: str | None = None,
                 sip_username: str | None = None, sip_password: str | None = None,
                 label: str = "") -> dict[str, Any]:
        self._guard(settings_mod.check_number, telnum, "extension")
        line = self._guard(
            self.store.add_line, telnum, sip_username=sip_username, sip_password=sip_password,
            user_id=None if user is None else self._user_id(user),
            phone_mac=None if phone is None else self._mac(phone), label=label,
        )
        return line_view(line)

    def line_list(self, phone: str | None = None) -> list[dict[str, Any]]:
        return [line_view(x) for x in
                self.store.list_lines(None if phone is None else self._mac(phone))]

    def _line_id(self, telnum: str) -> int:
        for x in self.store.list_lines():
            if x.telnum == telnum:
                return x.id
        raise ServiceError(f"no line with extension {telnum}")

    def line_assign(self, telnum: str, phone: str | None) -> dict[str, Any]:
        lid = self._line_id(telnum)
        self._guard(self.store.assign_line, lid, None if phone is None else self._mac(phone))
        line = self.store.get_line(lid)
        assert line is not None
        return line_view(line)

    def line_remove(self, telnum: str) -> None:
        self._guard(self.store.delete_line, self._line_id(telnum))

    def prefix_add(self, prefix: str) -> None:
        self._guard(settings_mod.check_number, prefix, "outbound prefix")
        self.store.add_outbound_prefix(prefix)

    def prefix_list(self) -> list[str]:
        return self.store.list_outbound_prefixes()

    def prefix_remove(self, prefix: str) -> None:
        self._guard(self.store.remove_outbound_prefix, prefix)

