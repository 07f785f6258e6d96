"""Which phones hold an out-of-date configuration, and what a configuration depends on.

A phone's configuration is a function of: the module (id and version), the phone's own
variables (type, lines with their users' names and SIP credentials, admin password, the
dialplan), the module-visible global settings and the module's firmware/logo content ids.
`config_fingerprint` hashes exactly those inputs.  When the phone is served a file after
associatePhone, the fingerprint of that moment is stored with its $LAST_CONFIG; a phone is
*stale* while the fingerprint its inputs have now differs from the stored one, that is until
it fetches again.  Pure functions here; `expected_fingerprints` reads the store and asks the
engine for dialplans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import trio

from provhost.engine import ActiveModule, Engine
from provhost.hoststate import HostState, Snapshot
from provhost.mac import pretty_mac
from provhost.moduleapi.fingerprint import config_fingerprint
from provhost.moduleapi.variables import phone_vars, settings_vars
from provhost.store import thread_store
from provhost.store.base import Line, PhoneRecord, User

__all__ = ["PhoneState", "config_fingerprint", "phone_states", "stale_phones"]


@dataclass(frozen=True)
class PhoneState:
    mac: str
    expected: str | None  # None: no active module/type can generate its configuration
    current: bool  # the phone last fetched exactly this configuration
    reason: str  # why it is stale ("" when current)

    def view(self, phone: PhoneRecord) -> dict[str, Any]:
        return {"mac": self.mac, "mac_pretty": pretty_mac(self.mac),
                "phone_type": phone.phone_type, "module": phone.module_id,
                "last_ip": phone.last_ip, "reason": self.reason,
                "last_fetch": phone.last_config_at, "resync_result": phone.resync_result,
                "resync_at": phone.resync_at}


@dataclass(frozen=True)
class _Inputs:
    """What the store says about every phone: read in a thread on its own connection."""

    phones: list[PhoneRecord]
    lines: dict[str, list[Line]]
    users: dict[int, User]


def _read_inputs(state: HostState) -> _Inputs:
    """Phones, their lines (one query for all, not one per phone) and users, on a
    connection of this thread's own: the loop's connection stays the loop's."""
    with thread_store(state.store, state.paths.database) as store:
        return _Inputs(store.list_phones(), lines_by_phone(store.list_lines()),
                       {u.id: u for u in store.list_users()})


async def phone_states(engine: Engine) -> list[tuple[PhoneRecord, PhoneState]]:
    """Every phone with the fingerprint its configuration would have now.

    Reading the store and hashing run in threads; only the modules' dialplans (which may
    need their sandbox, and only modules that have phones) are made on the loop."""
    snapshot = engine.state.snapshot()
    inputs = await trio.to_thread.run_sync(_read_inputs, engine.state)
    active = {am.id: am for am in engine.chain()}
    dialplans: dict[str, dict[str, str]] = {}
    for mid in sorted({p.module_id for p in inputs.phones} & active.keys()):
        dialplans[mid] = await engine.dialplans(active[mid], snapshot.dialplan)
    return await trio.to_thread.run_sync(_fingerprints, inputs, active, dialplans, snapshot)


def _fingerprints(inputs: _Inputs, active: dict[str, ActiveModule],
                  dialplans: dict[str, dict[str, str]],
                  snapshot: Snapshot) -> list[tuple[PhoneRecord, PhoneState]]:
    visible = settings_vars(snapshot.settings)
    out = []
    for phone in inputs.phones:
        am = active.get(phone.module_id)
        ptype = am.entry.module.phone_type(phone.phone_type) if am is not None else None
        if am is None or ptype is None:
            out.append((phone, PhoneState(
                phone.mac, None, False,
                f"module {phone.module_id} or type {phone.phone_type} inactive")))
            continue
        config = phone_vars(phone, ptype, inputs.lines.get(phone.mac, []), inputs.users,
                            dialplans[am.id])
        expected = config_fingerprint(am.id, am.entry.build, config, visible,
                                      dict(snapshot.content_ids(am.id)))
        if phone.config_fingerprint is None:
            reason = "never fetched its configuration"
        elif phone.config_fingerprint != expected:
            reason = "configuration changed since the phone last fetched it"
        else:
            reason = ""
        out.append((phone, PhoneState(phone.mac, expected, not reason, reason)))
    return out


def lines_by_phone(lines: list[Line]) -> dict[str, list[Line]]:
    """Lines grouped by phone, each phone's in the order list_lines(mac) gives."""
    out: dict[str, list[Line]] = {}
    for line in sorted(lines, key=lambda x: (x.position, x.id)):
        if line.phone_mac is not None:
            out.setdefault(line.phone_mac, []).append(line)
    return out


async def stale_phones(engine: Engine) -> list[dict[str, Any]]:
    return [state.view(phone) for phone, state in await phone_states(engine)
            if not state.current]
