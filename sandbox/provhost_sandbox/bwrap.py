"""Pure builders of bubblewrap command lines.

Why bwrap: unprivileged namespaces (user, PID, net, IPC, UTS, mount, cgroup) plus a seccomp
filter give each worker an empty world: no network, no host /proc, no other processes, and a
filesystem made only of the binds listed here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

BWRAP = "/usr/bin/bwrap"


@dataclass(frozen=True)
class SandboxSpec:
    """Everything one sandboxed process gets.  Binds are (host source, sandbox destination)."""

    command: tuple[str, ...]
    ro_binds: tuple[tuple[str, str], ...] = ()
    rw_binds: tuple[tuple[str, str], ...] = ()
    symlinks: tuple[tuple[str, str], ...] = ()  # (target, link path)
    tmpfs_size: int = 16 * 1024 * 1024
    seccomp_fd: int | None = None
    chdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    hostname: str = "sandbox"


def merged_usr_symlinks() -> tuple[tuple[str, str], ...]:
    """/lib -> usr/lib etc., mirrored from the host so ELF interpreter paths resolve."""
    links = []
    for top in ("/lib", "/lib64", "/bin", "/sbin"):
        if os.path.islink(top):
            links.append((os.readlink(top), top))
    return tuple(links)


def bwrap_argv(spec: SandboxSpec, bwrap: str = BWRAP) -> list[str]:
    """The full argv (bwrap options, then the sandboxed command)."""
    argv = [
        bwrap,
        "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
        "--unshare-uts", "--unshare-cgroup",
        "--disable-userns",
        "--hostname", spec.hostname,
        "--die-with-parent", "--new-session", "--clearenv",
        "--cap-drop", "ALL",
    ]
    for src, dest in spec.ro_binds:
        argv += ["--ro-bind", src, dest]
    for src, dest in spec.rw_binds:
        argv += ["--bind", src, dest]
    for target, link in spec.symlinks:
        argv += ["--symlink", target, link]
    argv += ["--dev", "/dev"]
    argv += ["--size", str(spec.tmpfs_size), "--tmpfs", "/tmp"]
    argv += ["--remount-ro", "/"]
    for key, value in sorted(spec.env.items()):
        argv += ["--setenv", key, value]
    if spec.seccomp_fd is not None:
        argv += ["--seccomp", str(spec.seccomp_fd)]
    argv += ["--chdir", spec.chdir, "--", *spec.command]
    return argv
