"""Installing a firmware package into its slot, and listing packages.

The path of an install, every step refusing with one clear line and the slot keeping its
old content on any failure:

1. the package and its slot exist; its licence was accepted; an unverified package (no
   published hash) needs an explicit `unverified`;
2. each file is fetched from the first source that delivers it whole (sources.py) and is
   checked against its size and SHA-256 before anything else sees it;
3. the file (several files: a stored zip of them) is fed to the slot's preprocessing script
   exactly as an administrator's upload (firmware.upload: same sandbox, same accept or
   reject, same atomic swap, a new FW_CONTENT_ID, so phones go stale and get a resync);
4. the store records which package filled the slot and the hashes of what went in.
"""

from __future__ import annotations

import logging
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from provhost import firmware
from provhost.download import (
    DownloadError,
    DownloadLimits,
    Fetched,
    fetch_file,
    fetch_url,
    remove_tree,
)
from provhost.engine import Engine
from provhost.firmware import FirmwareError, UploadResult
from provhost.fwpackages.sources import Source, sources_for
from provhost.hoststate import HostState
from provhost.moduleformat.firmware_packages import FirmwarePackage, PackageFile
from provhost.store.base import PackageInstall

log = logging.getLogger("provhost.fwpackages")

MAX_UNKNOWN_SIZE = 512 * 1024 * 1024  # bound for a file whose size the module does not pin


@dataclass(frozen=True)
class InstallOptions:
    source: str | None = None  # --from: a file, a directory of the files, or a URL
    accept_licence: bool = False
    unverified: bool = False
    limits: DownloadLimits = field(default_factory=DownloadLimits)


@dataclass(frozen=True)
class InstallResult:
    install: PackageInstall
    upload: UploadResult


def find_package(state: HostState, module_id: str, package_id: str) -> FirmwarePackage:
    entry = next((e for e in state.registry.entries() if e.id == module_id), None)
    if entry is None:
        raise FirmwareError(f"no module {module_id!r}")
    packages = {p.id: p for p in entry.module.firmware_packages}
    if package_id not in packages:
        raise FirmwareError(f"module {module_id} has no firmware package {package_id!r}; "
                            f"packages: {', '.join(sorted(packages)) or 'none'}")
    return packages[package_id]


def licence_text(state: HostState, module_id: str, package: FirmwarePackage) -> str | None:
    if package.licence is None:
        return None
    entry = next(e for e in state.registry.entries() if e.id == module_id)
    return (entry.module.root / package.licence).read_text("utf-8", "replace")


def _admissible(module_id: str, pkg: FirmwarePackage, opts: InstallOptions) -> None:
    where = f"firmware package {module_id}/{pkg.id}"
    if pkg.licence is not None and not opts.accept_licence:
        raise FirmwareError(f"{where} comes with a licence ({pkg.licence}); read it "
                            "(`provhost firmware packages --licence`) and install with "
                            "--accept-licence")
    if not pkg.verified and not opts.unverified:
        unpinned = ", ".join(f.name for f in pkg.files if not f.verified)
        raise FirmwareError(f"{where} is unverified: the vendor publishes no checksum for "
                            f"{unpinned}; install with --unverified to accept what the "
                            "download delivers (its hash is recorded)")


async def _fetch_one(where: str, f: PackageFile, sources: list[Source], download_dir: Path,
                     limits: DownloadLimits) -> Fetched:
    """The file from the first source that delivers exactly what the module pins."""
    reasons = []
    if not sources:
        raise FirmwareError(f"{where}: no source for {f.name} (no uri, no mirror, or "
                            "--from does not hold it)")
    for source in sources:
        try:
            if source.is_url:
                got = await fetch_url(source.location, download_dir, size=f.size,
                                      max_size=MAX_UNKNOWN_SIZE, limits=limits)
            else:
                got = await fetch_file(Path(source.location), download_dir, size=f.size,
                                       max_size=MAX_UNKNOWN_SIZE)
        except DownloadError as e:
            log.warning("%s: %s: %s", where, source, e)
            reasons.append(f"{source}: {e}")
            continue
        if f.sha256 is not None and got.sha256 != f.sha256:
            got.path.unlink(missing_ok=True)
            reason = f"SHA-256 mismatch (got {got.sha256}, expected {f.sha256})"
            log.warning("%s: %s: %s", where, source, reason)
            reasons.append(f"{source}: {reason}")
            continue
        return got
    raise FirmwareError(f"{where}: could not get {f.name}: " + "; ".join(reasons))


