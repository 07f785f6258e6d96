"""Every registry change reaches every running server: a module installed, upgraded,
enabled, disabled, reloaded or removed by any process (the CLI, the API, another server
on the same store) is applied here within `interval` seconds, without a restart.

The watcher compares the store's module rows (a handful; reading them is cheap) with what
it applied last; on a difference it reloads the registry in a thread and lets the engine
refresh, which swaps pools without a gap (engine.Engine.refresh).  It also removes, every
`collect_every` seconds, installed versions nobody uses any more (module_dirs.collect).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import trio

from provhost import module_dirs
from provhost.engine import Engine
from provhost.hoststate import HostState
from provhost.store import thread_store

log = logging.getLogger("provhost.modules")


def _load_with_own_connection(state: HostState) -> None:
    """Reload the registry in a thread on its own SQLite connection (never the loop's)."""
    with thread_store(state.store, state.paths.database) as store:
        state.registry.load(store)


def _collect_with_own_connection(state: HostState) -> None:
    with thread_store(state.store, state.paths.database) as store:
        module_dirs.collect(state.paths, store)


class RegistryWatcher:
    def __init__(self, engine: Engine, *, interval: float = 0.5,
                 collect_every: float = 30.0, on_change: Callable[[], None] | None = None
                 ) -> None:
        self.engine = engine
        self.on_change = on_change  # the resync watcher: phones of a changed module
        self.interval = interval
        self.collect_every = collect_every
        self._seen = self._signature()

    def _signature(self) -> tuple[tuple[object, ...], ...]:
        return tuple((s.module_id, s.version, s.path, s.enabled, s.sequence, s.quarantined,
                      s.runtime, s.installed_at)
                     for s in self.engine.state.store.list_modules())

    async def check(self) -> bool:
        """Apply a change made anywhere; True when there was one."""
        current = self._signature()
        if current == self._seen:
            return False
        self._seen = current
        state = self.engine.state
        await trio.to_thread.run_sync(_load_with_own_connection, state)
        await self.engine.refresh()
        if self.on_change is not None:
            self.on_change()
        log.info("modules changed: the chain is now %s",
                 ", ".join(f"{a.id} {a.entry.state.version}" for a in self.engine.chain()))
        return True

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                  ) -> None:
        task_status.started()
        since_collect = 0.0
        while True:
            await trio.sleep(self.interval)
            try:
                await self.check()
                since_collect += self.interval
                if since_collect >= self.collect_every:
                    since_collect = 0.0
                    await trio.to_thread.run_sync(_collect_with_own_connection,
                                                  self.engine.state)
            except Exception:  # a broken module or a busy store must not stop the watcher
                log.exception("registry watcher: could not apply a module change")
