"""Launch recipe for firmware preprocessing scripts (firmware/NAME.sh or NAME.php).

Unlike provider scripts these must exec tools (netpbm, unzip, find...), so they get a
separate one-off bwrap: /usr read-only, the uploaded file read-only at /fw/in, the output
directory read-write at /fw/out (the working directory), the outer seccomp filter only
(exec allowed, no network, no namespaces), no /proc.  Because they may fork, the host
also starts them as an unprivileged user with rlimits (`FirmwareLimits`): as root a
process-count limit would not apply.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .bwrap import SandboxSpec, merged_usr_symlinks

ACCEPT_STATUS = 100
REJECT_STATUS = 101
NO_DECISION_STATUS = 102
SANDBOX_IN = "/fw/in"
SANDBOX_OUT = "/fw/out"

# accept/reject as the seed names them, then the module's script sourced in the same
# shell.  The image helpers (anytoppm, ppmfix) are executables in /shim/bin, on PATH for
# bash and PHP scripts alike.
PRELUDE = f"""
accept_firmware() {{ exit {ACCEPT_STATUS}; }}
reject_firmware() {{ [ $# -gt 0 ] && echo "$*" >&2; exit {REJECT_STATUS}; }}
. "$0"
exit {NO_DECISION_STATUS}
"""


SANDBOX_SHIM = "/shim"
PHP_BINARY = "/usr/bin/php8.2"  # not /usr/bin/php: that is an /etc/alternatives symlink

# The whole PHP configuration of a firmware script (the system php.ini never applies).
# exec and friends stay enabled on purpose: the seed promises unzip, netpbm and friends;
# the sandbox around the process is what confines them.
PHP_SETTINGS = {
    "allow_url_fopen": "0",
    "allow_url_include": "0",
    "enable_dl": "0",
    "ffi.enable": "0",
    "open_basedir": f"{SANDBOX_IN}:{SANDBOX_OUT}:/module:{SANDBOX_SHIM}:/tmp",
    "memory_limit": "256M",
    "max_execution_time": "0",  # the host's wall-clock deadline applies
    "display_errors": "stderr",
    "log_errors": "0",
    "html_errors": "0",
    "error_reporting": "32767",
    "date.timezone": "UTC",
    "sys_temp_dir": "/tmp",
}


@dataclass(frozen=True)
class FirmwareLimits:
    """rlimits of a firmware script, applied with prlimit(1) to the unprivileged sandbox."""

    processes: int = 64  # bounds a fork bomb; counts every process of the sandbox user
    address_space_mib: int = 1024
    file_size_mib: int = 512  # one output file (unpacked firmware images are large)
    cpu_seconds: int = 120
    open_files: int = 256

    def prlimit_argv(self) -> list[str]:
        mib = 1024 * 1024
        return ["/usr/bin/prlimit", f"--nproc={self.processes}",
                f"--as={self.address_space_mib * mib}",
                f"--fsize={self.file_size_mib * mib}", f"--cpu={self.cpu_seconds}",
                f"--nofile={self.open_files}", "--core=0", "--"]


def script_command(script: str) -> tuple[str, ...]:
    """The sandboxed command line for one firmware script (bash or PHP)."""
    if ".." in Path(script).parts or not script.startswith("firmware/"):
        raise ValueError(f"invalid firmware script path: {script}")
    if script.endswith(".sh"):
        return ("/usr/bin/bash", "--noprofile", "--norc", "-c", PRELUDE, f"/module/{script}")
    if script.endswith(".php"):
        settings = [f"-d{key}={value}" for key, value in PHP_SETTINGS.items()]
        return (PHP_BINARY, "-n", *settings, f"{SANDBOX_SHIM}/firmware.php",
                f"/module/{script}")
    raise ValueError(f"firmware scripts end in .sh or .php: {script}")


def firmware_shell_spec(module_dir: Path, script: str, infile: Path, outdir: Path,
                        variables: dict[str, str], seccomp_fd: int | None,
                        shim_dir: Path | None = None) -> SandboxSpec:
    command = script_command(script)
    in_name = infile.name or "upload"
    ro_binds = [("/usr", "/usr"), (os.path.realpath(module_dir), "/module"),
                (os.path.realpath(infile), f"{SANDBOX_IN}/{in_name}")]
    if shim_dir is not None:
        ro_binds.append((os.path.realpath(shim_dir), SANDBOX_SHIM))
    env = {
        "PATH": f"{SANDBOX_SHIM}/bin:/usr/bin:/bin",
        "LC_ALL": "C",
        "HOME": SANDBOX_OUT,
        **{k: str(v) for k, v in variables.items() if k.isidentifier()},
        "FW_INFILE": f"{SANDBOX_IN}/{in_name}",
        "FW_OUTDIR": SANDBOX_OUT,
    }
    return SandboxSpec(
        command=command,
        ro_binds=tuple(ro_binds),
        rw_binds=((os.path.realpath(outdir), SANDBOX_OUT),),
        symlinks=merged_usr_symlinks(),
        seccomp_fd=seccomp_fd,
        chdir=SANDBOX_OUT,
        env=env,
    )
