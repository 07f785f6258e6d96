"""Firmware and logo slots: accept an upload through the module's preprocessing script.

On disk, per module (``firmware/<module>/``, mounted read-only at /firmware in the
module's sandboxes)::

    .content/<content_id>/...   accepted, preprocessed content (one directory per upload)
    <slot> -> .content/<id>     relative symlink: what /firmware/<slot>/FILE names now
    .staging-<random>/          one upload being processed (in/ and out/)

Why a symlink per slot: replacing it with rename() swaps the content atomically, so a
phone never sees half of a new upload, and a download already running keeps its open
file.  On reject or a crash only the staging directory goes away; the slot keeps its old
content.  Output is accepted only if it holds nothing but regular files and directories:
a symlink written by a hostile script could otherwise make the host send any file.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import trio

from provhost.engine import Engine
from provhost.hoststate import HostState
from provhost.moduleformat.model import FirmwareType
from provhost.runtime.interface import Action, ScriptCall, ScriptKind
from provhost.service import ServiceError
from provhost.store.base import FirmwareSlotState

log = logging.getLogger("provhost.firmware")

CONTENT = ".content"
PREVIEW = "_preview.png"
SCRIPT_TIMEOUT = 300.0  # seconds: unpacking and checking a firmware archive takes a while
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class FirmwareError(ServiceError):
    """The operation was refused; the message says why (shown to the administrator), and
    `log_lines` carry the preprocessing script's own output."""

    def __init__(self, message: str, log_lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.log_lines = log_lines or []


@dataclass
class UploadResult:
    state: FirmwareSlotState
    files: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


def safe_upload_name(filename: str) -> str:
    """The upload's file name as the script sees it in $FW_INFILE: no path, no oddities."""
    base = _SAFE_NAME.sub("_", Path(filename).name).strip("._") or "upload"
    return base[:100]


def unsafe_entries(root: Path) -> list[str]:
    """Entries of an accepted output that are neither regular files nor directories."""
    bad = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p.is_symlink() or not (p.is_file() or p.is_dir()):
                bad.append(str(p.relative_to(root)))
    return sorted(bad)


def content_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def slot_dir(firmware_root: Path, slot: str) -> Path:
    return firmware_root / slot


async def upload(engine: Engine, module_id: str, slot: str, source: Path, filename: str,
                 *, verify: bool = True) -> UploadResult:
    """Run the slot's preprocessing script on `source`; keep its output on accept."""
    _, ftype = _slot_of(engine.state, module_id, slot)
    am = engine.get(module_id)
    if am is None:
        raise FirmwareError(f"module {module_id} is not active (disabled or quarantined)")
    script = am.entry.module.firmware_scripts.get(ftype.script)
    if script is None:
        raise FirmwareError(f"module {module_id}: slot {slot} has no preprocessing script")
    root = am.image.firmware_dir
    staging = root / f".staging-{secrets.token_hex(6)}"
    outbox = staging / "out"
    try:
        # the copy (up to the API's 64 MiB) and the checks below run in threads: the
        # loop keeps answering phones meanwhile
        infile, size = await trio.to_thread.run_sync(_stage, staging, source, filename)
        call = ScriptCall(ScriptKind.FIRMWARE, script, {
            "FW_INFILE": str(infile), "FW_OUTDIR": str(outbox), "FW_VERIFY": int(verify),
            "FW_IDENT": slot, "MODULE_ID": module_id,
        }, timeout=SCRIPT_TIMEOUT)
        outcome = await engine.run_once(am, call)
        if outcome.action is Action.REJECT:
            raise FirmwareError(f"{script} rejected the file: {outcome.error or 'no reason given'}",
                                outcome.log)
        if outcome.action is not Action.ACCEPT:
            raise FirmwareError(f"{script} failed: {outcome.error}", outcome.log)
        bad, files = await trio.to_thread.run_sync(_inspect, outbox)
        if bad:
            raise FirmwareError(f"{script} produced entries that are not plain files: "
                                f"{', '.join(bad[:5])}")
        if not files:
            raise FirmwareError(f"{script} accepted the file but wrote no files to $FW_OUTDIR",
                                outcome.log)
        content_id = secrets.token_hex(8)
        contents = root / CONTENT
        contents.mkdir(exist_ok=True)
        outbox.rename(contents / content_id)
        old = _swap(root, slot, content_id)
        state = FirmwareSlotState(module_id, slot, content_id, filename, size, time.time(),
                                  verify)
        engine.state.store.put_firmware_slot(state)
        if old is not None:
            _remove_content(root, old)
        log.info("module %s slot %s: accepted %s (%d bytes) as %s", module_id, slot,
                 filename, size, content_id)
        return UploadResult(state, files, outcome.log)
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(partial(shutil.rmtree, staging, ignore_errors=True))


def _stage(staging: Path, source: Path, filename: str) -> tuple[Path, int]:
    """The upload's copy in a fresh staging directory the sandbox user can reach
    (blocking: runs in a thread)."""
    inbox, outbox = staging / "in", staging / "out"
    for d in (staging, inbox, outbox):
        d.mkdir(mode=0o755)
        d.chmod(0o755)  # the sandbox user must reach them
    infile = inbox / safe_upload_name(filename)
    shutil.copyfile(source, infile)
    infile.chmod(0o644)
    return infile, infile.stat().st_size


def _inspect(outbox: Path) -> tuple[list[str], list[str]]:
    """(entries that are not plain files or directories, the files) of the script's output."""
    return unsafe_entries(outbox), content_files(outbox)


def _remove_content(root: Path, content_id: str) -> None:
    """Remove replaced content.  Transfers still sending it hold it open (one descriptor
    per transfer, server/file_adapter.OpenFile), so unlinking it now takes nothing from
    them: the kernel frees it when the last of them closes.  Runs on the loop, so no
    request can resolve the old path between here and its open."""
    shutil.rmtree(root / CONTENT / content_id, ignore_errors=True)


def _slot_of(service: HostState, module_id: str, slot: str) -> tuple[Path, FirmwareType]:
    entry = next((e for e in service.registry.entries() if e.id == module_id), None)
    if entry is None:
        raise FirmwareError(f"no module {module_id!r}")
    slots = {t.ident: t for t in entry.module.firmware_types}
    if slot not in slots:
        raise FirmwareError(f"module {module_id} has no firmware slot {slot!r}; slots: "
                            f"{', '.join(sorted(slots)) or 'none'}")
    return service.paths.firmware_dir / module_id, slots[slot]


def clear(service: HostState, module_id: str, slot: str) -> None:
    """Empty a slot: phones stop being offered its content."""
    root, _ = _slot_of(service, module_id, slot)
    old = _unlink_slot(root, slot)
    service.store.clear_firmware_slot(module_id, slot)
    if old is not None:
        _remove_content(root, old)


def _swap(root: Path, slot: str, content_id: str) -> str | None:
    """Point the slot at new content atomically; the old content id (or None)."""
    link = slot_dir(root, slot)
    old = os.readlink(link).rsplit("/", 1)[-1] if link.is_symlink() else None
    tmp = root / f".link-{slot}-{content_id}"
    tmp.symlink_to(f"{CONTENT}/{content_id}")
    tmp.rename(link)
    return old


def _unlink_slot(root: Path, slot: str) -> str | None:
    link = slot_dir(root, slot)
    if not link.is_symlink():
        return None
    old = os.readlink(link).rsplit("/", 1)[-1]
    link.unlink()
    return old


def _preview_of(root: Path, slot: str) -> bytes | None:
    p = slot_dir(root, slot) / PREVIEW
    return p.read_bytes() if p.is_file() and not p.is_symlink() else None


def preview(service: HostState, module_id: str, slot: str) -> bytes:
    """The `_preview.png` the preprocessing script made, for the administrator."""
    root, _ = _slot_of(service, module_id, slot)
    data = _preview_of(root, slot)
    if data is None:
        raise FirmwareError(f"no preview for {module_id}/{slot} (empty slot, or its script "
                            f"wrote no {PREVIEW})")
    return data


def slot_views(service: HostState) -> list[dict[str, Any]]:
    """Every slot of every module, with its content (for the CLI and the API)."""
    states = {(s.module_id, s.slot): s for s in service.store.firmware_slots()}
    rows = []
    for entry in service.registry.entries():
        root = service.paths.firmware_dir / entry.id
        for t in entry.module.firmware_types:
            s = states.get((entry.id, t.ident))
            rows.append({
                "module": entry.id, "slot": t.ident, "name": t.name, "type": t.kind,
                "longdesc": t.options.get("LONGDESC", ""),
                "content_id": s.content_id if s else None,
                "filename": s.filename if s else None, "size": s.size if s else None,
                "uploaded_at": s.uploaded_at if s else None,
                "verified": s.verified if s else None,
                "preview": s is not None and _preview_of(root, t.ident) is not None,
                "files": content_files(slot_dir(root, t.ident)) if s else [],
            })
    return rows

