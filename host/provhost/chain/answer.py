"""Pure decisions about what a module's outcome means for the phone."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import ClassVar

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


# The closed set of answers the chain gives.  Each protocol adapter matches on the type
# once; `status` is only the word traces, logs and the CLI show.


@dataclass(frozen=True)
class Served:
    """A file for the phone: `body` in memory, or `file` on disk (streamed).  `empty`:
    the module said sendOk() (a success with nothing to send)."""

    body: bytes | None = None
    file: Path | None = None
    content_type: str = "application/octet-stream"
    module: str | None = None
    empty: bool = False

    @property
    def status(self) -> str:
        return "ok" if self.empty else "served"

    @property
    def size(self) -> int:
        if self.body is not None:
            return len(self.body)
        return self.file.stat().st_size if self.file is not None else 0


@dataclass(frozen=True)
class NotFound:
    """Every module passed, or one said sendNotFound (or refused a protocol that cannot
    carry the phone's credentials: `reason`, for the log only)."""

    module: str | None = None
    reason: str = ""
    status: ClassVar[str] = "notfound"


@dataclass(frozen=True)
class Rejected:
    """A hostile or malformed path, refused before any module saw it."""

    reason: str
    module: None = None
    status: ClassVar[str] = "rejected"


@dataclass(frozen=True)
class Busy:
    """Try again later: a module's queue is full, it is stalled, or the chain missed its
    deadline (`timed_out`)."""

    reason: str
    module: str | None = None
    retry_after: int = 5
    timed_out: bool = False

    @property
    def status(self) -> str:
        return "error" if self.timed_out else "busy"


@dataclass(frozen=True)
class Throttled:
    """The address is throttled as a MAC scanner."""

    retry_after: int
    module: None = None
    status: ClassVar[str] = "throttled"


@dataclass(frozen=True)
class Unauthorized:
    """The phone's credentials are required: challenge it.  `stale`: the password was
    right and only the nonce had expired or been replayed."""

    module: str | None
    stale: bool
    reason: str = ""
    status: ClassVar[str] = "unauthorized"


@dataclass(frozen=True)
class Stored:
    """A phone's upload was accepted and stored under `name`."""

    module: str
    name: str
    status: ClassVar[str] = "stored"


@dataclass(frozen=True)
class Refused:
    """A phone's upload was not accepted; `reason` is told to the phone."""

    reason: str
    module: str | None = None
    status: ClassVar[str] = "refused"


Answer = Served | NotFound | Rejected | Busy | Throttled | Unauthorized | Stored | Refused


def answer_size(answer: Answer) -> int:
    """Bytes an answer sends (for traces)."""
    return answer.size if isinstance(answer, Served) else 0


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


def served_bytes(answer: Answer) -> bytes | None:
    """The bytes a Served answer sends (a file is read whole: for reviews and the CLI, not
    for phones); None for every other answer."""
    if not isinstance(answer, Served):
        return None
    if answer.body is not None:
        return answer.body
    return answer.file.read_bytes() if answer.file is not None else b""


def answer_reason(answer: Answer) -> str:
    """Why an answer is not a file, for people ("" when it carries no reason)."""
    match answer:
        case NotFound(reason=r) | Rejected(reason=r) | Busy(reason=r) | Unauthorized(reason=r) \
                | Refused(reason=r):
            return r
        case Throttled():
            return "too many requests"
    return ""
