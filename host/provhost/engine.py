"""The engine: the running half of provhost.  It keeps one sandbox pool per active module,
in chain order, and follows the registry when modules change or get quarantined.

Lifetimes: the engine lives inside the runtime's `async with`; every pool it opens belongs
to that runtime's nursery, so nothing outlives the server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import trio

from provhost import module_dirs
from provhost.hoststate import DialplanInput, HostState, Snapshot
from provhost.moduleapi.capabilities import CapabilityBroker
from provhost.moduleapi.variables import module_vars, settings_vars
from provhost.moduleformat.path_patterns import PathFilter, path_filter
from provhost.prepare import prepare_module
from provhost.registry import ModuleEntry
from provhost.runtime.interface import (
    Action,
    ModuleImage,
    ModulePool,
    Runtime,
    ScriptCall,
    ScriptKind,
    ScriptOutcome,
)
from provhost.runtime.select import runtime_name_for

log = logging.getLogger("provhost.engine")

QUARANTINE_AFTER = 5  # consecutive script failures before a module is taken out of the chain


__all__ = ["ActiveModule", "DialplanInput", "Engine"]


@dataclass
class ActiveModule:
    entry: ModuleEntry
    image: ModuleImage
    pool: ModulePool
    runtime: str = "native"  # the name of the runtime its pool runs on
    consecutive_failures: int = 0
    compiled_options: dict[str, dict[str, str]] = field(default_factory=dict)
    dialplans: dict[str, str] = field(default_factory=dict)  # name -> generated text
    dialplans_for: str = ""  # digest of the $DIALPLAN_DATA they were generated from
    wants: PathFilter | None = None  # from info `paths`; None: every path is offered
    holds: IO[bytes] | None = None  # shared lock on its installed directory (module_dirs)

    def __post_init__(self) -> None:
        self.wants = path_filter(self.entry.module.info.paths)

    @property
    def id(self) -> str:
        return self.entry.id

    def answers(self, path: str) -> bool:
        """Whether the module declared it may answer `path` (no declaration: yes)."""
        return self.wants is None or self.wants(path)


class Engine:
    """The active modules and their pools.  `runtime` alone runs every module; with
    `runtimes` (name -> runtime) each module runs where provhost.runtime.select says."""

    def __init__(self, state: HostState, runtime: Runtime | None = None, *,
                 runtimes: dict[str, Runtime] | None = None) -> None:
        if not isinstance(state, HostState):
            # a Service (callers written before HostState): the engine uses only its state
            state = state.state
        self.state = state
        self.runtimes = dict(runtimes or {})
        if runtime is not None:
            self.runtimes.setdefault(runtime.name, runtime)
        self.runtime = runtime or self.runtimes["native"]
        self._single = runtimes is None
        self._active: dict[str, ActiveModule] = {}
        self._lock = trio.Lock()

    async def refresh(self) -> None:
        """Make the pools match the registry, with no gap a request could fall through:
        a new or upgraded module's pool is opened (and, if the version it replaces was
        busy, its workers started) before it replaces the old one in the chain; a replaced,
        removed or disabled module stops being offered new requests at once, and its pool
        is closed only after the requests already inside it have finished."""
        async with self._lock:
            wanted = {e.id: e for e in self.state.registry.chain()}
            for mid, am in list(self._active.items()):
                if mid not in wanted:
                    del self._active[mid]
                    self._retire(am)
            for mid, e in wanted.items():
                old = self._active.get(mid)
                if old is not None and not self._replaced(old, e):
                    old.entry = e  # sequence or flags may have changed
                    continue
                fresh = await self._open(e, warm=old is not None and not old.pool.stats().get(
                    "cold", True))
                if fresh is None:
                    continue  # the old version (if any) keeps serving
                self._active[mid] = fresh
                if old is not None:
                    log.info("module %s: %s replaced by %s", mid, old.entry.state.version,
                             e.state.version)
                    self._retire(old)

    def _replaced(self, am: ActiveModule, e: ModuleEntry) -> bool:
        return (e.state.path != am.entry.state.path or e.state.version != am.entry.state.version
                or self._runtime_for(e)[0] != am.runtime)

    async def _open(self, e: ModuleEntry, *, warm: bool) -> ActiveModule | None:
        name, runtime = self._runtime_for(e)
        holds = module_dirs.hold(self.state.paths, Path(e.state.path))
        try:
            image = prepare_module(e, self.state.paths)
            # validated and compiled now (prepare_module); workers start on the module's
            # first request (idle modules cost no processes), or now when it replaces a
            # version that was serving, so its phones never wait for a cold start
            pool = await runtime.open_pool(image, lazy=True)
            if warm:
                await pool.warm()
        except Exception as exc:  # one broken module must not stop the others
            log.error("module %s: cannot start its sandbox: %s", e.id, exc)
            if holds is not None:
                holds.close()
            return None
        return ActiveModule(e, image, pool, runtime=name, holds=holds)

    def _retire(self, am: ActiveModule) -> None:
        """Close `am`'s pool once the calls already inside it are done (bounded)."""
        runtime = self.runtimes.get(am.runtime, self.runtime)
        runtime.nursery.start_soon(_close_when_idle, am)

    def _runtime_for(self, entry: ModuleEntry) -> tuple[str, Runtime]:
        if self._single:
            return self.runtime.name, self.runtime
        name = runtime_name_for(entry.state.kind, entry.state.runtime,
                                self.state.snapshot().settings["ADDON_RUNTIME"])
        if name not in self.runtimes:
            name = "native"  # the wasm runtime could not start (logged at start)
        return name, self.runtimes[name]

    def chain(self) -> list[ActiveModule]:
        order = {e.id: i for i, e in enumerate(self.state.registry.chain())}
        return sorted((a for a in self._active.values() if a.id in order),
                      key=lambda a: order[a.id])

    def get(self, module_id: str) -> ActiveModule | None:
        return self._active.get(module_id)

    def content_ids(self, module_id: str) -> dict[str, str]:
        """slot -> FW_CONTENT_ID of the module's filled slots (from the state's snapshot)."""
        return dict(self.state.snapshot().content_ids(module_id))

    def dialplan_input(self, settings: dict[str, str] | None = None) -> DialplanInput:
        """$DIALPLAN_DATA and its digest, from the state's snapshot.  (`settings` is
        accepted for older callers; the snapshot's own settings are the same values.)"""
        return self.state.snapshot().dialplan

    def module_vars(self, am: ActiveModule, snapshot: Snapshot,
                    dialplans: dict[str, str]) -> dict[str, Any]:
        """The module's request-independent globals, built once per snapshot and dialplan
        generation (building them was a fixed cost of every request)."""
        module = am.entry.module
        key = ("module_vars", am.id, am.entry.state.path, am.entry.state.version,
               am.dialplans_for)
        return snapshot.derived(key, lambda: module_vars(
            module_id=am.id, settings=snapshot.settings, phone_types=module.phone_types,
            firmware_types=module.firmware_types, content_ids=snapshot.content_ids(am.id),
            dialplans=dialplans))

    async def dialplans(self, am: ActiveModule, given: DialplanInput) -> dict[str, str]:
        """The module's generated dialplans, regenerated only when $DIALPLAN_DATA changed.

        A failing dialplan script is logged and left out; providers then see no
        $DIALPLAN_<name> for it (and no $DIALPLAN) instead of a stale or broken one."""
        names = am.entry.module.dialplans
        if not names or given.digest == am.dialplans_for:
            return am.dialplans
        variables: dict[str, Any] = settings_vars(given.settings)
        variables.update({"DIALPLAN_DATA": given.data, "MODULE_ID": am.id})
        generated = {}
        for name in names:
            call = ScriptCall(ScriptKind.DIALPLAN, f"dialplans/{name}.php", variables)
            outcome = await am.pool.run(call, CapabilityBroker(ScriptKind.DIALPLAN))
            if outcome.action is Action.DONE:
                generated[name] = outcome.body.decode("utf-8", "replace").strip()
            else:
                log.error("module %s, dialplans/%s.php: %s", am.id, name,
                          outcome.error or f"ended with {outcome.action.value}")
        am.dialplans, am.dialplans_for = generated, given.digest
        return generated

    async def record_failure(self, am: ActiveModule, reason: str) -> None:
        if self._active.get(am.id) is not am or am.entry.state.quarantined:
            return  # already quarantined or replaced: calls cut short by that don't count
        am.consecutive_failures += 1
        if am.consecutive_failures >= QUARANTINE_AFTER:
            self.state.registry.quarantine(
                am.id, f"{am.consecutive_failures} consecutive failures; last: {reason}")
            await self.refresh()

    async def run_once(self, am: ActiveModule, call: ScriptCall) -> ScriptOutcome:
        """A one-off script of the module (firmware preprocessing) on its runtime."""
        return await self.runtimes[am.runtime].run_once(am.image, call)

    @staticmethod
    def record_success(am: ActiveModule) -> None:
        am.consecutive_failures = 0

    async def aclose(self) -> None:
        async with self._lock:
            for am in self._active.values():
                await am.pool.aclose()
                if am.holds is not None:
                    am.holds.close()
            self._active.clear()


RETIRE_AFTER = 30.0  # seconds a replaced pool may take to finish the calls inside it


async def _close_when_idle(am: ActiveModule) -> None:
    with trio.move_on_after(RETIRE_AFTER):
        while True:
            stats = am.pool.stats()
            if not stats.get("busy") and not stats.get("queued"):
                break
            await trio.sleep(0.02)
    with trio.CancelScope(shield=True):
        await am.pool.aclose()
    if am.holds is not None:
        am.holds.close()  # its files may now be collected (module_dirs)
