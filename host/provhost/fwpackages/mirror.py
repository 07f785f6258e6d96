"""`provhost firmware mirror DIR`: a local copy of every pinned firmware file, by hash.

A mirror is plain files, ``DIR/<sha256>/<file name>``, so a site without internet access
(or one that outlives a vendor's moved download links) can serve it with any web server or
point FIRMWARE_MIRROR at the directory.  Only files with a hash can be mirrored: a file
found by its hash is what the module pinned, whoever serves it.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import trio

from provhost.download import DownloadError, fetch_url
from provhost.fwpackages.install import MAX_UNKNOWN_SIZE
from provhost.hoststate import HostState
from provhost.moduleformat.firmware_packages import PackageFile

log = logging.getLogger("provhost.fwpackages")


@dataclass(frozen=True)
class MirrorRow:
    module: str
    package: str
    file: str
    outcome: str  # present | downloaded | skipped: ... | failed: ...

    def as_dict(self) -> dict[str, str]:
        return {"module": self.module, "package": self.package, "file": self.file,
                "outcome": self.outcome}


def _sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            h.update(chunk)
    return h.hexdigest()


async def _mirror_file(root: Path, f: PackageFile) -> str:
    assert f.sha256 is not None
    target = root / f.sha256 / f.name
    if target.is_file() and await trio.to_thread.run_sync(_sha256_of, target) == f.sha256:
        return "present"
    reasons = []
    for uri in f.uris:
        try:
            got = await fetch_url(uri, root / ".partial", size=f.size,
                                  max_size=MAX_UNKNOWN_SIZE)
        except DownloadError as e:
            reasons.append(f"{uri}: {e}")
            continue
        if got.sha256 != f.sha256:
            got.path.unlink(missing_ok=True)
            reasons.append(f"{uri}: SHA-256 mismatch (got {got.sha256})")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        got.path.chmod(0o644)
        os.replace(got.path, target)
        return "downloaded"
    return "failed: " + ("; ".join(reasons) if reasons else "no uri")


async def fill_mirror(state: HostState, root: Path, modules: list[str]) -> list[MirrorRow]:
    """Download every pinned file of `modules` (all when empty) into `root`."""
    entries = [e for e in state.registry.entries() if not modules or e.id in modules]
    unknown = set(modules) - {e.id for e in entries}
    if unknown:
        from provhost.firmware import FirmwareError

        raise FirmwareError(f"no module {', '.join(sorted(unknown))}")
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for entry in entries:
        for pkg in entry.module.firmware_packages:
            for f in pkg.files:
                if f.sha256 is None:
                    outcome = ("skipped: no sha256 pinned (unverified package; install it "
                               "with --from or --unverified)")
                else:
                    outcome = await _mirror_file(root, f)
                if outcome.startswith("failed"):
                    log.warning("firmware mirror: %s/%s %s: %s", entry.id, pkg.id, f.name,
                                outcome)
                rows.append(MirrorRow(entry.id, pkg.id, f.name, outcome))
    await trio.to_thread.run_sync(_remove_partials, root / ".partial")
    return rows


def _remove_partials(path: Path) -> None:
    if path.is_dir():
        for p in path.iterdir():
            p.unlink(missing_ok=True)
        path.rmdir()
