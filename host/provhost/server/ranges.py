"""HTTP Range requests (RFC 9110 section 14): which bytes of a representation to send.

Pure: the HTTP app asks `byte_range(header, size)` and sends what it says.  Phones resume
interrupted firmware downloads with a single range; several ranges in one request are
legal but no phone needs them, so we answer those with the whole file (also legal).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class Unsatisfiable(Exception):
    """416: the range lies wholly past the end of the file."""


def byte_range(header: str | None, size: int) -> ByteRange | None:
    """The single range to send, or None for the whole file (no or unusable header)."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if first == "":
        if last == "":
            return None
        suffix = int(last)  # the last N bytes
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    if start >= size:
        raise Unsatisfiable
    end = size - 1 if last == "" else min(int(last), size - 1)
    if end < start:
        return None  # syntactically invalid: ignore the header
    return ByteRange(start, end)
