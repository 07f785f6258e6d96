"""MAC addresses as modules pass them: any common spelling in, 12 lowercase hex digits out."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[:\-.]")
_HEX12 = re.compile(r"[0-9a-f]{12}")


class MacError(ValueError):
    pass


def normalize_mac(text: str) -> str:
    """'11:22:33:44:55:66', '11-22-33-44-55-66', '1122.3344.5566', '112233445566' -> '112233445566'."""
    mac = _SEPARATORS.sub("", str(text).strip()).lower()
    if not _HEX12.fullmatch(mac):
        raise MacError(f"not a MAC address: {text!r} (expected 12 hexadecimal digits)")
    if mac == "000000000000" or mac == "ffffffffffff":
        raise MacError(f"not a phone's MAC address: {text!r}")
    return mac


def pretty_mac(mac: str) -> str:
    return ":".join(mac[i : i + 2] for i in range(0, 12, 2))
