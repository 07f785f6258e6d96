"""Request path normalisation: one pure function, applied once, before any module sees a path.

Rules: `\\` becomes `/` (some phones send DOS paths); the result always begins with `/`;
repeated slashes collapse; a path with a `..` or `.` component, NUL or another control
character, or longer than MAX_PATH is refused (PathRejected says why, for the log).
Percent-decoding is the HTTP server's job and happens before this.
"""

from __future__ import annotations

import re

MAX_PATH = 512
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SLASHES = re.compile(r"/{2,}")


class PathRejected(ValueError):
    pass


def normalize_path(raw: str) -> str:
    if len(raw) > MAX_PATH:
        raise PathRejected(f"path longer than {MAX_PATH} characters")
    if _CONTROL.search(raw):
        raise PathRejected("path contains NUL or a control character")
    path = _SLASHES.sub("/", "/" + raw.replace("\\", "/").lstrip("/"))
    parts = path.split("/")
    if any(p in ("..", ".") for p in parts):
        raise PathRejected("path contains a '..' or '.' component")
    return path
