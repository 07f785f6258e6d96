"""Run a phone's resync method: a module's resync/NAME.php in the sandbox, with the
phone's configuration, its LAST_CONFIG, and capabilities bound to the phone's address.

The phone type's options are expanded first (they may hold `{...}` PHP expressions, e.g.
RESYNC="{$vendor_resync}"), by the module's own sandbox, so RESYNC is read as the module
author meant it.  The expanded value is re-checked as a plain script name before use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import msgpack

from provhost.engine import ActiveModule, Engine
from provhost.moduleapi.capabilities import CapabilityBroker
from provhost.moduleapi.variables import operator_ip, phone_vars, settings_vars
from provhost.moduleformat.model import PhoneType
from provhost.moduleformat.names import is_script_name
from provhost.moduleformat.templates import compile_expression_string
from provhost.resync.phone_broker import PhoneBroker
from provhost.runtime.interface import Action, ScriptCall, ScriptKind
from provhost.sip import send_notify
from provhost.store.base import PhoneRecord

log = logging.getLogger("provhost.resync")

RESYNC_TIMEOUT = 30.0


@dataclass
class ResyncResult:
    mac: str
    method: str | None
    ok: bool
    detail: str
    actions: list[str]  # what was sent to the phone


async def expand_type_options(am: ActiveModule, ptype: PhoneType, mac: str) -> dict[str, str]:
    """Every option of the type, `{...}` expanded in the module's sandbox."""
    options = {k: compile_expression_string(v, "phone_types", ptype.line)
               for k, v in ptype.options.items()}
    call = ScriptCall(ScriptKind.EXPAND, "", {"IDENT": ptype.ident, "MAC": mac, "OPTIONS": options})
    outcome = await am.pool.run(call, CapabilityBroker(ScriptKind.EXPAND))
    if outcome.action is not Action.DONE:
        raise ValueError(f"phone_types options of {ptype.ident}: {outcome.error}")
    values = msgpack.unpackb(outcome.body)
    return {str(k): str(v) for k, v in values.items()}


def notify_credentials(phone: PhoneRecord) -> tuple[str, str | None]:
    """SIP user and password of the phone's first line as the phone knows them: from
    $LAST_CONFIG (a changed password is not on the phone until it has fetched again)."""
    last = (phone.last_config or {}).get("LINES") or []
    if last and isinstance(last[0], dict) and last[0].get("SIP_USERNAME"):
        return str(last[0]["SIP_USERNAME"]), str(last[0].get("SIP_PASSWORD") or "") or None
    return phone.mac, None  # never fetched a configuration: no credentials to offer


async def _sip_notify(settings: dict[str, str], phone: PhoneRecord,
                      options: dict[str, str]) -> ResyncResult:
    """The built-in method: NOTIFY Event: check-sync over UDP (docs/sip-notify.md)."""
    user, password = notify_credentials(phone)
    try:
        port = int(options.get("SIPNOTIFY_port") or settings["SIP_PORT"])
        result = await send_notify(
            phone.last_ip, port, user=user, password=password,
            auth=(options.get("SIPNOTIFY_auth") or "none").lower(),
            event=options.get("SIPNOTIFY_event") or "check-sync",
            arg=options.get("SIPNOTIFY_arg") or None,
            timer_f=max(float(settings["SIP_NOTIFY_TIMEOUT"]), 0.5))
    except ValueError as e:
        return ResyncResult(phone.mac, "SIPNOTIFY", False, f"SIPNOTIFY: {e}", [])
    action = f"NOTIFY sip:{user}@{phone.last_ip}:{port} ({result.sends} sent)"
    level = logging.INFO if result.ok else logging.WARNING
    log.log(level, "SIPNOTIFY to %s (%s): %s", phone.mac, phone.last_ip, result.detail)
    return ResyncResult(phone.mac, "SIPNOTIFY", result.ok, f"{result.outcome}: {result.detail}",
                        [action])


async def resync_phone(engine: Engine, mac: str) -> ResyncResult:
    state = engine.state
    phone = state.store.get_phone(mac)
    if phone is None:
        return ResyncResult(mac, None, False, f"no phone with MAC {mac}", [])
    am = engine.get(phone.module_id)
    if am is None:
        return ResyncResult(mac, None, False, f"module {phone.module_id} is not active", [])
    ptype = am.entry.module.phone_type(phone.phone_type)
    if ptype is None:
        return ResyncResult(mac, None, False,
                            f"module {am.id} has no phone type {phone.phone_type!r} any more", [])
    if not phone.last_ip:
        return ResyncResult(mac, None, False, "the phone has never fetched a file: no address", [])
    try:
        options = await expand_type_options(am, ptype, mac)
    except ValueError as e:
        return ResyncResult(mac, None, False, str(e), [])
    method = options.get("RESYNC", "")
    if not method:
        return ResyncResult(mac, None, False, f"phone type {ptype.ident} has no RESYNC method", [])
    if method == "SIPNOTIFY":
        return await _sip_notify(state.settings(), phone, options)
    if method.isupper():
        return ResyncResult(mac, method, False,
                            f"unknown built-in resync method {method} (provhost has SIPNOTIFY)",
                            [])
    if not is_script_name(method) or method not in am.entry.module.resync_scripts:
        return ResyncResult(mac, method, False,
                            f"RESYNC={method!r}: module {am.id} has no resync/{method}.php", [])
    users = {u.id: u for u in state.store.list_users()}
    snapshot = state.snapshot()
    dialplans = await engine.dialplans(am, snapshot.dialplan)
    variables: dict[str, Any] = settings_vars(snapshot.settings)
    variables.update({k: options[k] for k in ptype.custom_options()})
    variables.update(phone_vars(phone, ptype, state.store.list_lines(mac), users, dialplans))
    variables["MODULE_ID"] = am.id
    variables["LAST_CONFIG"] = phone.last_config or {}
    # Kerio's resync context: the phone's last address, and the server address it reached
    variables["LAST_IP"] = phone.last_ip
    variables["OPERATOR_IP"] = operator_ip(snapshot.settings, phone.last_server_ip)
    # the module's persistent globals, below everything provhost sets
    variables = {**snapshot.module_globals(am.id), **variables}
    broker = PhoneBroker(phone.last_ip, module_id=am.id, store=state.store)
    call = ScriptCall(ScriptKind.RESYNC, f"resync/{method}.php", variables, RESYNC_TIMEOUT)
    try:
        outcome = await am.pool.run(call, CapabilityBroker(ScriptKind.RESYNC, broker))
    finally:
        await broker.aclose()
    if outcome.action is Action.ERROR:
        log.error("module %s, resync/%s.php for %s: %s", am.id, method, mac, outcome.error)
        return ResyncResult(mac, method, False, outcome.error or "failed", broker.requests)
    return ResyncResult(mac, method, True, outcome.body.decode("utf-8", "replace").strip(),
                        broker.requests)
