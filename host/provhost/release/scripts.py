"""Running pre-upgrade.d/ and post-upgrade.d/ scripts: every executable file, in name order.

Two directories each time: the release's own (it knows what its upgrade needs) and the
administrator's, in the data directory (`DATA/pre-upgrade.d`, `DATA/post-upgrade.d`); all
their files are merged and run in name order (the release's first on equal names).  A
script gets the environment of docs/upgrade.md, a time bound, and its output is logged;
a non-zero exit stops the upgrade with that output shown.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import trio


@dataclass(frozen=True)
class ScriptResult:
    name: str
    path: str
    returncode: int
    output: str
    seconds: float


def collect(dirs: list[Path]) -> list[Path]:
    """Executable regular files of `dirs`, in name order (hidden and backup files skipped)."""
    found: list[tuple[str, int, Path]] = []
    for rank, d in enumerate(dirs):
        if not d.is_dir():
            continue
        for p in d.iterdir():
            if (p.name.startswith(".") or p.name.endswith(("~", ".dpkg-old", ".bak"))
                    or not p.is_file() or not os.access(p, os.X_OK)):
                continue
            found.append((p.name, rank, p))
    return [p for _, _, p in sorted(found)]


async def run_all(scripts: list[Path], env: dict[str, str], cwd: Path, *,
                  timeout: float) -> list[ScriptResult]:
    """Run each in turn; stop after the first failure (its result is the last one)."""
    results = []
    for script in scripts:
        started = trio.current_time()
        try:
            with trio.fail_after(timeout):
                proc = await trio.run_process([str(script)], env=env, cwd=str(cwd),
                                              capture_stdout=True, stderr=subprocess.STDOUT, check=False,
                                              stdin=b"")
            code, out = proc.returncode, proc.stdout.decode(errors="replace")
        except trio.TooSlowError:
            code, out = 124, f"(killed: still running after {timeout:.0f} s)"
        except OSError as e:
            code, out = 126, f"(cannot run: {e})"
        results.append(ScriptResult(script.name, str(script), code, out,
                                    trio.current_time() - started))
        if code != 0:
            break
    return results
