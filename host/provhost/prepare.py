"""Turn a loaded module into what a runtime needs: a `ModuleImage` with compiled templates.

Templates are compiled once per module version (the compiled directory's name carries a
hash of every template, so an edited template during development gets a fresh directory
and stale PHP is never served).  A template that does not compile is logged and left out:
the module's other templates keep working, and sendTemplate() of the broken one fails with
the compiler's message.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

from provhost.moduleformat.model import FormatError
from provhost.moduleformat.names import TESTS_DIR
from provhost.moduleformat.templates import compile_template_bytes
from provhost.paths import Paths
from provhost.registry import ModuleEntry
from provhost.runtime.interface import ModuleImage

log = logging.getLogger("provhost.prepare")


def _templates(root: Path) -> list[Path]:
    tdir = root / "templates"
    return sorted(tdir.glob("*.tpl")) if tdir.is_dir() else []


def _files_view(entry: ModuleEntry, paths: Paths) -> Path:
    """The directory the sandbox sees as /module (and sendFile may send from).

    A module's boot sequences (tests/, for `provhost module test`) are never part of it:
    add-ons are installed without them; a module loaded in place (bundled) that has them
    gets a copy without tests/, named by a hash of its files so an edit gets a fresh one."""
    root = entry.module.root
    if not (root / TESTS_DIR).exists():
        return root
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*")
                   if p.is_file() and p.relative_to(root).parts[0] != TESTS_DIR)
    for f in files:
        digest.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    view = paths.compiled_dir / f"{entry.id}-{entry.state.version}-files-{digest.hexdigest()[:12]}"
    if not view.is_dir():
        staging = paths.compiled_dir / f".{view.name}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(root, staging, symlinks=True,
                        ignore=lambda d, names: [TESTS_DIR] if Path(d) == root else [])
        try:
            staging.rename(view)
        except OSError:  # another process won the race: its copy is identical
            shutil.rmtree(staging, ignore_errors=True)
    return view


def prepare_module(entry: ModuleEntry, paths: Paths) -> ModuleImage:
    root = entry.module.root
    digest = hashlib.sha256()
    sources = []
    for tpl in _templates(root):
        data = tpl.read_bytes()
        digest.update(tpl.name.encode() + b"\0" + data + b"\0")
        sources.append((tpl.stem, data))
    name = f"{entry.id}-{entry.state.version}-{digest.hexdigest()[:12]}"
    compiled = paths.compiled_dir / name
    if not compiled.is_dir():
        staging = paths.compiled_dir / f".{name}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "templates").mkdir(parents=True)
        for stem, data in sources:
            try:
                php = compile_template_bytes(data, stem)
            except FormatError as e:
                log.error("module %s: template %s does not compile: %s", entry.id, stem, e)
                continue
            (staging / "templates" / f"{stem}.php").write_bytes(php)
        try:
            staging.rename(compiled)
        except OSError:  # another process won the race: its result is identical
            shutil.rmtree(staging, ignore_errors=True)
    firmware = paths.firmware_dir / entry.id
    firmware.mkdir(parents=True, exist_ok=True)
    return ModuleImage(
        module_id=entry.id, version=entry.state.version, files_dir=_files_view(entry, paths),
        compiled_dir=compiled, firmware_dir=firmware,
    )
