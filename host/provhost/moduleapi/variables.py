"""The globals a module script starts with.  Pure functions of the request and host state,
so what a module sees is testable without running anything (docs/module-api.md lists them).
"""

from __future__ import annotations

import re
import time
from typing import Any

from provhost.moduleformat.model import FirmwareType, PhoneType
from provhost.settings import SETTINGS
from provhost.store.base import Line, PhoneRecord, User
from provhost.timezone import effective_offset


def phone_types_var(types: list[PhoneType]) -> dict[str, dict[str, Any]]:
    """$PHONE_TYPES: identifier -> MAX_LINES, NAME and every option (raw, unexpanded)."""
    return {t.ident: {"MAX_LINES": t.max_lines, "NAME": t.name, **t.options} for t in types}


def firmware_types_var(
    types: list[FirmwareType], content_ids: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """$FIRMWARE_TYPES: slot -> NAME, TYPE, options, and FW_CONTENT_ID when the slot is filled."""
    out: dict[str, dict[str, Any]] = {}
    for t in types:
        entry: dict[str, Any] = {"NAME": t.name, "TYPE": t.kind, **t.options}
        if t.ident in content_ids:
            entry["FW_CONTENT_ID"] = content_ids[t.ident]
        out[t.ident] = entry
    return out


def settings_vars(settings: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in settings.items():
        s = SETTINGS.get(name)
        if s is None or not s.module_visible:
            continue
        if name == "TIMEZONE_OFFSET":
            # "auto": the zone's offset now; requests recompute it (request_vars)
            out[name] = effective_offset(settings, time.time())
        elif name == "DISPLAY_LOGO":
            out[name] = value == "1"
        else:
            out[name] = value
    return out


def module_vars(
    *, module_id: str, settings: dict[str, str], phone_types: list[PhoneType],
    firmware_types: list[FirmwareType], content_ids: dict[str, str], dialplans: dict[str, str],
) -> dict[str, Any]:
    """The globals every request to one module shares until the store changes (settings,
    types, firmware content ids, generated dialplans): built once per change, not per
    request.  Callers must not mutate the result."""
    v = settings_vars(settings)
    v["MODULE_ID"] = module_id
    v["PHONE_TYPES"] = phone_types_var(phone_types)
    v["FIRMWARE_TYPES"] = firmware_types_var(firmware_types, content_ids)
    for name, text in dialplans.items():
        v[f"DIALPLAN_{name}"] = text
    return v


def cgi_header_vars(headers: dict[str, str]) -> dict[str, str]:
    """Kerio's $HTTP_*: every request header CGI style (User-Agent -> HTTP_USER_AGENT)."""
    out = {}
    for name, value in list(headers.items())[:MAX_HEADER_VARS]:
        if name in HIDDEN_HEADERS:
            continue
        key = "HTTP_" + _NOT_WORD.sub("_", name.upper().replace("-", "_"))
        out[key] = value
    return out


def tftp_option_vars(options: dict[str, str]) -> dict[str, str]:
    """Kerio's $OPT_*: the TFTP options of the request (RFC 2347), names as sent."""
    return {f"OPT_{_NOT_WORD.sub('_', k)}": v for k, v in list(options.items())[:32]}


def request_part(
    *, path: str, proto: str, client_ip: str, method: str, headers: dict[str, str],
    upload_size: int | None = None, server_ip: str = "",
    tftp_options: dict[str, str] | None = None, settings: dict[str, str] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The globals that depend on the request only: built once per request, shared by every
    module it is offered to.  Kerio's names ($PHONE_IP, $HTTP_*, $OPT_*) and provhost's own
    ($CLIENT_IP, $USER_AGENT, $REQUEST_HEADERS) are both set."""
    v: dict[str, Any] = cgi_header_vars(headers)
    v.update(tftp_option_vars(tftp_options or {}))
    v.update({
        "PATH": path,
        "PROTO": proto,
        "CLIENT_IP": client_ip,
        "PHONE_IP": client_ip,
        "REQUEST_METHOD": method,
        "UPLOAD": upload_size is not None,
        "UPLOAD_SIZE": upload_size or 0,
        "USER_AGENT": headers.get("user-agent", ""),
        # the phone's digest credentials are the host's business, not a module's
        "REQUEST_HEADERS": {k: v for k, v in headers.items() if k not in HIDDEN_HEADERS},
    })
    if settings is not None:
        v["OPERATOR_IP"] = operator_ip(settings, server_ip)
        v["TIMEZONE_OFFSET"] = effective_offset(settings, time.time() if now is None else now)
    return v


def script_globals(*, request: dict[str, Any], markers: dict[str, Any],
                   module: dict[str, Any], module_globals: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    """What one module's provider starts with, lowest precedence first: its persistent
    globals (setModuleVar), the client's markers, the module's shared globals
    (module_vars()), the request's (request_part()).  Nothing a module or a marker sets
    can shadow what provhost sets."""
    v: dict[str, Any] = dict(module_globals or {})
    v.update(markers)
    v.update(module)
    v.update(request)
    return v


def request_vars(*, markers: dict[str, Any], module: dict[str, Any], **request: Any
                 ) -> dict[str, Any]:
    """request_part() and script_globals() in one call (a single module, tests)."""
    return script_globals(request=request_part(**request), markers=markers, module=module)


def operator_ip(settings: dict[str, str], reached: str) -> str:
    """$OPERATOR_IP: the administrator's address if set, else the one the phone reached."""
    return settings.get("OPERATOR_IP") or reached or FALLBACK_OPERATOR_IP


FALLBACK_OPERATOR_IP = "127.0.0.1"  # nothing known (a one-off `provhost request`)
MAX_HEADER_VARS = 64
_NOT_WORD = re.compile(r"[^A-Za-z0-9_]")


HIDDEN_HEADERS = frozenset({"authorization", "proxy-authorization"})
PROVISION_VARS = ("PROVISION_USER", "PROVISION_PASSWORD")


def provision_defaults() -> dict[str, str]:
    """What a provider sees for a phone without provisioning credentials: empty strings.
    Kept out of `phone_vars` so that phones without credentials keep the configuration
    fingerprint (and $LAST_CONFIG) they had before credentials existed."""
    return dict.fromkeys(PROVISION_VARS, "")


def lines_var(lines: list[Line], users: dict[int, User]) -> list[dict[str, Any]]:
    out = []
    for x in lines:
        user = users.get(x.user_id) if x.user_id is not None else None
        out.append({
            "TELNUM": x.telnum,
            "USER_FULLNAME": user.fullname if user else x.label or x.telnum,
            "USER_NAME": user.username if user else "",
            "SIP_USERNAME": x.sip_username,
            "SIP_PASSWORD": x.sip_password,
            "LABEL": x.label or (user.fullname if user else x.telnum),
            **x.extra,
        })
    return out


def phone_vars(
    phone: PhoneRecord, phone_type: PhoneType, lines: list[Line], users: dict[int, User],
    dialplans: dict[str, str],
) -> dict[str, Any]:
    """What associatePhone() makes visible: the phone's own configuration.

    These values (without the type options) are also what is recorded as the phone's
    last configuration once it has read a file, for $LAST_CONFIG, and what its
    configuration fingerprint hashes.  The provisioning credentials are among them only
    when the phone has some: turning them on, off or renewing them changes the
    fingerprint (the phone must fetch its configuration again to learn them), while
    their state (pending -> required) does not."""
    v: dict[str, Any] = {
        "MAC": phone.mac,
        "IDENT": phone_type.ident,
        "PHONE_TYPE_NAME": phone_type.name,
        "MAX_LINES": phone_type.max_lines,
        "LINES": lines_var(lines[: phone_type.max_lines], users),
        "ADMIN_PASSWORD": phone.admin_password,
    }
    if phone.provision_user:
        v["PROVISION_USER"] = phone.provision_user
        v["PROVISION_PASSWORD"] = phone.provision_password
    dp_type = phone_type.options.get("DIALPLAN_TYPE")
    if dp_type and dp_type in dialplans:
        v["DIALPLAN"] = dialplans[dp_type]
    return v
