"""The outer seccomp layer, as a classic BPF program built in pure Python and handed to bwrap.

Why pure Python: no libseccomp dependency, and the program is small enough to read.  The
filter (x86_64 only) kills any other architecture and the x32 ABI, answers ENOSYS to clone3
(so libc falls back to clone, whose flags we can inspect) and EPERM to the kernel surfaces a
provisioning script never needs: namespaces, mounts, keyrings, BPF, module loading, ptrace,
io_uring, sockets, ...  Exec stays allowed here because bwrap execs the worker after loading
the filter; the worker installs a second, stricter layer itself (see sandbox/worker/phpworker.c).
"""

from __future__ import annotations

import errno
import struct
from collections.abc import Iterable

# linux/filter.h and linux/seccomp.h
BPF_LD, BPF_W, BPF_ABS = 0x00, 0x00, 0x20
BPF_JMP, BPF_JEQ, BPF_JGE, BPF_JSET, BPF_K = 0x05, 0x10, 0x30, 0x40, 0x00
BPF_RET = 0x06
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

# struct seccomp_data offsets
OFF_NR, OFF_ARCH, OFF_ARG0, OFF_ARG1 = 0, 4, 16, 24

# x86_64 syscall numbers of everything the outer layer refuses (EPERM unless stated).
DENIED_SYSCALLS: dict[str, int] = {
    "socket": 41, "connect": 42, "accept": 43, "bind": 49, "listen": 50, "socketpair": 53,
    "accept4": 288, "ptrace": 101, "syslog": 103, "uselib": 134, "personality": 135,
    "vhangup": 153, "pivot_root": 155, "_sysctl": 156, "adjtimex": 159, "chroot": 161,
    "acct": 163, "settimeofday": 164, "mount": 165, "umount2": 166, "swapon": 167,
    "swapoff": 168, "reboot": 169, "sethostname": 170, "setdomainname": 171, "iopl": 172,
    "ioperm": 173, "create_module": 174, "init_module": 175, "delete_module": 176,
    "get_kernel_syms": 177, "query_module": 178, "quotactl": 179, "nfsservctl": 180,
    "lookup_dcookie": 212, "clock_settime": 227, "kexec_load": 246, "add_key": 248,
    "request_key": 249, "keyctl": 250, "unshare": 272, "perf_event_open": 298,
    "fanotify_init": 300, "name_to_handle_at": 303, "open_by_handle_at": 304,
    "clock_adjtime": 305, "setns": 308, "process_vm_readv": 310, "process_vm_writev": 311,
    "kcmp": 312, "finit_module": 313, "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428,
    "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "pidfd_getfd": 438, "mount_setattr": 442,
}
ENOSYS_SYSCALLS: dict[str, int] = {"clone3": 435}
NR_CLONE = 56
NR_IOCTL = 16
# CLONE_NEWTIME | CLONE_NEWNS | CLONE_NEWCGROUP | UTS | IPC | USER | PID | NET
CLONE_NEW_FLAGS = 0x00000080 | 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 \
    | 0x10000000 | 0x20000000 | 0x40000000
TIOCSTI, TIOCLINUX = 0x5412, 0x541C

Insn = tuple[int, int, int, int]  # code, jt, jf, k


def _stmt(code: int, k: int) -> Insn:
    return (code, 0, 0, k)


def _jump(code: int, k: int, jt: int, jf: int) -> Insn:
    return (code, jt, jf, k)


def _ret(k: int) -> Insn:
    return _stmt(BPF_RET | BPF_K, k)


def _deny(nr: int, err: int) -> list[Insn]:
    return [_jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1), _ret(SECCOMP_RET_ERRNO | err)]


def build_program(
    denied: Iterable[int] | None = None, enosys: Iterable[int] | None = None
) -> list[Insn]:
    """The filter as a list of instructions (tests read it; `assemble` packs it)."""
    denied = sorted(DENIED_SYSCALLS.values()) if denied is None else sorted(denied)
    enosys = sorted(ENOSYS_SYSCALLS.values()) if enosys is None else sorted(enosys)
    prog: list[Insn] = [
        _stmt(BPF_LD | BPF_W | BPF_ABS, OFF_ARCH),
        _jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        _ret(SECCOMP_RET_KILL_PROCESS),
        _stmt(BPF_LD | BPF_W | BPF_ABS, OFF_NR),
        _jump(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1),
        _ret(SECCOMP_RET_KILL_PROCESS),
    ]
    for nr in enosys:
        prog += _deny(nr, errno.ENOSYS)
    for nr in denied:
        prog += _deny(nr, errno.EPERM)
    # clone: refuse new namespaces; plain fork/thread creation is the inner layer's business
    prog += [
        _jump(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE, 0, 4),
        _stmt(BPF_LD | BPF_W | BPF_ABS, OFF_ARG0),
        _jump(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_FLAGS, 0, 1),
        _ret(SECCOMP_RET_ERRNO | errno.EPERM),
        _ret(SECCOMP_RET_ALLOW),
    ]
    # ioctl: no faking terminal input (TIOCSTI) or console tricks
    prog += [
        _jump(BPF_JMP | BPF_JEQ | BPF_K, NR_IOCTL, 0, 5),
        _stmt(BPF_LD | BPF_W | BPF_ABS, OFF_ARG1),
        _jump(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 1, 0),
        _jump(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 0, 1),
        _ret(SECCOMP_RET_ERRNO | errno.EPERM),
        _ret(SECCOMP_RET_ALLOW),
    ]
    prog.append(_ret(SECCOMP_RET_ALLOW))
    return prog


def assemble(prog: list[Insn]) -> bytes:
    """Pack to the `struct sock_filter[]` bytes bwrap's --seccomp FD expects."""
    if len(prog) > 4096:
        raise ValueError("seccomp program longer than BPF_MAXINSNS")
    return b"".join(struct.pack("=HBBI", code, jt, jf, k) for code, jt, jf, k in prog)


def default_filter() -> bytes:
    return assemble(build_program())
