"""TFTP wire codec (RFC 1350, options RFC 2347): bytes <-> packet objects, nothing else.

Why our own codec: a request is decoded in well under a microsecond with `bytes.split`
and `struct`, an order of magnitude faster than building tftpy packet objects, and
every rejection carries a precise reason that the server echoes to the client.

Rules:
* `decode` raises only `MalformedPacket`, whose message says what was wrong; it never
  returns a half-parsed packet.
* Request strings (filename, mode, option names and values) must be printable ASCII
  (0x20..0x7e), NUL terminated and non-empty (option values may be empty).  Mode and
  option names are case-insensitive and come out lower-cased.
* A request is at most `MAX_REQUEST_SIZE` octets (RFC 2347) and carries at most
  `MAX_OPTIONS` options; a repeated option (in any letter case) is malformed.
* ERROR messages are decoded leniently (missing NUL, odd bytes) because they only feed
  logs and several real clients send them sloppily.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

MAX_REQUEST_SIZE = 512  # RFC 2347: an option-bearing request must fit in 512 octets
MAX_OPTIONS = 16  # far above the 4 options anyone uses; more is garbage
MAX_BLOCK = 0xFFFF
MAX_DATA_PAYLOAD = 65464  # RFC 2348 upper bound of blksize

_U16 = struct.Struct("!H")
_U16U16 = struct.Struct("!HH")


class Opcode(enum.IntEnum):
    RRQ = 1
    WRQ = 2
    DATA = 3
    ACK = 4
    ERROR = 5
    OACK = 6


class ErrorCode(enum.IntEnum):
    NOT_DEFINED = 0
    FILE_NOT_FOUND = 1
    ACCESS_VIOLATION = 2
    DISK_FULL = 3
    ILLEGAL_OPERATION = 4
    UNKNOWN_TID = 5
    FILE_EXISTS = 6
    NO_SUCH_USER = 7
    OPTION_REFUSED = 8  # RFC 2347


class MalformedPacket(ValueError):
    """A datagram that is not a valid TFTP packet; str() is the reason, fit for a client."""


@dataclass(frozen=True, slots=True)
class Request:
    """RRQ or WRQ.  `options` keeps the client's order; names are lower-cased."""

    opcode: Opcode
    filename: str
    mode: str
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Data:
    block: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Ack:
    block: int


@dataclass(frozen=True, slots=True)
class Error:
    code: int
    message: str


@dataclass(frozen=True, slots=True)
class OptionAck:
    options: tuple[tuple[str, str], ...]


Packet = Request | Data | Ack | Error | OptionAck


def encode(packet: Packet) -> bytes:
    """Serialize a packet (struct.error if a number does not fit its 16-bit field)."""
    if isinstance(packet, Data):
        return _U16U16.pack(Opcode.DATA, packet.block) + packet.payload
    if isinstance(packet, Ack):
        return _U16U16.pack(Opcode.ACK, packet.block)
    if isinstance(packet, Error):
        message = packet.message.encode("ascii", "replace").replace(b"\0", b"?")
        return _U16U16.pack(Opcode.ERROR, packet.code) + message + b"\0"
    if isinstance(packet, OptionAck):
        return _U16.pack(Opcode.OACK) + _join_strings(_flatten(packet.options))
    if isinstance(packet, Request):
        strings = [packet.filename, packet.mode, *_flatten(packet.options)]
        return _U16.pack(packet.opcode) + _join_strings(strings)
    raise TypeError(f"not a TFTP packet: {packet!r}")


def _flatten(options: tuple[tuple[str, str], ...]) -> list[str]:
    return [item for pair in options for item in pair]


def _join_strings(strings: list[str]) -> bytes:
    return b"".join(s.encode("ascii") + b"\0" for s in strings)


