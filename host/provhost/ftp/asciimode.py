"""TYPE A on the data connection: local LF line ends become CR LF (sans I/O).

Why a stateful encoder: files are streamed in chunks, and a CR ending one chunk may be
followed by the LF starting the next.  Line ends already written as CR LF are left
alone (configs edited on Windows must not grow CR CR LF); every other byte, a lone CR
included, passes through unchanged.  The translation never looks back further than one
byte, so the output does not depend on how the input was chunked.
"""

from __future__ import annotations


class AsciiEncoder:
    """Translate one stream chunk by chunk; use a fresh encoder per transfer."""

    def __init__(self) -> None:
        self._last_was_cr = False

    def encode(self, chunk: bytes) -> bytes:
        if not chunk:
            return b""
        out = chunk.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if self._last_was_cr and chunk[:1] == b"\n":
            out = out[1:]  # the CR went out with the previous chunk
        self._last_was_cr = chunk.endswith(b"\r")
        return out


def ascii_size(data: bytes) -> int:
    """The number of bytes `data` occupies on the wire in TYPE A (for SIZE)."""
    return len(AsciiEncoder().encode(data))