def _zip(files: list[tuple[str, Path]], out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, path in files:
            z.write(path, name)
    return out


async def install_package(engine: Engine, module_id: str, package_id: str,
                          opts: InstallOptions = InstallOptions()) -> InstallResult:
    """Fetch, verify and feed a package to its slot; the slot is unchanged on any failure."""
    state = engine.state
    pkg = find_package(state, module_id, package_id)
    _admissible(module_id, pkg, opts)
    where = f"firmware package {module_id}/{pkg.id}"
    mirror = state.settings()["FIRMWARE_MIRROR"]
    download_dir = state.paths.data_dir / "downloads" / f"fw-{secrets.token_hex(6)}"
    try:
        fetched: list[tuple[str, Fetched]] = []
        for f in pkg.files:
            sources = sources_for(f, from_option=opts.source, single_file=len(pkg.files) == 1,
                                  mirror=mirror)
            fetched.append((f.name, await _fetch_one(where, f, sources, download_dir,
                                                                opts.limits)))
        if len(fetched) == 1:
            feed, name = fetched[0][1].path, fetched[0][0]
        else:
            name = f"{pkg.id}.zip"
            feed = await trio.to_thread.run_sync(
                _zip, [(n, g.path) for n, g in fetched], download_dir / name)
        result = await firmware.upload(engine, module_id, pkg.slot, feed, name, verify=True)
        install = PackageInstall(module_id, pkg.slot, pkg.id, result.state.content_id,
                                 tuple((n, g.size, g.sha256) for n, g in fetched),
                                 pkg.verified, time.time())
        state.store.put_package_install(install)
        log.info("%s installed into slot %s (%s)", where, pkg.slot,
                 "verified" if pkg.verified else "UNVERIFIED: hashes recorded")
        return InstallResult(install, result)
    finally:
        await trio.to_thread.run_sync(remove_tree, download_dir)


def package_views(state: HostState, module_id: str | None = None) -> list[dict[str, Any]]:
    """Every package of every module (or one), with its slot and whether it is installed."""
    slots = {(s.module_id, s.slot): s for s in state.store.firmware_slots()}
    installs = {(i.module_id, i.slot): i for i in state.store.package_installs()}
    rows = []
    for entry in state.registry.entries():
        if module_id is not None and entry.id != module_id:
            continue
        for pkg in entry.module.firmware_packages:
            inst = installs.get((entry.id, pkg.slot))
            slot = slots.get((entry.id, pkg.slot))
            installed = (inst is not None and slot is not None and inst.package_id == pkg.id
                         and inst.content_id == slot.content_id)
            rows.append({
                "module": entry.id, "package": pkg.id, "name": pkg.name, "slot": pkg.slot,
                "verified": pkg.verified, "licence": pkg.licence,
                "installed": installed,
                "installed_verified": inst.verified if installed and inst else None,
                "installed_files": ([{"name": n, "size": s, "sha256": h}
                                     for n, s, h in inst.files] if installed and inst
                                    else []),
                "files": [{"name": f.name, "size": f.size, "sha256": f.sha256,
                           "uris": list(f.uris)} for f in pkg.files],
            })
    if module_id is not None and not rows and not any(
            e.id == module_id for e in state.registry.entries()):
        raise FirmwareError(f"no module {module_id!r}")
    return rows
