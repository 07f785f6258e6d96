"""`provhost module fw-hash DIR FILE...`: the seed's check_fw, so an author never types a hash.

The author downloads the vendor's new files, points fw-hash at them, and the module's
`firmware_packages` gets each file's size and SHA-256 written into its ``[file NAME]``
section (NAME = the file's base name), comments and order kept.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from provhost.moduleformat.firmware_packages import PACKAGES_FILE, update_file_entries


def measure(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 16):
            size += len(chunk)
            h.update(chunk)
    return size, h.hexdigest()


def fw_hash(module_dir: Path, files: list[Path]) -> list[str]:
    """Write sizes and hashes of `files` into module_dir/firmware_packages; what changed."""
    if not module_dir.is_dir():
        raise ValueError(f"{module_dir}: not a module directory")
    measured = {}
    for f in files:
        if not f.is_file():
            raise ValueError(f"{f}: no such file")
        measured[f.name] = measure(f)
    target = module_dir / PACKAGES_FILE
    text = target.read_text("utf-8") if target.is_file() else ""
    new_text, report = update_file_entries(text, measured)
    tmp = target.with_name(f".{PACKAGES_FILE}.tmp")
    tmp.write_text(new_text, "utf-8")
    tmp.replace(target)
    return report
