"""The isolation layers tested by running real processes in the real sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest
from provhost.runtime.interface import Action, ScriptCall, ScriptKind
from provhost.runtime.native import NativeConfig, NativeRuntime
from provhost_sandbox import seccomp
from provhost_sandbox.bwrap import SandboxSpec, bwrap_argv, merged_usr_symlinks
from provhost_sandbox.php_worker import worker_argv

from .conftest import ModuleDir, RecordingBroker

PROBE = textwrap.dedent("""
    import ctypes, json, os
    libc = ctypes.CDLL(None, use_errno=True)
    def sc(nr, *args):
        r = libc.syscall(nr, *[ctypes.c_long(a) for a in args])
        return r if r >= 0 else -ctypes.get_errno()
    buf = ctypes.create_string_buffer(8)
    print(json.dumps({
        "getpid": sc(39),
        "socket_inet": sc(41, 2, 1, 0),
        "socket_unix": sc(41, 1, 1, 0),
        "unshare_user": sc(272, 0x10000000),
        "mount": sc(165, 0, 0, 0, 0, 0),
        "ptrace": sc(101, 0, 0, 0, 0),
        "clone3": sc(435, 0, 0),
        "clone_newnet": sc(56, 0x40000000 | 17, 0, 0, 0, 0),
        "bpf": sc(321, 0, 0, 0),
        "keyctl": sc(250, 0, 0, 0, 0, 0),
        "io_uring_setup": sc(425, 1, ctypes.addressof(buf)),
        "perf_event_open": sc(298, 0, 0, 0, 0, 0),
        "userfaultfd": sc(323, 0),
        "init_module": sc(175, 0, 0, 0),
        "tiocsti": sc(16, 0, 0x5412, ctypes.addressof(buf)),
        "proc": os.path.exists("/proc/self"),
        "shadow": os.path.exists("/etc/shadow"),
    }))
""")


def run_probe(code: str) -> subprocess.CompletedProcess[str]:
    r, w = os.pipe()
    os.write(w, seccomp.default_filter())
    os.close(w)
    spec = SandboxSpec(command=("/usr/bin/python3", "-S", "-c", code),
                       ro_binds=(("/usr", "/usr"),), symlinks=merged_usr_symlinks(),
                       seccomp_fd=r)
    try:
        return subprocess.run(bwrap_argv(spec), pass_fds=(r,), capture_output=True, text=True,
                              timeout=30)
    finally:
        os.close(r)


def test_outer_filter_denies_kernel_surfaces():
    proc = run_probe(PROBE)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got.pop("getpid") > 0
    assert got.pop("clone3") == -38  # ENOSYS: libc falls back to clone
    assert got.pop("proc") is False and got.pop("shadow") is False
    assert got == {k: -1 for k in got}  # every other probe: EPERM


def test_outer_filter_kills_x32_abi_calls():
    proc = run_probe("import ctypes; ctypes.CDLL(None).syscall(0x40000000 | 39); print('alive')")
    assert "alive" not in proc.stdout
    assert proc.returncode != 0


def test_filter_is_well_formed():
    prog = seccomp.build_program()
    blob = seccomp.assemble(prog)
    assert len(blob) == 8 * len(prog)
    for i, (code, jt, jf, _k) in enumerate(prog):
        if code & 0x07 == 0x05:  # jumps stay inside the program
            assert i + 1 + max(jt, jf) < len(prog)
    assert prog[-1] == (0x06, 0, 0, seccomp.SECCOMP_RET_ALLOW)


def lifted_php_settings(mounts, ipc_in, ipc_out, seccomp_fd):
    """The real sandboxed worker, but with PHP's own restrictions removed (inner layer only)."""
    argv = worker_argv(mounts, ipc_in, ipc_out, seccomp_fd)
    i = argv.index("--ini") + 1
    argv[i] = "\n".join(line for line in argv[i].splitlines()
                        if not line.startswith(("disable_functions", "open_basedir")))
    return argv


@pytest.mark.parametrize("code, expect", [
    ("exec('/usr/bin/id', $o, $rc); setMarker('r', [$o, $rc]);", "Unable to fork"),
    ("setMarker('r', proc_open('id', [], $pipes));", "Fork failed: Operation not permitted"),
    ("setMarker('r', pcntl_fork());", "Error 1"),
])
async def test_inner_layer_blocks_processes_even_without_php_restrictions(
        module: ModuleDir, code, expect):
    s = module.script("providers/p.php", code + " sendOk();")
    cfg = NativeConfig(workers_per_pool=1, command=lifted_php_settings)
    async with NativeRuntime(cfg) as rt:
        pool = await rt.open_pool(module.image)
        broker = RecordingBroker()
        out = await pool.run(ScriptCall(ScriptKind.PROVIDER, s, {}), broker)
    assert out.action is Action.OK, out.error
    assert any(expect in line for line in out.log), out.log


async def test_without_open_basedir_host_files_are_still_absent(module: ModuleDir):
    s = module.script("providers/p.php", """
        setMarker('r', [@file_get_contents('/etc/shadow'), @file_get_contents('/proc/self/status'),
                        @scandir('/'), @file_get_contents('/etc/passwd')]);
        sendOk();
    """)
    cfg = NativeConfig(workers_per_pool=1, command=lifted_php_settings)
    async with NativeRuntime(cfg) as rt:
        pool = await rt.open_pool(module.image)
        broker = RecordingBroker()
        out = await pool.run(ScriptCall(ScriptKind.PROVIDER, s, {}), broker)
    assert out.action is Action.OK, out.error
    shadow, status, root, passwd = broker.calls[0][1][1]
    assert shadow is False and status is False and passwd is False
    assert set(root) <= {".", "..", "usr", "lib", "lib64", "bin", "sbin", "dev", "tmp", "shim",
                         "module", "compiled", "firmware"}
