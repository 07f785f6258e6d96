"""Pure decisions about what a module's outcome means for the phone."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from provhost.runtime.interface import (
    SANDBOX_FIRMWARE,
    SANDBOX_MODULE,
    ModuleImage,
)

_TYPES = {
    ".cfg": "text/plain", ".txt": "text/plain", ".xml": "application/xml",
    ".ini": "text/plain", ".conf": "text/plain", ".bmp": "image/bmp", ".png": "image/png",
    ".jpg": "image/jpeg", ".ld": "application/octet-stream", ".bin": "application/octet-stream",
}


@dataclass
class Answer:
    """What the server sends: `status` decides the protocol's reply."""

    status: str  # served | notfound | ok | rejected | busy | error; uploads: stored | refused
    body: bytes | None = None
    file: Path | None = None  # served from disk (streamed), when body is None
    content_type: str = "application/octet-stream"
    module: str | None = None
    reason: str = ""
    retry_after: int = 0  # seconds, for "busy" and "throttled"

    @property
    def size(self) -> int:
        if self.body is not None:
            return len(self.body)
        return self.file.stat().st_size if self.file is not None else 0


def content_type_for(path: str) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


class FileRefused(ValueError):
    pass


def resolve_sandbox_file(image: ModuleImage, sandbox_path: str) -> Path:
    """Map a path a script named (sendFile/sendStaticFile) to a host file it may send.

    Only the module's own files and its firmware slots can be sent; anything else, or a
    path that escapes them through `..` or a symbolic link, is refused."""
    p = PurePosixPath(sandbox_path)
    if not p.is_absolute() or ".." in p.parts:
        raise FileRefused(f"sendFile: {sandbox_path!r} is not an absolute path inside the sandbox")
    roots = {SANDBOX_MODULE: image.files_dir, SANDBOX_FIRMWARE: image.firmware_dir}
    for prefix, host_root in roots.items():
        try:
            rel = p.relative_to(prefix)
        except ValueError:
            continue
        candidate = (host_root / rel).resolve()
        root = host_root.resolve()
        if candidate != root and root not in candidate.parents:
            break
        if not candidate.is_file():
            raise FileRefused(f"sendFile: {sandbox_path} does not exist")
        return candidate
    raise FileRefused(
        f"sendFile: {sandbox_path} is outside what a module may send "
        f"({SANDBOX_MODULE}/... or {SANDBOX_FIRMWARE}/...)"
    )
