"""Which host files the PHP runtime needs inside the sandbox: the shared-library closure.

Why: binding all of /usr would expose every binary and config on the host; the worker only
needs its own ELF dependencies, two PHP extensions and the timezone data.  The closure is
computed once per process with ldd (a host tool run on trusted host binaries).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from pathlib import Path

from .php_ini import EXTENSION_DIR

PHP_EXTENSIONS = ("opcache.so", "msgpack.so")
DATA_DIRS = ("/usr/share/zoneinfo",)
_LDD_LINE = re.compile(r"^\s*(?:\S+\s+=>\s+)?(/\S+)\s+\(0x[0-9a-f]+\)\s*$")


def sandbox_path(host_path: str) -> str:
    """Where a library path printed by ldd lives in a merged-/usr sandbox (/lib -> /usr/lib)."""
    for top in ("/lib/", "/lib64/", "/bin/", "/sbin/"):
        if host_path.startswith(top) and os.path.islink(top.rstrip("/")):
            return "/usr" + host_path
    return host_path


def ldd_closure(binaries: tuple[str, ...]) -> dict[str, str]:
    """Map sandbox path -> real host file for every library the binaries load."""
    out = subprocess.run(
        ["ldd", *binaries], capture_output=True, text=True, check=True, env={"LC_ALL": "C"}
    ).stdout
    libs: dict[str, str] = {}
    for line in out.splitlines():
        m = _LDD_LINE.match(line)
        if m:
            libs[sandbox_path(m.group(1))] = os.path.realpath(m.group(1))
    return libs


@functools.cache
def php_runtime_binds(worker_binary: str) -> tuple[tuple[str, str], ...]:
    """(host source, sandbox destination) read-only binds for the PHP worker, sorted."""
    exts = tuple(f"{EXTENSION_DIR}/{name}" for name in PHP_EXTENSIONS)
    for ext in exts:
        if not Path(ext).is_file():
            raise FileNotFoundError(f"PHP extension missing on the host: {ext}")
    libs = ldd_closure((worker_binary, *exts))
    binds = {dest: src for dest, src in libs.items()}
    for ext in exts:
        binds[ext] = os.path.realpath(ext)
    for d in DATA_DIRS:
        if Path(d).is_dir():
            binds[d] = os.path.realpath(d)
    return tuple(sorted((src, dest) for dest, src in binds.items()))
