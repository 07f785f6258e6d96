"""The native runtime: Debian's PHP (embed SAPI) in our C worker, inside bubblewrap.

A recipe for the worker pool (provhost.runtime.pool): a worker is a bwrap process around
``phpworker`` (see sandbox/provhost_sandbox/php_worker.py) talking frames
(provhost.runtime.ipc) over two pipes, limited by `WorkerLimits`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from provhost_sandbox.php_worker import WorkerLimits, WorkerMounts, worker_argv

from . import ipc
from .pool import (
    PoolConfig,
    PoolRuntime,
    WorkerCommand,
    WorkerFault,
    WorkerPool,
    describe_exit,
    module_relative,
    parse_outcome,
)

__all__ = ["CommandFactory", "NativeConfig", "NativePool", "NativeRuntime", "WorkerFault",
           "describe_exit", "module_relative", "parse_outcome", "sandboxed_command"]

CommandFactory = WorkerCommand  # replaceable in NativeConfig for tests (hostile stubs)
NativePool = WorkerPool


def sandboxed_command(limits: WorkerLimits) -> WorkerCommand:
    def build(mounts: WorkerMounts, ipc_in: int, ipc_out: int, seccomp_fd: int | None) -> list[str]:
        return worker_argv(mounts, ipc_in, ipc_out, seccomp_fd, limits)

    return build


@dataclass(frozen=True)
class NativeConfig:
    workers_per_pool: int = 2
    max_queue: int = 64  # callers waiting for a worker before PoolOverloaded
    stall_after: float = 1.0  # see PoolConfig.stall_after
    max_requests_per_worker: int = 5000
    startup_timeout: float = 10.0
    max_frame: int = ipc.DEFAULT_MAX_FRAME
    limits: WorkerLimits = field(default_factory=WorkerLimits)
    command: CommandFactory | None = None  # None: the real sandboxed worker
    respawn_delay: float = 0.5
    idle_after: float = 600.0  # see PoolConfig.idle_after

    def pool_config(self) -> PoolConfig:
        return PoolConfig(
            command=self.command or sandboxed_command(self.limits),
            workers_per_pool=self.workers_per_pool, max_queue=self.max_queue,
            stall_after=self.stall_after, max_requests_per_worker=self.max_requests_per_worker,
            startup_timeout=self.startup_timeout, max_frame=self.max_frame,
            respawn_delay=self.respawn_delay, idle_after=self.idle_after)


class NativeRuntime(PoolRuntime):
    """Runtime protocol implementation; ``async with NativeRuntime() as rt: ...``."""

    name = "native"

    def __init__(self, config: NativeConfig | None = None) -> None:
        super().__init__()
        self.config = config or NativeConfig()

    def pool_config(self) -> PoolConfig:
        return self.config.pool_config()
