"""The launch recipe of one sandboxed PHP worker: which binds, limits, ini and argv.

Pure: returns argv lists; the caller owns pipes and processes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .bwrap import SandboxSpec, bwrap_argv, merged_usr_symlinks
from .libraries import php_runtime_binds
from .php_ini import php_ini

REPO = Path(__file__).resolve().parents[2]
WORKER_BINARY = REPO / "sandbox" / "worker" / "phpworker"
SHIM_DIR = REPO / "sdk-php-shim"
SANDBOX_WORKER = "/usr/libexec/provhost/phpworker"
SHIM_ENTRY = "/shim/worker.php"


@dataclass(frozen=True)
class WorkerLimits:
    """Resource limits: rlimits set by the worker on itself plus PHP's own limits."""

    cpu_seconds: int = 600  # cumulative over the worker's life; it is replaced when hit
    address_space: int = 1024 * 1024 * 1024
    open_files: int = 64
    file_size: int = 8 * 1024 * 1024
    tmpfs_size: int = 16 * 1024 * 1024
    memory_limit_mib: int = 64
    max_execution_time: int = 30

    def rlimit_arg(self) -> str:
        return f"{self.cpu_seconds},{self.address_space},{self.open_files},{self.file_size}"


@dataclass(frozen=True)
class WorkerMounts:
    """Host directories behind the fixed sandbox paths."""

    module: Path
    compiled: Path
    firmware: Path
    shim: Path = SHIM_DIR


def worker_command(
    ipc_in: int, ipc_out: int, limits: WorkerLimits, *, sandboxed: bool = True,
    worker_path: str = SANDBOX_WORKER,
) -> tuple[str, ...]:
    cmd = [
        worker_path, "--in", str(ipc_in), "--out", str(ipc_out), "--script", SHIM_ENTRY,
        "--ini", php_ini(memory_limit_mib=limits.memory_limit_mib,
                         max_execution_time=limits.max_execution_time),
        "--limits", limits.rlimit_arg(),
    ]
    if sandboxed:
        cmd += ["--clean-dir", "/tmp"]  # the sandbox's private tmpfs, never the host's
    else:
        cmd.append("--no-seccomp")
    return tuple(cmd)


def module_binds(mounts: WorkerMounts) -> list[tuple[str, str]]:
    """The read-only views every worker of a module gets, whatever runs the PHP."""
    binds = []
    for host, dest in ((mounts.shim, "/shim"), (mounts.module, "/module"),
                       (mounts.compiled, "/compiled"), (mounts.firmware, "/firmware")):
        if not Path(host).is_dir():
            raise FileNotFoundError(f"sandbox mount source is not a directory: {host} -> {dest}")
        binds.append((os.path.realpath(host), dest))
    return binds


def worker_spec(
    mounts: WorkerMounts, ipc_in: int, ipc_out: int, seccomp_fd: int | None,
    limits: WorkerLimits = WorkerLimits(), worker_binary: Path = WORKER_BINARY,
) -> SandboxSpec:
    if not worker_binary.is_file():
        raise FileNotFoundError(
            f"PHP worker binary not built: {worker_binary} (run scripts/install)")
    binds = [*php_runtime_binds(str(worker_binary)), (str(worker_binary), SANDBOX_WORKER),
             *module_binds(mounts)]
    return SandboxSpec(
        command=worker_command(ipc_in, ipc_out, limits),
        ro_binds=tuple(binds),
        symlinks=merged_usr_symlinks(),
        tmpfs_size=limits.tmpfs_size,
        seccomp_fd=seccomp_fd,
        chdir="/tmp",
    )


def worker_argv(
    mounts: WorkerMounts, ipc_in: int, ipc_out: int, seccomp_fd: int | None,
    limits: WorkerLimits = WorkerLimits(),
) -> list[str]:
    return bwrap_argv(worker_spec(mounts, ipc_in, ipc_out, seccomp_fd, limits))

