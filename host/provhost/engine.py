"""The engine: the running half of provhost.  It keeps one sandbox pool per active module,
in chain order, and follows the registry when modules change or get quarantined.

Lifetimes: the engine lives inside the runtime's `async with`; every pool it opens belongs
to that runtime's nursery, so nothing outlives the server.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import trio

from provhost.chain.dialplan_data import build_dialplan_data
from provhost.chain.variables import module_vars, settings_vars
from provhost.moduleformat.path_patterns import PathFilter, path_filter
from provhost.prepare import prepare_module
from provhost.registry import ModuleEntry
from provhost.runtime.interface import (
    Action,
    BrokerError,
    ModuleImage,
    ModulePool,
    Runtime,
    ScriptCall,
    ScriptKind,
)
from provhost.runtime.select import runtime_name_for
from provhost.service import Service

log = logging.getLogger("provhost.engine")

QUARANTINE_AFTER = 5  # consecutive script failures before a module is taken out of the chain


@dataclass(frozen=True)
class DialplanInput:
    data: list[list[str | int]]
    digest: str
    settings: dict[str, str]


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
    shared_vars: tuple[Any, dict[str, Any]] | None = None  # (change key, module_vars())

    def __post_init__(self) -> None:
        self.wants = path_filter(self.entry.module.info.paths)

    @property
    def id(self) -> str:
        return self.entry.id

    def answers(self, path: str) -> bool:
        """Whether the module declared it may answer `path` (no declaration: yes)."""
        return self.wants is None or self.wants(path)


class NoCapabilities:
    """For scripts that only compute text from their input (dialplans, option expansion):
    every capability is refused."""

    def __init__(self, what: str) -> None:
        self.what = what

    async def call(self, function: str, args: list[Any]) -> Any:
        raise BrokerError(f"{function}() is not available to {self.what}")


class Engine:
    """The active modules and their pools.  `runtime` alone runs every module; with
    `runtimes` (name -> runtime) each module runs where provhost.runtime.select says."""

    def __init__(self, service: Service, runtime: Runtime | None = None, *,
                 runtimes: dict[str, Runtime] | None = None) -> None:
        self.service = service
        self.runtimes = dict(runtimes or {})
        if runtime is not None:
            self.runtimes.setdefault(runtime.name, runtime)
        self.runtime = runtime or self.runtimes["native"]
        self._single = runtimes is None
        self._active: dict[str, ActiveModule] = {}
        self._lock = trio.Lock()
        self._dialplan_cache: tuple[Any, DialplanInput] | None = None
        self._content_ids: tuple[Any, dict[str, dict[str, str]]] = (None, {})

    async def refresh(self) -> None:
        """Make the pools match the registry: open new/upgraded modules, close removed ones."""
        async with self._lock:
            wanted = {e.id: e for e in self.service.registry.chain()}
            for mid, am in list(self._active.items()):
                e = wanted.get(mid)
                if e is None or e.state.path != am.entry.state.path or \
                        e.state.version != am.entry.state.version or \
                        self._runtime_for(e)[0] != am.runtime:
                    del self._active[mid]
                    await am.pool.aclose()
            for mid, e in wanted.items():
                if mid in self._active:
                    self._active[mid].entry = e  # sequence or flags may have changed
                    continue
                name, runtime = self._runtime_for(e)
                try:
                    image = prepare_module(e, self.service.paths)
                    pool = await runtime.open_pool(image)
                except Exception as exc:  # one broken module must not stop the others
                    log.error("module %s: cannot start its sandbox: %s", mid, exc)
                    continue
                self._active[mid] = ActiveModule(e, image, pool, runtime=name)

    def _runtime_for(self, entry: ModuleEntry) -> tuple[str, Runtime]:
        if self._single:
            return self.runtime.name, self.runtime
        name = runtime_name_for(entry.state.kind, entry.state.runtime,
                                self.service.settings()["ADDON_RUNTIME"])
        if name not in self.runtimes:
            name = "native"  # the wasm runtime could not start (logged at start)
        return name, self.runtimes[name]

    def chain(self) -> list[ActiveModule]:
        order = {e.id: i for i, e in enumerate(self.service.registry.chain())}
        return sorted((a for a in self._active.values() if a.id in order),
                      key=lambda a: order[a.id])

    def get(self, module_id: str) -> ActiveModule | None:
        return self._active.get(module_id)

    def content_ids(self, module_id: str) -> dict[str, str]:
        """slot -> FW_CONTENT_ID of the module's filled slots; cached until the store changes
        (an upload by the CLI, another process, changes SQLite's data_version)."""
        key = self.service.store.change_key()
        if self._content_ids[0] != key:
            slots: dict[str, dict[str, str]] = {}
            for s in self.service.store.firmware_slots():
                slots.setdefault(s.module_id, {})[s.slot] = s.content_id
            self._content_ids = (key, slots)
        return dict(self._content_ids[1].get(module_id, {}))

    def dialplan_input(self, settings: dict[str, str]) -> DialplanInput:
        """$DIALPLAN_DATA and its digest, rebuilt only when the store changed (reading
        every line per request made a 10,000-phone boot storm crawl)."""
        store = self.service.store
        key = (store.change_key(), settings["VOICEMAIL_EXT"])
        cached = self._dialplan_cache
        if cached is not None and cached[0] == key:
            return DialplanInput(cached[1].data, cached[1].digest, settings)
        extensions = [x.telnum for x in store.list_lines()]
        extensions.append(settings["VOICEMAIL_EXT"])
        data = build_dialplan_data(extensions, store.list_outbound_prefixes())
        digest = hashlib.sha256(json.dumps(data).encode()).hexdigest()
        built = DialplanInput(data, digest, settings)
        self._dialplan_cache = (key, built)
        return built

    def module_vars(self, am: ActiveModule, settings: dict[str, str],
                    dialplans: dict[str, str]) -> dict[str, Any]:
        """The module's request-independent globals, rebuilt only when the store or its
        generated dialplans changed (building them was a fixed cost of every request)."""
        key = (self.service.store.change_key(), am.dialplans_for)
        if am.shared_vars is None or am.shared_vars[0] != key:
            module = am.entry.module
            am.shared_vars = (key, module_vars(
                module_id=am.id, settings=settings, phone_types=module.phone_types,
                firmware_types=module.firmware_types, content_ids=self.content_ids(am.id),
                dialplans=dialplans))
        return am.shared_vars[1]

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
            outcome = await am.pool.run(call, NoCapabilities("a dialplan script"))
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
