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

from provhost.engine import Engine
from provhost.mac import pretty_mac
from provhost.moduleapi.fingerprint import config_fingerprint
from provhost.moduleapi.variables import phone_vars, settings_vars
from provhost.store.base import Line, PhoneRecord

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


async def phone_states(engine: Engine) -> list[tuple[PhoneRecord, PhoneState]]:
    """Every phone with the fingerprint its configuration would have now."""
    state = engine.state
    snapshot = state.snapshot()
    visible = settings_vars(snapshot.settings)
    dialplan_input = snapshot.dialplan
    users = {u.id: u for u in state.store.list_users()}
    lines = lines_by_phone(state.store.list_lines())  # one query, not one per phone
    out = []
    for phone in state.store.list_phones():
        am = engine.get(phone.module_id)
        ptype = am.entry.module.phone_type(phone.phone_type) if am is not None else None
        if am is None or ptype is None:
            state = PhoneState(phone.mac, None, False,
                               f"module {phone.module_id} or type {phone.phone_type} inactive")
            out.append((phone, state))
            continue
        dialplans = await engine.dialplans(am, dialplan_input)
        config = phone_vars(phone, ptype, lines.get(phone.mac, []), users, dialplans)
        expected = config_fingerprint(am.id, am.entry.state.version, config, visible,
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
