"""Which runtime runs which module, and opening the runtimes the host uses.

Bundled modules (our own code, reviewed) run on the native sandbox by default; add-on
modules (untrusted) on the WebAssembly runtime, which adds a sandbox without system calls
inside the native one (setting ADDON_RUNTIME).  An administrator can pin one module to a
runtime (`provhost module runtime ID native|wasm`).  If php.wasm cannot be loaded, the
host logs why and runs everything on the native sandbox rather than serving nobody.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from provhost.runtime.interface import Runtime
from provhost.runtime.native import NativeRuntime

log = logging.getLogger("provhost.runtime")

RUNTIME_NAMES = ("native", "wasm")
SERVER_WASM_REUSE = 100  # requests per wasm instance, with a PHP request cycle between


def runtime_name_for(kind: str, pinned: str | None, addon_default: str) -> str:
    """Pure: the runtime a module should run on."""
    if pinned in RUNTIME_NAMES:
        return pinned
    return "native" if kind == "bundled" else addon_default


@contextlib.asynccontextmanager
async def open_runtimes() -> AsyncIterator[dict[str, Runtime]]:
    """Every runtime that can start here, keyed by name; native always."""
    async with contextlib.AsyncExitStack() as stack:
        runtimes: dict[str, Runtime] = {"native": await stack.enter_async_context(
            NativeRuntime())}
        try:
            from provhost.runtime.wasm import WasmConfig, WasmRuntime

            wasm = WasmRuntime(WasmConfig(reuse_instance=SERVER_WASM_REUSE))
            runtimes["wasm"] = await stack.enter_async_context(wasm)
        except Exception as e:  # php.wasm missing or broken: say so, keep serving
            log.error("the WebAssembly runtime is unavailable (%s); modules that would run "
                      "on it run on the native sandbox", e)
        yield runtimes
