"""Bench only: the PHP worker with no isolation, to measure what the sandbox costs.

The same phpworker binary, ini and shim as the product's worker, minus everything the
sandbox adds: no seccomp (``--no-seccomp``), no rlimits (no ``--limits``), no private /tmp
emptied after each request, no PID/net/IPC/UTS/cgroup namespaces, no dropped capabilities,
no cleared environment, the host's whole file system visible and writable.

One thing remains, because the shim names its files by absolute paths (/shim, /module,
/compiled, /firmware): a mount namespace that shows the host's root plus those four
directories.  bubblewrap builds it, then execs nothing of its own between requests, so
per request the worker is an ordinary process.

Never import this from the product: `ceilings.py` installs it into the server it starts.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from provhost.runtime.interface import Runtime
from provhost.runtime.native import CommandFactory, NativeConfig, NativeRuntime
from provhost_sandbox.bwrap import BWRAP
from provhost_sandbox.php_worker import (
    WORKER_BINARY,
    WorkerLimits,
    WorkerMounts,
    module_binds,
    worker_command,
)


def host_root_binds() -> list[str]:
    """bwrap options that show every top-level entry of the host's / as it is."""
    argv = ["--dev-bind", "/dev", "/dev"]
    for name in sorted(os.listdir("/")):
        path = "/" + name
        if name == "dev" or not (os.path.isdir(path) or os.path.islink(path)):
            continue
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        else:
            argv += ["--dev-bind", path, path]
    return argv


def without_limits(command: tuple[str, ...]) -> list[str]:
    """The worker's argv minus its ``--limits`` option (so it sets no rlimits)."""
    argv = list(command)
    at = argv.index("--limits")
    del argv[at:at + 2]
    return argv


def unsandboxed_command(limits: WorkerLimits | None = None) -> CommandFactory:
    """A NativeConfig command factory; ignores the seccomp filter the runtime offers."""

    def build(mounts: WorkerMounts, ipc_in: int, ipc_out: int,
              seccomp_fd: int | None) -> list[str]:
        worker = without_limits(worker_command(ipc_in, ipc_out, limits or WorkerLimits(),
                                               sandboxed=False,
                                               worker_path=str(WORKER_BINARY)))
        shim_paths = [opt for src, dest in module_binds(mounts)
                      for opt in ("--ro-bind", src, dest)]
        return [BWRAP, "--die-with-parent", *host_root_binds(), *shim_paths,
                "--chdir", os.getcwd(), "--", *worker]

    return build


@contextlib.asynccontextmanager
async def open_unsandboxed_runtimes() -> AsyncIterator[dict[str, Runtime]]:
    """Drop-in for provhost.runtime.select.open_runtimes: every module on unsandboxed PHP."""
    async with NativeRuntime(NativeConfig(command=unsandboxed_command())) as native:
        yield {"native": native}
