"""Launch recipe for bash firmware preprocessing scripts (firmware/NAME.sh).

Unlike provider scripts these must exec tools (netpbm, unzip, find...), so they get a
separate one-off bwrap: /usr read-only, the uploaded file read-only at /fw/in, the output
directory read-write at /fw/out (the working directory), the outer seccomp filter only
(exec allowed, no network, no namespaces), no /proc.
"""

from __future__ import annotations

import os
from pathlib import Path

from .bwrap import SandboxSpec, merged_usr_symlinks

ACCEPT_STATUS = 100
REJECT_STATUS = 101
NO_DECISION_STATUS = 102
SANDBOX_IN = "/fw/in"
SANDBOX_OUT = "/fw/out"

# The helpers the seed promises (anytoppm: detect the format by its header, refuse
# anything that is not an image), then the module's script sourced in the same shell.
PRELUDE = f"""
accept_firmware() {{ exit {ACCEPT_STATUS}; }}
reject_firmware() {{ [ $# -gt 0 ] && echo "$*" >&2; exit {REJECT_STATUS}; }}
anytoppm() {{
  local magic
  magic=$(od -An -tx1 -N4 "$1" | tr -d ' \n')
  case $magic in
    5031*|5032*|5033*|5034*|5035*|5036*|89504e47|47494638|424d*|ffd8ff*|49492a00|4d4d002a) ;;
    *) return 1 ;;
  esac
  ( set -o pipefail; anytopnm "$1" | ppmtoppm > "$2" )
}}
ppmfix() {{ pnmtopnm 2>/dev/null || cat; }}
. "$0"
exit {NO_DECISION_STATUS}
"""


def firmware_shell_spec(module_dir: Path, script: str, infile: Path, outdir: Path,
                        variables: dict[str, str], seccomp_fd: int | None) -> SandboxSpec:
    if ".." in Path(script).parts or not script.endswith(".sh"):
        raise ValueError(f"invalid firmware script path: {script}")
    in_name = infile.name or "upload"
    env = {
        "PATH": "/usr/bin:/bin",
        "LC_ALL": "C",
        "HOME": SANDBOX_OUT,
        **{k: str(v) for k, v in variables.items() if k.isidentifier()},
        "FW_INFILE": f"{SANDBOX_IN}/{in_name}",
        "FW_OUTDIR": SANDBOX_OUT,
    }
    return SandboxSpec(
        command=("/usr/bin/bash", "--noprofile", "--norc", "-c", PRELUDE,
                 f"/module/{script}"),
        ro_binds=(("/usr", "/usr"), (os.path.realpath(module_dir), "/module"),
                  (os.path.realpath(infile), f"{SANDBOX_IN}/{in_name}")),
        rw_binds=((os.path.realpath(outdir), SANDBOX_OUT),),
        symlinks=merged_usr_symlinks(),
        seccomp_fd=seccomp_fd,
        chdir=SANDBOX_OUT,
        env=env,
    )
