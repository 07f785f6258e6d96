"""Run a firmware preprocessing script (bash or PHP) in its own one-off sandbox.

Why separate from the worker pool: these scripts must exec tools, which the PHP workers'
inner seccomp layer forbids.  Contract with the seed: `$FW_OUTDIR/_tmp` exists while the
script runs and is removed afterwards; on reject (or any failure) the output directory is
emptied.  When the host runs as root the sandbox runs as `nobody`, so the process-count
rlimit holds (the kernel exempts root from it) and the script owns nothing but its output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import trio
from provhost_sandbox import firmware_shell as fs
from provhost_sandbox.bwrap import bwrap_argv
from provhost_sandbox.php_worker import SHIM_DIR
from provhost_sandbox.seccomp import default_filter

from .interface import Action, ModuleImage, ScriptCall, ScriptOutcome

STDERR_CAP = 16 * 1024
SANDBOX_UID = 65534  # nobody: used when the host runs as root


def _sandbox_user() -> int | None:
    return SANDBOX_UID if os.geteuid() == 0 else None


def _hand_over(outdir: Path, uid: int) -> None:
    """Let the sandbox user write the output directory (and only that)."""
    for path in (outdir, *outdir.rglob("*")):
        os.chown(path, uid, uid, follow_symlinks=False)


def _empty(directory: Path) -> None:
    for entry in directory.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


async def run_firmware_shell(image: ModuleImage, call: ScriptCall) -> ScriptOutcome:
    """`call.variables` carries host paths FW_INFILE and FW_OUTDIR plus FW_VERIFY/FW_IDENT."""
    infile = Path(str(call.variables.get("FW_INFILE", "")))
    outdir = Path(str(call.variables.get("FW_OUTDIR", "")))
    if not infile.is_file() or not outdir.is_dir():
        return ScriptOutcome(Action.ERROR, error="firmware: FW_INFILE must be a file and "
                             "FW_OUTDIR a directory")
    variables = {k: v for k, v in call.variables.items()
                 if k not in ("FW_INFILE", "FW_OUTDIR") and isinstance(v, str | int)}
    try:
        fs.script_command(call.script)
    except ValueError as exc:
        return ScriptOutcome(Action.ERROR, error=f"firmware: {exc}")
    (outdir / "_tmp").mkdir(exist_ok=True)
    uid = _sandbox_user()
    if uid is not None:
        _hand_over(outdir, uid)
    sec_r, sec_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        os.write(sec_w, default_filter())
        os.close(sec_w)
        spec = fs.firmware_shell_spec(image.files_dir, call.script, infile, outdir,
                                      variables, sec_r, shim_dir=SHIM_DIR)
        argv = fs.FirmwareLimits().prlimit_argv() + bwrap_argv(spec)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err_w, pass_fds=(sec_r,), user=uid, group=uid,
                                extra_groups=[] if uid is not None else None)
    finally:
        os.close(sec_r)
        os.close(err_w)
    stderr = trio.lowlevel.FdStream(err_r)
    pidfd = os.pidfd_open(proc.pid)
    chunks: list[bytes] = []
    start = trio.current_time()
    try:
        with trio.move_on_after(call.timeout) as deadline:
            while data := await stderr.receive_some(4096):
                if sum(map(len, chunks)) < STDERR_CAP:
                    chunks.append(data)
            await trio.lowlevel.wait_readable(pidfd)
    finally:
        if proc.poll() is None:
            proc.kill()
        with trio.CancelScope(shield=True):
            await trio.lowlevel.wait_readable(pidfd)
        proc.wait()
        os.close(pidfd)
        await stderr.aclose()
        shutil.rmtree(outdir / "_tmp", ignore_errors=True)
    text = b"".join(chunks).decode(errors="replace").strip()
    log = text.splitlines()[-50:]
    if deadline.cancelled_caught:
        outcome = ScriptOutcome(Action.ERROR, error=f"{call.script}: exceeded its time limit "
                                f"of {call.timeout:g} s", log=log)
    elif proc.returncode == fs.ACCEPT_STATUS:
        outcome = ScriptOutcome(Action.ACCEPT, log=log)
    elif proc.returncode == fs.REJECT_STATUS:
        outcome = ScriptOutcome(Action.REJECT, error=log[-1] if log else "", log=log)
    elif proc.returncode == fs.NO_DECISION_STATUS:
        outcome = ScriptOutcome(Action.ERROR, log=log, error=f"{call.script}: ended without "
                                "accept_firmware or reject_firmware")
    else:
        outcome = ScriptOutcome(Action.ERROR, log=log, error=f"{call.script}: failed with "
                                f"status {proc.returncode}")
    if outcome.action is not Action.ACCEPT:
        _empty(outdir)
    outcome.elapsed = trio.current_time() - start
    return outcome
