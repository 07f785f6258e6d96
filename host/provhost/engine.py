"""The engine: the running half of provhost.  It keeps one sandbox pool per active module,
in chain order, and follows the registry when modules change or get quarantined.

Lifetimes: the engine lives inside the runtime's `async with`; every pool it opens belongs
to that runtime's nursery, so nothing outlives the server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import trio

from provhost.prepare import prepare_module
from provhost.registry import ModuleEntry
from provhost.runtime.interface import ModuleImage, ModulePool, Runtime
from provhost.service import Service

log = logging.getLogger("provhost.engine")

QUARANTINE_AFTER = 5  # consecutive script failures before a module is taken out of the chain


@dataclass
class ActiveModule:
    entry: ModuleEntry
    image: ModuleImage
    pool: ModulePool
    consecutive_failures: int = 0
    compiled_options: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.entry.id


class Engine:
    def __init__(self, service: Service, runtime: Runtime) -> None:
        self.service = service
        self.runtime = runtime
        self._active: dict[str, ActiveModule] = {}
        self._lock = trio.Lock()

    async def refresh(self) -> None:
        """Make the pools match the registry: open new/upgraded modules, close removed ones."""
        async with self._lock:
            wanted = {e.id: e for e in self.service.registry.chain()}
            for mid, am in list(self._active.items()):
                e = wanted.get(mid)
                if e is None or e.state.path != am.entry.state.path or \
                        e.state.version != am.entry.state.version:
                    del self._active[mid]
                    await am.pool.aclose()
            for mid, e in wanted.items():
                if mid in self._active:
                    self._active[mid].entry = e  # sequence or flags may have changed
                    continue
                try:
                    image = prepare_module(e, self.service.paths)
                    pool = await self.runtime.open_pool(image)
                except Exception as exc:  # one broken module must not stop the others
                    log.error("module %s: cannot start its sandbox: %s", mid, exc)
                    continue
                self._active[mid] = ActiveModule(e, image, pool)

    def chain(self) -> list[ActiveModule]:
        order = {e.id: i for i, e in enumerate(self.service.registry.chain())}
        return sorted((a for a in self._active.values() if a.id in order),
                      key=lambda a: order[a.id])

    def get(self, module_id: str) -> ActiveModule | None:
        return self._active.get(module_id)

    async def record_failure(self, am: ActiveModule, reason: str) -> None:
        am.consecutive_failures += 1
        if am.consecutive_failures >= QUARANTINE_AFTER:
            self.service.registry.quarantine(
                am.id, f"{am.consecutive_failures} consecutive failures; last: {reason}")
            await self.refresh()

    @staticmethod
    def record_success(am: ActiveModule) -> None:
        am.consecutive_failures = 0

    async def aclose(self) -> None:
        async with self._lock:
            for am in self._active.values():
                await am.pool.aclose()
            self._active.clear()
