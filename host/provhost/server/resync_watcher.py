"""Keep phones current: resync every phone whose configuration changed, automatically.

The watcher wakes when the management API changed something (`poke`) or, every
`interval` seconds, when another process (the CLI) committed to the database (SQLite's
`PRAGMA data_version`).  It then compares every phone's expected configuration fingerprint
with the one it last fetched (provhost.tracking) and resyncs each stale phone once per
target: a phone that was told to fetch fingerprint F is not told again until its inputs
change again or an administrator asks (`provhost phone reload`).  Phones that never
fetched a configuration have no address to reach and are left alone.
"""

from __future__ import annotations

import logging

import trio

from provhost.engine import Engine
from provhost.resync.runner import resync_phone
from provhost.runtime.interface import PoolClosed
from provhost.store.base import PhoneRecord
from provhost.tracking import PhoneState, phone_states

log = logging.getLogger("provhost.resync")


class ResyncWatcher:
    def __init__(self, engine: Engine, *, interval: float = 5.0, concurrency: int = 8) -> None:
        self.engine = engine
        self.interval = interval
        self.limiter = trio.CapacityLimiter(concurrency)
        self._wake = trio.Event()
        self.scans = 0  # completed scans, for tests and the API

    def poke(self) -> None:
        """Something phones depend on may have changed: scan soon."""
        self._wake.set()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                  ) -> None:
        store = self.engine.state.store
        seen_version: int | None = None  # None: scan at start
        # on a shared database (PostgreSQL) one process of all nodes leads the watcher
        lead = getattr(store, "try_lead", None)
        task_status.started()
        while True:
            if lead is not None and not await trio.to_thread.run_sync(lead, "resync"):
                seen_version = None  # the leader may die: then scan at once
                with trio.move_on_after(self.interval):
                    await self._wake.wait()
                self._wake = trio.Event()
                continue
            poked, self._wake = self._wake.is_set(), trio.Event()
            version = store.data_version()
            if poked or version != seen_version:
                seen_version = version
                try:
                    await self.scan()
                except Exception:  # a scan failing must not stop the server
                    log.exception("resync scan failed")
            with trio.move_on_after(self.interval):
                await self._wake.wait()

    async def scan(self) -> None:
        due = [(phone, state) for phone, state in await phone_states(self.engine)
               if _due(phone, state)]
        if due:
            log.info("%d phone(s) have a changed configuration: resyncing", len(due))
        async with trio.open_nursery() as nursery:
            for phone, state in due:
                nursery.start_soon(self._resync, phone, state)
        self.scans += 1

    async def _resync(self, phone: PhoneRecord, state: PhoneState) -> None:
        async with self.limiter:
            try:
                result = await resync_phone(self.engine, phone.mac)
            except PoolClosed:
                # its module was swapped while we worked (an upgrade, a dev reload): the
                # new version serves it; look again rather than record a failure
                log.info("resync of %s: its module was replaced meanwhile; rescanning",
                         phone.mac)
                self.poke()
                return
        verdict = f"{'ok' if result.ok else 'failed'} ({result.method}): {result.detail}"
        assert state.expected is not None
        self.engine.state.store.record_resync(phone.mac, state.expected, verdict[:500])


def _due(phone: PhoneRecord, state: PhoneState) -> bool:
    return (not state.current and state.expected is not None and bool(phone.last_ip)
            and phone.config_fingerprint is not None and phone.resync_target != state.expected)
