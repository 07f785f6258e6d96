"""Global settings the modules see (OPERATOR_IP, TIMEZONE_OFFSET, ...): names, defaults, checks.

Pure: validation returns the normalised value or raises SettingError with a clear message.
The store keeps only values an administrator set; defaults live here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass


class SettingError(ValueError):
    pass


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise SettingError(f"expected an IP address, got {value!r}") from None


def _int(value: str) -> str:
    try:
        return str(int(value.strip()))
    except ValueError:
        raise SettingError(f"expected an integer, got {value!r}") from None


def _bool(value: str) -> str:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return "1"
    if v in ("0", "false", "no", "off"):
        return "0"
    raise SettingError(f"expected 1/0 (or true/false), got {value!r}")


def _digits(value: str) -> str:
    v = value.strip()
    if not v or not all(c.isdigit() or c in "*#" for c in v):
        raise SettingError(f"expected a dialable number (digits, * or #), got {value!r}")
    return v


def check_number(value: str, what: str) -> str:
    """Extensions and prefixes: what a phone's keypad can dial."""
    try:
        return _digits(value)
    except SettingError as e:
        raise SettingError(f"{what}: {e}") from None


def _offset(value: str) -> str:
    """`auto` (follow TIMEZONE, daylight saving included) or a pinned number of seconds."""
    if value.strip().lower() == "auto":
        return "auto"
    v = _int(value)
    if abs(int(v)) > 14 * 3600:
        raise SettingError(f"expected seconds between -50400 and 50400, got {value!r}")
    return v


def _zone(value: str) -> str:
    from provhost.timezone import valid_zone

    v = value.strip()
    if v and not valid_zone(v):
        raise SettingError(f"expected a tz database name like Europe/Prague, got {value!r}")
    return v


def _operator_ip(value: str) -> str:
    return value.strip() and _ip(value)


def _range(value: str) -> str:
    low, sep, high = value.strip().partition("-")
    if not (sep and low.isdigit() and high.isdigit() and int(low) <= int(high)):
        raise SettingError(f"expected a number range like 100-199, got {value!r}")
    return f"{int(low)}-{int(high)}"


def _runtime(value: str) -> str:
    if value.strip() not in ("native", "wasm"):
        raise SettingError(f"expected native or wasm, got {value!r}")
    return value.strip()


def _provision_auth(value: str) -> str:
    v = value.strip().lower()
    if v not in ("off", "new"):
        raise SettingError(f"expected off or new, got {value!r}")
    return v


def _text(value: str) -> str:
    return value


def _channel(value: str) -> str:
    if value.strip() not in ("stable", "testing", "archive"):
        raise SettingError(f"expected stable, testing or archive, got {value!r}")
    return value.strip()


def _location(value: str) -> str:
    """Empty, an http(s) URL or an absolute directory: a mirror or repository location."""
    v = value.strip()
    if v and not v.lower().startswith(("http://", "https://")) and not v.startswith("/"):
        raise SettingError(f"expected an http(s) URL or an absolute directory, got {value!r}")
    return v


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    check: Callable[[str], str]
    help: str
    module_visible: bool = True  # passed to module scripts as $NAME


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in [
        Setting("OPERATOR_IP", "", _operator_ip,
                "address phones use to reach the PBX and this server; empty: the address "
                "each request arrived on (the phone's last one for resync and review)"),
        Setting("TIMEZONE", "", _zone,
                "the local time zone as a tz database name (Europe/Prague); empty: UTC"),
        Setting("TIMEZONE_OFFSET", "auto", _offset,
                "UTC offset in seconds; auto: TIMEZONE's offset at the moment of each "
                "request (daylight saving included)"),
        Setting("VOICEMAIL_EXT", "50", _digits, "voicemail access extension"),
        Setting("DISPLAY_LOGO", "1", _bool, "whether phones should show the uploaded logo"),
        Setting("AUTO_EXTENSION", "0", _bool,
                "create an extension for a phone seen for the first time", module_visible=False),
        Setting("AUTO_EXTENSION_RANGE", "100-199", _range,
                "numbers used by automatic extension creation", module_visible=False),
        Setting("MARKER_LIFETIME", "60", _int, "seconds a marker stays bound to a client IP",
                module_visible=False),
        Setting("ALLOW_UNSIGNED_MODULES", "0", _bool,
                "accept add-on modules without a trusted signature (testing only)",
                module_visible=False),
        Setting("FTP_ANONYMOUS", "1", _bool,
                "allow anonymous FTP provisioning (otherwise: phone MAC + admin password)",
                module_visible=False),
        Setting("PBX_NAME", "provhost", _text, "a name phones may display"),
        Setting("ADDON_RUNTIME", "wasm", _runtime,
                "runtime of add-on modules not pinned to one: wasm (PHP in WebAssembly inside "
                "the sandbox) or native (the sandboxed PHP worker)", module_visible=False),
        Setting("SIP_PORT", "5060", _int,
                "UDP port phones take SIP on (SIPNOTIFY resync; a type's SIPNOTIFY_port wins)",
                module_visible=False),
        Setting("SIP_NOTIFY_TIMEOUT", "32", _int,
                "seconds to wait for a phone's answer to a SIP NOTIFY (RFC 3261 timer F)",
                module_visible=False),
        Setting("UPLOAD_MAX_SIZE", "1048576", _int,
                "largest file a phone may upload (logs, overrides), in bytes",
                module_visible=False),
        Setting("UPLOAD_SAME_IP", "1", _bool,
                "store a phone's upload only from the address it last fetched a file from",
                module_visible=False),
        # Trust on first use: the first configuration (which carries the credentials) is
        # still fetched unauthenticated; see docs/security.md section 3.
        Setting("PROVISION_AUTH", "off", _provision_auth,
                "per-phone HTTP(S) digest credentials: new = every phone created from now "
                "on gets credentials in its first configuration and must authenticate "
                "afterwards; off = only phones given them with `phone auth MAC on`",
                module_visible=False),
        Setting("FIRMWARE_MIRROR", "", _location,
                "firmware mirror tried before the vendors' URIs: an http(s) URL or a "
                "directory laid out as <sha256>/<file> (`provhost firmware mirror` fills "
                "one); empty: vendors only", module_visible=False),
        Setting("MODULE_REPOSITORY", "", _location,
                "module repository: an http(s) URL or a directory holding plugins/1/<channel>/ "
                "(`provhost repo init` makes one); empty: none", module_visible=False),
        Setting("MODULE_CHANNEL", "stable", _channel,
                "the repository channel modules are installed from: stable, testing (try "
                "new versions) or archive", module_visible=False),
        Setting("MODULE_REPOSITORY_KEY", "", _text,
                "name of the trusted key (`provhost module trust`) that signs the "
                "repository's index", module_visible=False),
        Setting("MODULE_CACHE", "1", _bool,
                "reuse downloaded module zips of the same version (off: fetch again every "
                "time, for module authors; the seed's cache_plugin)", module_visible=False),
    ]
}


def validate(name: str, value: str) -> str:
    setting = SETTINGS.get(name)
    if setting is None:
        known = ", ".join(sorted(SETTINGS))
        raise SettingError(f"unknown setting {name!r}; known settings: {known}")
    try:
        return setting.check(value)
    except SettingError as e:
        raise SettingError(f"{name}: {e}") from None


def effective(stored: dict[str, str]) -> dict[str, str]:
    """Every setting with its value: the stored one, else the default."""
    return {name: stored.get(name, s.default) for name, s in SETTINGS.items()}
