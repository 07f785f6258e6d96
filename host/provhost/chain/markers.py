"""Markers: small values a module binds to a client IP address for a short time (60 s by
default), visible as variables to every module on that IP's next requests.  This is how a
module recognises a phone across requests (Yealink: /y0000000000XX.cfg, then /<mac>.cfg).

A marker set in a request is visible from the *next* request on.  Setting it again renews
its lifetime.  The table is bounded (oldest IPs are dropped first) so a flood of addresses
cannot exhaust memory.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

MAX_MARKERS_PER_IP = 32
MAX_VALUE_LENGTH = 1024
MAX_IPS = 100_000


class MarkerError(ValueError):
    pass


def check_marker(name: str, value: object) -> str:
    """Markers become PHP globals: the name must be a plain identifier that cannot shadow a
    variable provhost sets (those are upper-case by convention)."""
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii():
        raise MarkerError(f"marker name must be an identifier, got {name!r}")
    if name.upper() == name:
        raise MarkerError(
            f"marker name {name!r} is reserved: upper-case names belong to provhost variables"
        )
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_VALUE_LENGTH:
        raise MarkerError(f"marker value longer than {MAX_VALUE_LENGTH} characters")
    return text


class MarkerTable:
    def __init__(self, lifetime: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.lifetime = lifetime
        self._clock = clock
        self._by_ip: OrderedDict[str, dict[str, tuple[str, float]]] = OrderedDict()

    def set(self, ip: str, name: str, value: object) -> None:
        text = check_marker(name, value)
        markers = self._by_ip.setdefault(ip, {})
        if name not in markers and len(markers) >= MAX_MARKERS_PER_IP:
            raise MarkerError(f"more than {MAX_MARKERS_PER_IP} markers for one client")
        markers[name] = (text, self._clock() + self.lifetime)
        self._by_ip.move_to_end(ip)
        while len(self._by_ip) > MAX_IPS:
            self._by_ip.popitem(last=False)

    def clear(self, ip: str) -> None:
        """Forget every marker of `ip` (a configuration review starts and ends with none)."""
        self._by_ip.pop(ip, None)

    def get(self, ip: str) -> dict[str, str]:
        markers = self._by_ip.get(ip)
        if not markers:
            return {}
        now = self._clock()
        live = {k: v for k, (v, expires) in markers.items() if expires > now}
        if len(live) != len(markers):
            for k in [k for k, (_, exp) in markers.items() if exp <= now]:
                del markers[k]
            if not markers:
                del self._by_ip[ip]
        return live
