"""Control-connection replies and their wire form (RFC 959 section 4.2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FtpReply:
    """A reply code and its text lines; more than one line makes a multi-line reply.

    Inner lines of a multi-line reply start with a space so no client can mistake
    one for the closing ``NNN text`` line.  Texts never contain CR or LF: everything the
    client supplied that is echoed back (paths) was checked for control characters.
    """

    code: int
    lines: tuple[str, ...]

    @classmethod
    def of(cls, code: int, *lines: str) -> FtpReply:
        return cls(code, lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def encode(self) -> bytes:
        if len(self.lines) == 1:
            return f"{self.code} {self.lines[0]}\r\n".encode()
        first, *middle, last = self.lines
        parts = [f"{self.code}-{first}\r\n", *(f" {m}\r\n" for m in middle), f"{self.code} {last}\r\n"]
        return "".join(parts).encode()
