"""Control-connection framing: bytes in, complete command lines out (sans I/O).

Why a dedicated reader: a line is bounded (`MAX_LINE` bytes of content) so a client
streaming bytes without a newline cannot grow our buffer.  Lines end in LF; a CR before
the LF is dropped (RFC 959 says CR LF, some embedded clients send bare LF).  A line that
grows past the limit is reported once as `OVERLONG` and its remainder is discarded up to
the next LF, after which framing resumes normally.
"""

from __future__ import annotations

from typing import Final

MAX_LINE: Final = 1024


class _Overlong:
    def __repr__(self) -> str:
        return "OVERLONG"


OVERLONG: Final = _Overlong()


class LineReader:
    """Accumulates received bytes; `next_line` yields one line (or OVERLONG) at a time."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._buffer = bytearray()
        self.max_line = max_line
        self._discarding = False  # inside an over-long line already reported

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next_line(self) -> bytes | _Overlong | None:
        """The next complete line without its terminator, OVERLONG, or None (need more data)."""
        while True:
            end = self._buffer.find(b"\n")
            if self._discarding:
                if end < 0:
                    self._buffer.clear()
                    return None
                del self._buffer[: end + 1]
                self._discarding = False
                continue
            if end < 0:
                # +1: the CR of a CR LF may already be here while the LF is still in flight.
                if len(self._buffer) > self.max_line + 1:
                    self._buffer.clear()
                    self._discarding = True
                    return OVERLONG
                return None
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > self.max_line:
                return OVERLONG
            return line
