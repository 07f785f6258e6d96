"""Request path normalisation: one pure function, applied once, before any module sees a path.

Rules (Kerio's $PATH): `\\` becomes `/` (some phones send DOS paths); the result always
begins with `/`; repeated slashes collapse; `.` components are dropped and `..` removes the
component before it, never climbing above `/` (``/a/../../b`` is ``/b``).  A path with NUL
or another control character, or longer than MAX_PATH, is refused (PathRejected says why,
for the log: such paths are hostile).  `climbed` tells the caller that a `..` tried to go
above the root, which no phone does: it is logged as a probe.  Percent-decoding is the
HTTP server's job and happens before this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PATH = 512
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class PathRejected(ValueError):
    pass


@dataclass(frozen=True)
class NormalPath:
    path: str
    climbed: bool  # a `..` tried to leave the root (clamped; worth a log line)


def resolve_path(raw: str) -> NormalPath:
    if len(raw) > MAX_PATH:
        raise PathRejected(f"path longer than {MAX_PATH} characters")
    if _CONTROL.search(raw):
        raise PathRejected("path contains NUL or a control character")
    parts: list[str] = []
    climbed = False
    for part in raw.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            else:
                climbed = True
            continue
        parts.append(part)
    trailing = raw.endswith(("/", "\\")) and bool(parts)
    return NormalPath("/" + "/".join(parts) + ("/" if trailing else ""), climbed)


def normalize_path(raw: str) -> str:
    return resolve_path(raw).path