def decode(datagram: bytes) -> Packet:
    """Parse one datagram into a packet or raise `MalformedPacket` saying why."""
    if len(datagram) < 2:
        raise MalformedPacket(f"packet of {len(datagram)} bytes is too short for an opcode")
    (opcode,) = _U16.unpack_from(datagram)
    if opcode in (Opcode.RRQ, Opcode.WRQ):
        return _decode_request(Opcode(opcode), datagram)
    if opcode == Opcode.DATA:
        if len(datagram) < 4:
            raise MalformedPacket("DATA packet is shorter than its 4-byte header")
        if len(datagram) - 4 > MAX_DATA_PAYLOAD:
            raise MalformedPacket(
                f"DATA payload of {len(datagram) - 4} bytes exceeds {MAX_DATA_PAYLOAD}"
            )
        return Data(_U16.unpack_from(datagram, 2)[0], datagram[4:])
    if opcode == Opcode.ACK:
        if len(datagram) != 4:
            raise MalformedPacket(f"ACK packet must be 4 bytes, got {len(datagram)}")
        return Ack(_U16.unpack_from(datagram, 2)[0])
    if opcode == Opcode.ERROR:
        if len(datagram) < 4:
            raise MalformedPacket("ERROR packet is shorter than its 4-byte header")
        text = datagram[4:].split(b"\0", 1)[0]
        return Error(_U16.unpack_from(datagram, 2)[0], text.decode("ascii", "replace"))
    if opcode == Opcode.OACK:
        strings = _split_strings(datagram[2:], "OACK")
        return OptionAck(_pair_options(strings, "OACK"))
    raise MalformedPacket(f"unknown opcode {opcode}")


def _decode_request(opcode: Opcode, datagram: bytes) -> Request:
    kind = opcode.name
    if len(datagram) > MAX_REQUEST_SIZE:
        raise MalformedPacket(
            f"{kind} of {len(datagram)} bytes exceeds the {MAX_REQUEST_SIZE}-byte limit"
        )
    strings = _split_strings(datagram[2:], kind)
    if len(strings) < 2:
        raise MalformedPacket(f"{kind} lacks a NUL-terminated mode after the filename")
    filename, mode, *rest = strings
    if not filename:
        raise MalformedPacket(f"{kind} has an empty filename")
    if not mode:
        raise MalformedPacket(f"{kind} has an empty mode")
    return Request(opcode, filename, mode.lower(), _pair_options(rest, kind))


def _split_strings(body: bytes, kind: str) -> list[str]:
    """Split NUL-terminated printable-ASCII strings; the body must end with NUL."""
    if not body:
        return []
    if body[-1] != 0:
        raise MalformedPacket(f"{kind} does not end with a NUL terminator")
    raw = body[:-1].split(b"\0")
    out = []
    for index, chunk in enumerate(raw):
        if not chunk.isascii() or not _printable(chunk):
            field = "filename" if index == 0 and kind in ("RRQ", "WRQ") else "string"
            raise MalformedPacket(
                f"{kind} {field} #{index + 1} contains non-printable or non-ASCII bytes: "
                f"{chunk[:40]!r}"
            )
        out.append(chunk.decode("ascii"))
    return out


def _printable(chunk: bytes) -> bool:
    return all(0x20 <= b <= 0x7E for b in chunk)


def _pair_options(strings: list[str], kind: str) -> tuple[tuple[str, str], ...]:
    if len(strings) % 2:
        raise MalformedPacket(f"{kind} option {strings[-1][:40]!r} has no value")
    if len(strings) // 2 > MAX_OPTIONS:
        raise MalformedPacket(f"{kind} carries {len(strings) // 2} options, limit {MAX_OPTIONS}")
    seen: set[str] = set()
    pairs = []
    for i in range(0, len(strings), 2):
        name = strings[i].lower()
        if not name:
            raise MalformedPacket(f"{kind} has an option with an empty name")
        if name in seen:
            raise MalformedPacket(f"{kind} repeats option {name!r}")
        seen.add(name)
        pairs.append((name, strings[i + 1]))
    return tuple(pairs)
