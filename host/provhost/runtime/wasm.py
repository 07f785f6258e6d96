"""The WASM runtime: PHP compiled to wasm32-wasi, run under wasmtime, inside bubblewrap.

Theory of operation
-------------------
* The worker process (sandbox/provhost_sandbox/wasm_worker.py) speaks exactly the native
  worker's frames (provhost.runtime.ipc), so the pool -- bounded queue, one cancel scope per
  call, kill on deadline or protocol violation, background replacement, retirement after
  N requests -- is provhost.runtime.pool's, given a different command.  This recipe only
  decides *what* runs: Debian's python3.11 with wasmtime and php.cwasm, in the same
  bubblewrap box and outer seccomp filter (sandbox/provhost_sandbox/wasm_sandbox.py).
* Inside the worker every request gets a fresh wasm instance (``reuse_instance=1``, the
  default): nothing of a request can survive into the next one, not even PHP's heap.  With
  ``reuse_instance=N`` an instance serves N requests with PHP's request start/shutdown in
  between, like the native worker; bench/wasm_bench.py measures both.
* Limits per request: the epoch deadline (``cpu_seconds``), the store's linear-memory cap,
  PHP's memory_limit, and the host's wall-clock deadline, past which the process dies.
* `prepare` (on `async with`) checks that php.wasm was built (bash sandbox/wasm/build.sh) and that
  php.cwasm matches the installed wasmtime, recompiling it (host side, trusted) if not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio
from provhost_sandbox.php_worker import WorkerMounts
from provhost_sandbox.wasm_sandbox import PHP_WASM, WasmLimits, worker_argv
from provhost_sandbox.wasm_worker import ensure_precompiled

from . import ipc
from .pool import PoolConfig, PoolRuntime


@dataclass(frozen=True)
class WasmConfig:
    workers_per_pool: int = 2
    max_queue: int = 64
    stall_after: float = 1.0  # see PoolConfig.stall_after
    max_requests_per_worker: int = 5000
    startup_timeout: float = 15.0
    respawn_delay: float = 0.5
    reuse_instance: int = 1  # requests per wasm instance; 1 = a fresh instance per request
    limits: WasmLimits = field(default_factory=WasmLimits)
    wasm: Path = PHP_WASM
    idle_after: float = 600.0  # see PoolConfig.idle_after


def php_wasm_version(wasm: Path) -> str:
    meta = wasm.with_name("php.json")
    try:
        return str(json.loads(meta.read_text()).get("php", "?"))
    except (OSError, ValueError):
        return "?"


class WasmRuntime(PoolRuntime):
    """Runtime protocol implementation; ``async with WasmRuntime() as rt: ...``."""

    name = "wasm"

    def __init__(self, config: WasmConfig | None = None) -> None:
        super().__init__()
        self.config = config or WasmConfig()
        self._cwasm: Path | None = None

    async def prepare(self) -> None:
        wasm = self.config.wasm
        if not wasm.is_file():
            raise FileNotFoundError(f"php.wasm not built: {wasm} (run bash sandbox/wasm/build.sh)")
        self._cwasm = await trio.to_thread.run_sync(ensure_precompiled, wasm)

    def pool_config(self) -> PoolConfig:
        cfg, cwasm = self.config, self._cwasm
        assert cwasm is not None, "WasmRuntime used outside 'async with'"
        version = php_wasm_version(cfg.wasm)

        def command(mounts: WorkerMounts, ipc_in: int, ipc_out: int,
                    seccomp_fd: int | None) -> list[str]:
            return worker_argv(mounts, ipc_in, ipc_out, seccomp_fd, cwasm, cfg.limits,
                               php_version=version, reuse=cfg.reuse_instance)

        return PoolConfig(
            command=command, workers_per_pool=cfg.workers_per_pool, max_queue=cfg.max_queue,
            stall_after=cfg.stall_after, max_requests_per_worker=cfg.max_requests_per_worker,
            startup_timeout=cfg.startup_timeout, max_frame=ipc.DEFAULT_MAX_FRAME,
            respawn_delay=cfg.respawn_delay, idle_after=cfg.idle_after)

    def stats(self) -> dict[str, Any]:
        return {"runtime": self.name, "reuse_instance": self.config.reuse_instance}
