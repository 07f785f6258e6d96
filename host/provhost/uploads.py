"""Files phones upload (Polycom logs, local setting overrides): kept per phone on disk.

Why files and not the database: uploads are opaque blobs an administrator reads or
downloads as they are; the store keeps only what configurations depend on.  Layout:
``uploads/<mac>/<name>``, each name holding the newest upload (phones re-send whole logs).
Writes are atomic (temporary file, then rename), so a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class UploadRefused(ValueError):
    """Why an upload is not stored (the message is shown to the phone's administrator)."""


@dataclass(frozen=True)
class UploadLimits:
    max_size: int = 1024 * 1024  # bytes per file
    max_files: int = 32  # distinct names per phone


@dataclass(frozen=True)
class StoredUpload:
    name: str
    size: int
    modified: float  # epoch seconds

    def view(self) -> dict[str, object]:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.modified))
        return {"name": self.name, "size": self.size, "modified": stamp}


def check_name(name: str) -> str:
    """A file name safe on every filesystem: no path, no leading dot, 128 chars at most."""
    if not _NAME.match(name) or ".." in name:
        raise UploadRefused(f"invalid upload name {name!r}: use letters, digits, '.', '_', '-'")
    return name


class PhoneUploads:
    def __init__(self, root: Path, limits: UploadLimits | None = None) -> None:
        self.root = root
        self.limits = limits or UploadLimits()

    def _dir(self, mac: str) -> Path:
        return self.root / mac

    def store(self, mac: str, name: str, data: bytes) -> StoredUpload:
        check_name(name)
        if len(data) > self.limits.max_size:
            raise UploadRefused(f"upload of {len(data)} bytes exceeds the "
                                f"{self.limits.max_size}-byte limit")
        directory = self._dir(mac)
        directory.mkdir(mode=0o750, parents=True, exist_ok=True)
        target = directory / name
        if not target.exists() and len(self.list(mac)) >= self.limits.max_files:
            raise UploadRefused(f"phone already has {self.limits.max_files} uploaded files")
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o640)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        st = target.stat()
        return StoredUpload(name, st.st_size, st.st_mtime)

    def list(self, mac: str) -> list[StoredUpload]:
        directory = self._dir(mac)
        if not directory.is_dir():
            return []
        out = []
        for p in sorted(directory.iterdir()):
            if p.is_file() and not p.name.startswith("."):
                st = p.stat()
                out.append(StoredUpload(p.name, st.st_size, st.st_mtime))
        return out

    def read(self, mac: str, name: str) -> bytes:
        path = self._dir(mac) / check_name(name)
        if not path.is_file():
            raise UploadRefused(f"no uploaded file {name!r} for phone {mac}")
        return path.read_bytes()

    def remove_phone(self, mac: str) -> None:
        directory = self._dir(mac)
        if directory.is_dir():
            for p in directory.iterdir():
                p.unlink(missing_ok=True)
            directory.rmdir()
