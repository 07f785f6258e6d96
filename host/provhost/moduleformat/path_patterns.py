"""The optional `paths` key of `info`: which request paths a module's providers answer.

Why: every request is offered to the modules in chain order, one sandbox round trip each,
and most modules pass most paths on.  A module that declares its paths is only asked for
those, so a phone's request costs one round trip instead of one per module.  This is a
provhost addition to the format; a module without the key is asked for every path, as the
seed describes.

Rules:
* The value is whitespace-separated glob patterns (``*``, ``?``, ``[...]``, as fnmatch),
  matched case-insensitively against the *normalised* path (leading ``/``, single slashes).
  ``*`` also matches ``/``.
* Every pattern starts with ``/``; at most 64 patterns of at most 256 characters each.
* The declaration only narrows what the module is asked; it grants nothing, so a wrong
  declaration can only make the module miss requests (``provhost module compat`` replays
  the module's REVIEW files: one its patterns exclude is reported as a missing file).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable

from provhost.moduleformat.model import FormatError

MAX_PATTERNS = 64
MAX_PATTERN_LENGTH = 256

PathFilter = Callable[[str], bool]


def parse_path_patterns(value: str, filename: str, line: int | None) -> tuple[str, ...]:
    """The patterns of a `paths` value, or a FormatError naming the bad one."""
    patterns = tuple(value.split())
    if not patterns:
        raise FormatError(filename, line, "key 'paths': expected at least one pattern")
    if len(patterns) > MAX_PATTERNS:
        raise FormatError(filename, line,
                          f"key 'paths': at most {MAX_PATTERNS} patterns, found {len(patterns)}")
    for p in patterns:
        if not p.startswith("/"):
            raise FormatError(filename, line,
                              f"key 'paths': pattern {p!r} must start with '/'")
        if len(p) > MAX_PATTERN_LENGTH or any(ord(c) < 0x20 for c in p):
            raise FormatError(filename, line, f"key 'paths': pattern {p[:40]!r}... is longer "
                              f"than {MAX_PATTERN_LENGTH} characters or has control characters")
    return patterns


def path_filter(patterns: tuple[str, ...]) -> PathFilter | None:
    """A predicate for the patterns (None: no declaration, every path is asked)."""
    if not patterns:
        return None
    regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns),
                       re.IGNORECASE | re.DOTALL)
    return lambda path: regex.match(path) is not None
