"""The launch recipe of one WASM worker: the same bubblewrap box as the native worker.

Why the OS sandbox around a wasm sandbox: defence in depth.  php.wasm can only reach what
wasmtime imports into it; should wasmtime or our host functions have a bug, the worker
process is still in the native runtime's box (namespaces, no network, read-only binds, the
outer seccomp filter).  What differs is the program inside: Debian's python3.11 with its
standard library, the wasmtime package (and its shared library) and wasm_worker.py, plus
the precompiled php.cwasm; no PHP binary, no extensions.

Pure: returns argv lists; the caller owns pipes and processes.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .bwrap import SandboxSpec, bwrap_argv, merged_usr_symlinks
from .libraries import ldd_closure
from .php_ini import php_ini
from .php_worker import SHIM_ENTRY, WorkerMounts, module_binds

REPO = Path(__file__).resolve().parents[2]
WASM_BUILD = REPO / "sandbox" / "wasm" / "build"
PHP_WASM = WASM_BUILD / "php.wasm"
WORKER_SOURCE = Path(__file__).resolve().parent / "wasm_worker.py"
SANDBOX_PYLIB = "/usr/lib/provhost-python"
SANDBOX_MODULE = "/usr/libexec/provhost/php.cwasm"
# ini keys of the native worker that mean nothing in php.wasm (no loadable extensions, no
# opcache: every request compiles its scripts in a fresh instance)
_NATIVE_ONLY_KEYS = ("extension_dir", "zend_extension", "extension")
_NATIVE_ONLY_PREFIXES = ("opcache.", "msgpack.")


@dataclass(frozen=True)
class WasmLimits:
    memory_limit_mib: int = 64  # PHP's memory_limit (a clean "Allowed memory size" error)
    store_memory_mib: int = 192  # the instance's linear memory cap (wasmtime store limit)
    cpu_seconds: float = 30.0  # epoch deadline per request (the host's deadline is shorter)
    tmpfs_size: int = 16 * 1024 * 1024
    max_execution_time: int = 30
    # open_basedir lists exactly the directories WASI preopens, so the capability layer
    # already enforces it; PHP's check costs a realpath walk per file access, and every
    # WASI filesystem call is a thread hand-off in wasmtime-wasi (3x slower requests).
    open_basedir: bool = False


def wasm_ini(limits: WasmLimits) -> str:
    """The native worker's ini, minus what only applies to native PHP; no PCRE JIT."""
    skip_keys = _NATIVE_ONLY_KEYS if limits.open_basedir else (*_NATIVE_ONLY_KEYS,
                                                                "open_basedir")
    lines = []
    for line in php_ini(memory_limit_mib=limits.memory_limit_mib,
                        max_execution_time=limits.max_execution_time).splitlines():
        key = line.split("=", 1)[0]
        if key in skip_keys or key.startswith(_NATIVE_ONLY_PREFIXES):
            continue
        lines.append("pcre.jit=0" if key == "pcre.jit" else line)
    return "\n".join(lines) + "\n"


def python_binary() -> str:
    """The real interpreter behind the virtualenv (the venv itself is not bound)."""
    return os.path.realpath(os.path.join(sys.base_exec_prefix, "bin",
                                         f"python{sys.version_info[0]}.{sys.version_info[1]}"))


def stdlib_dir() -> str:
    import sysconfig

    return os.path.realpath(sysconfig.get_paths()["stdlib"])


def wasmtime_package_dir() -> str:
    import wasmtime

    return os.path.dirname(os.path.realpath(wasmtime.__file__))


@functools.cache
def python_runtime_binds() -> tuple[tuple[str, str], ...]:
    """Interpreter, stdlib, wasmtime and the shared-library closure of all three."""
    stdlib = stdlib_dir()
    native = [python_binary(), *(str(p) for p in Path(stdlib, "lib-dynload").glob("_ctypes.*.so")),
              *(str(p) for p in Path(wasmtime_package_dir()).rglob("*.so"))]
    binds = dict(ldd_closure(tuple(native)))
    binds[python_binary()] = python_binary()
    binds[stdlib] = stdlib
    binds[f"{SANDBOX_PYLIB}/wasmtime"] = wasmtime_package_dir()
    binds[f"{SANDBOX_PYLIB}/provhost_wasm_worker.py"] = str(WORKER_SOURCE)
    return tuple(sorted((src, dest) for dest, src in binds.items()))


def worker_command(ipc_in: int, ipc_out: int, limits: WasmLimits, *, php_version: str,
                   reuse: int = 1, python: str | None = None, pylib: str = SANDBOX_PYLIB,
                   module: str = SANDBOX_MODULE, clean_dir: str | None = "/tmp",
                   ) -> tuple[str, ...]:
    bootstrap = (f"import sys; sys.path.insert(0, {pylib!r}); "
                 "import provhost_wasm_worker as w; sys.exit(w.main())")
    cmd = [
        python or python_binary(), "-I", "-S", "-B", "-c", bootstrap,
        "--in", str(ipc_in), "--out", str(ipc_out), "--module", module,
        "--script", SHIM_ENTRY, "--ini", wasm_ini(limits),
        "--memory", str(limits.store_memory_mib * 1024 * 1024),
        "--cpu-seconds", str(limits.cpu_seconds), "--reuse", str(reuse),
        "--php-version", php_version,
    ]
    if clean_dir:
        cmd += ["--clean-dir", clean_dir]
    return tuple(cmd)


def worker_spec(mounts: WorkerMounts, ipc_in: int, ipc_out: int, seccomp_fd: int | None,
                cwasm: Path, limits: WasmLimits, *, php_version: str, reuse: int = 1,
                ) -> SandboxSpec:
    if not cwasm.is_file():
        raise FileNotFoundError(f"php.cwasm missing: {cwasm} (run bash sandbox/wasm/build.sh)")
    binds = [*python_runtime_binds(), (str(cwasm), SANDBOX_MODULE), *module_binds(mounts)]
    return SandboxSpec(
        command=worker_command(ipc_in, ipc_out, limits, php_version=php_version, reuse=reuse),
        ro_binds=tuple(binds),
        symlinks=merged_usr_symlinks(),
        tmpfs_size=limits.tmpfs_size,
        seccomp_fd=seccomp_fd,
        chdir="/tmp",
    )


def worker_argv(mounts: WorkerMounts, ipc_in: int, ipc_out: int, seccomp_fd: int | None,
                cwasm: Path, limits: WasmLimits, *, php_version: str, reuse: int = 1,
                ) -> list[str]:
    return bwrap_argv(worker_spec(mounts, ipc_in, ipc_out, seccomp_fd, cwasm, limits,
                                  php_version=php_version, reuse=reuse))
