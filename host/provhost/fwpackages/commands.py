"""The command line of firmware packages: `module fw-hash`, `firmware packages|install|mirror`.

Registered into cli.py's parser by `register`, so the packages' commands live beside the
code they drive.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from provhost.firmware import FirmwareError
from provhost.fwpackages.fwhash import fw_hash
from provhost.fwpackages.install import (
    InstallOptions,
    find_package,
    install_package,
    licence_text,
    package_views,
)
from provhost.fwpackages.mirror import fill_mirror
from provhost.service import Service, ServiceError

Handler = Callable[[Service, argparse.Namespace], Any]
Command = Callable[[argparse._SubParsersAction, tuple[str, ...], str, Handler],
                   argparse.ArgumentParser]


def register(module_group: argparse._SubParsersAction,
             firmware_group: argparse._SubParsersAction, command: Command) -> None:
    p = command(module_group, ("module", "fw-hash"), "write sizes and SHA-256 of downloaded "
                "firmware files into a module's firmware_packages", _fw_hash)
    p.add_argument("dir", help="the module directory")
    p.add_argument("files", nargs="+", metavar="FILE", help="the downloaded files")

    p = command(firmware_group, ("firmware", "packages"), "firmware packages the modules "
                "offer, their slot and whether installed", _packages)
    p.add_argument("module", nargs="?")
    p.add_argument("--licence", metavar="PACKAGE", help="print this package's licence text")
    p = command(firmware_group, ("firmware", "install"), "download, verify and install a "
                "firmware package into its slot", _install)
    p.add_argument("module")
    p.add_argument("package")
    p.add_argument("--from", dest="source", metavar="FILE|DIR|URL",
                   help="take the file(s) from here instead of the mirror and vendor URIs")
    p.add_argument("--accept-licence", action="store_true",
                   help="accept the package's licence (read it with --licence first)")
    p.add_argument("--unverified", action="store_true",
                   help="install a package whose vendor publishes no checksum")
    p = command(firmware_group, ("firmware", "mirror"), "download every pinned firmware file "
                "into DIR (laid out by hash; serve it or set FIRMWARE_MIRROR to it)", _mirror)
    p.add_argument("dir")
    p.add_argument("modules", nargs="*", metavar="MODULE")


def _fw_hash(svc: Service, a: argparse.Namespace) -> Any:
    try:
        report = fw_hash(Path(a.dir), [Path(f) for f in a.files])
    except ValueError as e:
        raise ServiceError(str(e)) from None
    problems = [p for p in svc.module_check(Path(a.dir))
                if p["text"].startswith("firmware_packages")]
    lines = report + [p["text"] for p in problems]
    return {"updated": report, "problems": problems} if a.json else "\n".join(lines)


def _packages(svc: Service, a: argparse.Namespace) -> Any:
    if a.licence:
        if not a.module:
            raise ServiceError("--licence needs the module too: firmware packages MODULE "
                               "--licence PACKAGE")
        text = licence_text(svc, a.module, find_package(svc, a.module, a.licence))
        return text if text is not None else f"{a.licence}: no licence to accept"
    rows = package_views(svc, a.module)
    if a.json:
        return rows
    from provhost.cli import _table

    for r in rows:
        r["state"] = (("installed" + ("" if r["installed_verified"] else " (UNVERIFIED)"))
                      if r["installed"] else "-")
        r["hash"] = "pinned" if r["verified"] else "UNVERIFIED"
        r["licence"] = "yes" if r["licence"] else ""
    return _table(rows, ["module", "package", "slot", "hash", "licence", "state", "name"])


def _install(svc: Service, a: argparse.Namespace) -> Any:
    from provhost.server.oneshot import one_off_engine, run_unwrapped

    opts = InstallOptions(source=a.source, accept_licence=a.accept_licence,
                          unverified=a.unverified)

    async def run() -> Any:
        async with one_off_engine(svc) as engine:
            return await install_package(engine, a.module, a.package, opts)

    result = run_unwrapped(run)
    inst = result.install
    return {"module": inst.module_id, "package": inst.package_id, "slot": inst.slot,
            "content_id": inst.content_id, "verified": inst.verified,
            "files": " ".join(f"{n} ({s} bytes, sha256 {h})" for n, s, h in inst.files)}


def _mirror(svc: Service, a: argparse.Namespace) -> Any:
    import trio

    rows = trio.run(fill_mirror, svc, Path(a.dir), list(a.modules))
    dicts = [r.as_dict() for r in rows]
    failed = [r for r in rows if r.outcome.startswith("failed")]
    if a.json:
        out: Any = dicts
    else:
        from provhost.cli import _table

        out = _table(dicts, ["module", "package", "file", "outcome"])
    if failed:
        raise FirmwareError(f"{len(failed)} file(s) could not be mirrored:\n{out}")
    return out
