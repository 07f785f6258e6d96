"""Netascii translation (RFC 764 via RFC 1350) between local Unix text and the wire.

To the wire: LF becomes CR LF and a bare CR becomes CR NUL.  The mapping is per byte
and context free, so a large file can be translated chunk by chunk and the pieces
concatenated.  A source that already holds CR LF therefore goes out as CR NUL CR LF,
which is what the RFC mandates for a file whose local newline is LF.

From the wire: CR LF becomes LF and CR NUL becomes CR; any other CR is kept as is
(lenient toward sloppy clients).  Applied to a whole upload at once.
"""

from __future__ import annotations


def to_netascii(local: bytes) -> bytes:
    """Translate local text for sending; chunk-safe (see module docstring)."""
    return local.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")


def from_netascii(wire: bytes) -> bytes:
    """Translate a complete received netascii stream back to local text."""
    out = bytearray()
    i = 0
    n = len(wire)
    while i < n:
        j = wire.find(b"\r", i)
        if j < 0 or j == n - 1:
            out += wire[i:]
            break
        out += wire[i:j]
        nxt = wire[j + 1]
        if nxt == 0x0A:
            out += b"\n"
            i = j + 2
        elif nxt == 0x00:
            out += b"\r"
            i = j + 2
        else:
            out += b"\r"
            i = j + 1
    return bytes(out)
