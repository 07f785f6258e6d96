"""Markers every node sees: the MarkerTable interface over the shared PostgreSQL store.

Why: behind a load balancer that does not keep a phone's address on one node, a Yealink's
common-file request may reach node A and its MAC-file request node B; node B must see the
marker node A set.  Expiry uses the database's clock, so nodes' clocks need not agree.
Cost: one indexed read per request and one write per marker set; within one node the
processes need none of it (their kernels keep an address on one process), so this is used
only when the store is PostgreSQL (server/main.py).
"""

from __future__ import annotations

from typing import Protocol

from provhost.chain.markers import MAX_MARKERS_PER_IP, MarkerError, check_marker


class MarkerStore(Protocol):
    def set_marker(self, ip: str, name: str, value: str, lifetime: float,
                   max_per_ip: int) -> bool: ...
    def markers(self, ip: str) -> dict[str, str]: ...


class SharedMarkerTable:
    def __init__(self, lifetime: float, store: MarkerStore) -> None:
        self.lifetime = lifetime
        self._store = store

    def set(self, ip: str, name: str, value: object) -> None:
        text = check_marker(name, value)
        if not self._store.set_marker(ip, name, text, self.lifetime, MAX_MARKERS_PER_IP):
            raise MarkerError(f"more than {MAX_MARKERS_PER_IP} markers for one client")

    def get(self, ip: str) -> dict[str, str]:
        return self._store.markers(ip)
